"""Issue 16, item 4: publications whose authors could not be read, and the vocabulary codes the new case
reports need (part of the text read, drug tests, HSV/VZV, CK, urea, neutrophils, haemoglobin, TARC,
lactate, IVIG in g/kg), end to end on real databases: seed load, YAML round trip, CSV/JSON export,
citations, the site, intake's duplicate matching.

The data is tests/data/vocab16_fixture.yaml (made up, not registry data) beside the real seed.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from registry.cases.citations import bibtex_record, csl_item, ris_record
from registry.cases.compare import compare
from registry.cases.lookups import short_citation
from registry.cases.scoring.facts import LabFact
from registry.cases.template import codes_note
from registry.core.db import make_engine
from registry.outputs.export.jsonschema import case_model
from registry.outputs.publish.build import publish
from registry.outputs.publish.serve import datasette_kwargs
from registry.schema.vocabulary import (
    PER_UL_FACTORS,
    VOCABULARIES,
    Analyte,
    LabUnit,
    SourceAccess,
)
from tests.helpers import BACKENDS, SEED_DIR, dump, extraction_of, load_files, run_cli, url_of
from tests.helpers import query_rows as q

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "vocab16_fixture.yaml"
PUB, CASE = "testanon2022", "testanon2022-1"


def _seed_and_fixture(engine) -> None:
    load_files(engine, *sorted(SEED_DIR.glob("*.yaml")), FIXTURE)


@pytest.fixture(scope="module", params=BACKENDS)
def registry_template(request, db_templates):
    return db_templates.module_template(request, _seed_and_fixture)


@pytest.fixture
def registry(registry_template, clone_database):
    return clone_database(registry_template)


@pytest.mark.read_only
def test_publication_without_authors_keeps_the_reason_and_the_new_codes_are_stored(registry):
    assert q(registry, "SELECT authors, source_access FROM publications WHERE key = :k", k=PUB) == [(None, "partial_text")]
    assert q(registry, """SELECT e.field, e.status, e.locator, e.curation_note FROM evidence e JOIN publications p ON p.id = e.subject_id
                          WHERE e.subject_table = 'publications' AND e.case_id IS NULL AND p.key = :k AND e.status <> 'stated'""", k=PUB) == [
        ("authors", "not_available", "publisher preview", "The preview page shows no author list.")]
    case = "(SELECT id FROM cases WHERE case_key = :k)"
    assert q(registry, f"SELECT test, result, detail FROM investigations WHERE case_id = {case} ORDER BY seq", k=CASE) == [
        ("ltt", "positive", "Carbamazepine."), ("patch_test", "negative", "Carbamazepine 10% in petrolatum."),
        ("hsv", "negative", None), ("vzv", "negative", None)]
    assert q(registry, f"SELECT analyte, value, unit FROM lab_results WHERE case_id = {case} ORDER BY seq", k=CASE) == [
        ("ck", 5200, "U/L"), ("urea", 12.5, "mmol/L"), ("neutrophils_abs", 8.1, "10*9/L"), ("haemoglobin", 10.2, "g/dL"),
        ("tarc", 24000, "pg/mL"), ("lactate", 2.4, "mmol/L")]
    assert q(registry, f"SELECT category, dose_value, dose_unit FROM treatments WHERE case_id = {case} ORDER BY seq", k=CASE) == [
        ("ivig", 2, "g/kg"), ("systemic_corticosteroid", None, None)]


@pytest.mark.read_only
def test_a_treatment_named_only_by_its_kind_has_no_drug(registry):
    """'Corticosteroids' with no agent: the category alone, and no pseudo-drug in the drugs table."""
    case = "(SELECT id FROM cases WHERE case_key = :k)"
    assert q(registry, f"SELECT t.category, t.drug_id, t.route FROM treatments t WHERE t.case_id = {case} AND t.seq = 2",
             k=CASE) == [("systemic_corticosteroid", None, "intravenous")]
    assert q(registry, "SELECT name FROM drugs WHERE name LIKE '%steroid%' OR name LIKE '%unspecified%'") == []
    assert q(registry, """SELECT e.status, e.value_as_stated FROM evidence e JOIN treatments t ON t.id = e.subject_id
                          WHERE e.subject_table = 'treatments' AND t.case_id = {case} AND t.seq = 2""".replace("{case}", case),
             k=CASE) == [("stated", "intravenous corticosteroids")]


def test_loading_again_changes_nothing(registry):
    before = dump(registry)
    _seed_and_fixture(registry)
    assert dump(registry) == before


def test_yaml_export_import_export_is_identical(registry, tmp_path):
    first = tmp_path / "first"
    assert run_cli(url_of(registry), "export", "--format", "yaml", "--out", str(first)).exit_code == 0
    doc = yaml.safe_load((first / "seed" / f"{PUB}.yaml").read_text(encoding="utf-8"))
    assert "authors" not in doc["publication"]
    assert doc["publication"]["missing"]["authors"]["status"] == "not_available"
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert run_cli(fresh, "db", "upgrade").exit_code == 0
    assert run_cli(fresh, "import", *sorted(str(p) for p in (first / "seed").glob("*.yaml"))).exit_code == 0
    second = tmp_path / "second"
    assert run_cli(fresh, "export", "--format", "yaml", "--out", str(second)).exit_code == 0
    for path in sorted((first / "seed").glob("*.yaml")):
        assert (second / "seed" / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name


@pytest.mark.read_only
def test_csv_and_json_exports_say_why_the_authors_are_missing(registry, tmp_path):
    out = tmp_path / "csv"
    assert run_cli(url_of(registry), "export", "--out", str(out), "--case", CASE).exit_code == 0
    with (out / "publications.csv").open(encoding="utf-8") as fh:
        (pub,) = list(csv.DictReader(fh))
    assert (pub["authors"], pub["source_access"], pub["journal"]) == ("NA-SRC", "partial_text", "Test J")
    bib = (out / "citations.bib").read_text(encoding="utf-8")
    assert f"@article{{{PUB}," in bib and "author" not in bib.split(f"@article{{{PUB},")[1]
    ris = (out / "citations.ris").read_text(encoding="utf-8")
    assert "AU  -" not in ris.split(f"ID  - {PUB}")[1].split("ER  -")[0]
    codebook = (out / "codebook.md").read_text(encoding="utf-8")
    for code in ("partial_text", "patch_test", "neutrophils_abs", "pg/mL", "g/kg"):
        assert f"`{code}`" in codebook or code in codebook, code
    js = tmp_path / "json"
    assert run_cli(url_of(registry), "export", "--format", "json", "--out", str(js), "--case", CASE).exit_code == 0
    (case,) = json.loads((js / "cases.json").read_text(encoding="utf-8"))
    case_model().model_validate(case)
    (p,) = case["publications"]
    assert (p["authors"], p["missing"]) == (None, {"authors": "not_available"})


def test_citations_of_a_publication_without_authors():
    p = {"key": "x2020", "authors": None, "title": "A case of DRESS after carbamazepine", "journal": "J", "year": 2020,
         "article_type": "case_report"}
    assert short_citation(p) == '"A case of DRESS…" 2020, J'
    assert short_citation({**p, "title": "Short title"}) == '"Short title" 2020, J'
    assert short_citation({**p, "authors": "Tester A"}) == "Tester 2020, J"
    ris = ris_record(p)
    assert "AU  -" not in ris and "TI  - A case of DRESS after carbamazepine" in ris and "PY  - 2020" in ris
    bib = bibtex_record(p)
    assert "author" not in bib and "year = {2020}" in bib
    item = csl_item(p)
    assert "author" not in item and item["title"] == p["title"]


def test_every_new_code_reaches_the_skeleton_and_cell_counts_in_10e9_per_litre_still_convert():
    assert "partial_text" in codes_note("source_access")
    assert "g/kg" in codes_note("dose_unit")
    assert VOCABULARIES["source_access"].codes[:2] == (SourceAccess.FULL_TEXT, SourceAccess.PARTIAL_TEXT)
    assert PER_UL_FACTORS == {LabUnit.PER_UL: 1.0, LabUnit.E9_PER_L: 1000.0}  # mass and molar units are not counts
    assert LabFact(None, Analyte.NEUTROPHILS_ABS, 8.1, LabUnit.E9_PER_L).per_ul() == pytest.approx(8100.0)
    assert LabFact(None, Analyte.HAEMOGLOBIN, 10.2, LabUnit.G_PER_DL).per_ul() is None


def test_compare_matches_a_treatment_without_drug_by_its_category():
    def other(raw):
        raw["extraction"] = {"extractor": "curator-b"}
        treatments = raw["cases"][0]["treatments"]
        treatments[1]["route"] = "oral"
        treatments.reverse()
    c = compare(extraction_of(FIXTURE), extraction_of(FIXTURE, other), "a.yaml", "b.yaml")
    found = {(d.record, d.field) for d in c.differences}
    assert found == {(f"cases[{CASE}].treatments[systemic_corticosteroid]", "route")}


# -- the site ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory, db_templates) -> Path:
    tmp = tmp_path_factory.mktemp("site-vocab16")
    engine = make_engine(db_templates.copy(db_templates.migrated("sqlite"), tmp / "work.db"))
    _seed_and_fixture(engine)
    publish(engine, tmp / "dist")
    engine.dispose()
    return tmp / "dist"


async def test_site_shows_the_publication_without_authors_and_counts_part_read(published):
    ds = Datasette(**datasette_kwargs(published))
    page = await ds.client.get(f"/registry/case_summary/{CASE}")
    assert page.status_code == 200
    html = page.text
    assert html.count("&#34;A made-up case of…&#34; 2022, Test J") >= 2  # the case's citation and its publication list
    assert f"{PUB} 2022" not in html  # never the key in place of an author
    assert "authors source not available (publisher preview)" in html
    assert "could read only part of the text (more than the abstract) of this report" in html
    assert "Lymphocyte transformation test" in html and "TARC (CCL17)" in html and "g/kg" in html
    assert "Systemic corticosteroid" in html  # the treatment named only by its kind
    conn = sqlite3.connect(next(published.glob("*.db")))
    try:
        counts = dict(conn.execute("SELECT name, n FROM registry_counts WHERE name LIKE 'sources_%'").fetchall())
    finally:
        conn.close()
    # the fixture's publication and the seeded ones read in part, counted from the files
    part_read = sum(1 for f in (*sorted(SEED_DIR.glob("*.yaml")), FIXTURE)
                    if yaml.safe_load(f.read_text(encoding="utf-8"))["publication"].get("source_access")
                    == SourceAccess.PARTIAL_TEXT)
    assert counts[f"sources_{SourceAccess.PARTIAL_TEXT}"] == part_read >= 1
    home = await ds.client.get("/")
    assert home.status_code == 200
    assert f"<strong>{part_read}</strong> in part (more than the abstract, not the whole text)" in home.text
    methods = await ds.client.get("/methods")
    assert methods.status_code == 200 and "Part of the text read" in methods.text
    cite = await ds.client.get(f"/cite/{PUB}.json")
    assert cite.status_code == 200
    (item,) = cite.json()
    assert "author" not in item and item["issued"] == {"date-parts": [[2022]]}


# -- intake: a publication without authors matches by DOI, PMID or title and year ---------------------------

RIS = """TY  - JOUR
TI  - A made-up case of carbamazepine DRESS for the test suite
AU  - Someone, A.
PY  - 2022
ER  - 

