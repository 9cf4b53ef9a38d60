"""Make a table's rows within a scope equal to a desired list, by natural key.

Used by the seed loader and the importer: rows that are new are inserted,
rows whose values changed are updated in place (keeping their ids), rows no
longer wanted are deleted; everything in a few set-based statements. A
second run with the same input changes nothing.

Built for bulk loads as well as for the small seed:

* Scopes are looked up in chunks (`In`), never with one `IN (...)` list of
  every id, so 100,000 cases stay far below SQLite's and PostgreSQL's
  parameter limits. An empty scope costs nothing: importing brand-new cases
  reads nothing back.
* New rows get their ids before they are written (`allocate_ids`: the
  table's sequence on PostgreSQL, max(id)+1 under SQLite's write lock), so
  the loader can point child rows at them without reading ids back, and
  ids follow input order (a bulk load and a one-at-a-time load of the same
  documents give the same database).
* Inserts bypass per-row ORM/Core parameter processing: one executemany of
  plain tuples on SQLite, COPY on PostgreSQL.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any, Protocol, Union

from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, text, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

#: Values per IN (...) list: far below SQLite's (32,766 or 250,000) and
#: PostgreSQL's (65,535) parameter limits, large enough to keep round trips few.
CHUNK = 5000


@dataclass
class SyncStats:
    inserted: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.inserted or +self.updated or +self.deleted)

    def merge(self, other: "SyncStats") -> None:
        self.inserted.update(other.inserted)
        self.updated.update(other.updated)
        self.deleted.update(other.deleted)

    def summary(self) -> str:
        if not self.changed:
            return "no changes"
        tables = sorted(set(self.inserted) | set(self.updated) | set(self.deleted))
        return "; ".join(
            f"{t}: +{self.inserted[t]} ~{self.updated[t]} -{self.deleted[t]}" for t in tables
        )


@dataclass(frozen=True)
class In:
    """A scope given as a list of values, looked up CHUNK values at a time.

    `condition(chunk)` turns one chunk into a WHERE clause; `In.column`
    builds the usual `column IN (chunk) [AND extra]`.
    """

    condition: Callable[[list], ColumnElement[bool]]
    values: Collection[Any]

    @classmethod
    def column(cls, column: ColumnElement, values: Collection[Any], *extra: ColumnElement[bool]) -> "In":
        if extra:
            return cls(lambda chunk: and_(column.in_(chunk), *extra), values)
        return cls(lambda chunk: column.in_(chunk), values)

    def clauses(self) -> Iterator[ColumnElement[bool]]:
        values = list(dict.fromkeys(self.values))
        for start in range(0, len(values), CHUNK):
            yield self.condition(values[start : start + CHUNK])


#: None (no scope), a WHERE clause, a chunked In, or several of those OR-ed.
Scope = Union[None, ColumnElement[bool], In, Sequence[Union[ColumnElement[bool], In]]]


def _clauses(scope: Scope) -> Iterator[ColumnElement[bool]]:
    if scope is None:
        return
    if isinstance(scope, In):
        yield from scope.clauses()
    elif isinstance(scope, (list, tuple)):
        for part in scope:
            yield from _clauses(part)
    else:
        yield scope


def select_scope(conn: Connection, table: Table, scope: Scope, columns: Sequence[Any] | None = None) -> Iterator[Any]:
    """Rows of `table` in `scope` (rows matching several parts may repeat)."""
    cols = columns if columns is not None else [table]
    for clause in _clauses(scope):
        yield from conn.execute(select(*cols).where(clause)).mappings()


def key_getter(key: Sequence[str]) -> Callable[[dict], tuple]:
    """Natural key of a row dict as a tuple (fast: itemgetter)."""
    if len(key) == 1:
        k0 = key[0]
        return lambda r: (r[k0],)
    return itemgetter(*key)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    return a == b


class _Stored:
    """The rows of `table` in a scope, as fetched (tuple-like rows, CHUNK per
    round trip), by natural key.

    Kept as fetched rather than as dicts: re-syncing 200,000 unchanged rows
    then builds nothing per row, and each comparison with the wanted row is
    one tuple comparison at C speed.
    """

    def __init__(self, conn: Connection, table: Table, key: Sequence[str], scope: Scope) -> None:
        self.pos = {c.name: i for i, c in enumerate(table.columns)}
        at = [self.pos[k] for k in key]
        keyof = (lambda r, i=at[0]: (r[i],)) if len(at) == 1 else itemgetter(*at)
        self.rows: dict[tuple, tuple] = {}
        for clause in _clauses(scope):
            for batch in conn.execute(select(table).where(clause)).partitions(CHUNK):
                self.rows.update((keyof(r), r) for r in batch)
        self._getters: dict[tuple, tuple[Callable, Callable] | None] = {}

    def get(self, stored: tuple, column: str) -> Any:
        return stored[self.pos[column]]

    def changed(self, stored: tuple, row: dict[str, Any]) -> bool:
        """True when a value `row` sets differs from the stored row.

        Most rows of a re-run are unchanged, and for them comparing the values
        as one tuple settles it; only the others are checked value by value,
        where an int and an equal float count as the same.
        """
        shape = tuple(row)
        if shape not in self._getters:
            self._getters[shape] = self._value_getters(shape)
        getters = self._getters[shape]
        if getters is not None and getters[0](row) == getters[1](stored):
            return False
        pos = self.pos
        return any(not _same(stored[pos[c]] if c in pos else None, v) for c, v in row.items())

    def _value_getters(self, shape: tuple[str, ...]) -> tuple[Callable, Callable] | None:
        """(wanted row's values, stored row's values) of the columns in `shape`;
        None when a column is not in the table (then compared value by value)."""
        if not shape or not all(c in self.pos for c in shape):
            return None
        return itemgetter(*shape), itemgetter(*(self.pos[c] for c in shape))


def has_serial_id(table: Table) -> bool:
    pk = list(table.primary_key.columns)
    return len(pk) == 1 and pk[0].name == "id"


def allocate_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """Reserve `n` new ids for `table`, in increasing order.

    PostgreSQL: from the column's own sequence, so concurrent writers (and
    inserts that use the default) never collide. SQLite: max(id)+1 onward;
    safe because a writer holds SQLite's single write lock (see
    registry.core.db.writing), and a writer that did not would fail to commit
    rather than collide.
    """
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar_one()
        ids = conn.execute(
            text("SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)"), {"seq": seq, "n": n}
        ).scalars().all()
        ids.sort()
        return ids
    start = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    return list(range(start, start + n))


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows fast: grouped by the columns they set, one statement per group.

    SQLite: the DB-API executemany on tuples. PostgreSQL: COPY. Constraint
    violations surface as sqlalchemy.exc.IntegrityError either way.
    """
    if not rows:
        return
    for shape, batch in _group_by_columns(rows).items():
        if conn.dialect.name not in ("sqlite", "postgresql") or conn.dialect.driver not in ("pysqlite", "psycopg"):
            conn.execute(insert(table), batch)  # pragma: no cover - not a registry backend
            continue
        get = itemgetter(*shape) if len(shape) > 1 else (lambda r, c=shape[0]: (r[c],))
        insert_tuples(conn, table, shape, map(get, batch))


