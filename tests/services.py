"""The servers some tests need: PostgreSQL and Redis on loopback, started by `.ci/services`
(which `.ci/run` calls) and named by HSCT_WATCH_TEST_POSTGRES and HSCT_WATCH_TEST_REDIS.

Without them those tests are skipped with the reason; with HSCT_WATCH_REQUIRE_SERVICES=1 (set by
`.ci/run`) a missing server fails the run instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

POSTGRES = os.environ.get("HSCT_WATCH_TEST_POSTGRES", "")
REDIS = os.environ.get("HSCT_WATCH_TEST_REDIS", "")
REQUIRED = os.environ.get("HSCT_WATCH_REQUIRE_SERVICES") == "1"
HOW = 'eval "$(bash .ci/services start /tmp/hsct-services)"'


def missing(what: str, variable: str) -> None:
    """Skip the test, or fail it where the services must be there."""
    reason = f"no {what}: set {variable} ({HOW} starts one)"
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


def need_postgres() -> str:
    if not POSTGRES:
        missing("PostgreSQL server", "HSCT_WATCH_TEST_POSTGRES")
    return POSTGRES


def need_redis() -> str:
    if not REDIS:
        missing("Redis server", "HSCT_WATCH_TEST_REDIS")
    return REDIS


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards: its SQLAlchemy URL."""
    server = make_url(need_postgres())
    name = f"hsct_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield server.set(database=name).render_as_string(hide_password=False)
        from hsctwatch.stories.models import close_stores

        close_stores()  # this process's engines on it
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()


@contextmanager
def database(kind: str, folder: os.PathLike[str] | str) -> Iterator[str]:
    """A fresh store URL of a kind: a SQLite file in the folder, or a PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{os.fspath(folder)}/store.db"
        from hsctwatch.stories.models import close_stores

        close_stores()
    else:
        with postgres_database() as url:
            yield url
