"""The publish step: what goes into dist/registry.db and its metadata, on both backends."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from pathlib import Path

import publish_fixtures as fx
import pytest
from click.testing import CliRunner
from sqlite_utils import Database
from sqlalchemy import text

from registry.cases.summary import dose_at_onset, latency_days, per_ul, regiscar_disagreement, worst_result
from registry.cli import cli as dress_registry
from registry.core.db import make_engine
from registry.outputs.publish.build import BAKED_TABLES, publish
from registry.outputs.publish.canned import PAGE_PARAM, canned_queries, parse_query
from registry.outputs.publish.charts import line_chart
from registry.outputs.publish.facets import CASE_SUMMARY_FACETS
from registry.outputs.publish.metadata import (
    CASE_SUMMARY_PAGE_SIZE,
    SOURCES_LISTED,
    _sources,
    _sources_html,
    build_metadata,
    published_tables,
)
from registry.outputs.publish.serve import SETTINGS, serve_argv
from registry.schema import migrate
from registry.schema.models import published_model_tables
from registry.schema.vocabulary import Assessor
from tests.helpers import run_cli

BAKED = {t.name for t in BAKED_TABLES}


@pytest.fixture(scope="module")
def published(tmp_path_factory, db_templates) -> Path:
    """One published build of the two test cases (plus a synthetic one it must leave out)."""
    tmp = tmp_path_factory.mktemp("published")
    engine = make_engine(db_templates.copy(db_templates.migrated("sqlite"), tmp / "work.db"))
    fx.write_cases(engine)
    fx.write_synthetic_case(engine)
    publish(engine, tmp / "dist")
    engine.dispose()
    return tmp / "dist"


@pytest.fixture
def db(published) -> Database:
    database = Database(published / "registry.db")
    yield database
    database.close()


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table except SQLite's statistics, in a stable order."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' order by name")]
        return {
            n: sorted(conn.execute(f'select * from "{n}"').fetchall(), key=repr)
            for n in names if not n.startswith("sqlite_")
        }
    finally:
        conn.close()


def test_publish_copies_every_model_table_and_bakes_the_rest(engine, tmp_path):
    fx.write_cases(engine)
    result = publish(engine, tmp_path / "dist")
    names = set(Database(result.path).table_names())
    assert {t.name for t in published_model_tables()} <= names
    assert not {"audit_changes", "audit_log"} & names, "the audit log stays in the working database"
    assert BAKED <= names
    assert "alembic_version" not in names
    assert result.row_counts["cases"] == 2 and result.row_counts["case_summary"] == 2
    assert (tmp_path / "dist" / "metadata.json").exists()
    assert not list((tmp_path / "dist").glob(".*building*"))


@pytest.mark.postgres
def test_sqlite_and_postgresql_publish_the_same_tables_and_rows(sqlite_engine, postgres_url, tmp_path):
    pg_engine = make_engine(postgres_url)
    try:
        migrate.upgrade(pg_engine)
        for eng in (sqlite_engine, pg_engine):
            fx.write_cases(eng)
            fx.write_synthetic_case(eng)
        from_sqlite = _dump(publish(sqlite_engine, tmp_path / "a").path)
        from_postgres = _dump(publish(pg_engine, tmp_path / "b").path)
    finally:
        pg_engine.dispose()
    assert from_sqlite.keys() == from_postgres.keys()
    for table in from_sqlite:
        assert from_sqlite[table] == from_postgres[table], table


def test_every_published_table_and_column_has_a_description(published, db):
    meta = json.loads((published / "metadata.json").read_text())
    tables = meta["databases"]["registry"]["tables"]
    for name in published_tables(db):
        assert tables.get(name, {}).get("description"), f"{name} has no description"
        described = tables[name].get("columns", {})
        for column in db[name].columns_dict:
            assert described.get(column), f"{name}.{column} has no description"


def test_metadata_sets_labels_facets_sources_and_hides_fts(published):
    meta = json.loads((published / "metadata.json").read_text())
    tables = meta["databases"]["registry"]["tables"]
    assert tables["vocab_sex"]["label_column"] == "label"
    assert tables["drugs"]["label_column"] == "name"
    assert tables["publications"]["label_column"] == "citation"
    assert tables["case_summary"]["facets"] == CASE_SUMMARY_FACETS
    assert tables["case_summary"]["size"] == CASE_SUMMARY_PAGE_SIZE
    assert tables["case_summary_fts"]["hidden"] is True and tables["publications_fts"]["hidden"] is True
    assert "CC BY 4.0" in meta["license"]
    assert "doi:10.1159/000519471" in meta["description_html"]
    assert '<a href="/cite/park2021.ris"' in meta["description_html"]  # "not clinical advice": the landing page's own text
    assert "&lt;script&gt;" in meta["description_html"] and "<script>" not in meta["description_html"]
    queries = meta["databases"]["registry"]["queries"]
    assert set(queries) == {q.name for q in canned_queries()}
    assert not any(q.get("write") for q in queries.values())


def test_foreign_keys_and_facet_indexes_are_in_the_file(db):
    fks = {(fk.column, fk.other_table, fk.other_column) for fk in db["case_summary"].foreign_keys}
    assert ("sex", "vocab_sex", "code") in fks
    assert ("reaction_outcome", "vocab_reaction_outcome", "code") in fks
    assert ("drug_id", "drugs", "id") in {(fk.column, fk.other_table, fk.other_column) for fk in db["drug_exposures"].foreign_keys}
    indexed = {i.columns[0] for i in db["case_summary"].indexes}  # year: (year DESC, case_key), see _sort_indexes
    for facet in CASE_SUMMARY_FACETS:
        if isinstance(facet, str):
            assert facet in indexed, facet
    assert db.execute("select count(*) from sqlite_stat1").fetchone()[0] > 0  # ANALYZE ran


def test_indexes_left_out_of_the_file_are_covered_by_others(db):
    """The unused or redundant indexes are gone, and lookups of an assessment's items still use an index."""
    from registry.outputs.publish.layout import UNUSED_INDEXES

    names = {r[0] for r in db.execute("select name from sqlite_master where type = 'index'")}
    assert not names & set(UNUSED_INDEXES)
    plan = " ".join(r[-1] for r in db.execute("explain query plan select * from assessment_items where assessment_id = 1"))
    assert "USING INDEX sqlite_autoindex_assessment_items_1" in plan, plan


