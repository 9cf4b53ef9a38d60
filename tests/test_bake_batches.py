"""The batched bake writes exactly the rows the whole-registry bake wrote, table by table, row by row.

Publish bakes case_summary and case_timeline a batch of cases at a time
(registry.cases.snapshot.read_case_batches), and discrepancies from the
evidence it pairs only. The oracle here is the bake as it was before:
every table the bakers read loaded whole into one snapshot, and the same
row builders run once over all of it. The registry is the seed plus 2,000
synthetic cases (fixed seed), baked in batches small enough that batch
boundaries fall inside publications and between every kind of record.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from registry.cases.completeness import Completeness, completeness_sql
from registry.cases.lookups import Lookups
from registry.cases.scoring.flags import flagged_messages, score_disagreements
from registry.cases.snapshot import BAKED_FROM, PARTIAL, Row, Snapshot
from registry.cases.summary import CASE_SUMMARY, case_summary_rows
from registry.core.db import make_engine, metadata, writing
from registry.ingest.seed import load_documents
from registry.ingest.synth import synth_documents
from registry.outputs.publish import build
from registry.outputs.publish.discrepancies import DISCREPANCIES, discrepancy_rows
from registry.outputs.publish.timeline import CASE_TIMELINE, timeline_rows
from tests.helpers import SEED_DIR, run_cli

SYNTHETIC_CASES = 2000
BATCH = 137  # odd on purpose: batches end anywhere


def _whole_snapshot(conn: sqlite3.Connection) -> Snapshot:
    """Every row the bakers read, of every case at once (the bake before batching)."""
    tables = {name: metadata.tables[name] for name in BAKED_FROM}
    rows: dict[str, list[Row]] = {}
    for name, table in tables.items():
        columns = [c.name for c in table.columns]
        order = ", ".join(c.name for c in table.primary_key.columns)
        where = f" WHERE {PARTIAL[name]}" if name in PARTIAL else ""
        cursor = conn.execute(f'SELECT {", ".join(columns)} FROM "{name}"{where} ORDER BY {order}')
        rows[name] = [dict(zip(columns, values)) for values in cursor]
    return Snapshot(tables=tables, rows=rows)


def _oracle(path: Path) -> dict[str, list[tuple]]:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            flags = flagged_messages(score_disagreements(conn))
    finally:
        engine.dispose()
    conn = sqlite3.connect(path)
    try:
        completeness = {k: Completeness(k, int(a), int(b), int(c), int(d)) for k, a, b, c, d in conn.execute(completeness_sql())}
        lk = Lookups(_whole_snapshot(conn))
    finally:
        conn.close()
    out = {}
    for spec, rows in ((CASE_SUMMARY, case_summary_rows(lk, completeness, flags)), (CASE_TIMELINE, timeline_rows(lk)),
                       (DISCREPANCIES, discrepancy_rows(lk))):
        out[spec.name] = [tuple(r[c.name] for c in spec.columns) for r in rows]
    return out


def _baked(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {spec.name: conn.execute(f"SELECT {', '.join(c.name for c in spec.columns)} FROM {spec.name} "
                                        "ORDER BY rowid").fetchall()
                for spec in (CASE_SUMMARY, CASE_TIMELINE, DISCREPANCIES)}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory, db_templates) -> Path:
    tmp = tmp_path_factory.mktemp("batches")
    url = db_templates.copy(db_templates.migrated("sqlite"), tmp / "work.db")
    assert run_cli(url, "seed", "--dir", str(SEED_DIR)).exit_code == 0
    engine = make_engine(url)
    with writing(engine) as conn:
        load_documents(conn, synth_documents(SYNTHETIC_CASES, seed=7), prune=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "BAKE_BATCH", BATCH)
        result = build.publish(engine, tmp / "dist", allow_synthetic=True)
    engine.dispose()
    return result.path


@pytest.fixture(scope="module")
def oracle(registry_file) -> dict[str, list[tuple]]:
    return _oracle(registry_file)


@pytest.mark.parametrize("table", [CASE_SUMMARY.name, CASE_TIMELINE.name, DISCREPANCIES.name])
def test_batched_bake_equals_the_whole_registry_bake(registry_file, oracle, table):
    baked, expected = _baked(registry_file)[table], oracle[table]
    assert len(baked) == len(expected) > 0
    for got, want in zip(baked, expected):
        assert got == want


@pytest.mark.parametrize("table, key", [("case_summary", "case_key"), ("publications", "id")])
def test_datasette_streams_every_row_once(registry_file, table, key):
    """A streamed CSV of a table sorted newest first has every row exactly once: pages of 100 rows, many cases
    per year, so a year's cases span pages (datasette reads the first page without the key as tie-break)."""
    import asyncio
    import csv
    import io

    from datasette.app import Datasette

    from registry.outputs.publish.serve import datasette_kwargs

    kwargs = datasette_kwargs(registry_file.parent)
    kwargs["settings"]["max_returned_rows"] = 100
    ds = Datasette(**kwargs)

    async def stream() -> list[list[str]]:
        response = await ds.client.get(f"/registry/{table}.csv?_stream=on&_size=max")
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.text)))

    header, *rows = asyncio.run(stream())
    with sqlite3.connect(registry_file) as conn:
        expected = sorted(str(k) for (k,) in conn.execute(f"select {key} from {table}"))
    assert sorted(r[header.index(key)] for r in rows) == expected


