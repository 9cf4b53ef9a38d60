"""Tasks the benchmark runs in a child process, so that each has its own peak memory (RSS).

    python -m bench.worker publish DATABASE_URL OUT_DIR [TIMINGS_JSON]
    python -m bench.worker edit-one-case DATABASE_URL                 (as a curator would, with `edit`)
    python -m bench.worker export-cases PUBLISHED_FILE OUT_FILE       (from the published file)
    python -m bench.worker export-cases-working DATABASE_URL OUT_FILE (rebuilt from the working database)
    python -m bench.worker profile-publish DATABASE_URL OUT_DIR PROFILE_FILE
    python -m bench.worker pages OUT_DIR REQUESTS RESULT_JSON   (datasette in-process, clean heap)
"""

from __future__ import annotations

import sys
from pathlib import Path


def publish(url: str, out_dir: str, timings_json: str | None = None) -> None:
    from registry.core.db import make_engine
    from registry.outputs.publish.build import publish as build

    result = build(make_engine(url), Path(out_dir), allow_synthetic=True)
    print(f"published {result.row_counts.get('case_summary')} cases to {result.path}")
    if timings_json:
        import json

        Path(timings_json).write_text(json.dumps(
            {**result.timings, "scored cases": result.scored_cases, "scores taken over": result.reused_scores}))


def edit_one_case(url: str) -> None:
    """Move the onset day of the first case that has one by a day, through the registry's edit path."""
    from sqlalchemy import select

    from registry.core.db import make_engine
    from registry.ingest.audit import Curator, CuratorSource
    from registry.ingest.curation import current_version, edit_case
    from registry.schema.models.tables import C

    engine = make_engine(url)
    with engine.connect() as conn:
        key, onset = conn.execute(select(C.c.case_key, C.c.onset_day).where(C.c.onset_day > 1).order_by(C.c.id).limit(1)).one()
    edit_case(engine, key, current_version(engine, key), curator=Curator("bench", CuratorSource.OPTION), onset_day=onset - 1)
    print(f"edited {key}: onset day {onset} -> {onset - 1}")


def export_cases(db_file: str, out_file: str) -> None:
    """Our export of the flat case table from a published file (`export --published`), to one CSV file."""
    from registry.cases.selection import Selection
    from registry.outputs.export.published import write_case_csv

    n = write_case_csv(Path(db_file), Path(out_file), Selection(include_synthetic=True))
    print(f"exported {n} cases")


def export_cases_working(url: str, out_file: str) -> None:
    """Our export of the flat case table rebuilt from the working database, to one CSV file."""
    from registry.cases.query import case_ids_select
    from registry.cases.selection import Selection
    from registry.core.db import make_engine
    from registry.outputs.export.tables import CASE_TABLE, table_partitions
    from registry.outputs.export.writers import CsvTable

    engine = make_engine(url)
    ids = case_ids_select(Selection(include_synthetic=True))
    with engine.connect() as conn, CsvTable(Path(out_file), CASE_TABLE.column_names) as out:
        for part in table_partitions(conn, CASE_TABLE, ids):
            out.write_rows(r.cells(CASE_TABLE) for r in part)
    print(f"exported {out.rows} cases")


def profile_publish(url: str, out_dir: str, profile_file: str) -> None:
    import cProfile

    cProfile.runctx("publish(url, out_dir)", globals(), {"url": url, "out_dir": out_dir, "publish": publish},
                    filename=profile_file)


def pages(out_dir: str, requests: str, result_json: str) -> None:
    import json

    from bench import serving

    out = Path(out_dir)
    paths = serving.page_paths(out / "registry.db")
    results = serving.in_process(out, paths + serving.DIAGNOSTIC_PATHS, int(requests))
    traces = serving.trace(out, paths[0][1])
    Path(result_json).write_text(json.dumps({"paths": paths, "results": results, "trace": traces}))


TASKS = {"publish": publish, "edit-one-case": edit_one_case, "export-cases": export_cases, "export-cases-working": export_cases_working, "profile-publish": profile_publish, "pages": pages}

if __name__ == "__main__":
    TASKS[sys.argv[1]](*sys.argv[2:])
