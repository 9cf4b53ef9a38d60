"""The audit log's writer: every change to curated data, per field, with who, when and which command.

Every command that writes curated data opens its transaction here instead of
with registry.core.db.writing, and hands the log to whatever writes:

    from registry.ingest.audit import audited, resolve_curator

    curator = resolve_curator(engine, name_from_option)       # --curator / $REGISTRY_CURATOR / OS user
    with audited(engine, curator, "intake pubmed.nbib") as log:
        load_documents(log.conn, docs, audit=log)              # the loader logs what its syncs change
        sync_table(log.conn, table, key, rows, scope, stats, audit=log)   # any other set-based write
        log.record("screening", AuditAction.UPDATE, record_id=7, record_key="pmid 123",
                   field="decision", old="pending", new="include")       # a write of your own

`AuditLog.record` is the one call for a write that does not go through
sync_table. Entries are kept in memory and written when the block ends, in
the same transaction, with one bulk insert (COPY on PostgreSQL): a failed
command leaves neither its changes nor their log behind, and two curators
writing at once each write their own rows (no entry is lost; the ids come
from the tables' sequences).

What is logged (see registry/schema/models/audit.py): updates field by
field; an inserted or deleted record as one entry holding its values; a new
case's own records are covered by the case's entry; the records a deletion
takes with it (cascading foreign keys) each get their own entry
(`AuditLog.cascade`, read before the delete runs). A command that changes
nothing logs nothing.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, and_, false, or_, select
from sqlalchemy.engine import Connection, Engine

from registry.core.db import writing
from registry.core.errors import RegistryError
from registry.core.sync import CHUNK, allocate_ids, gc_paused, insert_tuples
from registry.schema.models.audit import AuditAction, AuditChange, AuditEntry, CuratorSource

__all__ = ["AuditAction", "AuditLog", "Curator", "CuratorSource", "ENV_CURATOR", "HistoryLine", "audited",
           "candidate_history", "case_history", "publication_history", "resolve_curator"]
from registry.schema.models.tables import BY_NAME

ENV_CURATOR = "REGISTRY_CURATOR"

_CHANGES = AuditChange.__table__
_LOG = AuditEntry.__table__
_COLUMNS = ("change_id", "case_key", "table_name", "record_id", "record_key", "action", "field", "old_value", "new_value")
_NO_VALUE = object()


@dataclass(frozen=True)
class Curator:
    name: str
    source: CuratorSource

    @property
    def notice(self) -> str | None:
        """What to tell the user when the name was not given but taken from the system."""
        if self.source == CuratorSource.OS_USER:
            return (f"note: no --curator or ${ENV_CURATOR}; the audit log records this change as OS user "
                    f"{self.name!r}")
        return None


def resolve_curator(engine: Engine, option: str | None) -> Curator:
    """Who is writing: --curator, else $REGISTRY_CURATOR; on SQLite (one curator) else the OS user.

    PostgreSQL is shared by a team, so there a name is required.
    """
    for value, source in ((option, CuratorSource.OPTION), (os.environ.get(ENV_CURATOR), CuratorSource.ENVIRONMENT)):
        if value is not None and value.strip():
            name = value.strip()
            if len(name) > _CHANGES.c.curator.type.length:
                raise RegistryError(f"curator name longer than {_CHANGES.c.curator.type.length} characters")
            return Curator(name, source)
    if engine.dialect.name != "sqlite":
        raise RegistryError(f"say who is curating: --curator NAME or ${ENV_CURATOR} (required on a shared database)")
    try:
        return Curator(getpass.getuser(), CuratorSource.OS_USER)
    except (KeyError, OSError):
        raise RegistryError(f"say who is curating: --curator NAME or ${ENV_CURATOR} (no OS user name found)") from None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=isinstance(value, dict))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    return a == b


#: The column that makes a record part of another (its owner): the first column of its natural key when
#: that is a foreign key. A record whose owner was created by the same change is part of the owner's entry.
def _owner(table: Table, key: Sequence[str]) -> tuple[str, str] | None:
    if table.name == "evidence":
        return ("case_id", "cases")
    first = table.c[key[0]]
    for fk in first.foreign_keys:
        return (first.name, fk.column.table.name)
    return None


#: How a record leads to its case, table by table: the column pointing at the next record up.
def _up(table_name: str) -> tuple[str, str] | None:
    t = BY_NAME[table_name]
    if "case_id" in t.c:
        return ("case_id", "cases")
    for col in ("exposure_id", "challenge_id", "assessment_id"):
        if col in t.c:
            return (col, next(iter(t.c[col].foreign_keys)).column.table.name)
    return None


#: Tables whose records own others (a case its exposures, an exposure its doses, ...): the targets of the
#: cascading foreign keys. Only their new ids are remembered.
_OWNERS = frozenset(fk.column.table.name for t in BY_NAME.values() for fk in t.foreign_keys if fk.ondelete == "CASCADE")


def _dependants(table_name: str) -> list[tuple[Table, str, str]]:
    """(child table, its column, ondelete) for every foreign key that the database follows when a record of
    `table_name` is deleted: CASCADE deletes the child, SET NULL empties the column."""
    return [(t, fk.parent.name, fk.ondelete) for t in BY_NAME.values() for fk in t.foreign_keys
            if fk.column.table.name == table_name and fk.column.name == "id" and fk.ondelete in ("CASCADE", "SET NULL")]


def _natural_key(table: Table) -> tuple[str, ...]:
    """A table's natural key: its first unique constraint, else its primary key."""
    for c in table.constraints:
        if c.__class__.__name__ == "UniqueConstraint":
            return tuple(col.name for col in c.columns)
    return tuple(col.name for col in table.primary_key.columns)


