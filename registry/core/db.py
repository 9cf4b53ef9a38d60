"""The registry's one MetaData, declarative Base and engine factory.

Everything that touches the database goes through here, so that every SQLite
connection enforces foreign keys and every constraint gets a predictable
name (alembic's batch mode on SQLite cannot drop unnamed constraints).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.orm import DeclarativeBase, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    metadata = metadata

    def __repr__(self) -> str:
        cols = ", ".join(
            f"{c.key}={getattr(self, c.key)!r}" for c in self.__table__.columns if c.primary_key
        )
        return f"<{type(self).__name__} {cols}>"


def _json_dumps(value: Any) -> str:
    # ensure_ascii=False keeps µ, é, ü readable in the file and searchable.
    return json.dumps(value, ensure_ascii=False)


SQLITE_BUSY_TIMEOUT_S = 30


def not_by_index(column: ColumnElement[str]) -> ColumnElement[str]:
    """A text column as an expression no index answers (column || ''), for a filter to be checked on the rows that a
    more selective condition finds through its own index. Without statistics SQLite counts an equality on any
    indexed column as selective: given `assessor = 'registry' AND case_id IN (5,000 ids)` it reads every registry
    row through the assessor index, for every chunk of a publish's scoring (quadratic in the registry)."""
    return column.concat("")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for a registry database URL (SQLite or PostgreSQL)."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    engine = create_engine(url, json_serializer=_json_dumps, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy (see _sqlite_on_begin) so that
    # DDL runs inside transactions too: a failed migration or load leaves
    # nothing half-done.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    # WAL: curators reading the working database never block a writer.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # Writers (see `writing`) take the write lock at once with IMMEDIATE, so a
    # second writer waits for the busy timeout instead of failing on a lock
    # upgrade halfway through; readers begin deferred and never block anyone.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.pop("begin_immediate", False) else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction for a load or import: all or nothing, and on SQLite it
    queues behind other writers instead of failing."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.info["begin_immediate"] = True
        with conn.begin():
            yield conn


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def temporary_postgres_schema(server_url: str, prefix: str) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema on `server_url`,
    dropped afterwards. Tests and benchmarks use it so that several runs can
    share one PostgreSQL database without seeing each other's tables."""


    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

