"""Issue 16's model extensions, end to end on real databases: genetic typing, procedures, recurrence in hours,
approximate days, publications whose year or journal could not be read, drug names to their INN, and the
saved question "latency by suspect drug".

The data is tests/data/model16_fixture.yaml (made up, not registry data) beside the real seed.
"""

from __future__ import annotations

import sqlite3
import statistics
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette
from sqlalchemy import text

from registry.cases.citations import bibtex_record, csl_item, ris_record
from registry.cases.compare import compare
from registry.cases.lookups import short_citation
from registry.core.db import make_engine
from registry.outputs.publish.build import publish
from registry.outputs.publish.canned import canned_queries
from registry.outputs.publish.serve import datasette_kwargs
from tests.helpers import BACKENDS, SEED_DIR, dump, extraction_of, load_files, run_cli
from tests.helpers import query_rows as q

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "model16_fixture.yaml"
CASE = "testpgx2020-1"


def _seed_and_fixture(engine) -> None:
    load_files(engine, *sorted(SEED_DIR.glob("*.yaml")), FIXTURE)


@pytest.fixture(scope="module", params=BACKENDS)
def registry_template(request, db_templates):
    return db_templates.module_template(request, _seed_and_fixture)


@pytest.fixture
def registry(registry_template, clone_database):
    return clone_database(registry_template)


def _case_id(engine) -> int:
    return q(engine, "SELECT id FROM cases WHERE case_key = :k", k=CASE)[0][0]


def test_genetic_tests_and_procedures_are_stored_exactly(registry):
    cid = _case_id(registry)
    assert q(registry, "SELECT seq, gene, allele, result, genotype, method, day, notes FROM genetic_tests "
                       "WHERE case_id = :c ORDER BY seq", c=cid) == [
        (1, "HLA-B", "HLA-B*58:01", "carrier", "HLA-B*58:01/*15:02", "PCR-SSO", 20, None),
        (2, "HLA-A", "HLA-A*31:01", "non_carrier", None, None, None, None),
    ]
    rows = q(registry, "SELECT seq, procedure, start_day, start_is_approximate, duration_days, detail FROM procedures "
                       "WHERE case_id = :c ORDER BY seq", c=cid)
    assert [(s, p, d, bool(a) if a is not None else None, n, t) for s, p, d, a, n, t in rows] == [
        (1, "liver_transplant", 40, True, None, "Liver transplant for acute liver failure."),
        (2, "icu_admission", 38, None, 12, None),
    ]
    assert q(registry, "SELECT e.locator, e.value_as_stated FROM evidence e JOIN genetic_tests g "
                       "ON e.subject_table = 'genetic_tests' AND e.subject_id = g.id WHERE g.case_id = :c ORDER BY g.seq",
             c=cid) == [("Abstract", "HLA-B*58:01 positive"), ("Abstract", None)]


def test_recurrence_hours_and_approximate_days(registry):
    cid = _case_id(registry)
    (row,) = q(registry, "SELECT ch.start_day, ch.day_is_approximate, ch.time_to_recurrence_days, ch.time_to_recurrence_hours "
                         "FROM challenge_events ch JOIN drug_exposures x ON x.id = ch.exposure_id WHERE x.case_id = :c", c=cid)
    assert (row[0], bool(row[1]), row[2], row[3]) == (60, True, 1, 30)
    (dose,) = q(registry, "SELECT dr.stop_day, dr.start_is_approximate, dr.stop_is_approximate FROM dose_regimens dr "
                          "JOIN drug_exposures x ON x.id = dr.exposure_id WHERE x.case_id = :c", c=cid)
    assert (dose[0], dose[1], bool(dose[2])) == (16, None, True)
    (tr,) = q(registry, "SELECT start_day, start_is_approximate, stop_is_approximate FROM treatments WHERE case_id = :c", c=cid)
    assert (tr[0], bool(tr[1]), tr[2]) == (17, True, None)
    # The database itself refuses hours that contradict the days (the seed schema refuses them first).
    with pytest.raises(Exception, match="recurrence_hours_sane"):
        with registry.begin() as conn:
            conn.execute(text("UPDATE challenge_events SET time_to_recurrence_hours = 3 WHERE time_to_recurrence_hours = 30"))


def test_publication_without_year_and_journal_keeps_the_reason(registry):
    assert q(registry, "SELECT journal, year FROM publications WHERE key = 'testpgx2020'") == [(None, None)]
    assert q(registry, """
        SELECT e.field, e.status, e.locator, e.curation_note FROM evidence e JOIN publications p ON p.id = e.subject_id
        WHERE e.subject_table = 'publications' AND e.case_id IS NULL AND p.key = 'testpgx2020' AND e.status <> 'stated'
        ORDER BY e.field""") == [
        ("journal", "not_available", "journal home page", "Only the journal's home page was reached."),
        ("year", "not_available", "journal home page", None),
    ]


