"""Build dist/registry.db: the immutable SQLite file datasette serves.

Steps, in order: copy the working database's tables into a new file
(registry.outputs.publish.copy: SQLite's page-level backup, or a stream of rows from
PostgreSQL into a freshly migrated file, so both backends publish the same
schema); take synthetic data out unless allowed, and the indexes the site
never reads; recompute the registry's own scores into the file's assessments
for the cases whose facts changed since the previous build
(registry.outputs.publish.scores; the working database is only read:
`score --store` writes them there; on a first publish of a large registry a
second process words the evidence and counts the key facts meanwhile:
registry.outputs.publish.beside); add the derived publication columns;
bake, from what the file holds, discrepancies, then case_summary and
case_timeline a batch of cases at a time (memory does not grow with the
registry), then lab_series, case_suspect_drugs, registry_stats and the
reading tables (registry.outputs.publish.reading) in SQL; index facet
columns; build the full-text indexes; ANALYZE; write metadata.json and
datasette's row counts (inspect-data.json) beside the file, and the PRISMA
2020 diagram and counts in files/ (served at /registry-files/). The file,
metadata.json and inspect-data.json are built under temporary names and
moved into place only when complete, so a server never sees half a build.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlite_utils import Database

from registry.cases.baked import BakedTable
from registry.cases.completeness import Completeness, completeness_sql
from registry.cases.lookups import Lookups, doi_url, pubmed_url, short_citation
from registry.cases.snapshot import Row, read_case_batches, read_discrepancy_snapshot
from registry.cases.summary import CASE_SUMMARY, case_summary_rows
from registry.core.errors import RegistryError
from registry.core.progress import Progress, quiet
from registry.outputs.prisma import write_prisma
from registry.outputs.publish import beside
from registry.outputs.publish.copy import copy_working_database, drop_unpublished
from registry.outputs.publish.discrepancies import DISCREPANCIES, discrepancy_rows
from registry.outputs.publish.facets import CASE_SUMMARY_FACET_ROWS, facet_rows_sql
from registry.outputs.publish.fts import build_fts
from registry.outputs.publish.layout import BAKE_ONLY_INDEXES, BAKED_TABLES, DERIVED_COLUMNS, SITE_INDEXES, UNUSED_INDEXES
from registry.outputs.publish.metadata import TABLE_OPTIONS, build_metadata
from registry.outputs.publish.reading import (
    CASE_DISTRIBUTION,
    CASE_LIST,
    CASE_STATISTICS,
    EVIDENCE_FACTS,
    REGISTRY_BUILD,
    REGISTRY_COUNTS,
    build_rows,
    case_list_sql,
    counts_sql,
    distribution_sql,
    evidence_facts_sql,
    statistics_sql,
)
from registry.outputs.publish.reuse import PREVIOUS, REUSED, attach_previous, builds_alike, detach_previous
from registry.outputs.publish.scores import BUILD_INFO, SCORE_FLAGS, Scored, score_file
from registry.outputs.publish.site import DATABASE, DB_NAME, FILES_DIR, INSPECT_NAME, METADATA_NAME
from registry.outputs.publish.stats import REGISTRY_STATS, registry_stats_sql
from registry.outputs.publish.suspects import CASE_SUSPECT_DRUGS, case_suspect_drugs_sql
from registry.outputs.publish.synthetic import SYNTHETIC_FLAGGED, drop_synthetic
from registry.outputs.publish.timeline import CASE_TIMELINE, LAB_SERIES, lab_series_sql, timeline_rows
from registry.outputs.publish.unchanged import build_info_with, is_unchanged, source_digest
from registry.schema import migrate

#: Rows ANALYZE samples per index: enough for the planner, and it keeps ANALYZE fast on big files.
ANALYSIS_LIMIT = 1000
#: Cases baked per batch (their rows are all a bake holds in memory at a time).
BAKE_BATCH = 2000


@dataclass
class PublishResult:
    path: Path
    metadata_path: Path
    row_counts: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    includes_synthetic: bool = False
    #: Wall seconds per step (see registry.core.progress).
    timings: dict[str, float] = field(default_factory=dict)
    #: Cases whose registry scores were computed, and cases whose scores were taken from the previous build.
    scored_cases: int = 0
    reused_scores: int = 0
    #: Cases whose case_summary, case_timeline and evidence_facts rows were taken from the previous build.
    reused_rows: int = 0
    #: Nothing had changed since the previous build (registry.outputs.publish.unchanged): it was kept as it is.
    unchanged: bool = False
    #: The evidence was worded in a second process while the cases were scored (registry.outputs.publish.beside).
    evidence_beside: bool = False
    #: Why that process failed, when it was started and failed (the build then worded the evidence itself).
    evidence_beside_failure: str | None = None


def _add_derived_columns(conn: sqlite3.Connection) -> None:
    """publications gains a short citation and links (computed here, once, for every reader)."""
    for col in DERIVED_COLUMNS["publications"]:
        conn.execute(f"ALTER TABLE publications ADD COLUMN {col.name} TEXT")
    columns = ["id", "key", "authors", "title", "year", "journal", "doi", "pmid"]
    cursor = conn.execute(f"SELECT {', '.join(columns)} FROM publications ORDER BY id")
    while batch := cursor.fetchmany(BAKE_BATCH):
        pubs = [dict(zip(columns, values)) for values in batch]
        conn.executemany(
            "UPDATE publications SET citation = ?, doi_url = ?, pubmed_url = ? WHERE id = ?",
            [(short_citation(p), doi_url(p["doi"]), pubmed_url(p["pmid"]), p["id"]) for p in pubs],
        )


def _create(db: Database, spec: BakedTable) -> None:
    db[spec.name].create(spec.column_types, pk=spec.pk, foreign_keys=spec.foreign_keys)


def _insert(conn: sqlite3.Connection, spec: BakedTable, rows: Iterable[Row] | str, into: str | None = None) -> None:
    """Add dict rows to a baked table (or to `into`, a table of the same columns), or the rows of a SELECT
    (str) run inside the file."""
    names = [c.name for c in spec.columns]
    table = into or spec.name
    if isinstance(rows, str):
        conn.execute(f"INSERT INTO {table} ({', '.join(names)}) {rows}")
        return
    values = itemgetter(*names)  # every baked row has every column: a missing one is a bug, not a NULL
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        map(values, rows),
    )


def _index(db: Database, spec: BakedTable) -> None:
    """The facet and filter columns, and the columns that link to a registry row (datasette counts a row's
    links from other tables on its page); not those naming a vocabulary code (labels are looked up by code)."""
    key = spec.pk if isinstance(spec.pk, str) else spec.pk[0]  # a key's first column has its own index
    links = [c.name for c in spec.columns if c.references and not c.references.startswith("vocab_") and c.name != key]
    for columns in dict.fromkeys([*spec.indexes, *links]):
        if columns != TABLE_OPTIONS.get(spec.name, {}).get("sort_desc"):  # see _sort_indexes
            db[spec.name].create_index([columns] if isinstance(columns, str) else list(columns), if_not_exists=True)


def _sort_indexes(conn: sqlite3.Connection) -> None:
    """An index in the order datasette pages a table sorted by a column newest first: (column DESC, key).

    datasette 0.65 reads the first page of such a table with ORDER BY column DESC alone, and the next ones
    from a (column, primary key) position; rows that tie on the column must come in key order on the first
    page too, or a streamed CSV repeats some rows and leaves out others (it did: 9,671 distinct of 10,144
    rows for 10,000 cases). This index makes SQLite read them in that order; a single-column index on the
    column, which would give ties in reverse rowid order, is dropped.
    """
    for table, options in TABLE_OPTIONS.items():
        column = options.get("sort_desc")
        if column is None:
            continue
        pk = [r[1] for r in sorted(conn.execute(f'PRAGMA table_info("{table}")'), key=lambda r: r[5]) if r[5]]
        for (index,) in conn.execute(f"SELECT name FROM pragma_index_list('{table}') WHERE origin = 'c'").fetchall():
            if [r[2] for r in conn.execute(f'PRAGMA index_info("{index}")')] == [column]:
                conn.execute(f'DROP INDEX "{index}"')
        keys = ", ".join(f'"{c}"' for c in pk)
        conn.execute(f'CREATE INDEX "{table}_by_{column}_desc" ON "{table}" ("{column}" DESC, {keys})')


_COMPLETENESS = "temp.bake_completeness"


def _count_completeness(conn: sqlite3.Connection, reused: int, worded: bool) -> None:
    """Key-fact counts of every case to bake (not those reused), into a temporary table in case_key order
    (one statement; when most cases are reused, only the others' rows are read; `worded`: counted beside the
    scoring, registry.outputs.publish.beside)."""
    if worded:
        conn.execute(f"CREATE TABLE {_COMPLETENESS} AS {beside.completeness_sql()}")
        return
    where = f"WHERE c.id NOT IN (SELECT id FROM {REUSED})" if reused else ""
    (cases,) = conn.execute("SELECT count(*) FROM cases").fetchone()
    few = f"SELECT id FROM cases WHERE id NOT IN (SELECT id FROM {REUSED})" if reused and cases - reused <= cases // 4 else None
    conn.execute(f"CREATE TABLE {_COMPLETENESS} AS {completeness_sql(where, few)}")


def _completeness(conn: sqlite3.Connection) -> Iterator[tuple[str, Completeness]]:
    """The key-fact counts in case_key order (the order the batches come in), as one streaming cursor."""
    for key, known, nr, na, unrecorded in conn.execute(f"SELECT * FROM {_COMPLETENESS} ORDER BY rowid"):
        yield key, Completeness(key, int(known), int(nr), int(na), int(unrecorded))


#: Where the freshly baked rows wait when some cases' rows come from the previous build.
_FRESH = {CASE_SUMMARY.name: "temp.fresh_case_summary", CASE_TIMELINE.name: "temp.fresh_case_timeline"}


def _bake_cases(db: Database, progress: Progress, reused: int) -> None:
    """case_summary and case_timeline, BAKE_BATCH cases at a time (registry.cases.snapshot.read_case_batches):
    memory holds one batch's rows, whatever the size of the registry. The `reused` cases (REUSED) are not
    baked: their rows come from the previous build (registry.outputs.publish.reuse), merged with the others
    in the order a full bake writes them."""
    conn = db.conn
    completeness = _completeness(conn)
    pending: dict[str, Completeness] = {}
    next_event = 1
    into: dict[str, str | None] = dict.fromkeys(_FRESH)
    if reused:
        for name, table in _FRESH.items():
            conn.execute(f"CREATE TABLE {table} AS SELECT * FROM main.{name} WHERE 0")
        into = dict(_FRESH)
    # One step of the progress bar; its seconds are then split into reading and each table's share.
    spent = {"read": 0.0, CASE_TIMELINE.name: 0.0}
    skip = REUSED if reused else None
    with progress.step(CASE_SUMMARY.name), closing(read_case_batches(conn, BAKE_BATCH, skip)) as batches:
        while True:
            started = time.perf_counter()
            snap = next(batches, None)
            spent["read"] += time.perf_counter() - started
            if snap is None:
                break
            lk = Lookups(snap)
            keys = {c["case_key"] for c in snap["cases"]}
            while not keys <= pending.keys():
                key, counts = next(completeness)
                pending[key] = counts
            _insert(conn, CASE_SUMMARY, case_summary_rows(lk, {k: pending.pop(k) for k in keys}, _score_flags(conn, keys)),
                    into[CASE_SUMMARY.name])
            started = time.perf_counter()
            events = timeline_rows(lk, first_id=next_event)
            next_event += len(events)
            _insert(conn, CASE_TIMELINE, events, into[CASE_TIMELINE.name])
            spent[CASE_TIMELINE.name] += time.perf_counter() - started
        if reused:
            _merge_reused(conn)
        for spec in (CASE_SUMMARY, CASE_TIMELINE):
            _index(db, spec)
    progress.timings[CASE_SUMMARY.name] -= sum(spent.values())
    for name, seconds in spent.items():
        progress.timings[name] = progress.timings.get(name, 0.0) + seconds


def _score_flags(conn: sqlite3.Connection, keys: set[str]) -> dict[str, list[str]]:
    """The flags on the authors' scores of a batch's flagged cases (registry.outputs.publish.scores.SCORE_FLAGS)."""
    marks = ", ".join("?" for _ in keys)
    return {key: [flags] for key, flags in conn.execute(
        f"SELECT case_key, flags FROM {SCORE_FLAGS} WHERE case_key IN ({marks})", tuple(keys))}


def _merge_reused(conn: sqlite3.Connection) -> None:
    """The fresh rows and the reused cases' rows of the previous build, in case_key order (case_summary's rowids)
    and with case_timeline numbered in (case_key, event) order, as a full bake numbers them."""
    if _all_taken_over(conn):
        for name, table in _FRESH.items():
            conn.execute(f"INSERT INTO main.{name} SELECT * FROM {PREVIOUS}.{name}")  # SQLite copies such a table whole
            conn.execute(f"DROP TABLE {table}")
        return
    names = [c.name for c in CASE_SUMMARY.columns]
    cols = ", ".join(names)
    reused = f"case_id IN (SELECT id FROM {REUSED})"
    conn.execute(
        f"INSERT INTO main.{CASE_SUMMARY.name} ({cols}) SELECT {cols} FROM (SELECT {cols} FROM {_FRESH[CASE_SUMMARY.name]} "
        f"UNION ALL SELECT {cols} FROM {PREVIOUS}.{CASE_SUMMARY.name} WHERE {reused}) ORDER BY case_key")
    names = [c.name for c in CASE_TIMELINE.columns if c.name != "id"]
    cols = ", ".join(names)
    conn.execute(
        f"INSERT INTO main.{CASE_TIMELINE.name} (id, {cols}) SELECT row_number() OVER (ORDER BY case_key, id), {cols} "
        f"FROM (SELECT id, {cols} FROM {_FRESH[CASE_TIMELINE.name]} "
        f"UNION ALL SELECT id, {cols} FROM {PREVIOUS}.{CASE_TIMELINE.name} WHERE {reused})")
    for table in _FRESH.values():
        conn.execute(f"DROP TABLE {table}")


def _all_taken_over(conn: sqlite3.Connection) -> bool:
    """Nothing was baked afresh and every case of the previous build is reused: its case_summary and case_timeline
    are this build's, rowids and numbering included."""
    fresh = any(conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() for table in _FRESH.values())
    (gone,) = conn.execute(f"SELECT count(*) FROM {PREVIOUS}.{CASE_SUMMARY.name} WHERE case_id NOT IN (SELECT id FROM {REUSED})").fetchone()
    return not fresh and not gone


