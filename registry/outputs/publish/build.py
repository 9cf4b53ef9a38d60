"""Build dist/registry.db: the immutable SQLite file datasette serves.

Steps, in order: copy the working database's tables into a new file
(registry.outputs.publish.copy: SQLite's page-level backup, or a stream of rows from
PostgreSQL into a freshly migrated file, so both backends publish the same
schema); take synthetic data out unless allowed; recompute the registry's
own scores into the file's assessments (the working database is only
read: `score --store` writes them there); add the derived
publication columns; bake case_summary, case_timeline (in a forked child,
meanwhile), lab_series and discrepancies from what the file holds; index
facet columns; build the full-text indexes; ANALYZE; write metadata.json
beside the file. The file is built under a temporary name and moved into
place only when complete, so a server never sees half a build.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlite_utils import Database

from registry.cases.baked import BakedTable
from registry.cases.completeness import Completeness, completeness_sql
from registry.cases.lookups import Lookups, doi_url, pubmed_url, short_citation
from registry.cases.snapshot import Row, Snapshot, read_snapshot
from registry.cases.summary import case_summary_rows
from registry.core.progress import Progress, quiet
from registry.outputs.publish.copy import copy_working_database
from registry.outputs.publish.discrepancies import discrepancy_rows
from registry.outputs.publish.fts import build_fts
from registry.outputs.publish.layout import BAKED_TABLES, DERIVED_COLUMNS
from registry.outputs.publish.metadata import build_metadata
from registry.outputs.publish.scores import BUILD_INFO, Scored, build_info_rows, score_file
from registry.outputs.publish.site import DB_NAME, METADATA_NAME
from registry.outputs.publish.synthetic import SYNTHETIC_FLAGGED, drop_synthetic
from registry.outputs.publish.timeline import CASE_TIMELINE, lab_series_sql, timeline_rows
from registry.schema import migrate

#: Rows ANALYZE samples per index: enough for the planner, and it keeps ANALYZE fast on big files.
ANALYSIS_LIMIT = 1000


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


def _add_derived_columns(conn: sqlite3.Connection, snap: Snapshot) -> None:
    """publications gains a short citation and links (computed here, once, for every reader)."""
    for col in DERIVED_COLUMNS["publications"]:
        conn.execute(f"ALTER TABLE publications ADD COLUMN {col.name} TEXT")
    conn.executemany(
        "UPDATE publications SET citation = ?, doi_url = ?, pubmed_url = ? WHERE id = ?",
        ((short_citation(p), doi_url(p.get("doi")), pubmed_url(p.get("pmid")), p["id"]) for p in snap["publications"]),
    )


def _bake(db: Database, spec: BakedTable, rows: Iterable[Row] | str) -> None:
    """Create a baked table and fill it from dict rows, or from a SELECT (str) run inside the file."""
    db[spec.name].create(spec.column_types, pk=spec.pk, foreign_keys=spec.foreign_keys)
    names = [c.name for c in spec.columns]
    if isinstance(rows, str):
        db.conn.execute(f"INSERT INTO {spec.name} ({', '.join(names)}) {rows}")
    else:
        values = itemgetter(*names)  # every baked row has every column: a missing one is a bug, not a NULL
        db.conn.executemany(
            f"INSERT INTO {spec.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
            map(values, rows),
        )
    for column in spec.indexes:
        db[spec.name].create_index([column], if_not_exists=True)


def _completeness(path: Path) -> dict[str, Completeness]:
    """Key-fact counts per case, read through a connection of their own (see `bake`)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            key: Completeness(key, int(known), int(nr), int(na), int(unrecorded))
            for key, known, nr, na, unrecorded in conn.execute(completeness_sql())
        }
    finally:
        conn.close()


def _write_aside(path: str, spec: BakedTable, make_rows: Callable[[], Iterable[Row]]) -> None:
    """In a child process: compute a baked table's rows and write them to a file of their own."""
    names = [c.name for c in spec.columns]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(f"CREATE TABLE {spec.name} ({', '.join(names)})")
    conn.executemany(f"INSERT INTO {spec.name} VALUES ({', '.join('?' for _ in names)})",
                     map(itemgetter(*names), make_rows()))
    conn.commit()
    conn.close()


class _Aside:
    """One baked table computed by a forked child while this process bakes the others.

    Python runs one thread of Python code at a time, and the bakers are
    Python. case_timeline needs nothing the others make, so where the
    platform can fork, a child computes it from the same in-memory rows
    (shared copy-on-write; the collector is frozen so it does not touch
    them) and writes it to a side file that is attached to the build. Where
    it cannot fork, the table is baked in turn like the others.
    """

    def __init__(self, build_file: Path, spec: BakedTable, make_rows: Callable[[], Iterable[Row]]) -> None:
        self.spec = spec
        self.process = None
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        self.path = build_file.with_name(f"{build_file.name}.{spec.name}")
        self.path.unlink(missing_ok=True)
        gc.freeze()
        self.process = multiprocessing.get_context("fork").Process(
            target=_write_aside, args=(str(self.path), spec, make_rows), daemon=True)
        self.process.start()

    def finish(self, db: Database) -> None:
        """Wait for the child, then copy its rows into the build in a transaction of their own.

        The side file is attached only now: an attached file is read (and
        locked) by every statement of the build's transactions, which would
        keep the child from committing.
        """
        self.process.join()
        gc.unfreeze()
        if self.process.exitcode != 0:
            raise RuntimeError(f"baking {self.spec.name} in a child process failed (exit code {self.process.exitcode})")
        names = ", ".join(c.name for c in self.spec.columns)
        db.conn.execute("ATTACH DATABASE ? AS aside", (str(self.path),))
        try:
            db.conn.execute("BEGIN")
            _bake(db, self.spec, f"SELECT {names} FROM aside.{self.spec.name} ORDER BY rowid")
            db.conn.execute("COMMIT")
        finally:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            db.conn.execute("DETACH DATABASE aside")

    def close(self) -> None:
        """Stop the child if it still runs and delete the side file."""
        if self.process is None:
            return
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
            gc.unfreeze()
        self.path.unlink(missing_ok=True)


