"""Import: the flat case CSV and seed-format YAML; bad inputs refused with their message, nothing written.

Every bad-input test compares `dump(engine)` before and after. Real databases
only (SQLite and PostgreSQL through the `engine` fixture).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from registry.cases.csvformat import IMPORT_COLUMNS
from registry.cases.documents import Document, parse_document, read_yaml
from registry.core.db import writing
from registry.ingest.seed import load_documents
from tests.helpers import BACKENDS, dump, run_cli, url_of

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "export_fixture.yaml"


def _load_fixture(engine) -> None:
    doc = Document(str(FIXTURE), parse_document(str(FIXTURE), read_yaml(FIXTURE)))
    with writing(engine) as conn:
        load_documents(conn, [doc])


@pytest.fixture(scope="module", params=BACKENDS)
def registry_template(request, db_templates):
    """The migrated database with the fixture loaded, once per module and backend."""
    return db_templates.module_template(request, _load_fixture)


@pytest.fixture
def registry(registry_template, clone_database):
    """A database holding tests/data/export_fixture.yaml (publication testfix2020, cases -1 and -2): this test's own copy."""
    return clone_database(registry_template)


def q(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def refused(engine, *args: str) -> str:
    """Run an import that must fail; check that nothing changed; return the message."""
    before = dump(engine)
    result = run_cli(url_of(engine), "import", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert dump(engine) == before
    return result.output


# -- the flat CSV -----------------------------------------------------------------


def test_flat_csv_rows_become_cases(registry):
    result = run_cli(url_of(registry), "import", str(DATA / "import_cases.csv"))
    assert result.exit_code == 0, result.output
    assert "2 case(s) (2 new)" in result.output
    pub = q(registry, "SELECT authors, title, doi, pmid, year, article_type FROM publications WHERE key = 'csvpub2021'")[0]
    assert pub.authors == "Ørsted B, Gómez-Ñúñez C" and pub.title.endswith("µmol/L und Maßnahmen")
    assert (pub.doi, pub.pmid, pub.year, pub.article_type) == ("10.5555/csvpub.2021.7", 99999902, 2021, "case_series")
    case = q(registry, """SELECT c.age_value, c.age_unit, c.sex, c.country, c.onset_day, c.onset_is_approximate,
                                 c.day1_anchor, c.summary FROM cases c WHERE c.case_key = 'csvpub2021-1'""")[0]
    assert (case.age_value, case.age_unit, case.sex, case.country, case.onset_day) == (71, "a", "male", "AT", 28)
    assert case.onset_is_approximate and case.day1_anchor == "first dose of allopurinol (day 1)"
    assert case.summary.startswith("=cmd|' /C calc'!A0")   # stored as written
    x = q(registry, """SELECT g.name, x.role, x.start_day, x.indication, x.action_taken, d.dose_value, d.dose_unit,
                              d.interval_value, d.interval_unit FROM drug_exposures x JOIN drugs g ON g.id = x.drug_id
                       JOIN cases c ON c.id = x.case_id JOIN dose_regimens d ON d.exposure_id = x.id
                       WHERE c.case_key = 'csvpub2021-1'""")[0]
    assert tuple(x) == ("allopurinol", "suspect", 1, "gout", "withdrawn", 300, "mg", 1, "d")
    o = q(registry, """SELECT o.reaction_outcome, o.time_to_resolution_days, o.death, o.therapy_fate
                       FROM case_outcomes o JOIN cases c ON c.id = o.case_id WHERE c.case_key = 'csvpub2021-1'""")[0]
    assert (o.reaction_outcome, o.time_to_resolution_days, bool(o.death), o.therapy_fate) == ("recovered", 35, False, "stopped")
    # Every fact names its source; missing key facts say why (unstated defaults to not_reported).
    ev = q(registry, """SELECT e.field, e.status, e.locator FROM evidence e JOIN cases c ON c.id = e.case_id
                        WHERE c.case_key = 'csvpub2021-2' AND e.subject_table = 'cases' ORDER BY e.field""")
    assert ("sex", "stated", "Tabelle 1") in [tuple(r) for r in ev]
    assert ("age_value", "not_reported", None) in [tuple(r) for r in ev]
    # The second row left the citation empty: it is the same publication.
    links = q(registry, """SELECT c.case_key FROM case_publications cp JOIN cases c ON c.id = cp.case_id
                           JOIN publications p ON p.id = cp.publication_id WHERE p.key = 'csvpub2021' ORDER BY 1""")
    assert [r.case_key for r in links] == ["csvpub2021-1", "csvpub2021-2"]


def test_flat_csv_adds_a_case_to_a_registered_publication(registry, tmp_path):
    path = tmp_path / "more.csv"
    path.write_text("publication_key,case_key,drug,sex,age_value,age_unit,source_locator\n"
                    "testfix2020,testfix2020-3,carbamazepine,female,30,a,Tabelle 1\n", encoding="utf-8")
    before = q(registry, "SELECT * FROM publications WHERE key = 'testfix2020'")
    pub_evidence = q(registry, "SELECT COUNT(*) FROM evidence WHERE subject_table = 'publications'")
    result = run_cli(url_of(registry), "import", str(path))
    assert result.exit_code == 0, result.output
    assert q(registry, "SELECT * FROM publications WHERE key = 'testfix2020'") == before   # citation kept as it was
    assert q(registry, "SELECT COUNT(*) FROM evidence WHERE subject_table = 'publications'") == pub_evidence
    assert q(registry, "SELECT COUNT(*) FROM cases WHERE case_key LIKE 'testfix2020-%'")[0][0] == 3


def test_formula_strings_are_stored_raw_and_neutralised_on_spreadsheet_export(registry, tmp_path):
    assert run_cli(url_of(registry), "import", str(DATA / "import_cases.csv")).exit_code == 0
    stored = q(registry, "SELECT summary FROM cases WHERE case_key = 'csvpub2021-1'")[0].summary
    assert stored.startswith("=cmd|")
    out = tmp_path / "x"
    assert run_cli(url_of(registry), "export", "--out", str(out), "--case", "csvpub2021-1").exit_code == 0
    rows = list(csv.DictReader(io.StringIO((out / "case_details.csv").read_text(encoding="utf-8"), newline="")))
    assert rows[0]["summary"] == "'" + stored
    raw = tmp_path / "raw"
    assert run_cli(url_of(registry), "export", "--out", str(raw), "--raw", "--case", "csvpub2021-1").exit_code == 0
    rows = list(csv.DictReader(io.StringIO((raw / "case_details.csv").read_text(encoding="utf-8"), newline="")))
    assert rows[0]["summary"] == stored


def test_codebook_documents_the_import_columns(tmp_path, registry):
    out = tmp_path / "x"
    assert run_cli(url_of(registry), "export", "--out", str(out)).exit_code == 0
    book = list(csv.DictReader(io.StringIO((out / "codebook.csv").read_text(encoding="utf-8"), newline="")))
    entries = {r["column"]: r for r in book if r["table"] == "import_cases"}
    assert list(entries) == [c.name for c in IMPORT_COLUMNS]
    assert entries["sex"]["allowed_values"] == "male = Male; female = Female"
    assert entries["unstated"]["allowed_values"] == "not_reported = Not reported by the source; not_available = Source not available"
    assert entries["case_key"]["definition"].startswith("Required.")
    header = (DATA / "import_cases.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert set(header) <= set(entries)


# -- bad inputs: message and an unchanged database --------------------------------


@pytest.mark.parametrize("name, messages", [
    ("bad_types.csv", [
        "bad_types.csv: line 2: age_value: Input should be a valid number", "(got 'sixty')",
        "line 2: onset_day: Input should be a valid integer", "line 2: death: Input should be a valid boolean",
    ]),
    ("bad_codes.csv", [
        "bad_codes.csv: line 2: sex: unknown sex code 'femme'; allowed: male, female",
        "line 2: age_unit: unknown age_unit code 'years'; allowed: a, mo, wk, d",
        "line 2: route: unknown route code 'by mouth'; allowed: oral, intravenous",
        "line 2: dose_unit: unknown dose_unit code 'mgs'; allowed: mg, g, ug",
        "line 2: reaction_outcome: unknown reaction_outcome code 'cured'; allowed: recovered",
    ]),
    ("bad_days.csv", [
        "bad_days.csv: line 2: onset_day: Input should be less than or equal to 36500 (got '99999')",
        "line 3: time_to_resolution_days: Input should be greater than or equal to 0 (got '-4')",
        "line 5: onset_day: -3 is before the start_day 1 of the suspect drug carbamazepine",
        "line 4: stop_day: 5 is before start_day 20",
    ]),
    ("bad_required.csv", [
        "bad_required.csv: line 2: drug: required", "line 2: source_locator: required",
        "line 2: authors: required (the publication is not in the registry yet)",
        "line 2: article_type: required; allowed: case_report, case_series",
    ]),
    ("bad_header.csv", [
        "bad_header.csv: line 1: unknown column(s) 'gender'; allowed columns: publication_key",
        "line 1: required column(s) missing: case_key",
    ]),
    ("bad_ragged.csv", [
        "bad_ragged.csv: line 3: 7 fields, but the header has 6",
        "bad_ragged.csv: line 4: 4 fields, but the header has 6",
    ]),
    ("latin1.csv", ["latin1.csv: line 2: not UTF-8 (byte 0xFC", "save the file as UTF-8"]),
    ("empty.csv", ["empty.csv: file is empty"]),
    ("header_only.csv", ["header_only.csv: no case rows after the header line"]),
    ("empty.yaml", ["empty.yaml: file is empty"]),
    ("bad_seed.yaml", [
        "bad_seed.yaml: cases[0].sex: unknown sex code 'woman'; allowed: male, female",
        "bad_seed.yaml: cases[0].onset_day: Input should be greater than or equal to -36500",
    ]),
])
def test_bad_input_is_refused_with_its_message(registry, name, messages):
    output = refused(registry, str(DATA / name))
    for message in messages:
        assert message in output, (message, output)


def test_one_bad_file_stops_the_good_ones_too(registry):
    output = refused(registry, str(DATA / "import_cases.csv"), str(DATA / "bad_codes.csv"), str(DATA / "notes.txt"))
    assert "unknown sex code 'femme'" in output and "notes.txt: unknown file type '.txt'" in output


def test_a_one_megabyte_text_is_refused_with_the_limit(registry, tmp_path):
    """Decision: text fields keep the seed format's 4,000-character limit (they hold paraphrases, not passages);
    a longer one is refused with its size and the limit, in CSV and YAML alike."""
    big = "µ" + "x" * (1024 * 1024 - 1)
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([
            ["publication_key", "case_key", "drug", "source_locator", "summary"],
            ["testfix2020", "testfix2020-7", "carbamazepine", "Tab. 1", big],
        ])
    output = refused(registry, str(path))
    assert "big.csv: line 2: summary: text of 1,048,576 characters is over the limit of 4,000 characters" in output
    yml = tmp_path / "big.yaml"
    yml.write_text(FIXTURE.read_text(encoding="utf-8").replace("label_in_source: Patient 2", f"label_in_source: Patient 2\n    summary: {big}"),
                   encoding="utf-8")
    output = refused(registry, str(yml))
    assert "big.yaml: cases[1].summary: String should have at most 4000 characters" in output


def test_probable_duplicate_is_refused_unless_allowed(registry):
    output = refused(registry, str(DATA / "duplicate_case.csv"))
    assert ("duplicate_case.csv: line 2 (testfix2020-3): probable duplicate of case 'testfix2020-2' of publication "
            "'testfix2020' (same DOI 10.5555/testfix.2020.101, same age 45 a, same sex male)") in output
    assert "--allow-duplicate" in output and "nothing was written" in output
    result = run_cli(url_of(registry), "import", "--allow-duplicate", str(DATA / "duplicate_case.csv"))
    assert result.exit_code == 0, result.output
    assert "probable duplicate(s) allowed: testfix2020-3" in result.output
    assert q(registry, "SELECT COUNT(*) FROM cases WHERE case_key = 'testfix2020-3'")[0][0] == 1


def test_same_doi_under_another_key_is_refused(registry, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text(
        "publication_key,authors,title,journal,year,doi,article_type,source_access,case_key,drug,source_locator\n"
        "other2020,Doe J,A title,Test J,2020,10.5555/TESTFIX.2020.101,case_report,full_text,other2020-1,carbamazepine,p.1\n",
        encoding="utf-8")
    output = refused(registry, str(path))
    assert "publication.doi: 10.5555/testfix.2020.101 is already registered as publication 'testfix2020'" in output


def test_flat_csv_never_overwrites_a_registered_case(registry, tmp_path):
    path = tmp_path / "again.csv"
    path.write_text("publication_key,case_key,drug,source_locator\ntestfix2020,testfix2020-1,carbamazepine,p.1\n"
                    "testfix2020,testfix2020-9,carbamazepine,p.1\ntestfix2020,testfix2020-9,carbamazepine,p.2\n",
                    encoding="utf-8")
    output = refused(registry, str(path))
    assert "line 2: case_key: 'testfix2020-1' is already in the registry" in output
    assert "line 4: case_key: 'testfix2020-9' is also on line 3" in output


def test_yaml_import_of_a_registered_case_is_an_update_not_a_duplicate(registry, tmp_path):
    before = dump(registry)
    result = run_cli(url_of(registry), "import", str(FIXTURE))
    assert result.exit_code == 0 and "no changes" in result.output, result.output
    assert dump(registry) == before
    edited = tmp_path / "testfix2020.yaml"
    edited.write_text(FIXTURE.read_text(encoding="utf-8").replace("onset_day: 21", "onset_day: 20"), encoding="utf-8")
    result = run_cli(url_of(registry), "import", str(edited))
    assert result.exit_code == 0, result.output
    assert q(registry, "SELECT onset_day FROM cases WHERE case_key = 'testfix2020-1'")[0][0] == 20


def test_yaml_with_unknown_publication_reference_is_refused(registry, tmp_path):
    path = tmp_path / "cites.yaml"
    shutil.copy(FIXTURE, path)
    path.write_text(path.read_text(encoding="utf-8").replace("drugs:\n", "cites:\n  - {pub: nosuch1999, reference_number: 1}\n\ndrugs:\n", 1),
                    encoding="utf-8")
    output = refused(registry, str(path))
    assert "cites.yaml: cites[0].pub: unknown publication 'nosuch1999'" in output


def test_dry_run_validates_and_writes_nothing(registry):
    before = dump(registry)
    result = run_cli(url_of(registry), "import", "--dry-run", str(DATA / "import_cases.csv"))
    assert result.exit_code == 0 and "would import 2 case(s)" in result.output, result.output
    assert dump(registry) == before
