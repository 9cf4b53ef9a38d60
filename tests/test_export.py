"""Exports: pinned columns, codebook, encodings, missing-data codes, formula safety, round trip.

The data are the seed files that are in seed/publications (whatever is there:
at least park2021.yaml) plus tests/data/export_fixture.yaml, a made-up
publication whose cases carry non-ASCII text, formula-like text, negative
points and both kinds of missing facts. Real databases only (SQLite and
PostgreSQL through the `engine` fixture).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from registry.cases.completeness import SUSPECT_ROLES
from registry.cases.csvformat import IMPORT_COLUMNS
from registry.cases.documents import Document, parse_document, read_documents, read_yaml
from registry.cases.query import case_ids_select
from registry.cases.scoring.store import store_registry_assessments
from registry.cases.selection import Selection
from registry.cases.summary import CASE_SUMMARY
from registry.core.db import make_engine, writing
from registry.ingest.seed import load_documents
from registry.outputs.export.codebook import CODEBOOK_FIELDS, IMPORT_TABLE
from registry.outputs.export.jsonschema import case_model
from registry.outputs.export.published import (
    case_table_header,
    case_table_rows,
    open_published,
    summary_columns,
    write_case_csv,
)
from registry.outputs.export.safety import neutralise
from registry.outputs.export.tables import (
    ALL_TABLES,
    CASE_TABLE,
    LONG_TABLES,
    case_table_partitions,
    read_partitions,
)
from registry.outputs.publish.build import publish
from registry.schema.models import Case
from tests.helpers import BACKENDS, SEED_DIR, dump, run_cli, url_of
from tests.publish_fixtures import write_synthetic_case

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "export_fixture.yaml"
BOM = b"\xef\xbb\xbf"

#: The long tables' columns, pinned: changing these changes the export format.
PINNED = {
    "case_details": [
        "case_key", "label_in_source", "age_value", "age_unit", "age_unit_label", "age_is_approximate", "sex",
        "sex_label", "country", "diagnosis_as_reported", "registry_diagnosis", "registry_diagnosis_label",
        "day1_anchor", "onset_day", "onset_is_approximate", "summary", "is_synthetic",
    ],
    "publications": [
        "case_key", "publication_key", "role", "role_label", "label_in_publication", "authors", "title",
        "title_english", "journal", "year", "volume", "issue", "pages", "doi", "pmid", "pmcid", "language",
        "article_type", "article_type_label", "url", "licence", "source_access", "source_access_label",
    ],
    "exposures": [
        "case_key", "exposure_seq", "drug", "drug_class", "atc_code", "role", "role_label", "indication", "route",
        "route_label", "start_day", "stop_day", "action_taken", "action_taken_label", "dechallenge_result",
        "dechallenge_result_label", "notes",
    ],
    "dose_regimens": [
        "case_key", "exposure_seq", "drug", "dose_seq", "dose_value", "dose_unit", "dose_unit_label",
        "interval_value", "interval_unit", "interval_unit_label", "start_day", "stop_day", "reason", "reason_label",
        "notes", "start_is_approximate", "stop_is_approximate",
    ],
    "challenge_events": [
        "case_key", "exposure_seq", "drug", "challenge_seq", "challenge_type", "challenge_type_label", "start_day",
        "premedication", "result", "result_label", "time_to_recurrence_days", "notes", "day_is_approximate",
        "time_to_recurrence_hours",
    ],
    "challenge_steps": [
        "case_key", "exposure_seq", "drug", "challenge_seq", "step_number", "protocol_day", "dose_value",
        "dose_unit", "dose_unit_label", "interval_minutes", "notes",
    ],
    "findings": ["case_key", "finding", "finding_label", "status", "status_label", "day", "detail"],
    "investigations": ["case_key", "investigation_seq", "test", "test_label", "result", "result_label", "day", "detail"],
    "lab_results": [
        "case_key", "lab_seq", "analyte", "analyte_label", "value", "comparator", "comparator_label", "unit",
        "unit_label", "ref_low", "ref_high", "day", "day_is_approximate", "time_point",
    ],
    "treatments": [
        "case_key", "treatment_seq", "drug", "category", "category_label", "dose_value", "dose_unit",
        "dose_unit_label", "route", "route_label", "start_day", "stop_day", "response", "response_label", "notes",
        "start_is_approximate", "stop_is_approximate",
    ],
    "genetic_tests": [
        "case_key", "genetic_test_seq", "gene", "allele", "result", "result_label", "genotype", "method", "day", "notes",
    ],
    "procedures": [
        "case_key", "procedure_seq", "procedure", "procedure_label", "start_day", "start_is_approximate", "duration_days",
        "detail",
    ],
    "outcomes": [
        "case_key", "reaction_outcome", "reaction_outcome_label", "resolution_day", "time_to_resolution_days",
        "follow_up_days", "death", "therapy_fate", "therapy_fate_label", "switched_to", "notes",
    ],
    "assessments": [
        "case_key", "instrument", "instrument_label", "assessor", "assessor_label", "exposure_seq", "exposure_drug",
        "instrument_version", "total", "total_min", "total_max", "category", "category_range", "notes",
    ],
    "assessment_items": [
        "case_key", "instrument", "instrument_label", "assessor", "assessor_label", "exposure_seq", "item_code",
        "answer", "points", "points_min", "points_max", "basis",
    ],
    "evidence": [
        "case_key", "subject_table", "subject_ref", "field", "fact", "publication_key", "status", "status_label", "locator",
        "derivation", "derivation_label", "value_as_stated", "is_curated", "curation_note",
    ],
}


def seed_documents() -> list[Document]:
    return read_documents(sorted(SEED_DIR.glob("*.yaml")))


def fixture_document() -> Document:
    return Document(str(FIXTURE), parse_document(str(FIXTURE), read_yaml(FIXTURE)))


def load(engine, docs: list[Document]) -> None:
    with writing(engine) as conn:
        load_documents(conn, docs)


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_template(request, db_templates):
    """The migrated database with the seed and the fixture loaded, once per module and backend."""
    return db_templates.module_template(request, lambda engine: load(engine, [*seed_documents(), fixture_document()]))


@pytest.fixture
def seeded(seeded_template, clone_database):
    """This test's own copy of the seeded database (PostgreSQL tests marked read_only share one that refuses writes)."""
    return clone_database(seeded_template)