def test_full_text_search_finds_words_with_stemming(db):
    hits = [r["case_key"] for r in db["case_summary"].search(fx.SEARCH_WORD)]
    assert hits == [fx.PARK_KEY]
    assert [r["case_key"] for r in db["case_summary"].search("desensitised")] == [fx.PARK_KEY]
    assert [r["key"] for r in db["publications"].search("reslizumab")] == ["park2021"]


def test_synthetic_data_are_left_out_by_default(db):
    assert db.execute("select count(*) from cases where is_synthetic").fetchone()[0] == 0
    assert db.execute("select count(*) from publications where is_synthetic").fetchone()[0] == 0
    assert not list(db["case_summary"].search("zebraword"))
    assert db.execute("select count(*) from evidence where publication_id not in (select id from publications)").fetchone()[0] == 0


def test_no_byte_of_synthetic_data_stays_in_the_published_file(published, db):
    # The file starts as a copy of the working database; left-out rows must not survive in free pages.
    assert db.execute("select count(*) from evidence where subject_table = 'cases' and subject_id not in "
                      "(select id from cases)").fetchone()[0] == 0
    raw = (published / "registry.db").read_bytes()
    assert b"zebraword" not in raw and b"synth0001" not in raw
    assert b"Synthetic benchmark report" not in raw


def test_publish_reports_its_steps_and_draws_no_bar_into_a_pipe(sqlite_engine, sqlite_url, tmp_path):
    fx.write_cases(sqlite_engine)
    result = CliRunner().invoke(dress_registry, ["--database", sqlite_url, "publish", "--out", str(tmp_path / "d"),
                                                     "--timings"])
    assert result.exit_code == 0, result.output
    timings = next(line for line in result.output.splitlines() if line.startswith("step timings: "))
    for step in ("scores", "copy", "case_summary", "case_timeline", "lab_series", "full-text", "metadata"):
        assert f"{step} " in timings
    assert "publishing" not in result.output  # the bar is for terminals only


def test_synthetic_data_only_with_the_flag_and_the_cli_says_so(sqlite_engine, sqlite_url, tmp_path):
    fx.write_cases(sqlite_engine)
    fx.write_synthetic_case(sqlite_engine)
    runner = CliRunner()
    default = runner.invoke(dress_registry, ["--database", sqlite_url, "publish", "--out", str(tmp_path / "d")])
    assert default.exit_code == 0, default.output
    assert "left out synthetic data: 1 cases, 1 publications" in default.output
    bench = runner.invoke(dress_registry, ["--database", sqlite_url, "publish", "--out", str(tmp_path / "b"), "--allow-synthetic"])
    assert bench.exit_code == 0, bench.output
    assert "synthetic benchmark data are included" in bench.output
    keys = [r["case_key"] for r in Database(tmp_path / "b" / "registry.db").query("select case_key from case_summary")]
    assert "synth0001-1" in keys
    meta = json.loads((tmp_path / "b" / "metadata.json").read_text())
    assert "synthetic" in meta["title"]