def bake(db: Database, progress: Progress | None = None, previous: Path | None = None, digest: str | None = None,
         worded: beside.Worker | None = None) -> int:
    """Derive the baked tables, indexes and full-text indexes from the registry tables in `db`; returns how many
    cases' case_summary, case_timeline and evidence_facts rows were taken from `previous` (the last build, if any).
    `digest`: the working database's (registry.outputs.publish.unchanged), recorded in build_info.

    `worded`: the worker that has worded the evidence beside the scoring (registry.outputs.publish.beside,
    finished), whose rows evidence_facts takes.

    `db`'s connection must be in autocommit mode (isolation_level None): the bake runs in transactions
    of its own.
    """
    progress = progress or quiet()
    conn = db.conn
    with progress.step("reuse"):
        reused = attach_previous(conn, previous)
    if worded is not None:
        beside.attach(conn, worded)
    try:
        _bake(db, progress, reused, digest, worded is not None)
    finally:
        if conn.in_transaction:  # the bake failed: the file is thrown away
            conn.execute("ROLLBACK")
        detach_previous(conn)
        beside.detach(conn)
        conn.execute(f"DROP TABLE IF EXISTS {REUSED}")
    return reused


def _take_reused(conn: sqlite3.Connection, spec: BakedTable) -> None:
    """The reused cases' rows of a table keyed by a registry row id (which every build keeps), from the previous
    build, into the still empty and unindexed table: the whole table is copied (SQLite then moves its records
    without decoding them; 4 million evidence_facts rows at 100,000 cases), and the rows of every other case go."""
    conn.execute(f"INSERT INTO main.{spec.name} SELECT * FROM {PREVIOUS}.{spec.name}")
    conn.execute(f"DELETE FROM main.{spec.name} WHERE case_id IS NULL OR case_id NOT IN (SELECT id FROM {REUSED})")