def test_a_brand_name_is_stored_as_the_inn_and_kept_as_given(registry):
    cid = _case_id(registry)
    assert q(registry, "SELECT d.name FROM drug_exposures x JOIN drugs d ON d.id = x.drug_id WHERE x.case_id = :c", c=cid) == [
        ("allopurinol",)]
    assert q(registry, "SELECT count(*) FROM drugs WHERE name = 'zyloprim'") == [(0,)]
    assert q(registry, "SELECT field, status, locator, value_as_stated, curation_note FROM evidence "
                       "WHERE case_id = :c AND subject_table = 'drug_exposures' AND field = 'drug'", c=cid) == [
        ("drug", "stated", "Abstract", "Zyloprim", "named Zyloprim in the source; stored as the INN allopurinol")]


@pytest.mark.read_only
def test_export_by_a_brand_name_selects_the_substance(registry, tmp_path):
    url = registry.url.render_as_string(hide_password=False)
    result = run_cli(url, "export", "--out", str(tmp_path / "z"), "--drug", "ZYLOPRIM")
    assert result.exit_code == 0, result.output
    import csv
    with (tmp_path / "z" / "case_details.csv").open(encoding="utf-8-sig") as fh:
        keys = [r["case_key"] for r in csv.DictReader(fh)]
    assert CASE in keys
    assert keys == [k for k, in q(registry, """SELECT DISTINCT c.case_key FROM cases c JOIN drug_exposures x ON x.case_id = c.id
        JOIN drugs d ON d.id = x.drug_id WHERE d.name = 'allopurinol' AND x.role IN ('suspect', 'co_suspect', 'interacting')
        AND NOT c.is_synthetic ORDER BY c.case_key""")]


def test_loading_again_changes_nothing(registry):
    before = dump(registry)
    _seed_and_fixture(registry)
    assert dump(registry) == before


