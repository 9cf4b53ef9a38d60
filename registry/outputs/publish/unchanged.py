"""Whether the file the last publish built is the one this publish would build: then it is kept as it is.

A build is a function of three things: the working database's registry
rows, the publish options, and the code that builds it (build_info's
schema revision, scoring digest and bake digest). The file records all
three: `source_digest` in build_info is a SHA-256 of the options, the
libraries that shape the file (SQLite, sqlite-utils, datasette) and the
working database's rows as the build read them:

* every row of every published model table that is not part of a case's
  record (publications, citations, drugs, vocabularies, screening and
  extraction tables), and the evidence rows about a publication (case_id
  NULL);
* every row of `cases`, whose `facts_changed_at` every write path moves
  when it changes a row of that case's record
  (registry.schema.models.tables.CASE_RECORD_TABLES): the record's other
  rows are trusted to that time, as the scoring and bake reuse trust it,
  and only their number and highest key are digested. So a row added or
  removed by hand (SQL outside the registry's commands) makes the next
  publish build; a value changed by hand in a case's record does not.
  Either way the cases' baked rows and scores are taken from the previous
  build by their change time: after such edits, `publish --rebuild`
  builds everything afresh.

The digest is taken before the working database is copied, so a write made
while a publish runs makes the next publish build again, never the other
way round. A case whose change time is NULL has no digest (every publish
then builds).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import Table, func, inspect, select
from sqlalchemy.engine import Connection, Engine

from registry.outputs.publish.scores import BUILD_INFO, build_info_rows
from registry.outputs.publish.site import DB_NAME, FILES_DIR, INSPECT_NAME, METADATA_NAME
from registry.schema.models import published_model_tables
from registry.schema.models.tables import CASE_RECORD_TABLES, C

#: The build_info key of the digest.
SOURCE_DIGEST = "source_digest"
#: Rows fetched from the working database at a time while digesting.
_FETCH = 10_000


def source_digest(engine: Engine, *, allow_synthetic: bool) -> str | None:
    """The digest of what a build from `engine`'s database would be made of (see the module docstring), or None
    when a case has no change time."""
    digest = hashlib.sha256()
    digest.update(json.dumps({
        "allow_synthetic": allow_synthetic, "backend": engine.dialect.name, "sqlite": sqlite3.sqlite_version,
        "python": sys.version_info[:2], "sqlite-utils": version("sqlite-utils"), "datasette": version("datasette"),
    }).encode())
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():  # one snapshot of every table
        if conn.scalar(select(func.count()).select_from(C).where(C.c.facts_changed_at.is_(None))):
            return None
        present = set(inspect(conn).get_table_names())
        for table in published_model_tables():
            if table.name not in present:
                continue
            owner = CASE_RECORD_TABLES.get(table.name)
            if owner is None:
                _add_rows(digest, conn, table)
                continue
            if table.c[owner].nullable:  # rows that belong to no case (evidence about a publication)
                _add_rows(digest, conn, table, owner)
            # A row added or removed without moving its case's change time (SQL run by hand) still shows here.
            key = next(iter(table.primary_key.columns))
            digest.update(repr((table.name, *conn.execute(select(func.count(), func.max(key)).select_from(table)).one())).encode())
    return digest.hexdigest()


def _add_rows(digest, conn: Connection, table: Table, where_null: str | None = None) -> None:
    """Every row of `table` (or those whose column `where_null` is NULL), in key order, as the driver reads them."""
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c) for c in table.c.keys())
    digest.update(f"\0table {table.name}: {columns}\0".encode())
    where = f" WHERE {quote(where_null)} IS NULL" if where_null else ""
    order = ", ".join(quote(c.name) for c in table.primary_key.columns)
    result = conn.exec_driver_sql(f"SELECT {columns} FROM {quote(table.name)}{where} ORDER BY {order}",
                                  execution_options={"stream_results": True})
    for rows in result.partitions(_FETCH):  # the size given here: a driver-SQL result does not take yield_per
        digest.update(repr([tuple(r) for r in rows]).encode())


def build_info_with(digest: str | None) -> list[dict[str, str]]:
    """build_info's rows for a build from a working database of this digest (none is recorded when it is None)."""
    return [*build_info_rows(), *([{"key": SOURCE_DIGEST, "value": digest}] if digest else [])]


def is_unchanged(out_dir: Path, digest: str | None) -> bool:
    """Whether `out_dir` holds a complete build (file, metadata, row counts and PRISMA files) made by this code
    from a working database of this digest."""
    final = out_dir / DB_NAME
    if digest is None or not all(p.is_file() for p in (final, out_dir / METADATA_NAME, out_dir / INSPECT_NAME)):
        return False
    files = out_dir / FILES_DIR
    if not files.is_dir() or not any(files.iterdir()):
        return False
    try:
        conn = sqlite3.connect(f"{final.resolve().as_uri()}?mode=ro", uri=True)
        try:
            info = dict(conn.execute(f"SELECT key, value FROM {BUILD_INFO.name}"))
        finally:
            conn.close()
    except sqlite3.DatabaseError:  # not a database, or built before build_info existed
        return False
    return info == {r["key"]: r["value"] for r in build_info_with(digest)}