def _bake(db: Database, progress: Progress, reused: int, digest: str | None, worded: bool) -> None:
    conn = db.conn
    skip = REUSED if reused else None
    conn.execute("BEGIN")
    with progress.step("citations"):
        _add_derived_columns(conn)
    others: dict[str, Callable[[], Iterable[Row] | str]] = {
        LAB_SERIES.name: lab_series_sql,
        DISCREPANCIES.name: lambda: discrepancy_rows(Lookups(read_discrepancy_snapshot(conn))),
        CASE_SUSPECT_DRUGS.name: case_suspect_drugs_sql,
        CASE_SUMMARY_FACET_ROWS.name: facet_rows_sql,
        REGISTRY_STATS.name: registry_stats_sql,
        BUILD_INFO.name: lambda: build_info_with(digest),
        EVIDENCE_FACTS.name: beside.rows_sql if worded else (lambda: evidence_facts_sql(conn, skip)),
        # Read case_summary, so baked after it (their place in BAKED_TABLES):
        CASE_LIST.name: case_list_sql,
        REGISTRY_COUNTS.name: counts_sql,
        REGISTRY_BUILD.name: build_rows,
        CASE_STATISTICS.name: statistics_sql,
        CASE_DISTRIBUTION.name: distribution_sql,
    }
    for spec in BAKED_TABLES:  # in declared order: case_summary first, the others point at it
        _create(db, spec)
    # What reads evidence by subject comes first (the completeness counts, discrepancies, evidence_facts);
    # then that index goes, and the new tables take its pages.
    with progress.step("completeness"):
        _count_completeness(conn, reused, worded)
    first = (DISCREPANCIES, EVIDENCE_FACTS)
    order = [*first, *(s for s in BAKED_TABLES if s not in first)]
    for spec in order:
        if spec is CASE_SUMMARY:
            _drop_indexes(conn, BAKE_ONLY_INDEXES)
            _bake_cases(db, progress, reused)
            conn.execute(f"DROP TABLE {SCORE_FLAGS}")  # its pages go to the tables built next
        elif spec.name in others:
            with progress.step(spec.name):
                if spec is EVIDENCE_FACTS and reused:
                    _take_reused(conn, EVIDENCE_FACTS)
                _insert(conn, spec, others[spec.name]())
                _index(db, spec)
    _check_case_list(conn)
    _sort_indexes(conn)
    for create in SITE_INDEXES.values():
        conn.execute(create)
    with progress.step("full-text"):
        build_fts(db)
    with progress.step("analyze"):
        db.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        conn.execute("ANALYZE main")  # not the previous build, which may still be attached
    conn.execute("COMMIT")