def insert_tuples(conn: Connection, table: Table, columns: Sequence[str], tuples: Iterable[tuple]) -> None:
    """Insert tuples of `columns` values (no ids needed: a serial id takes the next value, in order).

    Column defaults the rows leave out (e.g. row_version=1) are added as
    constants, as SQLAlchemy Core would.
    """
    prep = conn.dialect.identifier_preparer
    defaults = {c: d for c, d in _scalar_defaults(table).items() if c not in columns}
    cols = ", ".join(prep.quote(c) for c in (*columns, *defaults))
    if defaults:
        extra = tuple(defaults.values())
        tuples = (t + extra for t in tuples)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" * (len(columns) + len(defaults)))
        conn.exec_driver_sql(f"INSERT INTO {prep.format_table(table)} ({cols}) VALUES ({marks})",
                             tuples if isinstance(tuples, list) else list(tuples))
    else:
        _copy(conn, f"COPY {prep.format_table(table)} ({cols}) FROM STDIN", tuples)


def _group_by_columns(rows: list[dict[str, Any]]) -> dict[tuple, list]:
    """Rows grouped by the set of columns they set (one INSERT shape per group)."""
    first = tuple(rows[0])
    n = len(first)
    if all(len(r) == n for r in rows):
        try:
            probe = itemgetter(*first) if n > 1 else (lambda r: r[first[0]])
            for r in rows:
                probe(r)  # same length and every column present: same column set
            return {first: rows}
        except KeyError:
            pass
    by_shape: dict[tuple, list] = {}
    for r in rows:
        by_shape.setdefault(tuple(r), []).append(r)
    return by_shape


@lru_cache(maxsize=None)
def _scalar_defaults(table: Table) -> dict[str, Any]:
    out = {}
    for c in table.columns:
        if c.default is not None:
            if not c.default.is_scalar:  # pragma: no cover - the models use scalar defaults only
                raise TypeError(f"{table.name}.{c.name}: bulk_insert handles scalar column defaults only")
            out[c.name] = c.default.arg
    return out


def _copy(conn: Connection, sql: str, tuples: Iterator[tuple]) -> None:
    import psycopg  # only when a PostgreSQL load runs: SQLite users never pay for importing the driver

    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cur, cur.copy(sql) as copy:
            write = copy.write_row
            for t in tuples:
                write(t)
    except psycopg.IntegrityError as exc:
        raise IntegrityError(sql, None, exc) from exc


