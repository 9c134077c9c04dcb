"""Editors' accounts for the review desk: names and argon2 password hashes, nothing else.

There is no default account and no default password: `hsct-watch users add NAME` is the only
way in, and the password is asked for at a prompt (or read from stdin for scripts).
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from hsctwatch.stories.models import DeskSession, Store, User, utcnow

MIN_PASSWORD = 10
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when there is no such editor (so that a wrong name takes as long
    as a wrong password); made when first needed, not when the module is imported by every command."""
    return _hasher.hash("no such editor, no such password")


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
            session.execute(delete(DeskSession).where(DeskSession.user == name))  # signed out everywhere


def remove_user(store: Store, name: str) -> None:
    with store.session() as session:
        user = session.get(User, name)
        if user is None:
            raise UserError(f"no user {name!r}")
        session.delete(user)
        session.execute(delete(DeskSession).where(DeskSession.user == name))


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
            _hasher.verify(user.password_hash if user else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return False
        if user is None:
            return False
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.last_login = utcnow()
        return True


# -- sessions: the desk's cookie names one of these; deleting it signs the editor out ------------


def start_session(store: Store, name: str, hours: float) -> str:
    """A new session for an editor who just signed in; returns the key for the cookie. Sessions
    older than ``hours`` (everyone's) are cleared out while at it."""
    key = secrets.token_urlsafe(32)
    with store.session() as session:
        session.execute(delete(DeskSession).where(DeskSession.created_at < utcnow() - timedelta(hours=hours)))
        session.add(DeskSession(key_hash=_hash(key), user=name, created_at=utcnow()))
    return key


def session_user(store: Store, key: str, hours: float) -> str | None:
    """The editor whose live session ``key`` is, or None (signed out, expired, account removed)."""
    with store.session() as session:
        row = session.get(DeskSession, _hash(key))
        if row is None or row.created_at < utcnow() - timedelta(hours=hours):
            return None
        return row.user if session.get(User, row.user) is not None else None


def end_session(store: Store, key: str) -> None:
    with store.session() as session:
        session.execute(delete(DeskSession).where(DeskSession.key_hash == _hash(key)))


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def exists(store: Store, name: str) -> bool:
    with store.session() as session:
        return session.get(User, name) is not None
