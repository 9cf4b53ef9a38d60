"""Shared fixtures: real databases, migrated by the real migrations.

SQLite tests use a fresh file per test. PostgreSQL tests use a fresh schema
per test on the server named by $REGISTRY_TEST_POSTGRES_URL (default: the
local server at 127.0.0.1:5432, database test); where no server answers they
skip with the reason, unless $REGISTRY_REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import Engine

from registry.core.config import database_url
from registry.core.db import make_engine, temporary_postgres_schema
from registry.schema import migrate

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Property tests draw the same examples on every run (reproducible CI);
# explore new ones locally with --hypothesis-seed=N.
hypothesis_settings.register_profile("registry", derandomize=True, deadline=None)
hypothesis_settings.load_profile("registry")


def _pg_server_url() -> str:
    return database_url(os.environ.get("REGISTRY_TEST_POSTGRES_URL", DEFAULT_PG))


def _pg_unavailable_reason() -> str | None:
    engine = make_engine(_pg_server_url())
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"no PostgreSQL server at {_pg_server_url()}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()


_PG_REASON: str | None | bool = False


def require_postgres() -> None:
    global _PG_REASON
    if _PG_REASON is False:
        _PG_REASON = _pg_unavailable_reason()
    if _PG_REASON:
        if os.environ.get("REGISTRY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here (REGISTRY_REQUIRE_POSTGRES=1): {_PG_REASON}")
        pytest.skip(_PG_REASON)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema, dropped afterwards."""
    require_postgres()
    with temporary_postgres_schema(_pg_server_url(), "t") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_url(request) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(backend_url) -> Iterator[Engine]:
    """A migrated (head) database on each backend."""
    eng = make_engine(backend_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url) -> Iterator[Engine]:
    """A migrated (head) SQLite database only."""
    eng = make_engine(sqlite_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
