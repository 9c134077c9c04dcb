"""The editor's desk (`hsct-watch serve`): review queue, items, sources, and the public feeds.

The app is imported when first asked for: the `hsct-watch` commands live beside the desk's
(hsctwatch.web.commands), and `hsct-watch feeds` need not load Flask to start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hsctwatch.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from hsctwatch.web.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