def _site(registry_file: Path, **settings):
    from datasette.app import Datasette

    from registry.outputs.publish.serve import datasette_kwargs

    kwargs = datasette_kwargs(registry_file.parent)
    kwargs["settings"].update(settings)
    return Datasette(**kwargs)


def _get_json(ds, url: str) -> dict:
    import asyncio

    async def get() -> dict:
        response = await ds.client.get(url)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    return asyncio.run(get())


def test_a_suspect_drug_filter_reads_the_baked_pairs(registry_file):
    """suspect_drug_list__arraycontains=X gives exactly the cases whose array holds X, found through
    case_suspect_drugs by rowid, with no JSON read on case_summary; other columns keep datasette's clause."""
    from urllib.parse import quote

    ds = _site(registry_file, trace_debug=True, max_returned_rows=5000)
    with sqlite3.connect(registry_file) as conn:
        assert conn.execute("select count(*) from case_summary, json_each(suspect_drug_list)").fetchone()[0] == \
            conn.execute("select count(*) from case_suspect_drugs").fetchone()[0]
        assert conn.execute("select count(*) from case_suspect_drugs d join case_summary s on s.rowid = d.case_rowid "
                            "where s.case_key <> d.case_key").fetchone()[0] == 0
        drugs = [d for (d,) in conn.execute("select drug from case_suspect_drugs group by drug order by count(*) desc, drug")]
        picked = [*drugs[:3], drugs[len(drugs) // 2], drugs[-1], "no such drug"]
        wanted = {d: sorted(k for (k,) in conn.execute(
            "select case_key from case_summary where ? in (select value from json_each(suspect_drug_list))", (d,)))
            for d in picked}
        assert len(wanted[picked[0]]) > 100 and wanted["no such drug"] == []

    for drug in picked:
        url = f"/registry/case_summary.json?suspect_drug_list__arraycontains={quote(drug)}&_nofacet=1&_shape=objects"
        data = _get_json(ds, url + "&_size=max")
        assert data["filtered_table_rows_count"] == len(wanted[drug])
        assert sorted(r["case_key"] for r in data["rows"]) == wanted[drug]
        assert f'suspect_drug_list contains "{drug}"' in data["human_description_en"]
        data = _get_json(ds, url + "&_trace=1")  # (datasette's trace fails on a page of _size=max)
        sql = [t["sql"] for t in data["_trace"]["traces"] if t.get("database") == "registry"]
        assert any("case_suspect_drugs" in q for q in sql)
        assert not any("json_each" in q for q in sql if "case_summary" in q)
    # Elsewhere the lookup is datasette's own (the plugin has replaced the class-wide filter by now).
    from datasette.filters import Filters

    assert Filters([("suspect_drug_list__arraycontains", "x")]).build_where_clauses("case_list") == (
        [':p0 in (select value from json_each("case_list"."suspect_drug_list"))'], {"p0": "x"})
    assert Filters([("other__arraycontains", "x")]).build_where_clauses("case_summary")[0][0].startswith(":p0 in")


def _counted(conn: sqlite3.Connection, column: str, where: str, params: tuple, size: int) -> list[tuple]:
    return conn.execute(f"select {column}, count(*) from case_summary where ({where}) and {column} is not null "
                        f"group by {column} order by count(*) desc, {column} limit {size}", params).fetchall()


def test_facets_count_the_rows_of_each_page(registry_file):
    """Every facet of a case_summary page (the configured six, run side by side, and one asked for) counts
    the rows its page selects, in the configured order: compared with a GROUP BY over the same rows."""
    from urllib.parse import quote

    from registry.outputs.publish.facets import CASE_SUMMARY_FACETS
    from registry.outputs.publish.serve import SETTINGS

    size = SETTINGS["default_facet_size"]
    ds = _site(registry_file)
    with sqlite3.connect(registry_file) as conn:
        sex, outcome = conn.execute("select sex, reaction_outcome from case_summary where sex is not null and "
                                    "reaction_outcome is not null group by 1, 2 order by count(*) desc").fetchone()
        drug = conn.execute("select drug from case_suspect_drugs group by drug order by count(*) desc").fetchone()[0]
        word = drug.split()[0]
        country = conn.execute("select country from case_summary where country is not null group by 1 "
                               "order by count(*) desc").fetchone()[0]
        pages = [
            ("", "1", ()),
            (f"sex={quote(sex)}&reaction_outcome={quote(outcome)}", "sex = ? and reaction_outcome = ?", (sex, outcome)),
            (f"_search={quote(word)}",
             "rowid in (select rowid from case_summary_fts where case_summary_fts match ?)", (f'"{word}"',)),
            (f"suspect_drug_list__arraycontains={quote(drug)}&sex={quote(sex)}",
             "? in (select value from json_each(suspect_drug_list)) and sex = ?", (drug, sex)),
            # A column case_summary_facets lacks: those facets run on case_summary.
            (f"_search={quote(word)}&country={quote(country)}",
             "rowid in (select rowid from case_summary_fts where case_summary_fts match ?) and country = ?",
             (f'"{word}"', country)),
        ]
        for query, where, params in pages:
            for extra in ("", "&_facet=country"):
                data = _get_json(ds, f"/registry/case_summary.json?{query}{extra}")
                facets = data["facet_results"]
                expected_names = CASE_SUMMARY_FACETS + (["country"] if extra else [])
                assert list(facets) == expected_names, query
                for column in expected_names:
                    got = [(r["value"], r["count"]) for r in facets[column]["results"]]
                    assert got == _counted(conn, column, where, params, size), (query, column)
                assert sum(r["count"] for r in facets["sex"]["results"]) == conn.execute(
                    f"select count(*) from case_summary where ({where}) and sex is not null", params).fetchone()[0]


def test_searched_pages_count_their_facets_in_the_narrow_rows(registry_file):
    """case_summary_facets is case_summary's facet columns under the same rowids, and the facets of a searched
    page read it (an unfiltered page reads case_summary's indexes)."""
    from registry.outputs.publish.facets import CASE_SUMMARY_FACET_ROWS, CASE_SUMMARY_FACETS

    names = ", ".join(CASE_SUMMARY_FACETS)
    with sqlite3.connect(registry_file) as conn:
        assert sorted(c.name for c in CASE_SUMMARY_FACET_ROWS.columns) == sorted(["rowid", *CASE_SUMMARY_FACETS])
        assert conn.execute(f"select rowid, {names} from case_summary_facets order by rowid").fetchall() == \
            conn.execute(f"select rowid, {names} from case_summary order by rowid").fetchall()
        word = conn.execute("select drug from case_suspect_drugs group by drug order by count(*) desc").fetchone()[0]
    ds = _site(registry_file, trace_debug=True)

    def facet_tables(query: str) -> list[str]:
        traces = _get_json(ds, f"/registry/case_summary.json?{query}&_trace=1")["_trace"]["traces"]
        return sorted("narrow" if "case_summary_facets" in t["sql"] else "wide"  # (they end in any order)
                      for t in traces if "as count from" in t["sql"])

    assert facet_tables(f"_search={word.split()[0]}") == ["narrow"] * len(CASE_SUMMARY_FACETS)
    assert facet_tables(f"suspect_drug_list__arraycontains={word}&_facet=country") == \
        ["narrow"] * len(CASE_SUMMARY_FACETS) + ["wide"]  # country is not a narrow column
    assert facet_tables("sex=female") == ["wide"] * len(CASE_SUMMARY_FACETS)
    assert facet_tables(f"_search={word.split()[0]}&sex=female&year__gte=2000") == ["narrow"] * len(CASE_SUMMARY_FACETS)
    # A filter on another column, or any argument not known to leave the WHERE clause alone, keeps case_summary
    # (SQLite would read "country" on the narrow rows as a string and count no rows).
    for other in ("country=US", "_where=1", "_next=2020,x"):
        assert facet_tables(f"_search={word.split()[0]}&{other}") == ["wide"] * len(CASE_SUMMARY_FACETS), other
