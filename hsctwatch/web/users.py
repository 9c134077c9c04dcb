"""Editors' accounts for the review desk: names and argon2 password hashes, nothing else.

There is no default account and no default password: `hsct-watch users add NAME` is the only
way in, and the password is asked for at a prompt (or read from stdin for scripts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from hsctwatch.stories.models import Store, User, utcnow

MIN_PASSWORD = 10
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

_hasher = PasswordHasher()
# verified against when the name is unknown, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("no such editor, no such password")


class UserError(Exception):
    """A request about accounts that can't be done; str() says why."""


@dataclass(frozen=True)
class Account:
    name: str
    created_at: datetime
    last_login: datetime | None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password of at least {MIN_PASSWORD} characters, please")
    if password.strip() != password or not password.isprintable():
        raise UserError("a password without leading or trailing spaces or control characters, please")


def add_user(store: Store, name: str, password: str, *, replace: bool = False) -> None:
    if not NAME.match(name):
        raise UserError(f"{name!r} is not a usable name: letters, digits and . _ @ - (at most 64)")
    check_password(password)
    with store.session() as session:
        user = session.get(User, name)
        if user is not None and not replace:
            raise UserError(f"{name} already exists; use `users passwd {name}` to change the password")
        if user is None:
            session.add(User(name=name, password_hash=_hasher.hash(password), created_at=utcnow()))
        else:
            user.password_hash = _hasher.hash(password)


def remove_user(store: Store, name: str) -> None:
    with store.session() as session:
        user = session.get(User, name)
        if user is None:
            raise UserError(f"no user {name!r}")
        session.delete(user)


def list_users(store: Store) -> list[Account]:
    with store.session() as session:
        return [Account(u.name, u.created_at, u.last_login)
                for u in session.scalars(select(User).order_by(User.name))]


def has_users(store: Store) -> bool:
    with store.session() as session:
        return session.scalars(select(User.name).limit(1)).first() is not None


def authenticate(store: Store, name: str, password: str) -> bool:
    """True when the name and password match an account; records the login."""
    with store.session() as session:
        user = session.get(User, name) if name else None
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return False
        if user is None:
            return False
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.last_login = utcnow()
        return True


def exists(store: Store, name: str) -> bool:
    with store.session() as session:
        return session.get(User, name) is not None
