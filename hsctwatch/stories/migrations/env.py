"""Alembic's environment: migrations run on the connection the store hands over
(hsctwatch.stories.migrations.upgrade), or on the database named by `-x url=…` when a developer
runs the `alembic` command (alembic.ini beside this file)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from hsctwatch.stories.models import Base

config = context.config
connection = config.attributes.get("connection")


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True)  # SQLite alters tables by rebuilding them
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or "sqlite:///hsct-watch.db"
    with create_engine(url).connect() as own:
        run(own)
        own.commit()