def test_publish_refuses_an_unmigrated_database_with_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(dress_registry, ["--database", url, "publish", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "dress-registry db upgrade" in result.output


def test_a_failed_bake_leaves_the_previous_build_and_no_stray_files(sqlite_engine, tmp_path, monkeypatch):
    import registry.outputs.publish.build as build

    fx.write_cases(sqlite_engine)
    before = _dump(publish(sqlite_engine, tmp_path / "dist").path)

    def broken(_lk, first_id=1):
        raise ValueError("timeline baker broke")

    monkeypatch.setattr(build, "timeline_rows", broken)
    with pytest.raises(ValueError, match="timeline"):
        publish(sqlite_engine, tmp_path / "dist")
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["files", "inspect-data.json", "metadata.json",
                                                                     "registry.db"]
    assert _dump(tmp_path / "dist" / "registry.db") == before


def test_publishing_twice_replaces_the_build(sqlite_engine, tmp_path):
    fx.write_cases(sqlite_engine)
    first = _dump(publish(sqlite_engine, tmp_path / "dist").path)
    second = _dump(publish(sqlite_engine, tmp_path / "dist").path)
    assert first == second


def test_case_summary_of_the_park_case(db):
    park = db["case_summary"].get(fx.PARK_KEY)
    assert park["citation"] == "Park 2021, Case Rep Oncol"
    assert (park["age_years"], park["sex"], park["country"]) == (62, "female", "KR")
    assert park["indication"] == "gastrointestinal stromal tumour"
    assert json.loads(park["suspect_drug_list"]) == ["imatinib"]
    assert park["main_suspect_drug"] == "imatinib"
    assert (park["latency_days"], park["dose_at_onset_value"], park["dose_at_onset_unit"]) == (15, 400, "mg")
    assert park["peak_eosinophils_per_ul"] == 1690
    assert json.loads(park["treatments"]) == ["prednisolone", "reslizumab"]
    assert park["dechallenge_result"] == "positive" and park["rechallenge_result"] == "recurrence"
    assert park["suspect_continued"] == 1 and park["continued_under"] == "reslizumab"
    assert (park["therapy_fate"], park["switched_to"]) == ("switched", "sunitinib")
    assert park["reaction_outcome"] == "recovered"
    # publish scores every case from its facts; the fixture's Park has no authors' RegiSCAR to compare.
    assert park["registry_regiscar_min"] <= park["registry_regiscar"] <= park["registry_regiscar_max"]
    assert park["regiscar_disagreement"] is None
    assert 0 < park["completeness"] <= 1
    assert park["doi_url"] == "https://doi.org/10.1159/000519471"
    assert park["pubmed_url"] == "https://pubmed.ncbi.nlm.nih.gov/34899250/"


def test_case_summary_of_the_sparse_case_keeps_unknowns_null(db):
    sparse = db["case_summary"].get(fx.SPARSE_KEY)
    assert sparse["age_years"] is None and sparse["sex"] is None and sparse["latency_days"] is None
    assert sparse["peak_eosinophils_per_ul"] == 900  # 0.9 x10^9/L
    assert sparse["dose_at_onset_value"] == 400  # the lone undated dose row
    # The stale registry score the fixture wrote (1..4) is replaced by a fresh one from the facts,
    # whose many unknown items leave -3..8 open: the authors' 6 lies inside.
    assert (sparse["authors_regiscar"], sparse["registry_regiscar_min"], sparse["registry_regiscar_max"]) == (6, -3, 8)
    assert sparse["regiscar_disagreement"] == 0
    assert sparse["completeness"] < db["case_summary"].get(fx.PARK_KEY)["completeness"]


def test_timeline_puts_every_event_on_one_day_axis(db):
    rows = list(db.query("select day, kind, dose_value from case_timeline where case_key = ? order by id", [fx.PARK_KEY]))
    steps = [(r["day"], r["dose_value"]) for r in rows if r["kind"] == "challenge_step"]
    assert steps == [(29, 25), (29, 25), (29, 50), (29, 100), (30, 200), (32, 400)]
    kinds = [r["kind"] for r in rows]
    for kind in ("exposure_start", "onset", "drug_action", "challenge", "recurrence", "treatment_start",
                 "dose_change", "exposure_stop", "outcome"):
        assert kind in kinds, kind
    dated = [r["day"] for r in rows if r["day"] is not None]
    assert dated == sorted(dated)
    assert rows[-1]["kind"] == "outcome" and rows[-1]["day"] is None


def test_lab_series_converts_counts_to_per_microlitre(db):
    values = {(r["case_key"], r["day"]): r["value_per_ul"] for r in db["lab_series"].rows}
    assert values[(fx.PARK_KEY, 89)] == 1690
    assert values[(fx.PARK_KEY, 107)] == 300
    assert values[(fx.SPARSE_KEY, None)] == 900


def test_discrepancies_show_both_sources(db):
    (row,) = list(db["discrepancies"].rows)
    assert (row["case_key"], row["field"]) == (fx.PARK_KEY, "age_value")
    assert (row["curated_value"], row["other_value"]) == ("62 years", "65 years")
    assert (row["curated_locator"], row["other_locator"]) == ("Case report", "Abstract")
    assert row["curated_citation"] == row["other_citation"] == "Park 2021, Case Rep Oncol"
    assert row["other_note"]


def test_canned_query_files_have_headers_and_examples():
    queries = canned_queries()
    assert {q.name for q in queries} >= {
        "cases_for_drug", "latency_distribution", "challenge_outcomes", "continued_drug", "score_comparison",
        "source_disagreements", "case_evidence", "search",
    }
    for q in queries:
        assert q.title and q.description and q.sql
        assert set(q.params) - {PAGE_PARAM} <= set(q.example), f"{q.name}: give an example for every parameter"
        assert not q.sql.lstrip().lower().startswith(("insert", "update", "delete", "create", "drop"))


def test_per_page_header_adds_a_page_parameter(tmp_path, db):
    path = tmp_path / "keys.sql"
    path.write_text("-- title: Keys\n-- question: Which keys?\n-- description: Case keys.\n-- per_page: 1\nselect case_key from case_summary order by case_key\n")
    query = parse_query(path)
    assert query.params == [PAGE_PARAM] and "per page" in query.description

    def page(value: str) -> list[str]:
        return [r[0] for r in db.execute(query.sql, {PAGE_PARAM: value}).fetchall()]

    assert page("") == page("1") == page("0") == page("x") == [fx.SPARSE_KEY]
    assert page("2") == [fx.PARK_KEY]
    assert page("3") == []


def test_home_page_lists_sources_only_while_there_are_few():
    source = {"key": "doe2020", "source_access": "full_text", "citation": "Doe 2020, J", "title": "T", "doi": None, "doi_url": None, "pmid": None, "pubmed_url": None}
    assert _sources_html(SOURCES_LISTED, [source] * SOURCES_LISTED).count("<li>") == SOURCES_LISTED
    many = _sources_html(SOURCES_LISTED + 1, [])
    assert "<li>" not in many and f"{SOURCES_LISTED + 1} publications" in many and "/registry/publications" in many
    # Beyond the listed number the publications are counted, not read (a million-case file holds 736,000).
    db = Database(memory=True)
    rows = [{**source, "key": f"doe{i}", "year": 2000 + i % 20} for i in range(SOURCES_LISTED + 1)]
    db["publications"].insert_all(rows)
    assert _sources(db) == (SOURCES_LISTED + 1, [])
    db.execute("delete from publications where rowid > 3")
    count, listed = _sources(db)
    assert count == 3 and [p["key"] for p in listed] == ["doe0", "doe1", "doe2"]


def test_metadata_holds_plain_json_types(published):
    # datasette 0.65 deep-copies the metadata on every table permission check;
    # str subclasses (SQLAlchemy's quoted_name) made each copy several times slower.
    def check(value):
        if isinstance(value, dict):
            for key, item in value.items():
                assert type(key) is str, repr(key)
                check(item)
        elif isinstance(value, list):
            for item in value:
                check(item)
        else:
            assert type(value) in (str, int, float, bool, type(None)), repr(value)

    check(build_metadata(published / "registry.db"))


@pytest.mark.parametrize(
    ("onset", "start", "expected"), [(15, 1, 15), (1, 1, 1), (None, 1, None), (20, None, None), (30, 11, 20)]
)
def test_latency_counts_the_first_dose_day_as_day_one(onset, start, expected):
    assert latency_days(onset, start) == expected


def test_dose_at_onset_picks_the_row_spanning_onset():
    rows = [
        {"start_day": 1, "stop_day": 10, "dose_value": 400},
        {"start_day": 11, "stop_day": None, "dose_value": 300},
    ]
    assert dose_at_onset(rows, 5)["dose_value"] == 400
    assert dose_at_onset(rows, 40)["dose_value"] == 300
    assert dose_at_onset(rows, None) is None
    assert dose_at_onset([{"start_day": None, "stop_day": None, "dose_value": 100}], None)["dose_value"] == 100


def test_score_comparison_rules():
    assert regiscar_disagreement({"total": 6}, {"total": 2, "total_min": 1, "total_max": 4}) == 1
    assert regiscar_disagreement({"total": 3}, {"total": 2, "total_min": 1, "total_max": 4}) == 0
    assert regiscar_disagreement({"total": 3}, {"total": 3, "total_min": None, "total_max": None}) == 0
    assert regiscar_disagreement({"total": None}, {"total": 3}) is None
    assert regiscar_disagreement({"total": 3}, None) is None
    assert worst_result(["tolerated", "recurrence", None]) == "recurrence"
    assert worst_result([None]) is None


def test_serve_refuses_a_missing_build_with_one_line(tmp_path):
    result = CliRunner().invoke(dress_registry, ["serve", "--out", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "dress-registry publish" in result.output


def test_serve_runs_datasette_immutable_with_templates_and_settings(published):
    argv = serve_argv(published, "127.0.0.1", 8123)
    assert argv[argv.index("-i") + 1] == "registry.db"  # run in the published folder: the path says nothing
    assert argv[argv.index("--metadata") + 1] == str((published / "metadata.json").resolve())
    assert Path(argv[argv.index("--template-dir") + 1], "row-registry-case_summary.html").exists()
    assert Path(argv[argv.index("--plugins-dir") + 1], "registry_pages.py").exists()
    settings = {argv[i + 1]: argv[i + 2] for i, a in enumerate(argv) if a == "--setting"}
    assert settings["allow_csv_stream"] == "on" and settings["suggest_facets"] == "off"
    assert set(settings) == set(SETTINGS)
    assert (argv[argv.index("--host") + 1], argv[argv.index("--port") + 1]) == ("127.0.0.1", "8123")


def test_serve_argv_paths_hold_from_the_published_folder(published, monkeypatch):
    """datasette runs in the published folder: every path it is given must hold there, also when `--out`
    was relative to where the command was typed (`make run` serves `dist`)."""
    monkeypatch.chdir(published.parent)
    argv = serve_argv(Path(published.name))
    paths = [argv[i + 1] for i, a in enumerate(argv) if a in ("-i", "--metadata", "--template-dir", "--plugins-dir",
                                                                 "--inspect-file")]
    paths += [argv[i + 1].split(":", 1)[1] for i, a in enumerate(argv) if a == "--static"]
    assert "--inspect-file" in argv and len(paths) >= 7
    for path in paths:
        assert (published / path).exists(), path  # an absolute path joins to itself


def test_lab_chart_joins_only_neighbouring_dated_counts():
    # story order: day 29, day 89 (60 days on: not joined), day 95, an undated count, day 100
    chart = line_chart([(29, 600, "a"), (89, 1690, "b"), (95, 900, "c"), (None, 10, "d"), (100, 170, "e")])
    assert len(chart.points) == 4 and [p.title for p in chart.undated] == ["d"]
    assert len(chart.segments) == 1 and chart.segments[0].count(",") == 2  # only b-c: not a-b (gap), not c-e (undated between)
    assert all(p.x > chart.undated_x for p in chart.undated)


def test_serve_passes_the_row_counts_publish_wrote(published, tmp_path):
    """datasette shows table counts from the inspect file publish wrote (no count(*) of millions of rows);
    a file that does not match the build (another size) is not passed."""
    argv = serve_argv(published, "127.0.0.1", 8123)
    inspect = json.loads(Path(argv[argv.index("--inspect-file") + 1]).read_text())
    tables = inspect["registry"]["tables"]
    with sqlite3.connect(published / "registry.db") as conn:
        for name in ("case_summary", "evidence", "case_summary_fts", "assessment_items"):
            assert tables[name]["count"] == conn.execute(f"select count(*) from {name}").fetchone()[0]
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "registry.db").write_bytes((published / "registry.db").read_bytes() + b"\0" * 4096)
    (stale / "metadata.json").write_text((published / "metadata.json").read_text())
    (stale / "inspect-data.json").write_text(json.dumps(inspect))
    assert "--inspect-file" not in serve_argv(stale)


def test_registry_stats_count_the_published_cases(db):
    stats = {}
    for figure, value, n in db.execute("select figure, value, n from registry_stats order by id").fetchall():
        stats.setdefault(figure, []).append((value, n))
    assert stats["cases"] == [(None, db["case_summary"].count)]
    assert stats["publications"] == [(None, db["publications"].count)]
    outcomes = db.execute("select reaction_outcome, count(*) from case_summary group by 1 "
                          "order by count(*) desc, reaction_outcome is null, reaction_outcome").fetchall()
    assert stats["reaction_outcome"] == [(v, n) for v, n in outcomes]
    latencies = db.execute("select cast(latency_days as text), count(*) from case_summary group by latency_days").fetchall()
    assert sorted(stats["latency_days"], key=repr) == sorted(latencies, key=repr)


def _scores_by_content(path: Path) -> list[tuple]:
    """The registry's assessments with their items, without row ids (a re-score may number them differently)."""
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(
            "select a.case_id, a.exposure_id, a.instrument, a.instrument_version, a.total, a.total_min, a.total_max, "
            "a.category, a.category_range, a.notes, i.item_code, i.answer, i.points, i.points_min, i.points_max, i.basis "
            "from assessments a left join assessment_items i on i.assessment_id = a.id where a.assessor = 'registry'"
        ).fetchall(), key=repr)
    finally:
        conn.close()


def test_evidence_facts_baked_in_sql_word_every_row_as_the_wording_functions_do(sqlite_engine, tmp_path):
    """The bake calls registry.cases.evidence_wording inside SQLite; its rows equal that module's functions applied
    row by row in Python (as the bake did before), for the test cases and 40 synthetic ones."""
    from registry.cases.evidence_wording import EVIDENCE_SUBJECT_SQL, fact_name, stated_words
    from registry.core.db import writing
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents
    from registry.outputs.publish.reading import Followed

    fx.write_cases(sqlite_engine)
    with writing(sqlite_engine) as conn:
        load_documents(conn, synth_documents(40, seed=3), prune=False)
    path = publish(sqlite_engine, tmp_path / "dist", allow_synthetic=True).path
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        expected = [(r["evidence_id"], r["case_id"], fact_name(dict(r)), stated_words(dict(r)),
                     Followed.FOLLOWED if r["is_curated"] else Followed.NOT_FOLLOWED)
                    for r in conn.execute(EVIDENCE_SUBJECT_SQL + " ORDER BY e.id")]
        baked = [tuple(r) for r in conn.execute(
            "select evidence_id, case_id, fact, source_states, followed from evidence_facts order by rowid")]
        tables = {r[0] for r in conn.execute("select distinct subject_table from evidence")}
    finally:
        conn.close()
    assert len(expected) > 1000 and len(tables) >= 10
    assert baked == expected


def test_lab_series_baked_in_sql_equals_the_python_rules_row_for_row(sqlite_engine, tmp_path):
    """lab_series is one SELECT inside the file (timeline.lab_series_sql); its rows equal the rules applied in Python
    to each lab result, as the bake did before: the vocabulary's labels (lookups.label), cell counts per µL
    (summary.per_ul), under the lab result's id. Test cases and 40 synthetic ones."""
    from registry.cases.lookups import label
    from registry.core.db import writing
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents

    fx.write_cases(sqlite_engine)
    with writing(sqlite_engine) as conn:
        load_documents(conn, synth_documents(40, seed=4), prune=False)
    path = publish(sqlite_engine, tmp_path / "dist", allow_synthetic=True).path
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        labs = conn.execute("select l.*, c.case_key from lab_results l join cases c on c.id = l.case_id").fetchall()
        baked = [tuple(r) for r in conn.execute("select * from lab_series order by rowid")]
    finally:
        conn.close()
    expected = [
        (r["id"], r["case_key"], r["case_id"], r["seq"], r["day"], r["day_is_approximate"], r["time_point"],
         r["analyte"], label("analyte", r["analyte"]), r["comparator"], r["value"], r["unit"], label("lab_unit", r["unit"]),
         per_ul(r["value"], r["unit"]), r["ref_low"], r["ref_high"])
        for r in sorted(labs, key=lambda r: r["id"])
    ]
    assert len(expected) > 200 and sum(row[13] is not None for row in expected) > 50
    assert baked == expected


def _rows_in_order(path: Path, table: str) -> list[tuple]:
    """Every row of a table with its rowid, in rowid order (datasette pages a table in that order)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f'select rowid, * from "{table}" order by rowid').fetchall()
    finally:
        conn.close()


def test_evidence_worded_beside_the_scoring_is_the_bake_s_own(sqlite_engine, tmp_path, monkeypatch):
    """A first publish of a large registry words the evidence in a second process while it scores the cases
    (registry.outputs.publish.beside): the file equals one whose evidence the build worded itself, table by table
    and rowid by rowid, is in rollback-journal mode, and nothing of the worker is left beside it."""
    from registry.core.db import writing
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents
    from registry.outputs.publish import beside

    fx.write_cases(sqlite_engine)
    with writing(sqlite_engine) as conn:
        load_documents(conn, synth_documents(40, seed=5), prune=False)
    alone = publish(sqlite_engine, tmp_path / "alone", allow_synthetic=True)
    monkeypatch.setattr(beside, "WORKER_FROM_ROWS", 1)  # the registry counts as large
    both = publish(sqlite_engine, tmp_path / "both", allow_synthetic=True)
    assert (alone.evidence_beside, both.evidence_beside) == (False, True)
    conn = sqlite3.connect(both.path)
    try:
        tables = [n for (n,) in conn.execute("select name from sqlite_master where type = 'table' and name not like "
                                             "'%_fts%' and name not like 'sqlite_%' and name <> 'build_info' order by 1")]
        assert conn.execute("pragma journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()
    assert len(tables) > 30 and "evidence_facts" in tables
    for table in tables:
        assert _rows_in_order(both.path, table) == _rows_in_order(alone.path, table), table
    assert len(_rows_in_order(both.path, "evidence_facts")) > 1000
    assert sorted(p.name for p in (tmp_path / "both").iterdir()) == sorted(p.name for p in (tmp_path / "alone").iterdir())
    # A second publish of the same folder takes rows from the first build and words nothing beside it.
    with writing(sqlite_engine) as conn:
        conn.exec_driver_sql("UPDATE cases SET facts_changed_at = '2026-12-03T00:00:00' WHERE id = (SELECT min(id) FROM cases)")
    again = publish(sqlite_engine, tmp_path / "both", allow_synthetic=True)
    assert not again.evidence_beside and again.reused_rows > 0


def test_a_failed_evidence_worker_leaves_a_whole_build_and_says_so(sqlite_engine, tmp_path, monkeypatch):
    """The worker that words the evidence beside the scoring is killed (kill -9, as the kernel's out-of-memory
    killer would): the build words the evidence itself, equals a build that never used the worker, leaves
    nothing of the worker beside it, and the command warns on stderr with the worker's exit status."""
    from registry.core.db import writing
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents
    from registry.outputs.publish import beside

    fx.write_cases(sqlite_engine)
    with writing(sqlite_engine) as conn:
        load_documents(conn, synth_documents(40, seed=5), prune=False)
    alone = publish(sqlite_engine, tmp_path / "alone", allow_synthetic=True)
    started, start = [], beside.start

    def start_and_kill(conn, build):
        worker = start(conn, build)
        os.kill(worker.process.pid, signal.SIGKILL)
        started.append(worker)
        return worker

    monkeypatch.setattr(beside, "WORKER_FROM_ROWS", 1)
    monkeypatch.setattr(beside, "start", start_and_kill)
    result = run_cli(str(sqlite_engine.url), "publish", "--allow-synthetic", "--no-package", "-q",
                     "--out", str(tmp_path / "killed"))
    assert result.exit_code == 0, result.output
    assert len(started) == 1 and started[0].process.returncode == -signal.SIGKILL
    warning = [line for line in result.stderr.splitlines() if "second process" in line]
    assert len(warning) == 1 and f"exit {-signal.SIGKILL}" in warning[0], result.stderr
    killed = tmp_path / "killed" / "registry.db"
    for table in ("evidence_facts", "case_summary", "assessments", "assessment_items"):
        assert _rows_in_order(killed, table) == _rows_in_order(alone.path, table), table
    assert sorted(p.name for p in killed.parent.iterdir()) == sorted(p.name for p in alone.path.parent.iterdir())


def test_republish_takes_the_baked_rows_of_unchanged_cases_from_the_previous_build(engine, tmp_path):
    """case_summary, case_timeline and evidence_facts rows of unchanged cases come from the last build; a case whose record,
    publication or publication links changed is baked afresh, and a change to the drugs (or vocabularies,
    or code) bakes every case: in every case the tables equal a build from scratch, rowid by rowid."""
    from registry.core.db import writing
    from registry.ingest.audit import Curator, CuratorSource
    from registry.ingest.curation import current_version, edit_case
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents

    docs = synth_documents(40, seed=11)
    with writing(engine) as conn:
        load_documents(conn, docs, prune=False)
    dist = tmp_path / "dist"

    def republish_equals_a_fresh_build(label: str, stale_digest: bool = False) -> int:
        if stale_digest:  # the folder's build is not kept, but every case's rows can be taken from it
            _forget_source(dist)
        again = publish(engine, dist, allow_synthetic=True)
        fresh = publish(engine, tmp_path / label, allow_synthetic=True)
        assert fresh.reused_rows == 0
        for table in ("case_summary", "case_timeline", "evidence_facts", "case_list", "lab_series", "registry_stats",
                      "discrepancies"):
            assert _rows_in_order(again.path, table) == _rows_in_order(fresh.path, table), (label, table)
        return again.reused_rows

    assert publish(engine, dist, allow_synthetic=True).reused_rows == 0
    assert republish_equals_a_fresh_build("nothing-changed") == 40  # the build is kept
    assert republish_equals_a_fresh_build("nothing-changed-rebuilt", stale_digest=True) == 40  # every case's rows reused

    # one case's record: it alone is baked afresh (its timeline rows shift the numbering of those after it)
    case = next(c for d in docs for c in d.doc.cases if c.onset_day is not None and c.onset_day > 3)
    edit_case(engine, case.key, current_version(engine, case.key), curator=Curator("ana", CuratorSource.OPTION),
              onset_day=case.onset_day - 2)
    assert republish_equals_a_fresh_build("one-case") == 39

    # a publication's title: the cases linked to it are baked afresh
    with engine.begin() as conn:
        pub_id, title = conn.execute(text(
            "select p.id, p.title from publications p join case_publications cp on cp.publication_id = p.id "
            "order by p.id limit 1")).one()
        linked = conn.execute(text("select count(distinct case_id) from case_publications where publication_id = :p"),
                              {"p": pub_id}).scalar_one()
        conn.execute(text("update publications set title = :t where id = :p"), {"t": title + " (corrected)", "p": pub_id})
    assert republish_equals_a_fresh_build("one-publication") == 40 - linked

    # a drug's name: every case is baked afresh
    with engine.begin() as conn:
        conn.execute(text("update drugs set name = name || ' (renamed)' where id = (select min(id) from drugs)"))
    assert republish_equals_a_fresh_build("drugs") == 0
    assert republish_equals_a_fresh_build("after-the-drugs") == 40

    # a build by other code is not reused
    with sqlite3.connect(dist / "registry.db") as conn:
        conn.execute("update build_info set value = 'other' where key = 'bake_digest'")
    assert publish(engine, dist, allow_synthetic=True).reused_rows == 0


def test_republish_scores_only_the_cases_whose_facts_changed(engine, tmp_path):
    from registry.core.db import writing
    from registry.ingest.audit import Curator, CuratorSource
    from registry.ingest.curation import current_version, edit_case
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents

    docs = synth_documents(30, seed=5)
    with writing(engine) as conn:
        load_documents(conn, docs, prune=False)
    dist = tmp_path / "dist"
    first = publish(engine, dist, allow_synthetic=True)
    assert (first.scored_cases, first.reused_scores) == (30, 0)
    before = _dump(first.path)

    _forget_source(dist)
    again = publish(engine, dist, allow_synthetic=True)
    assert (again.scored_cases, again.reused_scores) == (0, 30)  # nothing changed: nothing scored
    assert _dump(again.path) == before  # ... and the same file, scores and flags included

    case = next(c for d in docs for c in d.doc.cases if c.onset_day is not None and c.onset_day > 3)
    edit_case(engine, case.key, current_version(engine, case.key), curator=Curator("ana", CuratorSource.OPTION), onset_day=case.onset_day - 2)
    edited = publish(engine, dist, allow_synthetic=True)
    assert (edited.scored_cases, edited.reused_scores) == (1, 29)
    fresh = publish(engine, tmp_path / "fresh", allow_synthetic=True)
    assert fresh.scored_cases == 30
    assert _scores_by_content(edited.path) == _scores_by_content(fresh.path)
    after, scratch = _dump(edited.path), _dump(fresh.path)
    assert after["case_summary"] == scratch["case_summary"]
    assert after["case_summary"] != before["case_summary"]  # the edited case is published anew

    # The baked rows of unchanged cases came from the previous build, in the order and numbering of a full bake.
    assert edited.reused_rows == 29 and fresh.reused_rows == 0
    for table in ("case_summary", "case_timeline"):
        assert _rows_in_order(edited.path, table) == _rows_in_order(fresh.path, table), table

    # A previous build made by other scoring code (or another schema) is not trusted: everything is scored.
    with sqlite3.connect(dist / "registry.db") as conn:
        conn.execute("update build_info set value = 'other' where key = 'scoring_digest'")
    assert publish(engine, dist, allow_synthetic=True).scored_cases == 30


def test_republish_takes_over_scores_whose_ids_the_working_database_has_since_used(sqlite_engine, tmp_path):
    """The registry's score rows of unchanged cases come from the previous build under their old ids, unless the
    working database has since given one of those ids to an authors' score: then the taken-over rows are numbered
    after the file's own, and hold the same scores as a build from scratch."""
    from registry.core.db import writing
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents

    with writing(sqlite_engine) as conn:
        load_documents(conn, synth_documents(12, seed=3), prune=False)
    dist = tmp_path / "dist"
    first = publish(sqlite_engine, dist, allow_synthetic=True)
    with sqlite3.connect(first.path) as conn:
        assessment_id, item_id = conn.execute(
            "select min(a.id), min(i.id) from assessments a join assessment_items i on i.assessment_id = a.id "
            "where a.assessor = 'registry'").fetchone()
    with sqlite_engine.begin() as conn:  # an authors' score with those very ids (unchanged facts otherwise)
        conn.execute(text(
            "insert into assessments (id, case_id, instrument, assessor, total) "
            f"select :a, min(id), 'naranjo', '{Assessor.AUTHORS}', 5 from cases"), {"a": assessment_id})
        conn.execute(text("insert into assessment_items (id, assessment_id, item_code, answer, points) "
                          "values (:i, :a, 'previous_reports', 'yes', 1)"), {"i": item_id, "a": assessment_id})
    again = publish(sqlite_engine, dist, allow_synthetic=True)
    assert (again.scored_cases, again.reused_scores) == (0, 12)
    fresh = publish(sqlite_engine, tmp_path / "fresh", allow_synthetic=True)
    assert _scores_by_content(again.path) == _scores_by_content(fresh.path)
    with sqlite3.connect(again.path) as conn:
        assert conn.execute("select assessor from assessments where id = ?", (assessment_id,)).fetchone() == (Assessor.AUTHORS,)
        assert conn.execute("select assessment_id, item_code from assessment_items where id = ?",
                            (item_id,)).fetchone() == (assessment_id, "previous_reports")
        assert conn.execute("select count(*) from assessment_items i left join assessments a on a.id = i.assessment_id "
                            "where a.id is null").fetchone() == (0,)


def test_the_case_page_reads_a_publications_unknowns_through_their_index(tmp_path, db_templates):
    """Among the evidence of many cases, the few rows about a publication itself are found by their own index
    (a scan of every row without a case took 56 ms at 100,000 cases), and the page's query finds them all."""
    from registry.core.db import writing
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents
    from registry.outputs.publish.pages import PUBLICATION_UNKNOWNS_SQL

    engine = make_engine(db_templates.copy(db_templates.migrated("sqlite"), tmp_path / "work.db"))
    with writing(engine) as conn:
        load_documents(conn, synth_documents(300, seed=2), prune=False)
        # synthetic publications state all their own facts: let a few leave one unreported
        conn.execute(text(
            "update evidence set status = 'not_reported', value_as_stated = null where id in (select id from evidence "
            "where case_id is null and subject_table = 'publications' order by id limit 5)"))
    path = publish(engine, tmp_path / "dist", allow_synthetic=True).path
    engine.dispose()
    with sqlite3.connect(path) as conn:
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + PUBLICATION_UNKNOWNS_SQL, {"c": 1}))
        assert "USING INDEX evidence_about_publications" in plan, plan
        case_id, expected = conn.execute(
            "select cp.case_id, count(*) from case_publications cp join evidence ev on ev.subject_id = cp.publication_id "
            "where ev.case_id is null and ev.subject_table = 'publications' and ev.status != 'stated' "
            "group by cp.case_id order by count(*) desc limit 1").fetchone()
        assert len(conn.execute(PUBLICATION_UNKNOWNS_SQL, {"c": case_id}).fetchall()) == expected > 0