def _record_key(table: Table, key: Sequence[str], row: dict[str, Any]) -> str:
    if table.name == "evidence":
        where = f", {row['locator']}" if row.get("locator") else ""
        return f"{row['subject_table']}.{row['field']} ({row['status']}{where})"
    owner = _owner(table, key)
    # A record keyed by its owner alone (a publication's extraction report, a case's outcome) names the owner.
    return ", ".join(f"{c} {row.get(c)}" for c in key if owner is None or c != owner[0] or len(key) == 1)


class AuditLog:
    """The changes one command makes in one transaction (see the module's docstring)."""

    def __init__(self, conn: Connection, curator: Curator, command: str) -> None:
        self.conn, self.curator, self.command = conn, curator, command
        self.at = datetime.now(UTC)
        self.entries: list[list[Any]] = []
        #: ids of records created by this change, by table (their own records need no entry).
        self.created: dict[str, set[int]] = {}
        self._case_keys: dict[int, str] = {}
        self.change_id: int | None = None

    # -- the one call for any write ------------------------------------------------------------

    def record(self, table_name: str, action: AuditAction, *, record_id: int | None = None,
               record_key: str | None = None, case_key: str | None = None, field: str | None = None,
               old: Any = _NO_VALUE, new: Any = _NO_VALUE) -> None:
        """Log one change: an update of `field` from `old` to `new`, or an inserted (`new`: the record's
        values) or deleted (`old`: its values) record."""
        if (action == AuditAction.UPDATE) != (field is not None):
            raise ValueError("an update names its field; an insert or delete does not")
        self.entries.append([None, case_key, table_name, record_id, record_key, str(action), field,
                             None if old is _NO_VALUE else _json(old), None if new is _NO_VALUE else _json(new)])

    # -- what registry.core.sync.sync_table reports ------------------------------------------

    def synced(self, table: Table, key: Sequence[str], inserted: list[dict[str, Any]],
               updated: list[tuple[dict[str, Any], dict[str, Any]]], deleted: list[dict[str, Any]]) -> None:
        name = table.name
        owner = _owner(table, key)
        # Ids of new records are remembered only where other records may belong to them.
        created = self.created.setdefault(name, set()) if name in _OWNERS else set()
        logged_inserts = inserted
        if owner is not None and (self.created.get(owner[1]) or (name == "evidence" and self.created.get("publications"))):
            col, parents = owner[0], self.created.get(owner[1], set())
            logged_inserts = []
            if inserted and col in inserted[0] and parents.issuperset(map(itemgetter(col), inserted)):
                # The bulk case, new records of new cases: all covered, checked at C speed.
                if name in _OWNERS and "id" in inserted[0]:
                    created.update(map(itemgetter("id"), inserted))
                inserted = []
            for r in inserted:
                if r.get(col) in parents or (name == "evidence" and r.get("case_id") is None
                                             and r.get("subject_table") == "publications"
                                             and r.get("subject_id") in self.created.get("publications", ())):
                    if "id" in r:
                        created.add(r["id"])
                else:
                    logged_inserts.append(r)
        if name == "cases":
            self._case_keys.update((r["id"], r["case_key"]) for r in inserted)
            self._case_keys.update((new["id"], new["case_key"]) for _, new in updated if "id" in new)
        rows = [*logged_inserts, *(new for _, new in updated), *deleted]
        if not rows:
            return
        keys = self._cases_of(name, rows)
        pk = {c.name for c in table.primary_key.columns}
        n_ins, n_upd = len(logged_inserts), len(updated)
        for i, r in enumerate(logged_inserts):
            if "id" in r:
                created.add(r["id"])
            self.record(name, AuditAction.INSERT, record_id=r.get("id"), record_key=_record_key(table, key, r),
                        case_key=keys[i], new={c: v for c, v in r.items() if c != "id"})
        for j, (old, new) in enumerate(updated):
            rk = _record_key(table, key, new)
            for c, v in new.items():
                if c in pk or c.startswith("_pk_") or _same(old.get(c), v):
                    continue
                self.record(name, AuditAction.UPDATE, record_id=old.get("id"), record_key=rk,
                            case_key=keys[n_ins + j], field=c, old=old.get(c), new=v)
        for j, r in enumerate(deleted):
            self.record(name, AuditAction.DELETE, record_id=r.get("id"), record_key=_record_key(table, key, r),
                        case_key=keys[n_ins + n_upd + j], old={c: v for c, v in r.items() if c != "id"})
        if deleted:
            self.cascade(table, deleted)

    def cascade(self, table: Table, deleted: list[dict[str, Any]]) -> None:
        """Log what the database will do to other records when `deleted` (rows of `table`, still there) go:
        each record a cascading foreign key deletes gets its own delete entry with its values (and so on
        down), each column a SET NULL key empties an update entry. Call it before the rows are deleted."""
        ids = [r["id"] for r in deleted if r.get("id") is not None]
        if not ids:
            return
        for child, column, ondelete in _dependants(table.name):
            rows: list[dict[str, Any]] = []
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start:start + CHUNK]
                rows += [dict(r) for r in self.conn.execute(
                    select(child).where(child.c[column].in_(chunk)).order_by(*child.primary_key.columns)).mappings()]
            if not rows:
                continue
            key = _natural_key(child)
            keys = self._cases_of(child.name, rows)
            for r, case_key in zip(rows, keys, strict=True):
                rk = _record_key(child, key, r)
                if ondelete == "CASCADE":
                    self.record(child.name, AuditAction.DELETE, record_id=r.get("id"), record_key=rk,
                                case_key=case_key, old={c: v for c, v in r.items() if c != "id"})
                else:
                    self.record(child.name, AuditAction.UPDATE, record_id=r.get("id"), record_key=rk,
                                case_key=case_key, field=column, old=r[column], new=None)
            if ondelete == "CASCADE":
                self.cascade(child, rows)

    def _cases_of(self, table_name: str, rows: list[dict[str, Any]]) -> list[str | None]:
        """The case key of each row (None for records outside cases), looked up through their owners."""
        if table_name == "cases":
            return [r["case_key"] for r in rows]
        step = _up(table_name) if table_name in BY_NAME else None
        if step is None:
            return [None] * len(rows)
        ids: list[int | None] = [r.get(step[0]) for r in rows]
        at = step[1]
        while at != "cases":
            col, parent = _up(at)
            up = self._lookup(BY_NAME[at], col, ids)
            ids, at = [up.get(i) for i in ids], parent
        missing = [i for i in ids if i is not None and i not in self._case_keys]
        if missing:
            self._case_keys.update(self._lookup(BY_NAME["cases"], "case_key", missing))
        return [self._case_keys.get(i) if i is not None else None for i in ids]

    def _lookup(self, table: Table, column: str, ids: Iterable[int | None]) -> dict[int, Any]:
        wanted = sorted({i for i in ids if i is not None})
        out: dict[int, Any] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            out.update((i, v) for i, v in self.conn.execute(select(table.c.id, table.c[column]).where(table.c.id.in_(chunk))))
        return out

    # -- writing the log -----------------------------------------------------------------------

    def flush(self) -> None:
        """Write the entries kept so far (and, the first time, the change they belong to)."""
        if not self.entries:
            return
        with gc_paused():  # after a bulk load millions of objects are alive: no collector passes over them
            self._flush()

    def _flush(self) -> None:
        if self.change_id is None:
            (self.change_id,) = allocate_ids(self.conn, _CHANGES, 1)
            self.conn.execute(_CHANGES.insert().values(
                id=self.change_id, at=self.at, curator=self.curator.name, curator_source=str(self.curator.source),
                command=self.command))
        for e in self.entries:
            e[0] = self.change_id
        insert_tuples(self.conn, _LOG, _COLUMNS, [tuple(e) for e in self.entries])
        self.entries = []


