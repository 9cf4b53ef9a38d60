"""Parts 1 and 5: importing N synthetic cases through our path, against raw inserts of the same rows.

Our path: raw documents (plain dicts, as a JSON or YAML reader returns
them) -> pydantic validation and cross-checks -> load_documents(prune=False)
in one transaction with the audit log written (registry.ingest.audit.audited,
as `dress-registry import` does), in batches of --batch cases (all batches in
the same transaction); with audit=False, plain writing() and no log. The baseline: the rows our path wrote, read back
and inserted into a fresh, identically migrated database in one
transaction with sqlite3's executemany (SQLite) or psycopg's COPY
(PostgreSQL): no validation, no Python row building, ids given.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

from registry.core.config import database_url
from registry.core.db import SQLITE_BUSY_TIMEOUT_S, make_engine, metadata, temporary_postgres_schema, writing
from registry.schema import migrate

Raw = tuple[str, dict[str, Any]]


def synth_raws(n_cases: int, seed: int) -> list[Raw]:
    from registry.core.sync import gc_paused
    from registry.ingest.synth import synth_raw

    with gc_paused():
        return [(f"synth:{r['publication']['key']}", r) for r in synth_raw(n_cases, seed)]


def batches(raws: list[Raw], batch_cases: int) -> Iterator[list[Raw]]:
    out: list[Raw] = []
    count = 0
    for item in raws:
        out.append(item)
        count += len(item[1].get("cases", ()))
        if count >= batch_cases:
            yield out
            out, count = [], 0
    if out:
        yield out


@dataclass
class ImportTiming:
    validate_s: float
    load_s: float
    rows: int

    @property
    def total_s(self) -> float:
        return self.validate_s + self.load_s


def import_raws(engine: Engine, raws: list[Raw], batch_cases: int, *, audit: bool = True) -> ImportTiming:
    """Our import path, timed: validate, then load, batch by batch, one transaction, commit included
    (and the audit log's entries written before the commit, unless audit=False)."""
    from registry.cases.documents import validate_documents
    from registry.ingest.seed import load_documents

    known: set[str] = set()
    validate_s = load_s = 0.0
    rows = 0
    with _transaction(engine, audit) as (conn, log):
        for batch in batches(raws, batch_cases):
            t0 = time.perf_counter()
            docs = validate_documents(batch, known)
            t1 = time.perf_counter()
            stats = load_documents(conn, docs, prune=False, audit=log)
            load_s += time.perf_counter() - t1
            validate_s += t1 - t0
            rows += sum(stats.inserted.values()) + sum(stats.updated.values())
            known |= {d.doc.publication.key for d in docs}
            del docs
        t_commit = time.perf_counter()
    commit_s = time.perf_counter() - t_commit
    load_s += commit_s
    return ImportTiming(validate_s, load_s, rows)


@contextmanager
def _transaction(engine: Engine, audit: bool) -> Iterator[tuple[Connection, Any]]:
    if not audit:
        with writing(engine) as conn:
            yield conn, None
        return
    from registry.ingest.audit import Curator, CuratorSource, audited

    with audited(engine, Curator("bench", CuratorSource.OPTION), "bench import") as log:
        yield log.conn, log


# -- SQLite -------------------------------------------------------------------------


def fresh_sqlite(path: str) -> Engine:
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    return engine


def data_tables() -> list[str]:
    """Tables our import writes (vocabulary tables come with the migration), parents first."""
    import registry.schema.models  # noqa: F401

    return [t.name for t in metadata.sorted_tables if not t.name.startswith("vocab_")]


def capture_rows(engine: Engine) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every row our import wrote, as plain tuples (the baseline re-inserts exactly these)."""
    out = {}
    with engine.connect() as conn:
        for name in data_tables():
            result = conn.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY 1')
            out[name] = (list(result.keys()), [tuple(r) for r in result])
    return out


def raw_sqlite(path: str, data: dict[str, tuple[list[str], list[tuple]]]) -> float:
    """sqlite3.executemany of the same rows, one transaction, same pragmas as the registry's engine."""
    fresh_sqlite(path).dispose()
    con = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_S)
    try:
        con.execute("PRAGMA foreign_keys=ON")
        con.execute("PRAGMA journal_mode=WAL")
        t0 = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        for name, (cols, rows) in data.items():
            if rows:
                marks = ", ".join("?" * len(cols))
                con.executemany(f'INSERT INTO "{name}" ({", ".join(cols)}) VALUES ({marks})', rows)
        con.execute("COMMIT")
        return time.perf_counter() - t0
    finally:
        con.close()


# -- PostgreSQL ---------------------------------------------------------------------

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_server_url() -> str:
    return database_url(os.environ.get("REGISTRY_BENCH_POSTGRES_URL") or os.environ.get("REGISTRY_TEST_POSTGRES_URL") or PG_DEFAULT)


def pg_available() -> str | None:
    engine = make_engine(pg_server_url())
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means no server
        return f"no PostgreSQL at {pg_server_url()}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()


def pg_schema(label: str):
    """A fresh schema (URL with its search_path), dropped afterwards."""
    return temporary_postgres_schema(pg_server_url(), f"bench_{label}")


def fresh_pg(url: str) -> Engine:
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


def raw_pg_copy(url: str, data: dict[str, tuple[list[str], list[tuple]]]) -> float:
    """psycopg COPY of the same rows into a freshly migrated schema, one transaction."""
    import psycopg

    engine = fresh_pg(url)
    engine.dispose()
    u = make_url(url)
    conninfo = f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"
    options = u.query.get("options")
    with psycopg.connect(conninfo, options=options) as con:
        t0 = time.perf_counter()
        with con.transaction(), con.cursor() as cur:
            for name, (cols, rows) in data.items():
                if rows:
                    with cur.copy(f'COPY "{name}" ({", ".join(cols)}) FROM STDIN') as copy:
                        for r in rows:
                            copy.write_row(r)
        return time.perf_counter() - t0