def _forget_source(dist: Path) -> None:
    """Make the build in `dist` look made from another working database (so the next publish builds, reusing it)."""
    with sqlite3.connect(dist / "registry.db") as conn:
        assert conn.execute("update build_info set value = 'other' where key = 'source_digest'").rowcount == 1
    conn.close()


def _file_id(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def test_publish_keeps_the_build_when_nothing_changed_and_builds_when_anything_did(engine, tmp_path):
    """Nothing changed since the build in the folder (working database rows, options, code): it is kept, file
    untouched. A case edited, a publication changed, a row added by hand, other options, a missing metadata file
    or other options: a new build, equal to one from scratch. A row added by hand leaves its case's change time as it was,
    so its baked rows are taken over: --rebuild then takes nothing from the previous build."""
    from registry.core.db import writing
    from registry.ingest.audit import Curator, CuratorSource
    from registry.ingest.curation import current_version, edit_case
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents

    docs = synth_documents(12, seed=4)
    with writing(engine) as conn:
        load_documents(conn, docs, prune=False)
    dist = tmp_path / "dist"
    first = publish(engine, dist, allow_synthetic=True)
    assert not first.unchanged
    built = _file_id(first.path)
    inspect_before = (dist / "inspect-data.json").read_bytes()
    first_findings = _dump(first.path)["findings"]

    kept = publish(engine, dist, allow_synthetic=True)
    assert kept.unchanged and _file_id(kept.path) == built
    assert (dist / "inspect-data.json").read_bytes() == inspect_before
    assert kept.row_counts == first.row_counts and kept.includes_synthetic
    assert (kept.scored_cases, kept.reused_scores, kept.reused_rows) == (0, 12, 12)
    assert list(kept.timings) == ["unchanged"]

    def builds_again(label: str, **kw) -> dict[str, list[tuple]]:
        result = publish(engine, dist, allow_synthetic=True, **kw)
        assert not result.unchanged, label
        assert publish(engine, dist, allow_synthetic=True).unchanged, label  # and then it is kept
        return _dump(result.path)

    def equals_a_fresh_build(label: str, rows: dict[str, list[tuple]]) -> bool:
        scratch = _dump(publish(engine, tmp_path / label, allow_synthetic=True).path)
        ids = ("assessments", "assessment_items", "build_info")  # scores taken over may keep other ids
        return ({k: v for k, v in rows.items() if k not in ids} == {k: v for k, v in scratch.items() if k not in ids}
                and _scores_by_content(dist / "registry.db") == _scores_by_content(tmp_path / label / "registry.db"))

    case = next(c for d in docs for c in d.doc.cases if c.onset_day is not None and c.onset_day > 3)
    edit_case(engine, case.key, current_version(engine, case.key), curator=Curator("ana", CuratorSource.OPTION),
              onset_day=case.onset_day - 2)
    assert equals_a_fresh_build("edited-case", builds_again("edited-case"))
    with engine.begin() as conn:
        conn.execute(text("update publications set title = title || ' (corrected)' where id = (select min(id) from publications)"))
    assert equals_a_fresh_build("publication", builds_again("publication"))
    with engine.begin() as conn:  # by hand: no change time moves
        conn.execute(text("insert into findings (case_id, finding, status) select c.id, v.code, 'present' "
                          "from cases c cross join vocab_finding v where not exists (select 1 from findings f "
                          "where f.case_id = c.id and f.finding = v.code) order by c.id, v.code limit 1"))
    by_hand = builds_again("row-by-hand")
    assert len(by_hand["findings"]) == len(first_findings) + 1
    assert not equals_a_fresh_build("row-by-hand", by_hand)  # that case's case_summary row is the previous build's
    assert equals_a_fresh_build("rebuilt", builds_again("rebuilt", rebuild=True))
    (dist / "metadata.json").unlink()
    assert equals_a_fresh_build("metadata-missing", builds_again("metadata-missing"))
    # Other options: the synthetic cases are left out, and then that build is the one kept.
    left_out = publish(engine, dist)
    assert not left_out.unchanged and left_out.excluded["cases"] == 12
    again = publish(engine, dist)
    assert again.unchanged and again.excluded == left_out.excluded and not again.includes_synthetic


def test_a_case_without_a_change_time_is_always_built(sqlite_engine, tmp_path):
    fx.write_cases(sqlite_engine)  # written by hand, as an old working database may hold them: no change time
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("select count(*) from cases where facts_changed_at is null")).scalar_one()
    assert not publish(sqlite_engine, tmp_path / "dist").unchanged
    assert not publish(sqlite_engine, tmp_path / "dist").unchanged


def test_the_cli_says_it_kept_the_build_and_keeps_the_review_package(sqlite_engine, sqlite_url, tmp_path):
    from registry.core.db import writing
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents

    with writing(sqlite_engine) as conn:
        load_documents(conn, synth_documents(3, seed=2), prune=False)
    out = tmp_path / "d"
    argv = ["--database", sqlite_url, "publish", "--out", str(out), "--allow-synthetic"]
    runner = CliRunner()
    first = runner.invoke(dress_registry, argv)
    assert first.exit_code == 0, first.output
    assert "nothing has changed" not in first.output
    package = out / "download"
    stamp = _file_id(package)
    second = runner.invoke(dress_registry, argv)
    assert second.exit_code == 0, second.output
    assert f"nothing has changed since the last build: {out / 'registry.db'} is kept" in second.output
    assert "published 3 cases from 3 publications" in second.output
    assert _file_id(package) == stamp
    rebuilt = runner.invoke(dress_registry, [*argv, "--rebuild"])
    assert rebuilt.exit_code == 0 and "nothing has changed" not in rebuilt.output
    assert _file_id(package) != stamp
