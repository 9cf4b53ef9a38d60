"""Which cases' case_summary, case_timeline and evidence_facts rows a publish may take from the previous build.

Baking those tables is a pass of Python over every case and every evidence
row. Between two publishes few cases change, and a case's rows depend only on:

* its own record and child rows, evidence included: every write path sets
  `cases.facts_changed_at` when it changes them (registry.ingest), and the
  published file keeps that time;
* its registry scores, taken over on the same condition
  (registry.outputs.publish.scores);
* the publications it is linked to or its evidence names, the links
  themselves, the drug names and the vocabularies: compared here, row by
  row, between the two files;
* the code that reads and bakes them: `bake_digest` in build_info.

So a case is reused when its id, key and change time are those of the
previous build, that build was made by the same schema, scoring code and
registry code, none of its publications or links differ, and the drugs and
vocabulary tables are identical (if they are not, no case is reused). Every
other case is baked afresh; the rows of both are then written in the order
a full bake writes them (tests/test_publish.py compares the two, row by row
and rowid by rowid).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from registry.outputs.publish.scores import BUILD_INFO, build_info_rows, previous_build_info

#: The attached previous build, and the temporary table of the cases whose rows are taken from it.
PREVIOUS = "prev"
REUSED = "temp.bake_reused"
_CHANGED_PUBLICATIONS = "temp.bake_changed_publications"


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA main.table_info("{table}")')]


def _differing(conn: sqlite3.Connection, table: str, columns: list[str]) -> str:
    """SQL for the rows (over `columns`) that are in one file's `table` but not the other's."""
    cols = ", ".join(f'"{c}"' for c in columns)
    return (f'SELECT {cols} FROM (SELECT {cols} FROM main."{table}" EXCEPT SELECT {cols} FROM {PREVIOUS}."{table}") '
            f'UNION SELECT {cols} FROM (SELECT {cols} FROM {PREVIOUS}."{table}" EXCEPT SELECT {cols} FROM main."{table}")')


def attach_previous(conn: sqlite3.Connection, previous: Path | None) -> int:
    """Create REUSED in `conn` (the file being built, before its bake; outside a transaction) with the cases
    whose baked rows `previous` holds as this build would make them, and keep `previous` attached as
    PREVIOUS when any are; returns how many. See the module docstring."""
    conn.execute(f"CREATE TABLE {REUSED} (id INTEGER PRIMARY KEY)")
    if previous is None or not previous.exists():
        return 0
    conn.execute("ATTACH DATABASE ? AS " + PREVIOUS, (f"{previous.resolve().as_uri()}?mode=ro",))
    try:
        reused = _find(conn)
    except sqlite3.DatabaseError:  # not a build of this schema (a table or column missing): bake every case
        reused = 0
    if not reused:
        detach_previous(conn)
    return reused


def _same_code(info: dict[str, str]) -> bool:
    """Was the build whose build_info is `info` made by this code (schema, scoring and bake; not the source digest)?"""
    return all(info.get(r["key"]) == r["value"] for r in build_info_rows())


def builds_alike(previous: Path) -> bool:
    """Was `previous` (a file, if there) built by this code, so that this build may take rows from it?"""
    info = previous_build_info(previous)
    return info is not None and _same_code(info)


def _find(conn: sqlite3.Connection) -> int:
    if not _same_code(dict(conn.execute(f"SELECT key, value FROM {PREVIOUS}.{BUILD_INFO.name}"))):
        return 0
    lookups = ["drugs"] + [n for (n,) in conn.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name LIKE 'vocab%' ORDER BY name")]
    for table in lookups:
        if conn.execute(f"SELECT 1 FROM ({_differing(conn, table, _columns(conn, table))}) LIMIT 1").fetchone():
            return 0
    # Compared once (two passes over every publication of both files), read twice below.
    conn.execute(f"CREATE TABLE {_CHANGED_PUBLICATIONS} AS "
                 f"SELECT id FROM ({_differing(conn, 'publications', _columns(conn, 'publications'))})")
    changed_publications = f"SELECT id FROM {_CHANGED_PUBLICATIONS}"
    changed_links = f"SELECT case_id FROM ({_differing(conn, 'case_publications', _columns(conn, 'case_publications'))})"
    conn.execute(
        f"INSERT INTO {REUSED} (id) SELECT c.id FROM main.cases c "
        f"JOIN {PREVIOUS}.cases p ON p.id = c.id AND p.case_key = c.case_key AND p.facts_changed_at = c.facts_changed_at "
        f"WHERE EXISTS (SELECT 1 FROM {PREVIOUS}.case_summary s WHERE s.case_id = c.id) "
        f"AND c.id NOT IN (SELECT case_id FROM main.case_publications WHERE publication_id IN ({changed_publications})) "
        f"AND c.id NOT IN ({changed_links}) "
        # a fact's sentence names its source, which may be a publication the case is not linked to
        f"AND c.id NOT IN (SELECT case_id FROM main.evidence WHERE case_id IS NOT NULL "
        f"AND publication_id IN ({changed_publications}))"
    )
    conn.execute(f"DROP TABLE {_CHANGED_PUBLICATIONS}")
    return conn.execute(f"SELECT count(*) FROM {REUSED}").fetchone()[0]


def detach_previous(conn: sqlite3.Connection) -> None:
    if any(name == PREVIOUS for _, name, _ in conn.execute("PRAGMA database_list")):
        conn.execute(f"DETACH DATABASE {PREVIOUS}")