@contextmanager
def audited(engine: Engine, curator: Curator, command: str) -> Iterator[AuditLog]:
    """A write transaction (registry.core.db.writing) whose changes are logged as one change by `curator`."""
    with writing(engine) as conn:
        log = AuditLog(conn, curator, command)
        yield log
        log.flush()


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    curator: str
    command: str
    table_name: str
    record_key: str | None
    action: str
    field: str | None
    old: Any
    new: Any


def _history(conn: Connection, condition) -> list[HistoryLine]:
    rows = conn.execute(
        select(_CHANGES.c.at, _CHANGES.c.curator, _CHANGES.c.command, _LOG.c.table_name, _LOG.c.record_key,
               _LOG.c.action, _LOG.c.field, _LOG.c.old_value, _LOG.c.new_value)
        .join(_CHANGES, _CHANGES.c.id == _LOG.c.change_id)
        .where(condition)
        .order_by(_LOG.c.change_id, _LOG.c.id)
    ).all()
    out = []
    for at, who, command, table, rk, action, field, old, new in rows:
        old_v = None if old is None else json.loads(old)
        new_v = None if new is None else json.loads(new)
        if field is None:
            values = new_v if action == AuditAction.INSERT else old_v
            for name, value in (values or {}).items():
                pair = (None, value) if action == AuditAction.INSERT else (value, None)
                out.append(HistoryLine(at, who, command, table, rk, action, name, *pair))
        else:
            out.append(HistoryLine(at, who, command, table, rk, action, field, old_v, new_v))
    return out


