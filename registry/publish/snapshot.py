"""Read the working database into memory, leaving synthetic data out unless asked.

Reading goes through SQLAlchemy Core and the models' table definitions, so
the same code reads SQLite and PostgreSQL and returns the same Python values
(bools as bool, floats as float) in the same order (by primary key). The
registry is small (hundreds of cases), so holding it in memory keeps the
baking code plain Python, identical on both backends.

Synthetic (benchmark) rows must never reach the public site by accident:
publications and cases flagged `is_synthetic` are dropped, and so is every
row that depends on them through a foreign key or points at them as an
evidence subject.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, inspect, select
from sqlalchemy.engine import Engine

import registry.models  # noqa: F401  (registers every table on the MetaData)
from registry.db import metadata

Row = dict[str, Any]

#: Tables whose rows carry an is_synthetic flag of their own.
SYNTHETIC_FLAGGED = ("publications", "cases")


@dataclass
class Snapshot:
    """Rows of every registry table, in dependency order."""

    tables: dict[str, Table]
    rows: dict[str, list[Row]]
    excluded: dict[str, int] = field(default_factory=dict)
    includes_synthetic: bool = False

    def __getitem__(self, name: str) -> list[Row]:
        return self.rows[name]


def registry_tables(engine: Engine) -> list[Table]:
    """The model tables present in the database, parents before children.

    alembic_version is not a model table, so it is never copied.
    """
    present = set(inspect(engine).get_table_names())
    return [t for t in metadata.sorted_tables if t.name in present]


def read_snapshot(engine: Engine, *, allow_synthetic: bool = False) -> Snapshot:
    tables = registry_tables(engine)
    rows: dict[str, list[Row]] = {}
    with engine.connect() as conn:
        for table in tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [dict(r) for r in conn.execute(select(table).order_by(*order)).mappings()]
    snap = Snapshot(tables={t.name: t for t in tables}, rows=rows, includes_synthetic=allow_synthetic)
    if not allow_synthetic:
        _drop_synthetic(snap)
    return snap


def _drop_synthetic(snap: Snapshot) -> None:
    dropped: dict[str, list[Row]] = {}
    value_sets: dict[tuple[str, str], set[Any]] = {}

    def dropped_values(table: str, column: str) -> set[Any]:
        key = (table, column)
        if key not in value_sets:
            value_sets[key] = {r[column] for r in dropped.get(table, ())}
        return value_sets[key]

    # Evidence goes last: its subjects may be in any table.
    for name in sorted(snap.tables, key=lambda n: n == "evidence"):
        table = snap.tables[name]
        fks = [(fk.parent.name, fk.column.table.name, fk.column.name) for fk in table.foreign_keys]
        keep: list[Row] = []
        gone: list[Row] = []
        for row in snap.rows[name]:
            synthetic = name in SYNTHETIC_FLAGGED and bool(row.get("is_synthetic"))
            orphaned = any(
                row[col] is not None and row[col] in dropped_values(parent, pcol) for col, parent, pcol in fks
            )
            subject_gone = name == "evidence" and _subject_dropped(snap, row, dropped_values)
            (gone if synthetic or orphaned or subject_gone else keep).append(row)
        snap.rows[name] = keep
        if gone:
            dropped[name] = gone
    snap.excluded = {name: len(dropped.get(name, ())) for name in SYNTHETIC_FLAGGED}


def _subject_dropped(snap: Snapshot, evidence: Row, dropped_values) -> bool:
    """Evidence addresses its fact by table name and row id, not by a foreign key."""
    subject = snap.tables.get(evidence["subject_table"])
    if subject is None:
        return False
    pk = next(iter(subject.primary_key.columns)).name
    return evidence["subject_id"] in dropped_values(subject.name, pk)


def index_by(rows: Iterable[Row], key: str) -> dict[Any, Row]:
    return {r[key]: r for r in rows}


def group_by(rows: Iterable[Row], key: str) -> dict[Any, list[Row]]:
    out: dict[Any, list[Row]] = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out