class SyncRecorder(Protocol):
    """Told what a sync changed, before the change is written (registry.ingest.audit.AuditLog is one)."""

    def synced(self, table: Table, key: Sequence[str], inserted: list[dict[str, Any]],
               updated: list[tuple[dict[str, Any], dict[str, Any]]], deleted: list[dict[str, Any]]) -> None:
        """`updated` pairs each stored row (as a dict of every column) with the wanted row."""


@dataclass
class Synced:
    """What a sync did, for the loader to scope child rows."""

    #: ids of wanted rows that were already in the table (only their children can exist).
    existed: list[int] = field(default_factory=list)
    #: Wanted rows this sync inserted or updated (the caller's dicts).
    written: list[dict[str, Any]] = field(default_factory=list)
    #: Rows this sync deleted, as dicts of their stored values.
    removed: list[dict[str, Any]] = field(default_factory=list)


def sync_table(
    conn: Connection,
    table: Table,
    key: tuple[str, ...],
    rows: list[dict[str, Any]],
    scope: Scope,
    stats: SyncStats,
    *,
    prune: bool = True,
    on_update: dict[str, Any] | None = None,
    on_insert: dict[str, Any] | None = None,
    audit: SyncRecorder | None = None,
) -> Synced:
    """Bring the rows of `table` inside `scope` in line with `rows`.

    `key` is the natural key; rows are matched on it. With prune=False rows
    in scope that are not wanted are left alone (the importer adds, never
    removes). With scope None and prune=False the keys about to be written
    are looked up (in chunks). `on_update` adds values to every UPDATE
    (e.g. a version bump); `on_insert` adds values to every inserted row.
    `audit` is told every row inserted, updated (with its stored values)
    and deleted, before `on_insert`/`on_update` add their bookkeeping values.

    Tables with a serial `id`: every wanted row dict gets its "id" set (the
    existing row's, or a new one from allocate_ids, in input order), so
    callers can point child rows at it; the result lists the ids that
    already existed.
    """
    pk = [c.name for c in table.primary_key.columns]
    serial = has_serial_id(table)
    keyof = key_getter(key)
    lookup: Scope = scope
    if scope is None and not prune and rows:
        # No scope: look up only the keys we are about to write.
        cols = [table.c[k] for k in key]
        if len(cols) == 1:
            lookup = In.column(cols[0], [r[key[0]] for r in rows])
        else:
            lookup = In(lambda chunk: tuple_(*cols).in_(chunk), [keyof(r) for r in rows])
    stored = _Stored(conn, table, key, lookup)
    existing = stored.rows

    out = Synced()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changed_pairs: list[tuple[tuple, dict[str, Any]]] = []
    if not existing:
        inserts = rows
    else:
        for row in rows:
            k = keyof(row)
            old = existing.pop(k, None)
            if old is None:
                inserts.append(row)
                continue
            if stored.changed(old, row):
                updates.append({**row, **{f"_pk_{c}": stored.get(old, c) for c in pk}})
                changed_pairs.append((old, row))
            if serial:
                row["id"] = stored.get(old, "id")
                out.existed.append(row["id"])

    if inserts and serial and "id" not in inserts[0]:
        for r, i in zip(inserts, allocate_ids(conn, table, len(inserts))):
            r["id"] = i
    if audit is not None and (inserts or changed_pairs or (prune and existing)):
        names = list(table.columns.keys())
        audit.synced(table, key, inserts, [(dict(zip(names, old)), row) for old, row in changed_pairs],
                     [dict(zip(names, r)) for r in existing.values()] if prune else [])
    if inserts:
        if on_insert:
            for r in inserts:
                r.update(on_insert)
        bulk_insert(conn, table, inserts)
        stats.inserted[table.name] += len(inserts)
    if updates:
        by_shape: dict[tuple, list] = {}
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
    out.written = [*inserts, *(row for _, row in changed_pairs)]
    if prune and existing:
        gone = list(existing.values())
        out.removed = [{c: stored.get(r, c) for c in stored.pos} for r in gone]
        stmt = delete(table).where(and_(*(table.c[c] == bindparam(f"_pk_{c}") for c in pk)))
        conn.execute(stmt, [{f"_pk_{c}": stored.get(r, c) for c in pk} for r in gone])
        stats.deleted[table.name] += len(gone)
    return out


def id_map(conn: Connection, table: Table, key: tuple[str, ...], scope: Scope) -> dict[tuple, int]:
    """Natural key -> id for the rows in scope (after a sync)."""
    cols = [table.c[k] for k in key]
    return {tuple(r[k] for k in key): r["id"] for r in select_scope(conn, table, scope, [*cols, table.c.id])}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small objects.

    Validated documents and row dicts hold no reference cycles; with the
    collector on, its full passes over every live object cost more than the
    work itself on large loads (measured: 4x on validation of 2,000 cases).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
