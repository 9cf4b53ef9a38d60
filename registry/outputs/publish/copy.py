"""Copy the working database's tables into a new SQLite file, as fast as each backend allows.

The published file starts as an exact copy of the working database's
registry tables, with the working schema's foreign keys, checks and indexes,
so datasette shows labels and links and the copy needs no DDL of its own.

* From SQLite, SQLite's online backup copies the file page by page: no row
  passes through Python, so a registry of 100,000 cases copies in about the
  time it takes to write the file. The backup reads one consistent snapshot,
  even while a curator writes (WAL).
* From PostgreSQL, the new file is first migrated to head with the same
  alembic revisions as a working SQLite database (so both backends publish
  the same schema); its indexes are set aside, every table is read with
  `COPY (SELECT ...) TO STDOUT` in PostgreSQL's binary format (psycopg
  parses the values by their server types) and written with executemany in
  chunks, in one transaction, and the indexes are built after the load, each
  in one pass over its table rather than row by row.

Either way the caller gets a file it owns; nothing is written to the working
database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Table, inspect
from sqlalchemy.engine import Engine

from registry.core.db import make_engine, metadata
from registry.schema import migrate
from registry.schema.models import published_model_tables

#: Rows read from the server and written to SQLite per executemany.
STREAM_CHUNK = 20_000


def copy_working_database(engine: Engine, dest: Path) -> None:
    """Write the registry tables of `engine`'s database to the new SQLite file `dest`."""
    if engine.dialect.name == "sqlite":
        _backup_sqlite(engine, dest)
    else:
        _copy_rows(engine, dest)


def _backup_sqlite(engine: Engine, dest: Path) -> None:
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(dest)
        try:
            raw.driver_connection.backup(target)
        finally:
            target.close()
    finally:
        raw.close()


def registry_tables(engine: Engine) -> list[Table]:
    """The published model tables present in the database, parents before children (alembic_version and the
    audit log are not among them)."""
    present = set(inspect(engine).get_table_names())
    return [t for t in published_model_tables() if t.name in present]


def drop_unpublished(conn: sqlite3.Connection) -> None:
    """Drop the working database's own tables (the audit log) from a copy being published."""
    for table in reversed(metadata.sorted_tables):
        if not table.info.get("published", True):
            conn.execute(f'DROP TABLE IF EXISTS "{table.name}"')


def _copy_rows(engine: Engine, dest: Path) -> None:
    target_engine = make_engine(f"sqlite:///{dest}")
    try:
        migrate.upgrade(target_engine)
        sqlite_dialect = target_engine.dialect
    finally:
        target_engine.dispose()
    tables = registry_tables(engine)
    target = sqlite3.connect(dest, isolation_level=None)
    try:
        drop_unpublished(target)
        target.execute("PRAGMA journal_mode=DELETE")
        target.execute("PRAGMA synchronous=OFF")
        target.execute("BEGIN")
        # The migration filled the vocabulary tables from the code; the copy
        # takes the server's rows instead, so the file shows what was curated.
        for table in reversed(tables):
            target.execute(f'DELETE FROM "{table.name}"')
        # Indexes (not the ones behind primary keys and unique constraints) are built after the load.
        indexes = target.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            target.execute(f'DROP INDEX "{name}"')
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            for table in tables:
                _copy_table(raw, target, table, _sqlite_converters(table, sqlite_dialect))
        for _, sql in indexes:
            target.execute(sql)
        target.execute("COMMIT")
    except BaseException:
        if target.in_transaction:
            target.execute("ROLLBACK")
        raise
    finally:
        target.close()


def _copy_table(raw: Any, target: sqlite3.Connection, table: Table,
                converters: list[Callable[[Any], Any] | None]) -> None:
    """One table from the server (a psycopg connection) into the SQLite file, STREAM_CHUNK rows at a time."""
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns) or columns
    insert = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" for _ in table.columns)})'
    select_sql = f'SELECT {columns} FROM "{table.name}" ORDER BY {order}'
    with raw.cursor() as cur:
        cur.execute(f"{select_sql} LIMIT 0")
        types = [d.type_code for d in cur.description]
        with cur.copy(f"COPY ({select_sql}) TO STDOUT (FORMAT BINARY)") as copy:
            copy.set_types(types)
            rows = copy.rows()
            while batch := list(islice(rows, STREAM_CHUNK)):
                target.executemany(insert, _converted(batch, converters))


def _sqlite_converters(table: Table, dialect: Any) -> list[Callable[[Any], Any] | None]:
    """What SQLAlchemy would do to each value when writing it to SQLite (None: nothing)."""
    return [c.type.bind_processor(dialect) for c in table.columns]


def _converted(rows: Iterable[Sequence[Any]], converters: list[Callable[[Any], Any] | None]) -> Iterable[tuple]:
    if not any(converters):
        return (tuple(r) for r in rows)
    return (tuple(v if f is None or v is None else f(v) for f, v in zip(converters, r)) for r in rows)
