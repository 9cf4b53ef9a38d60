"""Take synthetic (benchmark) data out of a file being published, in SQL.

Synthetic rows must never reach the public site by accident: publications
and cases flagged `is_synthetic` go, and so does every row that depends on
them through a foreign key, or points at them as an evidence subject
(evidence addresses its fact by table name and row id, not by a foreign
key). The rows to drop are collected first, table by table with parents
before children, then deleted; secure_delete zeroes what they occupied, so
no byte of them stays in the file's free pages.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Table

from registry.core.db import metadata

#: Tables whose rows carry an is_synthetic flag of their own.
SYNTHETIC_FLAGGED = ("publications", "cases")


def _present(conn: sqlite3.Connection) -> list[Table]:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [t for t in metadata.sorted_tables if t.name in names]


def _gone(table: str) -> str:
    return f"SELECT rid FROM temp.gone WHERE tbl = '{table}'"


def _any_gone(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute(f"{_gone(table)} LIMIT 1").fetchone() is not None


def drop_synthetic(conn: sqlite3.Connection) -> dict[str, int]:
    """Delete synthetic rows and their dependants; return how many publications and cases went."""
    flagged = {t: conn.execute(f"SELECT count(*) FROM {t} WHERE is_synthetic").fetchone()[0] for t in SYNTHETIC_FLAGGED}
    if not any(flagged.values()):
        return flagged
    tables = _present(conn)
    conn.execute("CREATE TEMP TABLE gone (tbl TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (tbl, rid)) WITHOUT ROWID")
    for name in SYNTHETIC_FLAGGED:
        conn.execute(f"INSERT INTO temp.gone SELECT '{name}', rowid FROM {name} WHERE is_synthetic")
    for table in tables:
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if not _any_gone(conn, parent):
                continue  # e.g. vocabulary tables: nothing of theirs goes, no need to scan the child
            conn.execute(
                f"INSERT OR IGNORE INTO temp.gone SELECT '{table.name}', rowid FROM {table.name} "
                f"WHERE {fk.parent.name} IN (SELECT {fk.column.name} FROM {parent} WHERE rowid IN ({_gone(parent)}))"
            )
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and table.name != "evidence" and _any_gone(conn, table.name):
            conn.execute(
                f"INSERT OR IGNORE INTO temp.gone SELECT 'evidence', rowid FROM evidence "
                f"WHERE subject_table = '{table.name}' AND subject_id IN "
                f"(SELECT {pk[0].name} FROM {table.name} WHERE rowid IN ({_gone(table.name)}))"
            )
    conn.execute("PRAGMA secure_delete = ON")
    for table in reversed(tables):
        conn.execute(f"DELETE FROM {table.name} WHERE rowid IN ({_gone(table.name)})")
    conn.execute("DROP TABLE temp.gone")
    return flagged