def export(engine, out: Path, *args: str) -> Path:
    result = run_cli(url_of(engine), "export", "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def record_ends_are_crlf(text: str) -> bool:
    """Outside quoted fields every line ends with \\r\\n (RFC 4180); inside them anything goes."""
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "\n" and not quoted and (i == 0 or text[i - 1] != "\r"):
            return False
    return not quoted and text.endswith("\r\n")


def row_of(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


# -- columns ------------------------------------------------------------------


def test_long_table_columns_are_pinned():
    assert {t.name: t.column_names for t in LONG_TABLES} == PINNED


def test_case_table_has_the_published_case_summary_columns():
    """Same columns, same order, same definitions as registry/cases/summary.py, plus a _label after each code."""
    expected = []
    for col in CASE_SUMMARY.columns:
        expected.append(col.name)
        if col.references and col.references.startswith("vocab_"):
            expected.append(f"{col.name}_label")
    assert CASE_TABLE.column_names == expected
    defs = {c.name: c.description for c in CASE_TABLE.columns}
    assert all(defs[c.name] == c.description for c in CASE_SUMMARY.columns)


def test_every_column_has_a_definition_and_every_table_has_case_key():
    for table in ALL_TABLES:
        assert table.column_names[0] == "case_key", table.name
        for col in table.columns:
            assert col.description.strip(), (table.name, col.name)


@pytest.mark.read_only
def test_csv_files_have_the_pinned_headers_and_rfc4180_shape(seeded, tmp_path):
    out = export(seeded, tmp_path / "x")
    for table in ALL_TABLES:
        data = (out / f"{table.name}.csv").read_bytes()
        assert not data.startswith(BOM)
        header = data.split(b"\r\n", 1)[0].decode()
        assert header.split(",") == table.column_names
        assert record_ends_are_crlf(data.decode("utf-8")), table.name
        rows = read_csv(out / f"{table.name}.csv")
        assert all(r["case_key"] for r in rows), table.name
        assert all(None not in r for r in rows), table.name  # no ragged rows
    notes = row_of(read_csv(out / "exposures.csv"), case_key="testfix2020-1")["notes"]
    assert notes == 'Zeile 1, mit Komma und "Anführungszeichen"\nZeile 2'   # quoted, embedded newline kept
    cases = read_csv(out / "case_summary.csv")
    assert {"park2021-1", "testfix2020-1", "testfix2020-2"} <= {r["case_key"] for r in cases}


@pytest.mark.read_only
def test_case_table_first_rows_come_from_the_summary_builder(seeded, tmp_path):
    rows = read_csv(export(seeded, tmp_path / "x") / "case_summary.csv")
    park = row_of(rows, case_key="park2021-1")
    assert park["suspect_drugs"] == "imatinib"
    assert park["sex"] == "female" and park["sex_label"] == "Female"
    assert park["age_years"] == "62" and park["onset_day"] == "15" and park["latency_days"] == "15"
    assert park["dose_at_onset"] == "400 mg daily"
    assert park["reaction_outcome_label"] == "Recovered/resolved"
    assert park["doi"] == "10.1159/000519471"
    assert [r["case_key"] for r in rows] == sorted(r["case_key"] for r in rows)


# -- codebook -------------------------------------------------------------------


@pytest.mark.read_only
def test_codebook_covers_every_exported_column(seeded, tmp_path):
    out = export(seeded, tmp_path / "x")
    book = read_csv(out / "codebook.csv")
    assert list(book[0]) == list(CODEBOOK_FIELDS)
    documented: dict[str, list[str]] = {}
    for entry in book:
        documented.setdefault(entry["table"], []).append(entry["column"])
        assert entry["definition"].strip() and entry["type"] in ("integer", "number", "boolean", "code", "text"), entry
        if entry["type"] == "code":
            assert entry["allowed_values"], entry
    for table in ALL_TABLES:
        header = (out / f"{table.name}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert documented[table.name] == header, table.name
    assert documented[IMPORT_TABLE] == [c.name for c in IMPORT_COLUMNS]
    md = (out / "codebook.md").read_text(encoding="utf-8")
    for table in [*ALL_TABLES]:
        assert f"## {table.name}" in md
    assert "## import_cases" in md and "`NR`" in md and "`NA-SRC`" in md


@pytest.mark.read_only
def test_codebook_entries_come_from_models_and_vocabularies(seeded, tmp_path):
    book = read_csv(export(seeded, tmp_path / "x") / "codebook.csv")
    sex = row_of(book, table="case_details", column="sex")
    assert sex["definition"] == Case.__table__.c.sex.comment
    assert "male = Male" in sex["allowed_values"] and "female = Female" in sex["allowed_values"]
    assert "D.5" in sex["e2b_r3"] and "male=1" in sex["e2b_r3"] and "patientsex" in sex["openfda"]
    outcome = row_of(book, table="outcomes", column="reaction_outcome")
    assert "unknown=0" in outcome["e2b_r3"] and "unknown=6" in outcome["openfda"]
    assert outcome["missing_codes"] == "NR; NA-SRC"
    dose = row_of(book, table="dose_regimens", column="dose_value")
    assert dose["unit"] == "given in dose_unit" and dose["type"] == "number"
    onset = row_of(book, table="case_summary", column="onset_day")
    assert onset["unit"].startswith("relative day") and onset["source"].startswith("registry/cases/summary.py")
    label = row_of(book, table="lab_results", column="unit_label")
    assert "µmol/L" in label["allowed_values"]


# -- encodings, BOM, missing codes, formulas ---------------------------------------


@pytest.mark.read_only
def test_excel_option_adds_a_bom_to_every_csv(seeded, tmp_path):
    out = export(seeded, tmp_path / "x", "--excel")
    for path in out.glob("*.csv"):
        assert path.read_bytes().startswith(BOM), path.name
    assert not (out / "citations.bib").read_bytes().startswith(BOM)
    plain = export(seeded, tmp_path / "y")
    assert not any(p.read_bytes().startswith(BOM) for p in plain.glob("*.csv"))


@pytest.mark.read_only
def test_non_ascii_text_survives_every_format(seeded, tmp_path):
    words = ["Müller", "Lefèvre", "Straßburg", "µg-Dosen", "Köln", "Zürich"]
    csv_out = export(seeded, tmp_path / "csv")
    pubs = (csv_out / "publications.csv").read_text(encoding="utf-8")
    assert all(w in pubs for w in words)
    details = row_of(read_csv(csv_out / "case_details.csv"), case_key="testfix2020-1")
    assert "ß und µ bleiben" in details["summary"] and details["diagnosis_as_reported"] == "DRESS (Straße-Klinik), µ-Bereich"
    steps = read_csv(csv_out / "challenge_steps.csv")
    assert {r["dose_unit_label"] for r in steps if r["case_key"] == "testfix2020-1"} == {"µg"}
    for name in ("citations.ris", "citations.bib"):
        text = (csv_out / name).read_text(encoding="utf-8")
        assert "Müller" in text and "Zürich" in text, name
    js = json.loads((export(seeded, tmp_path / "json", "--format", "json") / "cases.json").read_text(encoding="utf-8"))
    case = next(c for c in js if c["case_key"] == "testfix2020-1")
    assert "ß und µ bleiben" in case["summary"] and case["publications"][0]["authors"].startswith("Müller J")
    yml = (export(seeded, tmp_path / "yaml", "--format", "yaml") / "seed" / "testfix2020.yaml").read_text(encoding="utf-8")
    assert all(w in yml for w in words)
    sheets = read_xlsx(export(seeded, tmp_path / "xlsx", "--format", "xlsx") / "registry.xlsx")
    assert any("Straßburg" in str(v) for row in sheets["publications"] for v in row)


@pytest.mark.read_only
def test_missing_values_keep_not_reported_apart_from_not_available(seeded, tmp_path):
    out = export(seeded, tmp_path / "x")
    summary = read_csv(out / "case_summary.csv")
    one = row_of(summary, case_key="testfix2020-1")
    assert one["age_years"] == "NA-SRC"          # missing: {status: not_available}
    assert one["sex"] == "female" and one["onset_day"] == "21"
    two = row_of(summary, case_key="testfix2020-2")
    assert two["onset_day"] == "NA-SRC" and two["country"] == "NA-SRC"   # unstated: not_available
    assert two["dechallenge_result"] == "NA-SRC" and two["dechallenge_result_label"] == "NA-SRC"
    outcomes = read_csv(out / "outcomes.csv")
    o1 = row_of(outcomes, case_key="testfix2020-1")
    assert o1["time_to_resolution_days"] == "NR"     # unstated: not_reported
    assert o1["resolution_day"] == "" and o1["follow_up_days"] == ""   # not key facts: empty
    assert o1["death"] == "0" and o1["switched_to"] == "levetiracetam"
    details = read_csv(out / "case_details.csv")
    assert row_of(details, case_key="testfix2020-1")["age_value"] == "NA-SRC"
    assert row_of(details, case_key="testfix2020-1")["age_unit"] == ""   # no evidence row for the unit: empty
    park = row_of(summary, case_key="park2021-1")
    outcome_park = row_of(outcomes, case_key="park2021-1")
    assert outcome_park["time_to_resolution_days"] == "NR" and park["age_years"] == "62"
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "`NR`" in readme and "`NA-SRC`" in readme and "not applicable" in readme
    # JSON keeps nulls and says why.
    js = json.loads((export(seeded, tmp_path / "j", "--format", "json") / "cases.json").read_text(encoding="utf-8"))
    case = next(c for c in js if c["case_key"] == "testfix2020-1")
    assert case["age_value"] is None and case["missing"] == {"age_value": "not_available"}
    assert case["outcome"]["missing"]["time_to_resolution_days"] == "not_reported"


@pytest.mark.read_only
def test_formula_cells_are_neutralised_for_spreadsheets_only(seeded, tmp_path):
    out = export(seeded, tmp_path / "x")
    details = row_of(read_csv(out / "case_details.csv"), case_key="testfix2020-1")
    assert details["summary"].startswith("'=HYPERLINK(")
    assert row_of(read_csv(out / "exposures.csv"), case_key="testfix2020-1")["indication"] == "'+epilepsy (focal)"
    assert row_of(read_csv(out / "findings.csv"), case_key="testfix2020-1", finding="rash")["detail"].startswith("'@SUM")
    assert row_of(read_csv(out / "investigations.csv"), case_key="testfix2020-1")["detail"] == "'-PCR im Blut"
    labs = read_csv(out / "lab_results.csv")
    assert row_of(labs, case_key="testfix2020-1", analyte="creatinine")["time_point"] == "'-1 Tag vor Aufnahme"
    items = read_csv(out / "assessment_items.csv")
    assert row_of(items, case_key="testfix2020-1", item_code="skin_biopsy")["points"] == "-1"  # a number stays a number
    assert row_of(read_csv(out / "case_summary.csv"), case_key="testfix2020-1")["summary"].startswith("'=")

    raw = export(seeded, tmp_path / "raw", "--raw")
    assert row_of(read_csv(raw / "case_details.csv"), case_key="testfix2020-1")["summary"].startswith("=HYPERLINK(")

    # An xlsx string cell is never a formula (the reader parses only inlineStr cells as text): stored text as is.
    sheets = read_xlsx(export(seeded, tmp_path / "xlsx", "--format", "xlsx") / "registry.xlsx")
    header = sheets["case_details"][0]
    row = next(r for r in sheets["case_details"][1:] if r[0] == "testfix2020-1")
    assert row[header.index("summary")].startswith("=HYPERLINK(")
    assert not [c for rows in sheets.values() for r in rows for c in r if isinstance(c, str) and c.startswith("'")]
    items_sheet = sheets["assessment_items"]
    item = next(r for r in items_sheet[1:] if r[0] == "testfix2020-1" and "skin_biopsy" in r)
    assert item[items_sheet[0].index("points")] == -1.0   # numeric cell

    # JSON is for machines: stored text as is.
    js = json.loads((export(seeded, tmp_path / "j", "--format", "json") / "cases.json").read_text(encoding="utf-8"))
    assert next(c for c in js if c["case_key"] == "testfix2020-1")["summary"].startswith("=HYPERLINK(")


def test_neutralise_rule():
    for text in ("=1+1", "+1+1", "-1-1", "-PCR", "@x", "\tx", "\rx", "=-3"):
        assert neutralise(text) == "'" + text
    assert neutralise(-1) == -1 and neutralise(3.5) == 3.5 and neutralise("a=b") == "a=b" and neutralise(None) is None
    for number in ("-1", "+1", "-0.5", "1e-05", "-2E+3"):  # text that is a number is a number, not a formula
        assert neutralise(number) == number
    assert neutralise("=") == "=" and neutralise("-") == "-"  # the comparator code: text in a spreadsheet
    assert neutralise("=", bare=True) == "'=" and neutralise("-", bare=True) == "'-"  # CSV for Excel: safe anyway


@pytest.mark.read_only
def test_the_comparator_code_is_exported_as_is_except_for_excel(seeded, tmp_path):
    def comparators(folder: Path) -> set[str]:
        return {r["comparator"] for r in read_csv(folder / "lab_results.csv")}

    def codebook_codes(folder: Path) -> str:
        return next(r for r in read_csv(folder / "codebook.csv") if r["column"] == "comparator")["allowed_values"]

    plain = export(seeded, tmp_path / "plain")
    assert "=" in comparators(plain) and not [c for c in comparators(plain) if c.startswith("'")]
    assert codebook_codes(plain).startswith("= = =; < = <")
    assert "'=" not in (plain / "codebook.csv").read_text(encoding="utf-8")
    assert "'=" not in (plain / "codebook.md").read_text(encoding="utf-8")
    excel = export(seeded, tmp_path / "excel", "--excel")
    assert "'=" in comparators(excel) and "=" not in comparators(excel)
    assert codebook_codes(excel).startswith("'= = =")
    sheets = read_xlsx(export(seeded, tmp_path / "xlsx", "--format", "xlsx") / "registry.xlsx")
    labs = sheets["lab_results"]
    assert "=" in {r[labs[0].index("comparator")] for r in labs[1:]}


# -- JSON, xlsx, citations ------------------------------------------------------------


@pytest.mark.read_only
def test_json_is_one_nested_object_per_case_and_matches_its_schema(seeded, tmp_path):
    out = export(seeded, tmp_path / "j", "--format", "json")
    text = (out / "cases.json").read_text(encoding="utf-8")
    cases = json.loads(text)
    model = case_model()
    for case in cases:
        model.model_validate(case)
    park = next(c for c in cases if c["case_key"] == "park2021-1")
    imatinib = park["exposures"][0]
    assert imatinib["drug"] == "imatinib" and [d["dose_value"] for d in imatinib["doses"]] == [400, 400, 400, 600]
    assert [s["dose_value"] for s in imatinib["challenges"][0]["steps"]] == [25, 25, 50, 100, 200, 400]
    assert park["outcome"]["reaction_outcome"] == "recovered"
    assert park["assessments"][0]["items"] and park["evidence"] and park["publications"][0]["role"] == "primary_report"
    assert {e["subject_ref"] for e in park["evidence"]} >= {"case", "exposure 1", "exposure 1 dose 1", "outcome"}
    schema = json.loads((out / "cases.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"].endswith("2020-12/schema") and schema["type"] == "array"
    case_def = schema["$defs"]["Case"]
    assert case_def["properties"]["sex"]["description"] == Case.__table__.c.sex.comment
    assert {"exposures", "findings", "labs", "treatments", "outcome", "assessments", "evidence"} <= set(case_def["properties"])


def read_xlsx(path: Path) -> dict[str, list[list]]:
    """Sheet name -> rows (inline strings and numbers, as xlsxwriter's constant_memory mode writes them)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    z = zipfile.ZipFile(path)
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    names = [s.get("name") for s in book.find("m:sheets", ns)]
    out = {}
    for i, name in enumerate(names, start=1):
        root = ElementTree.fromstring(z.read(f"xl/worksheets/sheet{i}.xml"))
        rows = []
        for r in root.iter(f"{{{ns['m']}}}row"):
            cells: dict[int, object] = {}
            for c in r.findall("m:c", ns):
                col = _col_index(re.match(r"[A-Z]+", c.get("r")).group())
                if c.get("t") == "inlineStr":
                    cells[col] = "".join(t.text or "" for t in c.iter(f"{{{ns['m']}}}t"))
                else:
                    cells[col] = float(c.find("m:v", ns).text)
            rows.append([cells.get(j) for j in range(max(cells) + 1)] if cells else [])
        out[name] = rows
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


@pytest.mark.read_only
def test_xlsx_has_a_sheet_per_table_and_the_codebook(seeded, tmp_path):
    sheets = read_xlsx(export(seeded, tmp_path / "x", "--format", "xlsx") / "registry.xlsx")
    assert list(sheets) == [t.name for t in ALL_TABLES] + ["codebook"]
    for table in ALL_TABLES:
        assert sheets[table.name][0] == table.column_names
    summary = sheets["case_summary"]
    park = next(r for r in summary[1:] if r[0] == "park2021-1")
    assert park[summary[0].index("onset_day")] == 15.0


@pytest.mark.read_only
def test_citations_as_ris_and_bibtex_contain_the_doi(seeded, tmp_path):
    out = export(seeded, tmp_path / "x")
    ris = (out / "citations.ris").read_bytes().decode("utf-8")
    bib = (out / "citations.bib").read_text(encoding="utf-8")
    assert "DO  - 10.1159/000519471\r\n" in ris and "ID  - park2021\r\n" in ris
    assert "TY  - JOUR" in ris and ris.count("ER  - ") == ris.count("TY  - ")
    assert "AU  - Park, H.\r\n" in ris and "SP  - 1548\r\nEP  - 1554" in ris
    assert "@article{park2021," in bib and "doi = {10.1159/000519471}" in bib
    assert "author = {Park, H. and Choi, G. S. and Lee, E. M.}" in bib and "pages = {1548--1554}" in bib
    assert "doi = {10.5555/testfix.2020.101}" in bib and "pmid = {99999901}" in bib
    assert bib.count("{") == bib.count("}")


# -- filters, streaming, folders ---------------------------------------------------


@pytest.mark.read_only
def test_filters_choose_cases(seeded, tmp_path):
    def keys(*args: str) -> set[str]:
        out = export(seeded, tmp_path / f"f{len(list(tmp_path.iterdir()))}", *args)
        return {r["case_key"] for r in read_csv(out / "case_summary.csv")}

    # What each filter should choose, worked out from the loaded documents themselves (the seed grows).
    docs = [*seed_documents(), fixture_document()]

    def cases_where(pred) -> set[str]:
        return {c.key for d in docs for c in d.doc.cases
                if pred(d.doc.publication, [x for x in c.exposures if x.role in SUSPECT_ROLES])}

    every = cases_where(lambda p, xs: True)
    carbamazepine = cases_where(lambda p, xs: any(x.drug.lower() == "carbamazepine" for x in xs))
    focal = cases_where(lambda p, xs: any(x.indication and "focal" in x.indication.lower() for x in xs))
    of_2020 = cases_where(lambda p, xs: p.year == 2020)
    assert {"testfix2020-1", "testfix2020-2"} <= carbamazepine < every
    assert "testfix2020-1" in focal and "testfix2020-2" not in focal
    assert {"testfix2020-1", "testfix2020-2"} <= of_2020 < every

    assert keys("--drug", "Carbamazepine") == carbamazepine
    assert "park2021-1" in keys("--drug", "imatinib")
    assert keys("--case", "park2021-1", "--case", "testfix2020-2") == {"park2021-1", "testfix2020-2"}
    assert keys("--indication", "FOCAL") == focal
    assert keys("--year-from", "2020", "--year-to", "2020") == of_2020
    assert keys("--indication", "100%_") == set()
    out = export(seeded, tmp_path / "one", "--case", "testfix2020-2")
    for table in LONG_TABLES:
        assert {r["case_key"] for r in read_csv(out / f"{table.name}.csv")} <= {"testfix2020-2"}
    bib = (out / "citations.bib").read_text(encoding="utf-8")
    assert "testfix2020" in bib and "park2021" not in bib


@pytest.mark.read_only
def test_unknown_case_key_is_an_error(seeded, tmp_path):
    result = run_cli(url_of(seeded), "export", "--out", str(tmp_path / "x"), "--case", "nosuch-1")
    assert result.exit_code == 2 and "no case with key 'nosuch-1'" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.read_only
def test_rows_are_read_in_partitions(seeded):
    """Small partitions give the same rows as one big one (the cursor streams; nothing is read twice)."""
    ids = case_ids_select(Selection())
    with seeded.connect() as conn:
        for name in ("findings", "evidence", "lab_results"):
            table = next(t for t in LONG_TABLES if t.name == name)
            small = list(read_partitions(conn, table, ids, chunk=7))
            big = list(read_partitions(conn, table, ids, chunk=100_000))
            assert len(small) > 1 and len(big) == 1
            assert [r.cells(table) for p in small for r in p] == [r.cells(table) for r in big[0]]
        parts = list(case_table_partitions(conn, ids, chunk=1))
        assert len(parts) == len([k for (k,) in conn.execute(select(Case.case_key))])


@pytest.mark.read_only
def test_output_folder_is_never_clobbered(seeded, tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    result = run_cli(url_of(seeded), "export", "--out", str(target))
    assert result.exit_code == 2 and "not empty" in result.output
    result = run_cli(url_of(seeded), "export", "--out", str(target), "--overwrite")
    assert result.exit_code == 2 and "not an earlier dress-registry export" in result.output
    assert (target / "notes.txt").read_text() == "keep me"
    out = export(seeded, tmp_path / "exp")
    export(seeded, out, "--overwrite", "--format", "json")
    assert (out / "cases.json").exists() and not (out / "case_summary.csv").exists()


# -- round trip -------------------------------------------------------------------


def test_a_core_finding_listed_or_left_to_the_loader_gives_the_same_database(tmp_path):
    """A core finding with the case's `unstated` status and nothing else is one fact whether the file lists it
    (anywhere among its findings, as adjudicated files do) or leaves it out for the loader to add (as the YAML
    export does): the same rows with the same ids, evidence included, so the round trip below is exact."""
    import yaml

    from registry.cases.completeness import CORE_FINDINGS
    from registry.schema import migrate

    data = read_yaml(FIXTURE)
    for case in data["cases"]:
        named = list(case.get("findings") or [])
        listed = [{"finding": str(code), "status": case["unstated"]} for code in CORE_FINDINGS
                  if code not in {f["finding"] for f in named}]
        case["findings"] = [*reversed(listed[::2]), *reversed(named), *listed[1::2]]
    assert any(len(c["findings"]) > len(CORE_FINDINGS) // 2 for c in data["cases"])
    variant = tmp_path / FIXTURE.name
    variant.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    dumps = []
    for name, path in (("as_is", FIXTURE), ("listed", variant)):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        migrate.upgrade(engine)
        load(engine, [Document(str(path), parse_document(str(path), read_yaml(path)))])
        dumps.append(dump(engine))
        engine.dispose()
    assert dumps[0] == dumps[1]


@pytest.mark.read_only
def test_round_trip_yaml_export_import_export_is_identical(seeded, tmp_path):
    """The seed-format YAML is the lossless export: import it into an empty database, export again, same files.
    The JSON export of the two databases is identical too (the YAML lost nothing JSON shows)."""
    first = export(seeded, tmp_path / "first", "--format", "yaml")
    first_json = export(seeded, tmp_path / "first_json", "--format", "json")

    from registry.schema import migrate

    empty_url = f"sqlite:///{tmp_path / 'empty.db'}"
    empty = make_engine(empty_url)
    migrate.upgrade(empty)
    try:
        files = sorted(str(p) for p in (first / "seed").glob("*.yaml"))
        result = run_cli(empty_url, "import", *files)
        assert result.exit_code == 0, result.output
        second = export(empty, tmp_path / "second", "--format", "yaml")
        second_json = export(empty, tmp_path / "second_json", "--format", "json")
        again = run_cli(empty_url, "import", *files)
        assert again.exit_code == 0 and "no changes" in again.output, again.output
    finally:
        empty.dispose()

    names = sorted(p.name for p in (first / "seed").glob("*.yaml"))
    assert names == sorted(p.name for p in (second / "seed").glob("*.yaml")) and "testfix2020.yaml" in names
    for name in names:
        assert (first / "seed" / name).read_bytes() == (second / "seed" / name).read_bytes(), name
    assert (first_json / "cases.json").read_bytes() == (second_json / "cases.json").read_bytes()
    for name in ("codebook.csv", "codebook.md", "citations.ris", "citations.bib"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.read_only
def test_exported_yaml_is_valid_seed_format(seeded, tmp_path):
    out = export(seeded, tmp_path / "y", "--format", "yaml")
    docs = read_documents(sorted((out / "seed").glob("*.yaml")))
    fixture = next(d.doc for d in docs if d.doc.publication.key == "testfix2020")
    one = next(c for c in fixture.cases if c.key == "testfix2020-1")
    assert one.missing["age_value"].status == "not_available" and one.missing["age_value"].at == "Tabelle 1"
    assert [f.finding for f in one.findings] == ["fever", "rash", "skin_biopsy_suggestive"]
    assert next(c for c in fixture.cases if c.key == "testfix2020-2").unstated == "not_available"


def test_export_reads_without_writing(seeded, tmp_path):
    before = dump(seeded)
    for fmt in ("csv", "json", "xlsx", "yaml"):
        export(seeded, tmp_path / fmt, "--format", fmt)
    assert dump(seeded) == before


# -- from a published file ----------------------------------------------------------


def _before_publishing(engine) -> None:
    """One synthetic case, and the registry's own scores stored in the working database (`score --store`;
    publish computes them into the file only), so that the working database and its published file hold the
    same facts."""
    write_synthetic_case(engine)
    store_registry_assessments(engine)


@pytest.fixture(scope="module")
def published_build(seeded_template, db_templates, tmp_path_factory) -> tuple[Path, dict]:
    """Once per module and backend: a copy of the seeded database, prepared as `published_file` prepares a
    test's working database and published with --allow-synthetic; the file and every row it was built from."""
    url = db_templates.copy(seeded_template)
    engine = make_engine(url)
    try:
        _before_publishing(engine)
        path = publish(engine, tmp_path_factory.mktemp("published") / "dist", allow_synthetic=True).path
        return path, dump(engine)
    finally:
        engine.dispose()
        db_templates.drop(url)


@pytest.fixture
def published_file(seeded, published_build, tmp_path) -> Path:
    """The seeded registry plus one synthetic case, published with --allow-synthetic. The registry's own scores
    are stored in the working database first (`score --store`; publish computes them into the file only), so
    both hold the same facts. The file is a copy of `published_build`'s, built once per module from a
    database that held exactly the rows this test's working database now holds."""
    _before_publishing(seeded)
    path, rows = published_build
    assert dump(seeded) == rows
    shutil.copytree(path.parent, tmp_path / "dist")
    return tmp_path / "dist" / path.name


@pytest.fixture
def small_published(sqlite_engine, tmp_path) -> Path:
    load(sqlite_engine, [fixture_document()])
    return publish(sqlite_engine, tmp_path / "dist").path


def export_file(path: Path, out: Path, *args: str) -> Path:
    """Export from a published file (the --database URL is not used)."""
    result = run_cli("sqlite:///unused.db", "export", "--published", str(path), "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return out


def same_folders(a: Path, b: Path) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        if (a / name).is_dir():
            same_folders(a / name, b / name)
        else:
            assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize("args, synthetic", [
    ((), False),
    (("--include-synthetic", "--raw", "--excel"), True),
    (("--case", "testfix2020-2", "--case", "park2021-1"), False),
    (("--drug", "Carbamazepine", "--year-from", "2020", "--include-synthetic"), False),
    (("--indication", "FOCAL"), False),
], ids=["default", "synthetic-raw-excel", "cases", "drug-year", "indication"])
def test_published_file_exports_the_same_files_as_its_working_database(seeded, published_file, tmp_path,
                                                                       monkeypatch, args, synthetic):
    """Publish, export from the working database and from the file: every file byte for byte, the case
    table included (rebuilt by the publish code from the working database; read from the file's baked
    case_summary, with labels and NR / NA-SRC added in SQL)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    working = export(seeded, tmp_path / "working", *args)
    from_file = export_file(published_file, tmp_path / "published", *args)
    same_folders(working, from_file)
    summary = read_csv(from_file / "case_summary.csv")
    assert any(r["case_key"] == "synth0001-1" for r in summary) == synthetic
    if not args:
        two = row_of(summary, case_key="testfix2020-2")
        assert two["onset_day"] == "NA-SRC" and two["dechallenge_result_label"] == "NA-SRC"


def test_published_file_exports_every_format_as_the_working_database(seeded, published_file, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for fmt in ("json", "yaml"):
        same_folders(export(seeded, tmp_path / f"w{fmt}", "--format", fmt),
                     export_file(published_file, tmp_path / f"p{fmt}", "--format", fmt))
    working = read_xlsx(export(seeded, tmp_path / "wx", "--format", "xlsx") / "registry.xlsx")
    from_file = read_xlsx(export_file(published_file, tmp_path / "px", "--format", "xlsx") / "registry.xlsx")
    assert working == from_file


def test_published_case_table_streams_in_chunks_and_writes_alone(published_file, tmp_path):
    """write_case_csv (the lean entry point: no SQLAlchemy) writes the export's case_summary.csv."""
    everything = Selection(include_synthetic=True)
    conn = open_published(published_file)
    try:
        assert case_table_header(summary_columns(conn)) == CASE_TABLE.column_names
        small = list(case_table_rows(conn, everything, chunk=1))
        big = list(case_table_rows(conn, everything, chunk=10_000))
    finally:
        conn.close()
    assert len(small) > 1 and len(big) == 1 and [r for p in small for r in p] == big[0]
    assert write_case_csv(published_file, tmp_path / "cases.csv", everything) == len(big[0])
    out = export_file(published_file, tmp_path / "x", "--include-synthetic")
    assert (tmp_path / "cases.csv").read_bytes() == (out / "case_summary.csv").read_bytes()


def test_published_case_table_needs_no_sqlalchemy():
    import subprocess
    import sys

    code = "import sys, registry.outputs.export.published; print(sorted(m for m in sys.modules if m.startswith('sqlalchemy')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_a_database_url_naming_a_published_file_exports_from_it_without_changing_it(small_published, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # README.md states when: the two exports may straddle a second
    before = small_published.read_bytes()
    result = run_cli(f"sqlite:///{small_published}", "export", "--out", str(tmp_path / "x"))
    assert result.exit_code == 0, result.output
    same_folders(tmp_path / "x", export_file(small_published, tmp_path / "y"))
    assert small_published.read_bytes() == before
    assert sorted(p.name for p in small_published.parent.iterdir()) == ["files", "inspect-data.json", "metadata.json",
                                                                        "registry.db"]  # no -wal


def test_published_export_refuses_what_is_not_a_complete_published_file(small_published, sqlite_url, tmp_path):
    import shutil
    import sqlite3

    def copy(name: str, sql: str) -> Path:
        path = tmp_path / name
        shutil.copy(small_published, path)
        with sqlite3.connect(path) as conn:
            conn.execute(sql)
        conn.close()
        return path

    text = tmp_path / "notes.txt"
    text.write_text("not a database " * 100)
    working = Path(sqlite_url.removeprefix("sqlite:///"))
    cases = [
        (tmp_path / "nothing.db", "no such file"),
        (text, "is not a SQLite file"),
        (working, "is not a published registry file (no case_summary table)"),
        (copy("no-findings.db", "DROP TABLE findings"), "no table findings"),
        (copy("old.db", "ALTER TABLE case_summary DROP COLUMN score_flags"), "not this version's case table"),
    ]
    for path, message in cases:
        result = run_cli(sqlite_url, "export", "--published", str(path), "--out", str(tmp_path / "x"))
        assert result.exit_code == 2, result.output
        assert message in result.output and str(path) in result.output and len(result.output.splitlines()) == 1
        assert not (tmp_path / "x").exists()


def test_evidence_facts_read_as_the_site_words_them(small_published, tmp_path):
    """One home for the wording: the export's evidence.fact is the published evidence_facts.fact, row for row."""
    out = export_file(small_published, tmp_path / "out")
    with (out / "evidence.csv").open(encoding="utf-8") as f:
        exported = [r["fact"] for r in csv.DictReader(f)]
    conn = sqlite3.connect(small_published)
    try:
        site = [fact for (fact,) in conn.execute(
            "select ef.fact from evidence_facts ef join evidence e on e.id = ef.evidence_id "
            "join cases c on c.id = e.case_id order by c.case_key, e.id")]
    finally:
        conn.close()
    assert exported == site and all(exported)
    assert "Age" in exported