def case_history(conn: Connection, case_key: str) -> list[HistoryLine]:
    """Every logged change of one case, oldest first; inserted and deleted records spread field by field."""
    return _history(conn, _LOG.c.case_key == case_key)


def _candidate_condition(candidate_ids: Sequence[int]):
    # A decision's entry names its candidate in record_key ('candidate 7, title_abstract',
    # registry.ingest.screening.decision_key).
    ids = sorted(set(candidate_ids))
    decisions = [_LOG.c.record_key.like(f"candidate {i}, %") for i in ids]
    return or_(and_(_LOG.c.table_name == "candidates", _LOG.c.record_id.in_(ids)),
               and_(_LOG.c.table_name == "screening_decisions", or_(*decisions) if decisions else false()))


def candidate_history(conn: Connection, candidate_id: int) -> list[HistoryLine]:
    """A candidate's logged changes: how it was taken in, identifiers it learnt, its link to a publication, and
    every screening decision on it."""
    return _history(conn, _candidate_condition([candidate_id]))


def publication_history(conn: Connection, publication_id: int, candidate_ids: Sequence[int]) -> list[HistoryLine]:
    """A publication's logged changes (its own fields; its extraction report) and those of the candidates that
    are it (`candidate_ids`: how the publication was found and screened)."""
    own = and_(_LOG.c.table_name == "publications", _LOG.c.record_id == publication_id)
    report = and_(_LOG.c.table_name == "extraction_reports", _LOG.c.record_key == f"publication_id {publication_id}")
    return _history(conn, or_(own, report, _candidate_condition(candidate_ids)) if candidate_ids else or_(own, report))
