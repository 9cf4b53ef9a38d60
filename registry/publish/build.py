"""Build dist/registry.db: the immutable SQLite file datasette serves.

Steps, in order: read the working database (any backend) into a snapshot
without synthetic data unless allowed; create every model table with its
foreign keys (so datasette shows labels and links) and bulk-insert the rows;
bake case_summary, case_timeline, lab_series and discrepancies; index
foreign keys and facet columns; build the full-text indexes; ANALYZE and
VACUUM; write metadata.json beside the file. The file is built under a
temporary name and moved into place only when complete, so a server never
sees half a build.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlite_utils import Database

from registry import migrate
from registry.completeness import case_completeness
from registry.publish.discrepancies import DISCREPANCIES, discrepancy_rows
from registry.publish.fts import build_fts
from registry.publish.lookups import Lookups, doi_url, pubmed_url, short_citation
from registry.publish.schema import BakedTable, Col, model_column_types, model_foreign_keys, model_pk
from registry.publish.site import DB_NAME, METADATA_NAME
from registry.publish.snapshot import Row, Snapshot, read_snapshot
from registry.publish.summary import CASE_SUMMARY, case_summary_rows
from registry.publish.timeline import CASE_TIMELINE, LAB_SERIES, lab_rows, timeline_rows

BATCH_SIZE = 500

#: Baked tables in build order (case_summary first: the others point at it).
BAKED_TABLES: tuple[BakedTable, ...] = (CASE_SUMMARY, CASE_TIMELINE, LAB_SERIES, DISCREPANCIES)

#: Columns the published copy of a model table gains, so links and labels read well.
DERIVED_COLUMNS: dict[str, tuple[Col, ...]] = {
    "publications": (
        Col("citation", str, "Short citation: first author year, journal (datasette shows it wherever a publication is referenced)."),
        Col("doi_url", str, "Link to the publication through doi.org."),
        Col("pubmed_url", str, "Link to the publication on PubMed."),
    ),
}

#: Label column of model tables whose rows other tables point at (vocab tables use 'label').
LABEL_COLUMNS = {"drugs": "name", "publications": "citation", "cases": "case_key"}


@dataclass
class PublishResult:
    path: Path
    metadata_path: Path
    row_counts: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    includes_synthetic: bool = False


def _derive(table: str, rows: list[Row]) -> list[Row]:
    if table != "publications":
        return rows
    return [
        {**r, "citation": short_citation(r), "doi_url": doi_url(r.get("doi")), "pubmed_url": pubmed_url(r.get("pmid"))}
        for r in rows
    ]


def _insert(db: Database, name: str, rows: Iterable[Row]) -> None:
    db[name].insert_all(rows, batch_size=BATCH_SIZE)


def _copy_model_tables(db: Database, snap: Snapshot) -> None:
    for name, table in snap.tables.items():
        columns = model_column_types(table)
        columns.update({c.name: c.type for c in DERIVED_COLUMNS.get(name, ())})
        db[name].create(columns, pk=model_pk(table), foreign_keys=model_foreign_keys(table))
        _insert(db, name, _derive(name, snap.rows[name]))


def _bake(db: Database, spec: BakedTable, rows: list[Row]) -> None:
    db[spec.name].create(spec.column_types, pk=spec.pk, foreign_keys=spec.foreign_keys)
    _insert(db, spec.name, rows)
    for column in spec.indexes:
        db[spec.name].create_index([column], if_not_exists=True)


def _completeness(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {c.case_key: c for c in case_completeness(conn)}


def _score_flags(engine: Engine) -> dict[str, list[str]]:
    from registry.scoring.flags import score_disagreements

    flags: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for row in score_disagreements(conn):
            if row["flagged"]:
                flags.setdefault(row["case_key"], []).extend(row["messages"])
    return flags


def build_database(snap: Snapshot, completeness: dict[str, Any], path: Path,
                   score_flags: dict[str, list[str]] | None = None) -> dict[str, int]:
    """Write the whole published database to `path` (which must not exist)."""
    db = Database(path)
    try:
        _copy_model_tables(db, snap)
        lk = Lookups(snap)
        baked = {
            "case_summary": case_summary_rows(lk, completeness, score_flags),
            "case_timeline": timeline_rows(lk),
            "lab_series": lab_rows(lk),
            "discrepancies": discrepancy_rows(lk),
        }
        for spec in BAKED_TABLES:
            _bake(db, spec, baked[spec.name])
        db.index_foreign_keys()
        build_fts(db)
        db.analyze()
        db.vacuum()
        return {
            name: db[name].count for name in db.table_names()
            if not name.startswith("sqlite_") and not _is_fts_table(db, name)
        }
    finally:
        db.close()


def _is_fts_table(db: Database, name: str) -> bool:
    return any(name == t or name.startswith(f"{t}_") for t in db.table_names() if t.endswith("_fts"))


def publish(engine: Engine, out_dir: Path, *, allow_synthetic: bool = False) -> PublishResult:
    """Build `out_dir/registry.db` and `out_dir/metadata.json` from the working database."""
    from registry.db import writing
    from registry.publish.metadata import build_metadata
    from registry.scoring.store import store_registry_assessments

    migrate.require_head(engine)
    # Registry scores are recomputed from the current facts on every publish,
    # so the site never shows a score older than the data behind it.
    with writing(engine) as conn:
        store_registry_assessments(conn)
    snap = read_snapshot(engine, allow_synthetic=allow_synthetic)
    completeness = _completeness(engine)
    flags = _score_flags(engine)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / DB_NAME
    partial = out_dir / f".{DB_NAME}.building"
    partial.unlink(missing_ok=True)
    try:
        counts = build_database(snap, completeness, partial, flags)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    metadata_path = out_dir / METADATA_NAME
    metadata_path.write_text(json.dumps(build_metadata(final), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return PublishResult(final, metadata_path, counts, snap.excluded, snap.includes_synthetic)