def bake(db: Database, score_flags: dict[str, list[str]] | None = None, progress: Progress | None = None) -> None:
    """Derive the baked tables, indexes and full-text indexes from the registry tables in `db`.

    `db`'s connection must be in autocommit mode (isolation_level None): the
    bake runs in transactions of its own, around the side file it attaches.
    """
    progress = progress or quiet()
    with progress.step("read"):
        path = Path(db.conn.execute("PRAGMA database_list").fetchone()[2])
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The completeness counts are one SQL statement, which SQLite runs without holding
            # Python's GIL: they are counted while this thread builds the rows the bakers read.
            counting = pool.submit(_completeness, path)
            snap = read_snapshot(db.conn)
            completeness = counting.result()
    lk = Lookups(snap)
    baked = {
        "case_summary": lambda: case_summary_rows(lk, completeness, score_flags),
        "case_timeline": lambda: timeline_rows(lk),
        "lab_series": lab_series_sql,
        "discrepancies": lambda: discrepancy_rows(lk),
        BUILD_INFO.name: build_info_rows,
    }
    aside = _Aside(path, CASE_TIMELINE, baked[CASE_TIMELINE.name])
    try:
        _bake_all(db, snap, baked, aside, progress)
    finally:
        aside.close()


def _bake_all(db: Database, snap: Snapshot, baked: dict[str, Callable[[], Iterable[Row] | str]], aside: _Aside,
              progress: Progress) -> None:
    db.conn.execute("BEGIN")
    _add_derived_columns(db.conn, snap)
    for spec in BAKED_TABLES:
        if spec is aside.spec and aside.process is not None:
            continue  # the child bakes it meanwhile; copied in below
        with progress.step(spec.name):
            _bake(db, spec, baked[spec.name]())
    db.conn.execute("COMMIT")
    if aside.process is not None:
        with progress.step(aside.spec.name):
            aside.finish(db)
    db.conn.execute("BEGIN")
    with progress.step("indexes"):
        db.index_foreign_keys()
    with progress.step("full-text"):
        build_fts(db)
    with progress.step("analyze"):
        db.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        db.analyze()
    db.conn.execute("COMMIT")


#: Steps of a publish, for the progress bar.
PUBLISH_STEPS = 6 + len(BAKED_TABLES) + 3


def build_database(engine: Engine, path: Path, *, allow_synthetic: bool = False, previous: Path | None = None,
                   progress: Progress | None = None) -> tuple[dict[str, int], dict[str, int], Scored]:
    """Write the whole published database to `path` (which must not exist); the working database is only read.

    `previous`: the file the last publish built, if any (registry.outputs.publish.scores takes the scores of
    unchanged cases from it). Returns (row counts per published table, synthetic publications and cases left
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
            excluded = {name: 0 for name in SYNTHETIC_FLAGGED} if allow_synthetic else drop_synthetic(conn)
        with progress.step("scores"):
            scored = score_file(path, previous)
        bake(db, scored.flags, progress)
        with progress.step("vacuum"):
            if free_pages_before:
                # Pages the working database had freed may still hold deleted rows: rewrite the file without them.
                db.vacuum()
        conn.execute("PRAGMA journal_mode = DELETE")
        counts = {
            name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in db.table_names()
            if not name.startswith("sqlite_") and not _is_fts_table(db, name)
        }
        return counts, excluded, scored
    finally:
        db.close()


def _is_fts_table(db: Database, name: str) -> bool:
    return any(name == t or name.startswith(f"{t}_") for t in db.table_names() if t.endswith("_fts"))


def publish(engine: Engine, out_dir: Path, *, allow_synthetic: bool = False,
            progress: Progress | None = None) -> PublishResult:
    """Build `out_dir/registry.db` and `out_dir/metadata.json` from the working database."""
    progress = progress or quiet()
    migrate.require_head(engine)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / DB_NAME
    partial = out_dir / f".{DB_NAME}.building"
    partial.unlink(missing_ok=True)
    try:
        counts, excluded, scored = build_database(engine, partial, allow_synthetic=allow_synthetic,
                                                  previous=final if final.exists() else None, progress=progress)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    with progress.step("metadata"):
        metadata_path = out_dir / METADATA_NAME
        metadata = build_metadata(final)
        metadata_path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return PublishResult(final, metadata_path, counts, excluded, allow_synthetic, dict(progress.timings),
                         scored.scored, scored.reused)
