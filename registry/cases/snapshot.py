"""The rows the baked tables are computed from, read from the file being published.

By the time the bakers run, the file already holds the working database's
tables (registry.outputs.publish.copy) without synthetic data unless allowed
(registry.outputs.publish.synthetic), so reading it is the same code for every
backend, with SQLite's values (booleans as 0/1). Rows are plain dicts
read with the DB-API cursor, in primary-key order.

Only what a baker reads is loaded, which keeps memory and time in
proportion at 100,000 cases:

* findings: only those recorded as present (case_summary lists them; the
  other statuses are not shown in any baked table);
* lab_results: only absolute eosinophil counts (case_summary's peak;
  lab_series is baked in SQL from the whole table);
* evidence: only the facts on which a source not followed states a value
  (all their evidence rows), which is what the discrepancies table pairs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, literal, select
from sqlalchemy.engine import Connection

import registry.schema.models  # noqa: F401  (registers every table on the MetaData)
from registry.core.db import metadata
from registry.schema.vocabulary import Analyte, EvidenceStatus, FindingStatus

Row = dict[str, Any]

#: Model tables the bakers read (registry.cases.lookups and discrepancies).
BAKED_FROM = (
    "drugs", "publications", "cases", "case_publications", "drug_exposures", "dose_regimens", "challenge_events",
    "challenge_steps", "findings", "lab_results", "treatments", "case_outcomes", "assessments", "evidence",
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
        "SELECT subject_table, subject_id, coalesce(field, '') FROM evidence "
        f"WHERE status = '{EvidenceStatus.STATED}' AND NOT is_curated)"
    ),
}


@dataclass
class Snapshot:
    """Rows of registry tables by table name, in primary-key order."""

    tables: dict[str, Table]
    rows: dict[str, list[Row]]

    def __getitem__(self, name: str) -> list[Row]:
        return self.rows[name]


def _read(conn: sqlite3.Connection, table: Table) -> list[Row]:
    columns = [c.name for c in table.columns]
    order = ", ".join(c.name for c in (list(table.primary_key.columns) or list(table.columns)))
    where = f" WHERE {PARTIAL[table.name]}" if table.name in PARTIAL else ""
    cursor = conn.execute(f'SELECT {", ".join(columns)} FROM "{table.name}"{where} ORDER BY {order}')
    return [dict(zip(columns, values)) for values in cursor]


def read_snapshot(conn: sqlite3.Connection) -> Snapshot:
    """What the bakers need from the file being published (see BAKED_FROM and PARTIAL)."""
    tables = {name: metadata.tables[name] for name in BAKED_FROM}
    return Snapshot(tables=tables, rows={name: _read(conn, table) for name, table in tables.items()})


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
    "challenge_steps", "findings", "investigations", "lab_results", "treatments", "case_outcomes", "assessments",
    "assessment_items", "evidence", "drugs",
)
#: How each child table is reached: (table, column, table whose ids it holds).
_REACHED_BY = {
    "case_publications": ("case_id", "cases"),
    "drug_exposures": ("case_id", "cases"),
    "findings": ("case_id", "cases"),
    "investigations": ("case_id", "cases"),
    "lab_results": ("case_id", "cases"),
    "treatments": ("case_id", "cases"),
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
