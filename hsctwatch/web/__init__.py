"""The editor's desk (`hsct-watch serve`): review queue, items, sources, and the public feeds."""

from hsctwatch.web.app import create_app

__all__ = ["create_app"]