def _check_case_list(conn: sqlite3.Connection) -> None:
    """case_list shares case_summary's full-text index, so each of its rows must have its case's rowid."""
    (mismatched,) = conn.execute(
        "SELECT count(*) FROM case_list l LEFT JOIN case_summary s ON s.rowid = l.rowid "
        "WHERE s.case_key IS NOT l.case_key").fetchone()
    if mismatched:
        raise RuntimeError(f"case_list: {mismatched} rows out of step with case_summary's rowids")


#: Steps of a publish, for the progress bar.
#: unchanged, copy, synthetic, scores, reuse, citations, completeness, full-text, analyze, vacuum, metadata, PRISMA flow, and
#: one per baked table but case_timeline (case_summary's step bakes it too).
PUBLISH_STEPS = 12 + len(BAKED_TABLES) - 1


def build_database(engine: Engine, path: Path, *, allow_synthetic: bool = False, previous: Path | None = None,
                   progress: Progress | None = None, digest: str | None = None) -> tuple[dict[str, int], dict[str, int], Scored]:
    """Write the whole published database to `path` (which must not exist); the working database is only read.

    `previous`: the file the last publish built, if any (registry.outputs.publish.scores takes the scores of
    unchanged cases from it); `digest`: the working database's, taken before the copy
    (registry.outputs.publish.unchanged). Returns (row counts per published table, synthetic publications and cases left
    out, what the scoring step did).
    """
    progress = progress or quiet()
    with progress.step("copy"):
        copy_working_database(engine, path)
    db = Database(path)
    try:
        conn = db.conn
        conn.isolation_level = None
        free_pages_before = conn.execute("PRAGMA freelist_count").fetchone()[0]
        conn.execute("PRAGMA journal_mode = OFF")  # a build file: on failure it is thrown away
        conn.execute("PRAGMA synchronous = OFF")
        with progress.step("synthetic"):
            # The working database's discrepancies view becomes a baked table of the same name.
            for (view,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
                conn.execute(f'DROP VIEW "{view}"')
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("DROP TABLE IF EXISTS alembic_version")
            drop_unpublished(conn)
            excluded = {name: 0 for name in SYNTHETIC_FLAGGED} if allow_synthetic else drop_synthetic(conn)
            _drop_indexes(conn, UNUSED_INDEXES)
        worker = None
        try:
            with progress.step("scores"):  # and, on a first publish of a large registry, evidence_facts beside it
                if previous is None or not builds_alike(previous):
                    worker = beside.start(conn, path)
                scored = score_file(path, previous)
                if worker is not None and (failure := beside.finish(conn, worker)) is not None:
                    beside.stop(worker)  # the bake words the evidence itself
                    worker, scored.evidence_beside_failure = None, failure
            scored.reused_rows = bake(db, progress, previous, digest, worker)
            scored.evidence_beside = worker is not None
        finally:
            if worker is not None:
                beside.stop(worker)
        with progress.step("vacuum"):
            if free_pages_before:
                # Pages the working database had freed may still hold deleted rows: rewrite the file without them.
                db.vacuum()
        conn.execute("PRAGMA journal_mode = DELETE")
        names = db.table_names()
        counts = {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in _counted(names)}
        return counts, excluded, scored
    finally:
        db.close()


def _drop_indexes(conn: sqlite3.Connection, names: Iterable[str]) -> None:
    for name in names:
        conn.execute(f'DROP INDEX IF EXISTS "{name}"')


def inspect_data(path: Path, counts: dict[str, int], published: Path) -> dict:
    """datasette's inspect data for the file at `path`, to be served as `published`: the row count of every
    table (those of `counts` as the build counted them, the full-text tables counted here), its size, and a
    build id in place of a hash of the whole file (datasette only shows it and uses it as an ETag; hashing
    2 GB would take seconds)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        tables = {n: {"count": counts[n] if n in counts else conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]}
                  for n in names}
    finally:
        conn.close()
    return {DATABASE: {"hash": uuid.uuid4().hex, "size": path.stat().st_size, "file": str(published), "tables": tables}}


def write_build_files(path: Path, folder: Path) -> None:
    """The PRISMA 2020 diagram and counts of the published file, in `folder` (served at /registry-files/)."""
    folder.mkdir(exist_ok=True)
    reading = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=NullPool)
    try:
        with reading.connect() as conn:
            write_prisma(conn, folder)
    finally:
        reading.dispose()


def _counted(names: list[str]) -> list[str]:
    """The tables of a file (named `names`) whose rows a build counts: not SQLite's own, nor the full-text
    indexes and their shadow tables."""
    fts = [t for t in names if t.endswith("_fts")]
    return [n for n in names if not n.startswith("sqlite_") and not any(n == t or n.startswith(f"{t}_") for t in fts)]


#: Files SQLite may keep beside a database, and the evidence worded beside the build; a partial build's are
#: removed with it (a stale -wal or -journal beside the next build's file would be read as that file's own).
SIDE_FILES = ("", "-journal", "-wal", "-shm", beside.SUFFIX)


def _remove_partial(path: Path) -> None:
    for suffix in SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _disk_full(exc: BaseException) -> bool:
    """Is this error, or one it was raised from, a full disk (SQLite's SQLITE_FULL, or ENOSPC / EDQUOT)?"""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlite3.Error) and getattr(seen, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


def _write_json(path: Path, data: dict, **kw) -> None:
    path.write_text(json.dumps(data, indent=2, **kw) + "\n", encoding="utf-8")


def publish(engine: Engine, out_dir: Path, *, allow_synthetic: bool = False,
            progress: Progress | None = None, rebuild: bool = False) -> PublishResult:
    """Build `out_dir/registry.db`, `out_dir/metadata.json` and `out_dir/inspect-data.json` from the working
    database.

    The registry's scores of the cases unchanged since the registry.db already there are taken from it
    (registry.outputs.publish.scores). All three files are built beside the published ones under temporary
    names, synced to disk and only then moved into place (os.replace), the database first: whatever stops
    a publish (kill -9, a full disk, an error) leaves the previous build as it was and serveable. The next
    publish removes what a stopped one left. A full disk is reported as one line (RegistryError).

    When nothing has changed since the build already there (same working database rows, options and code:
    registry.outputs.publish.unchanged), that build is kept as it is. `rebuild` builds every case afresh and
    takes nothing from the build already there (after the working database was changed by hand).
    """
    progress = progress or quiet()
    migrate.require_head(engine)
    out_dir.mkdir(parents=True, exist_ok=True)
    with progress.step("unchanged"):
        digest = source_digest(engine, allow_synthetic=allow_synthetic)
        kept = not rebuild and is_unchanged(out_dir, digest)
    if kept:
        return _kept(engine, out_dir, allow_synthetic, progress)
    final = out_dir / DB_NAME
    partial = out_dir / f".{DB_NAME}.building"
    metadata_path = out_dir / METADATA_NAME
    inspect_path = out_dir / INSPECT_NAME
    beside = {metadata_path: out_dir / f".{METADATA_NAME}.building", inspect_path: out_dir / f".{INSPECT_NAME}.building"}
    _remove_partial(partial)
    for temporary in beside.values():
        temporary.unlink(missing_ok=True)
    try:
        counts, excluded, scored = build_database(engine, partial, allow_synthetic=allow_synthetic,
                                                  previous=final if final.exists() and not rebuild else None,
                                                  progress=progress,
                                                  digest=digest)
        with progress.step("metadata"):
            _write_json(beside[metadata_path], build_metadata(partial), ensure_ascii=False)
            _write_json(beside[inspect_path], inspect_data(partial, counts, final))
        for path in (partial, *beside.values()):
            _sync(path)
        os.replace(partial, final)
        for path, temporary in beside.items():
            os.replace(temporary, path)
        _sync(out_dir)
    except Exception as exc:
        if _disk_full(exc):
            raise RegistryError(
                f"publish: the disk holding {out_dir} is full; nothing was replaced, the previous build is "
                "left as it was (free some space, or publish with --out on another disk)"
            ) from None
        raise
    finally:
        _remove_partial(partial)
        for temporary in beside.values():
            temporary.unlink(missing_ok=True)
    with progress.step("PRISMA flow"):
        write_build_files(final, out_dir / FILES_DIR)
    return PublishResult(final, metadata_path, counts, excluded, allow_synthetic, dict(progress.timings),
                         scored.scored, scored.reused, scored.reused_rows, evidence_beside=scored.evidence_beside,
                         evidence_beside_failure=scored.evidence_beside_failure)


def _kept(engine: Engine, out_dir: Path, allow_synthetic: bool, progress: Progress) -> PublishResult:
    """The result of a publish that keeps the build in `out_dir`: its row counts as that build counted them
    (inspect-data.json), and the synthetic rows the working database holds, which it left out."""
    final = out_dir / DB_NAME
    tables = json.loads((out_dir / INSPECT_NAME).read_text(encoding="utf-8"))[DATABASE]["tables"]
    counts = {name: tables[name]["count"] for name in _counted(list(tables))}
    excluded = {}
    if not allow_synthetic:
        with engine.connect() as conn:
            excluded = {name: conn.exec_driver_sql(f"SELECT count(*) FROM {name} WHERE is_synthetic").scalar_one()
                        for name in SYNTHETIC_FLAGGED}
    cases = counts.get("cases", 0)
    return PublishResult(final, out_dir / METADATA_NAME, counts, excluded, allow_synthetic, dict(progress.timings),
                         scored_cases=0, reused_scores=cases, reused_rows=cases, unchanged=True)