TY  - JOUR
TI  - A made-up case of carbamazepine DRESS for the test suite
AU  - Someone, A.
PY  - 2019
ER  - 
"""


def test_intake_links_a_publication_without_authors_by_title_and_year_only(engine, tmp_path):
    load_files(engine, FIXTURE)
    path = tmp_path / "search.ris"
    path.write_text(RIS, encoding="utf-8")
    result = run_cli(url_of(engine), "intake", str(path), "--source", "Embase")
    assert result.exit_code == 0, result.output
    assert q(engine, "SELECT c.year, p.key, c.publication_match FROM candidates c LEFT JOIN publications p "
                     "ON p.id = c.publication_id ORDER BY c.year") == [(2019, None, None), (2022, PUB, "title")]


def test_release_notes_name_authors_that_became_known(published, tmp_path):
    from registry.outputs.release.notes import compare as compare_releases
    from registry.outputs.release.notes import read_registry

    before = next(published.glob("*.db"))
    after = tmp_path / "after.db"
    after.write_bytes(before.read_bytes())
    conn = sqlite3.connect(after)
    try:
        conn.execute("UPDATE publications SET authors = 'Tester A' WHERE key = ?", (PUB,))
        conn.commit()
    finally:
        conn.close()
    old, new = read_registry(before), read_registry(after)
    assert old.publications[PUB]["publication"]["authors"] is None
    changes = compare_releases(old.publications, new.publications)
    assert changes.changed == {PUB: ["publication.authors: NULL → Tester A"]}
