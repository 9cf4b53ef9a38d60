"""The rows the baked tables are computed from, read from the file being published.

By the time the bakers run, the file already holds the working database's
tables (registry.outputs.publish.copy) without synthetic data unless allowed
(registry.outputs.publish.synthetic), so reading it is the same code for every
backend, with SQLite's values (booleans as 0/1). Rows are plain dicts
read with the DB-API cursor, in primary-key order, a batch of cases at a
time (read_case_batches), so memory holds one batch whatever the size of
the registry.

Only what a baker reads is loaded:

* findings: only those recorded as present (case_summary lists them; the
  other statuses are not shown in any baked table);
* lab_results: only absolute eosinophil counts (case_summary's peak;
  lab_series is baked in SQL from the whole table);
* evidence: only the facts on which a source not followed states a value
  (all their evidence rows), which is what the discrepancies table pairs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, literal, select
from sqlalchemy.engine import Connection

import registry.schema.models  # noqa: F401  (registers every table on the MetaData)
from registry.core.db import metadata
from registry.schema.vocabulary import Analyte, FindingStatus

Row = dict[str, Any]

#: Model tables the bakers read (registry.cases.lookups and discrepancies).
BAKED_FROM = (
    "drugs", "publications", "cases", "case_publications", "drug_exposures", "dose_regimens", "challenge_events",
    "challenge_steps", "findings", "lab_results", "treatments", "procedures", "case_outcomes", "assessments", "evidence",
)

#: The one finding status and the one analyte case_summary shows; the bakers
#: use these names too, so what is loaded and what is shown cannot drift apart.
SHOWN_FINDING_STATUS = FindingStatus.PRESENT
PEAK_ANALYTE = Analyte.EOSINOPHILS_ABS

#: Row filters (SQL) for tables only partly needed; see the module docstring.
PARTIAL = {
    "findings": f"status = '{SHOWN_FINDING_STATUS}'",
    "lab_results": f"analyte = '{PEAK_ANALYTE}'",
    "evidence": (
        "(subject_table, subject_id, coalesce(field, '')) IN ("
        "SELECT subject_table, subject_id, coalesce(field, '') FROM evidence WHERE NOT is_curated)"
    ),
}


@dataclass
class Snapshot:
    """Rows of registry tables by table name, in primary-key order."""

    tables: dict[str, Table]
    rows: dict[str, list[Row]]

    def __getitem__(self, name: str) -> list[Row]:
        return self.rows[name]


def _read(conn: sqlite3.Connection, table: Table, where: str | None = None, join: str = "") -> list[Row]:
    """Rows of `table` (`where`: a filter on it, alias t; `join`: tables before it, CROSS JOINed so that
    they drive the query), in primary-key order."""
    columns = [c.name for c in table.columns]
    conditions = [c for c in (PARTIAL.get(table.name), where) if c]
    sql = f'SELECT {", ".join("t." + c for c in columns)} FROM {join}"{table.name}" t'
    if conditions:
        sql += " WHERE " + " AND ".join(f"({c})" for c in conditions)
    rows = [dict(zip(columns, values)) for values in conn.execute(sql)]
    order = [c.name for c in (list(table.primary_key.columns) or list(table.columns))]
    rows.sort(key=lambda r: tuple(r[c] for c in order))
    return rows


#: The cases of the batch being read (a temporary table of the reading connection).
BATCH_TABLE = "temp.bake_batch"
#: How each table's rows of the batch's cases are reached: tables to drive the query, and a condition on t.
_IN_BATCH: dict[str, tuple[str, str]] = {
    "cases": (f"{BATCH_TABLE} b CROSS JOIN ", "t.id = b.id"),
    **{name: (f"{BATCH_TABLE} b CROSS JOIN ", "t.case_id = b.id") for name in (
        "case_publications", "drug_exposures", "findings", "lab_results", "treatments", "procedures", "case_outcomes",
        "assessments")},
    **{name: (f"{BATCH_TABLE} b CROSS JOIN drug_exposures x CROSS JOIN ", "x.case_id = b.id AND t.exposure_id = x.id")
       for name in ("dose_regimens", "challenge_events")},
    "challenge_steps": (f"{BATCH_TABLE} b CROSS JOIN drug_exposures x CROSS JOIN challenge_events ce CROSS JOIN ",
                        "x.case_id = b.id AND ce.exposure_id = x.id AND t.challenge_id = ce.id"),
    "publications": ("", f"t.id IN (SELECT cp.publication_id FROM {BATCH_TABLE} b "
                         "CROSS JOIN case_publications cp WHERE cp.case_id = b.id)"),
}


def read_case_batches(conn: sqlite3.Connection, size: int, skip: str | None = None) -> Iterator[Snapshot]:
    """What the per-case bakers need, `size` cases at a time in case_key order, so memory does not grow
    with the registry: each Snapshot holds the batch's cases with their rows (see BAKED_FROM and PARTIAL),
    the publications they are linked to, and every drug. Evidence is not read (see read_discrepancy_snapshot).
    `skip`: a table whose `id` column lists cases to leave out."""
    unskipped = f"id NOT IN (SELECT id FROM {skip})" if skip else "1"
    tables = {name: metadata.tables[name] for name in BAKED_FROM if name != "evidence"}
    drugs = _read(conn, tables["drugs"])
    conn.execute(f"CREATE TABLE {BATCH_TABLE} (id INTEGER PRIMARY KEY)")
    try:
        last = None
        while True:
            keys = conn.execute(
                f"SELECT id, case_key FROM cases WHERE {unskipped}" + (" AND case_key > ?" if last is not None else "")
                + " ORDER BY case_key LIMIT ?", (() if last is None else (last,)) + (size,)).fetchall()
            if not keys:
                return
            last = keys[-1][1]
            conn.execute(f"DELETE FROM {BATCH_TABLE}")
            conn.executemany(f"INSERT INTO {BATCH_TABLE} (id) VALUES (?)", ((i,) for i, _ in keys))
            rows = {"drugs": drugs}
            for name, table in tables.items():
                if name != "drugs":
                    join, where = _IN_BATCH[name]
                    rows[name] = _read(conn, table, where, join)
            yield Snapshot(tables=tables, rows=rows)
    finally:
        conn.execute(f"DROP TABLE {BATCH_TABLE}")


def read_discrepancy_snapshot(conn: sqlite3.Connection) -> Snapshot:
    """What the discrepancies baker needs: the evidence of facts with a source not followed, whether it states a
    value or says why it has none (PARTIAL), the cases it belongs to and the publications it names."""
    names = ("evidence", "cases", "publications")
    tables = {name: metadata.tables[name] for name in names}
    evidence = _read(conn, tables["evidence"])
    rows = {
        "evidence": evidence,
        "cases": _read(conn, tables["cases"], f"t.id IN (SELECT case_id FROM evidence WHERE {PARTIAL['evidence']})"),
        "publications": _read(conn, tables["publications"],
                              f"t.id IN (SELECT publication_id FROM evidence WHERE {PARTIAL['evidence']})"),
    }
    return Snapshot(tables=tables, rows=rows)


def index_by(rows: Iterable[Row], key: str) -> dict[Any, Row]:
    return {r[key]: r for r in rows}


def group_by(rows: Iterable[Row], key: str) -> dict[Any, list[Row]]:
    out: dict[Any, list[Row]] = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out


# ---------------------------------------------------------------------------
# The one reader of cases with their children, from any database with the model tables


#: Every table a case's record spans, with the publications and drugs it refers to.
CASE_TABLES = (
    "cases", "case_publications", "publications", "drug_exposures", "dose_regimens", "challenge_events",
    "challenge_steps", "findings", "investigations", "lab_results", "treatments", "genetic_tests", "procedures",
    "case_outcomes", "assessments", "assessment_items", "evidence", "drugs",
)
#: How each child table is reached: (table, column, table whose ids it holds).
_REACHED_BY = {
    "case_publications": ("case_id", "cases"),
    "drug_exposures": ("case_id", "cases"),
    "findings": ("case_id", "cases"),
    "investigations": ("case_id", "cases"),
    "lab_results": ("case_id", "cases"),
    "treatments": ("case_id", "cases"),
    "genetic_tests": ("case_id", "cases"),
    "procedures": ("case_id", "cases"),
    "case_outcomes": ("case_id", "cases"),
    "assessments": ("case_id", "cases"),
    "evidence": ("case_id", "cases"),
    "dose_regimens": ("exposure_id", "drug_exposures"),
    "challenge_events": ("exposure_id", "drug_exposures"),
    "challenge_steps": ("challenge_id", "challenge_events"),
    "assessment_items": ("assessment_id", "assessments"),
}
#: Columns that point at a drug, per table (publications and drugs are read for the ids the cases use).
_DRUG_COLUMNS = {"drug_exposures": ("drug_id",), "treatments": ("drug_id",), "case_outcomes": ("switched_to_drug_id",)}


def _ids(rows: list[Row], column: str = "id") -> list[Any]:
    return sorted({r[column] for r in rows if r[column] is not None})


def load_cases(conn: Connection, case_ids: Iterable[int], tables: Iterable[str] = CASE_TABLES) -> Snapshot:
    """The rows of these cases in `tables` (a subset of CASE_TABLES), as a Snapshot in primary-key order.

    Used wherever a batch of cases is read with its children from a database with the model tables: the
    export's case table, the YAML writer. A parent table a wanted child is reached through is read too.
    """
    wanted = set(tables)
    for name in list(wanted):
        while name in _REACHED_BY:
            name = _REACHED_BY[name][1]
            wanted.add(name)
    if "publications" in wanted:
        wanted.add("case_publications")
    if "drugs" in wanted:
        wanted.update(t for t in _DRUG_COLUMNS)
    rows: dict[str, list[Row]] = {"cases": _select(conn, "cases", "id", sorted(set(case_ids)))}
    for name in CASE_TABLES:
        if name in wanted and name in _REACHED_BY:
            column, parent = _REACHED_BY[name]
            rows[name] = _select(conn, name, column, _ids(rows[parent]))
    if "publications" in wanted:
        rows["publications"] = _select(conn, "publications", "id", _ids(rows["case_publications"], "publication_id"))
    if "drugs" in wanted:
        drug_ids = {i for t, cols in _DRUG_COLUMNS.items() for c in cols for i in _ids(rows[t], c)}
        rows["drugs"] = _select(conn, "drugs", "id", sorted(drug_ids))
    return Snapshot(tables={n: metadata.tables[n] for n in rows}, rows=rows)


def _select(conn: Connection, name: str, column: str, ids: list[Any]) -> list[Row]:
    t = metadata.tables[name]
    cond = t.c[column].in_(ids) if ids else literal(False)
    return [dict(r) for r in conn.execute(select(t).where(cond).order_by(*t.primary_key.columns)).mappings()]