def test_yaml_export_import_export_is_identical(registry, tmp_path):
    url = registry.url.render_as_string(hide_password=False)
    first = tmp_path / "first"
    assert run_cli(url, "export", "--format", "yaml", "--out", str(first)).exit_code == 0
    doc = yaml.safe_load((first / "seed" / "testpgx2020.yaml").read_text(encoding="utf-8"))
    assert "year" not in doc["publication"] and doc["publication"]["missing"]["year"]["status"] == "not_available"
    case = doc["cases"][0]
    assert [g["allele"] for g in case["genetic_tests"]] == ["HLA-B*58:01", "HLA-A*31:01"]
    assert [p["procedure"] for p in case["procedures"]] == ["liver_transplant", "icu_admission"]
    assert case["exposures"][0]["drug"] == "allopurinol"
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert run_cli(fresh, "db", "upgrade").exit_code == 0
    assert run_cli(fresh, "import", *sorted(str(p) for p in (first / "seed").glob("*.yaml"))).exit_code == 0
    second = tmp_path / "second"
    assert run_cli(fresh, "export", "--format", "yaml", "--out", str(second)).exit_code == 0
    for path in sorted((first / "seed").glob("*.yaml")):
        assert (second / "seed" / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name


@pytest.mark.read_only
def test_csv_export_has_the_new_tables_and_the_missing_year_code(registry, tmp_path):
    url = registry.url.render_as_string(hide_password=False)
    out = tmp_path / "csv"
    assert run_cli(url, "export", "--out", str(out), "--case", CASE).exit_code == 0
    assert (out / "genetic_tests.csv").read_text(encoding="utf-8").splitlines() == [
        "case_key,genetic_test_seq,gene,allele,result,result_label,genotype,method,day,notes",
        "testpgx2020-1,1,HLA-B,HLA-B*58:01,carrier,Carrier,HLA-B*58:01/*15:02,PCR-SSO,20,",
        "testpgx2020-1,2,HLA-A,HLA-A*31:01,non_carrier,Non-carrier,,,,",
    ]
    assert (out / "procedures.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "testpgx2020-1,1,liver_transplant,Liver transplant,40,1,,Liver transplant for acute liver failure.",
        "testpgx2020-1,2,icu_admission,Intensive care admission,38,,12,",
    ]
    import csv
    with (out / "publications.csv").open(encoding="utf-8") as fh:
        (pub,) = list(csv.DictReader(fh))
    assert (pub["journal"], pub["year"]) == ("NA-SRC", "NA-SRC")
    bib = (out / "citations.bib").read_text(encoding="utf-8")
    assert "year = {n.d.}" in bib and "journal" not in bib.split("@article{testpgx2020")[1]
    codebook = (out / "codebook.md").read_text(encoding="utf-8")
    assert "## genetic_tests" in codebook and "## procedures" in codebook and "zyloprim → allopurinol" in codebook and "ATC codes are empty" in codebook


def test_citations_of_a_publication_without_year_or_journal():
    p = {"key": "x2020", "authors": "Tester A", "title": "T", "journal": None, "year": None, "article_type": "case_report"}
    assert short_citation(p) == "Tester n.d."
    assert short_citation({**p, "year": 2020, "journal": "J"}) == "Tester 2020, J"
    ris = ris_record(p)
    assert "PY  -" not in ris and "JO  -" not in ris and "TI  - T" in ris
    bib = bibtex_record(p)
    assert "year = {n.d.}" in bib and "journal" not in bib
    assert csl_item(p) == {"id": "x2020", "type": "article-journal", "title": "T", "author": [{"family": "Tester", "given": "A."}]}
    assert csl_item({**p, "year": 2020, "journal": "J"})["issued"] == {"date-parts": [[2020]]}


def test_compare_matches_genetic_tests_by_gene_and_allele_and_procedures_by_code():
    def other(raw):
        raw["extraction"] = {"extractor": "curator-b"}
        case = raw["cases"][0]
        case["genetic_tests"][0]["result"] = "indeterminate"
        case["genetic_tests"].reverse()  # order does not matter: matched by gene and allele
        case["procedures"][1]["duration_days"] = 10
        case["procedures"].reverse()
    c = compare(extraction_of(FIXTURE), extraction_of(FIXTURE, other), "a.yaml", "b.yaml")
    found = {(d.record, d.field) for d in c.differences}
    assert (f"cases[{CASE}].genetic_tests[HLA-B HLA-B*58:01]", "result") in found
    assert (f"cases[{CASE}].procedures[icu_admission]", "duration_days") in found
    assert {r for r, _ in found if "genetic_tests" in r or "procedures" in r} == {
        f"cases[{CASE}].genetic_tests[HLA-B HLA-B*58:01]", f"cases[{CASE}].procedures[icu_admission]"}


@pytest.fixture(scope="module")
def published(tmp_path_factory, db_templates) -> Path:
    tmp = tmp_path_factory.mktemp("site16")
    engine = make_engine(db_templates.copy(db_templates.migrated("sqlite"), tmp / "work.db"))
    _seed_and_fixture(engine)
    publish(engine, tmp / "dist")
    engine.dispose()
    return tmp / "dist"


def test_latency_by_drug_gives_n_median_and_range_per_drug(published):
    (query,) = [cq for cq in canned_queries() if cq.name == "latency_by_drug"]
    conn = sqlite3.connect(next(published.glob("*.db")))
    try:
        got = conn.execute(query.sql).fetchall()
        # It reads case_summary through the (main_suspect_drug, latency_days) index alone, drug by drug in
        # latency order: no sort of the table, and no read of its wide rows (at a million cases those took
        # longer than the site's time limit).
        plan = [r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {query.sql}")]
        reads = [step for step in plan if "case_summary" in step]
        assert len(reads) == 2 and all("COVERING INDEX idx_case_summary_main_suspect_drug_latency_days" in r for r in reads), plan
        assert sum("TEMP B-TREE FOR ORDER BY" in step for step in plan) == 1, plan  # the result's own order only
        case_rows = conn.execute("SELECT case_key, main_suspect_drug, latency_days FROM case_summary").fetchall()
        summary = [(d, v) for _, d, v in case_rows]
    finally:
        conn.close()
    expected = []
    for drug in {d for d, _ in summary}:
        days = sorted(v for d, v in summary if d == drug and v is not None)
        n = sum(1 for d, _ in summary if d == drug)
        expected.append((drug, n, len(days), n - len(days), statistics.median(days) if days else None,
                         min(days, default=None), max(days, default=None)))
    expected.sort(key=lambda r: (-r[1], r[0] is None, r[0] or ""))
    assert got == expected
    # the fixture's case (allopurinol, onset on day 15) is among the allopurinol cases counted
    assert (CASE, "allopurinol", 15) in [(k, d, v) for k, d, v in case_rows]
    (allopurinol,) = [r for r in got if r[0] == "allopurinol"]
    assert len(got) >= 2 and allopurinol[1] == sum(1 for d, _ in summary if d == "allopurinol") >= 1
    assert allopurinol[5] <= 15 <= allopurinol[6]


async def test_case_page_shows_typing_procedures_and_the_unknown_year(published):
    ds = Datasette(**datasette_kwargs(published))
    response = await ds.client.get(f"/registry/case_summary/{CASE}")
    assert response.status_code == 200
    html = response.text
    assert "HLA and other genetic typing" in html and "HLA-B*58:01/*15:02" in html and "Non-carrier" in html
    assert "Liver transplant" in html and "~40" in html and "Intensive care admission" in html
    assert "Tester n.d." in html
    assert "year source not available (journal home page)" in html
    cite = await ds.client.get("/cite/testpgx2020.json")
    assert cite.status_code == 200 and cite.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")
    (item,) = cite.json()
    assert item["id"] == "testpgx2020" and "issued" not in item and "container-title" not in item
    methods = await ds.client.get("/methods")
    assert methods.status_code == 200 and "Drugs and genetic typing" in methods.text and "ATC codes are empty" in methods.text
    (case,) = (await ds.client.get(f"/registry/case_summary.json?_shape=array&case_key={CASE}")).json()
    evidence = await ds.client.get(f"/registry/evidence_facts.json?_shape=array&fact__startswith=Genetic&case_id={case['case_id']}")
    assert evidence.status_code == 200
    assert {r["fact"] for r in evidence.json()} == {"Genetic typing HLA-B*58:01 (carrier)", "Genetic typing HLA-A*31:01 (non-carrier)"}


def test_an_adjudicated_file_keeps_the_name_as_given_and_the_publication_reasons(tmp_path):
    """compare -> decisions -> adjudicate on two extractions naming the drug by its brand: the curated file
    stores the INN and keeps the brand as the exposure's evidence; the publication's reasons follow the decision."""
    raw = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    a, b = dict(raw, extraction={"extractor": "curator-a"}), yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    b["extraction"] = {"extractor": "curator-b"}
    b["publication"]["missing"]["year"]["status"] = "not_reported"
    for name, doc in (("a.yaml", a), ("b.yaml", b)):
        (tmp_path / name).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (tmp_path / "dec.yaml").write_text(yaml.safe_dump({"adjudicator": "curator-c", "decisions": [
        {"record": "publication", "field": "year", "aspect": "status", "keep": "b", "reason": "the issue page says no year"}]}),
        encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'unused.db'}"
    result = run_cli(url, "adjudicate", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--decisions",
                     str(tmp_path / "dec.yaml"), "--out", str(tmp_path / "cur.yaml"))
    assert result.exit_code == 0, result.output
    cur = yaml.safe_load((tmp_path / "cur.yaml").read_text(encoding="utf-8"))
    assert cur["publication"]["missing"]["year"]["status"] == "not_reported"
    x = cur["cases"][0]["exposures"][0]
    assert x["drug"] == "allopurinol"
    assert [s for s in x["src"] if s.get("field") == "drug"] == [
        {"at": "Abstract", "field": "drug", "as": "Zyloprim", "note": "named Zyloprim in the source; stored as the INN allopurinol"}]


@pytest.mark.read_only
def test_json_export_nests_typing_and_procedures_and_matches_its_schema(registry, tmp_path):
    import json

    from registry.outputs.export.jsonschema import case_model
    url = registry.url.render_as_string(hide_password=False)
    out = tmp_path / "j"
    assert run_cli(url, "export", "--format", "json", "--out", str(out), "--case", CASE).exit_code == 0
    (case,) = json.loads((out / "cases.json").read_text(encoding="utf-8"))
    case_model().model_validate(case)
    assert [(g["gene"], g["allele"], g["result"]) for g in case["genetic_tests"]] == [
        ("HLA-B", "HLA-B*58:01", "carrier"), ("HLA-A", "HLA-A*31:01", "non_carrier")]
    assert [(p["procedure"], p["start_day"], p["duration_days"]) for p in case["procedures"]] == [
        ("liver_transplant", 40, None), ("icu_admission", 38, 12)]
    challenge = case["exposures"][0]["challenges"][0]
    assert (challenge["time_to_recurrence_hours"], challenge["day_is_approximate"]) == (30, True)
    assert list(case)[-5:] == ["treatments", "genetic_tests", "procedures", "outcome", "assessments", "evidence"][-5:]
    assert {e["subject_ref"] for e in case["evidence"]} >= {"genetic test 1", "genetic test 2", "procedure 1", "procedure 2"}
    (pub,) = case["publications"]
    assert (pub["journal"], pub["year"], pub["missing"]) == (None, None, {"journal": "not_available", "year": "not_available"})


def test_timeline_places_procedures_and_a_recurrence_in_hours(published):
    conn = sqlite3.connect(next(published.glob("*.db")))
    try:
        rows = conn.execute("SELECT day, kind, detail FROM case_timeline WHERE case_key = ? AND kind IN ('procedure', 'recurrence') "
                            "ORDER BY id", (CASE,)).fetchall()
    finally:
        conn.close()
    assert rows == [
        (38, "procedure", "Intensive care admission (12 days)"),
        (40, "procedure", "Liver transplant: Liver transplant for acute liver failure. (about day 40)"),
        (61, "recurrence", "Reaction recurred on allopurinol, 30 hours after the rechallenge began"),
    ]
