"""The store's settings for this process, set from the config before any store is opened: apart
from the models, so that reading the config does not import SQLAlchemy (`hsct-watch feeds` reads
a SQLite store without it: hsctwatch.stories.reading)."""

from __future__ import annotations

#: How long a store waits for another process's lock, in seconds (models.open_store).
WAIT = {"seconds": 30.0}


def configure_stores(*, wait_seconds: float) -> None:
    """How long this process's stores wait for a lock ([store] wait_seconds), set once when the
    config is read, before the first store is opened."""
    WAIT["seconds"] = float(wait_seconds)
