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

from sqlalchemy import Table

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
