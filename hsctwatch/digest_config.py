"""The `[digest]` table: where the email digest goes and how it is sent.

Kept apart from `hsctwatch.config` (whose helpers it uses) because the SMTP settings and the
recipient lists have checks of their own. The password is never written in the file: the file
names the environment variable that holds it, so the config can be shared and versioned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr
from typing import Any

from hsctwatch.config import HTTP_URL, ConfigError, _Lines, _table

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")

DIGEST_KEYS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "host": (str, "localhost"),
    "port": (int, 0),
    "security": (str, "starttls"),
    "user": (str, ""),
    "password_env": (str, ""),
    "from": (str, ""),
    "to": (list, []),
    "tags": (dict, {}),
    "subscribe": (str, ""),
    "lookback_days": (int, 7),
}


@dataclass(frozen=True)
class DigestConfig:
    sender: str  # the From: header, "Name <address>"
    to: tuple[str, ...] = ()  # every story
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # slug → who gets that tag's stories
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    user: str = ""
    password_env: str = ""  # the environment variable holding the SMTP password
    subscribe: str = ""  # what the site's "by email" link opens: mailto: or a sign-up page
    lookback_days: int = 7  # a list's first digest reaches back this far

    @property
    def lists(self) -> dict[str, tuple[str, ...]]:
        """Each recipient list by its name in the store: "all", and "tag:<slug>" per tag."""
        named = {"all": self.to} if self.to else {}
        named.update({f"tag:{slug}": addresses for slug, addresses in self.tags.items()})
        return named

    @property
    def subscribe_link(self) -> str:
        """The site's "by email" link: the configured one, else a mail to the sender."""
        return self.subscribe or f"mailto:{parseaddr(self.sender)[1]}"


def digest_config(where: str, lines: _Lines, data: dict[str, Any]) -> DigestConfig | None:
    """The [digest] table checked, or None when the file has none."""
    if "digest" not in data:
        return None
    raw = data["digest"]
    if isinstance(raw, dict) and "password" in raw:
        raise ConfigError(
            where, lines.key_in_table("digest", "password"),
            "[digest] password: do not write the password in the file; put it in an environment "
            'variable and name that variable, e.g. password_env = "HSCT_WATCH_SMTP_PASSWORD"',
        )
    values = _table(where, lines, data, "digest", DIGEST_KEYS)

    def fail(key: str, message: str) -> ConfigError:
        line = lines.key_in_table("digest", key) or lines.table("digest")
        return ConfigError(where, line, f"[digest] {message}")

    sender = values.get("from", "")
    if not _address(sender):
        raise fail("from", 'needs from = "Name <address@example.org>", the sender of the digest')
    to = tuple(values.get("to", []))
    for address in to:
        if not isinstance(address, str) or not _address(address):
            raise fail("to", f"to: '{address}' is not an email address")
    tags = _tag_lists(where, lines, values.get("tags", {}))
    if not to and not tags:
        raise fail("to", 'has no recipients; add to = ["reader@example.org"] or a [digest.tags] list')
    security = values.get("security", "starttls")
    if security not in SECURITY:
        raise fail("security", f"security = '{security}' is not known; use \"starttls\", \"ssl\" or \"none\"")
    port = values.get("port") or DEFAULT_PORTS[security]
    if not 0 < port < 65536:
        raise fail("port", "port must be 1-65535")
    user, password_env = values.get("user", ""), values.get("password_env", "")
    if password_env and not ENV_NAME.match(password_env):
        raise fail("password_env", f"password_env = '{password_env}' is not an environment variable's "
                                   "name (letters, digits and _)")
    if bool(user) != bool(password_env):
        raise fail("user" if user else "password_env",
                   "user and password_env go together: set both to sign in to the SMTP server, or neither")
    subscribe = values.get("subscribe", "")
    if subscribe and not (subscribe.startswith("mailto:") or HTTP_URL.match(subscribe)):
        raise fail("subscribe", f"subscribe = '{subscribe}' must be a mailto: or http(s) address")
    if values.get("lookback_days", 7) < 0:
        raise fail("lookback_days", "lookback_days must be 0 or more")
    return DigestConfig(
        sender=sender, to=to, tags=tags, host=values.get("host", "localhost"), port=port,
        security=security, user=user, password_env=password_env, subscribe=subscribe,
        lookback_days=values.get("lookback_days", 7),
    )


def _tag_lists(where: str, lines: _Lines, raw: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    lists: dict[str, tuple[str, ...]] = {}
    for slug, addresses in raw.items():
        line = lines.key_in_table("digest.tags", slug) or lines.table("digest.tags")
        if not SLUG.match(slug):
            raise ConfigError(where, line, f"[digest.tags] '{slug}' is not a tag's slug (e.g. ppms)")
        if isinstance(addresses, str):
            addresses = [addresses]
        if not isinstance(addresses, list) or not addresses or not all(
                isinstance(a, str) and _address(a) for a in addresses):
            raise ConfigError(where, line, f"[digest.tags] {slug} must be a list of email addresses")
        lists[slug] = tuple(addresses)
    return lists


def _address(value: str) -> bool:
    """One address, with or without a display name ("Name <a@b.org>")."""
    found = getaddresses([value])
    return len(found) == 1 and bool(re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", found[0][1]))
