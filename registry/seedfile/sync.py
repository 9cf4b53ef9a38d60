"""Make a table's rows within a scope equal to a desired list, by natural key.

Used by the seed loader and the importer: rows that are new are inserted,
rows whose values changed are updated in place (keeping their ids), rows no
longer wanted are deleted; everything in a few executemany statements. A
second run with the same input changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement


@dataclass
class SyncStats:
    inserted: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.inserted or +self.updated or +self.deleted)

    def summary(self) -> str:
        if not self.changed:
            return "no changes"
        tables = sorted(set(self.inserted) | set(self.updated) | set(self.deleted))
        return "; ".join(
            f"{t}: +{self.inserted[t]} ~{self.updated[t]} -{self.deleted[t]}" for t in tables
        )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    return a == b


def sync_table(
    conn: Connection,
    table: Table,
    key: tuple[str, ...],
    rows: list[dict[str, Any]],
    scope: ColumnElement[bool] | None,
    stats: SyncStats,
    *,
    prune: bool = True,
    on_update: dict[str, Any] | None = None,
) -> None:
    """Bring the rows of `table` inside `scope` in line with `rows`.

    `key` is the natural key; rows are matched on it. With prune=False rows
    in scope that are not wanted are left alone (the importer adds, never
    removes). `on_update` adds values to every UPDATE (e.g. a version bump).
    """
    pk = [c.name for c in table.primary_key.columns]
    existing: dict[tuple, dict[str, Any]] = {}
    if scope is not None:
        for r in conn.execute(select(table).where(scope)).mappings():
            existing[tuple(r[k] for k in key)] = dict(r)
    elif not prune and rows:
        # No scope: look up only the keys we are about to write.
        wanted = [tuple(r[k] for k in key) for r in rows]
        cols = [table.c[k] for k in key]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            cond = tuple_(*cols).in_(chunk) if len(cols) > 1 else cols[0].in_([w[0] for w in chunk])
            for r in conn.execute(select(table).where(cond)).mappings():
                existing[tuple(r[k] for k in key)] = dict(r)

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        k = tuple(row[c] for c in key)
        old = existing.pop(k, None)
        if old is None:
            inserts.append(row)
        elif any(not _same(old.get(c), v) for c, v in row.items()):
            updates.append({**row, **{f"_pk_{c}": old[c] for c in pk}})

    if inserts:
        # Rows may differ in which optional columns they set; group so each
        # executemany has one shape.
        by_shape: dict[tuple, list] = {}
        for r in inserts:
            by_shape.setdefault(tuple(sorted(r)), []).append(r)
        for batch in by_shape.values():
            conn.execute(insert(table), batch)
        stats.inserted[table.name] += len(inserts)
    if updates:
        by_shape = {}
        for r in updates:
            by_shape.setdefault(tuple(sorted(r)), []).append(r)
        for shape, batch in by_shape.items():
            cols = [c for c in shape if not c.startswith("_pk_") and c not in pk]
            values = {c: bindparam(f"_v_{c}") for c in cols}
            if on_update:
                values.update(on_update)
            stmt = update(table).where(and_(*(table.c[c] == bindparam(f"_pk_{c}") for c in pk))).values(**values)
            conn.execute(stmt, [{**{f"_v_{c}": r[c] for c in cols}, **{f"_pk_{c}": r[f"_pk_{c}"] for c in pk}} for r in batch])
        stats.updated[table.name] += len(updates)
    if prune and existing:
        gone = list(existing.values())
        stmt = delete(table).where(and_(*(table.c[c] == bindparam(f"_pk_{c}") for c in pk)))
        conn.execute(stmt, [{f"_pk_{c}": r[c] for c in pk} for r in gone])
        stats.deleted[table.name] += len(gone)


def id_map(conn: Connection, table: Table, key: tuple[str, ...], scope: ColumnElement[bool]) -> dict[tuple, int]:
    """Natural key -> id for the rows in scope (after a sync)."""
    cols = [table.c[k] for k in key]
    return {tuple(r[:-1]): r[-1] for r in conn.execute(select(*cols, table.c.id).where(scope))}
