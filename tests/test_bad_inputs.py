"""A catalogue of bad inputs: each refused with one clear line, exit code 2, no traceback, the database untouched.

Every case is one file (YAML in the seed format, or the flat case CSV) made
from a valid base by one change, grouped by kind (the first part of its id).
Each runs `dress-registry import FILE` in-process (click's CliRunner, the
same group and error handling as the installed command) against its own copy
of a SQLite file that holds tests/data/export_fixture.yaml, and asserts:

* exit code 2;
* stderr is exactly one line, `dress-registry: error: FILE: ...`, naming the
  file and then the record/row and field (the case's fragments);
* no traceback;
* the database file is byte for byte what it was (and no write-ahead log is
  left beside it).

A representative subset runs against PostgreSQL (every row of every table
unchanged), another through `seed --dir`, and a handful as real subprocesses.
"""

from __future__ import annotations

import copy
import csv
import gc
import io
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from registry.cli import cli
from registry.core.db import writing
from registry.core.inputs import INPUT_LIMIT_ENV, YAML_MAX_ALIASES, YAML_MAX_DEPTH
from registry.cases.documents import Document, parse_document, read_yaml
from registry.ingest.seed import load_documents
from tests.helpers import dump

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "export_fixture.yaml"

# -- the valid bases --------------------------------------------------------------------------


def _base_doc() -> dict[str, Any]:
    """The fixture as a new publication with new cases (valid: it imports)."""
    doc = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    pub = doc["publication"]
    pub.update(key="bad2021", doi="10.5555/bad.2021.1", pmid=99999960)
    for i, case in enumerate(doc["cases"], start=1):
        case["key"] = f"bad2021-{i}"
    return doc


BASE_DOC = _base_doc()

CSV_BASE = {
    "publication_key": "badcsv2021", "authors": "Doe J", "title": "A title", "journal": "Test J", "year": "2021",
    "doi": "10.5555/badcsv.2021.1", "pmid": "99999970", "language": "en", "article_type": "case_report",
    "source_access": "full_text", "case_key": "badcsv2021-1", "sex": "female", "age_value": "40", "age_unit": "a",
    "country": "FR", "onset_day": "10", "drug": "allopurinol", "start_day": "1", "dose_value": "300", "dose_unit": "mg",
    "death": "false", "summary": "A short summary.", "source_locator": "Abs. 1",
}


def yaml_text(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200)


def mutated(change: Callable[[dict[str, Any]], Any]) -> bytes:
    doc = copy.deepcopy(BASE_DOC)
    change(doc)
    return yaml_text(doc).encode("utf-8")


def dual(**fields: Any) -> dict[str, Any]:
    """A dual-extraction block for the seed document, with `fields` changed."""
    return {"extractor": "curator-a", "second_extractor": "curator-b", **fields}


def agreement(**fields: Any) -> dict[str, Any]:
    return {"kind": "code", "compared": 10, "agreed": 9, "kappa": 0.8, **fields}


def csv_bytes(*rows: dict[str, str], header: list[str] | None = None) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    header = header or list(dict.fromkeys(k for r in rows for k in r)) or list(CSV_BASE)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    return out.getvalue().encode("utf-8")


def csv_with(**cells: str) -> bytes:
    return csv_bytes({**CSV_BASE, **cells})


def case0(d):
    return d["cases"][0]


def x0(d):
    return case0(d)["exposures"][0]


def replaced(old: str, new: str) -> bytes:
    text = yaml_text(BASE_DOC)
    assert old in text, old
    return text.replace(old, new, 1).encode("utf-8")


def _billion_laughs() -> bytes:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    return ("\n".join(lines) + "\n").encode()


# -- the catalogue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    id: str  # kind-what
    name: str  # file name
    content: bytes
    expect: tuple[str, ...]  # fragments of the one message, after the file name
    env: dict[str, str] = field(default_factory=dict)
    #: The database CHECK constraint this case's check is the twin of.
    check: str | None = None

    @property
    def kind(self) -> str:
        return self.id.split("-", 1)[0]


def Y(id: str, content: bytes, *expect: str, check: str | None = None, **env: str) -> Bad:
    return Bad(id, f"{id}.yaml", content, expect, env, check)


def CSV(id: str, content: bytes, *expect: str, check: str | None = None, **env: str) -> Bad:
    return Bad(id, f"{id}.csv", content, expect, env, check)


LATIN1_YAML = yaml_text(BASE_DOC).encode("latin-1", errors="replace")
assert LATIN1_YAML.decode("latin-1") != LATIN1_YAML.decode("utf-8", errors="replace")

CATALOGUE: list[Bad] = [
    # -- encoding ------------------------------------------------------------------------------
    Y("encoding-latin1-yaml", LATIN1_YAML, "not UTF-8 (byte 0xFC", "save the file as UTF-8"),
    CSV("encoding-latin1-csv", csv_with(authors="Müller J").decode().encode("latin-1"), "line 2: not UTF-8 (byte 0xFC"),
    CSV("encoding-cp1252-quotes-csv", csv_with(summary="\u201cquoted\u201d").decode().encode("cp1252"), "line 2: not UTF-8 (byte 0x93"),
    Y("encoding-utf16le-yaml", yaml_text(BASE_DOC).encode("utf-16"), "UTF-16 (byte order mark FF FE), not UTF-8"),
    CSV("encoding-utf16be-csv", b"\xfe\xff" + csv_with().decode().encode("utf-16-be"), "UTF-16 (byte order mark FE FF)"),
    Y("encoding-invalid-sequence-yaml", replaced("Patient 2", "Patient X").replace(b"X", b"\xc3("), "not UTF-8 (byte 0xC3"),
    CSV("encoding-truncated-csv", csv_with() + b"\xe2\x82", "not UTF-8 (byte 0xE2"),
    Y("encoding-surrogate-yaml", replaced("Patient 2", "Patient X").replace(b"X", b"\xed\xa0\x80"), "not UTF-8 (byte 0xED"),
    # -- syntax --------------------------------------------------------------------------------
    Y("syntax-unclosed-flow", b"publication: {key: x, title: [unclosed\n", "not valid YAML"),
    Y("syntax-tab-indent", b"publication:\n\tkey: x\n", "line 2: not valid YAML"),
    Y("syntax-unclosed-quote", b'publication:\n  key: "x\n  title: y\n', "not valid YAML"),
    Y("syntax-two-documents", yaml_text(BASE_DOC).encode() + b"---\n" + yaml_text(BASE_DOC).encode(), "expected a single document"),
    Y("syntax-undefined-alias", b"publication: *nowhere\n", "found undefined alias 'nowhere'"),
    Y("syntax-python-tag", b"publication: !!python/object/apply:os.system [echo hi]\n", "line 1:", "is not allowed (plain values"),
    Y("syntax-binary-tag", replaced("label_in_source: Patient 2", "label_in_source: !!binary UGF0aWVudA=="), "tag:yaml.org,2002:binary"),
    Y("syntax-complex-key", b"publication:\n  ? [a, b]\n  : 1\n", "line 2:", "a mapping key must be a plain value"),
    CSV("syntax-unclosed-quote-csv", csv_with() + b'badcsv2021,"Doe J,unclosed\r\n', "line 3: not valid CSV"),
    CSV("syntax-ragged-csv", csv_with() + b"badcsv2021,Doe J\r\n", "line 3: 2 fields, but the header has 23"),
    CSV("syntax-text-after-quote-csv", csv_with().replace(b"Doe J", b'"Doe" J', 1), "line 2: not valid CSV"),
    # -- structure -----------------------------------------------------------------------------
    Y("structure-top-level-list", b"- publication: x\n", "expected a mapping of fields, got a list"),
    Y("structure-top-level-scalar", b"just some text\n", "expected a mapping of fields, got text"),
    Y("structure-case-not-mapping", mutated(lambda d: d["cases"].append("bad2021-3")), "cases[2]: expected a mapping of fields, got text"),
    Y("structure-no-publication", yaml_text({"cases": BASE_DOC["cases"]}).encode(), "publication: Field required"),
    Y("structure-unknown-top-key", mutated(lambda d: d.update(case=[])), "case: Extra inputs are not permitted"),
    Y("structure-cases-mapping", mutated(lambda d: d.update(cases={"a": 1})), "cases: Input should be a valid list"),
    Y("structure-unknown-record-field", mutated(lambda d: x0(d).update(dose=1)), "cases[0].exposures[0].dose: Extra inputs"),
    Y("structure-empty", b"", "file is empty"),
    Y("structure-bom-and-comments", b"\xef\xbb\xbf# only a comment\n\n", "file is empty"),
    CSV("structure-header-only", csv_bytes(), "no case rows after the header line"),
    CSV("structure-unknown-column", csv_bytes(CSV_BASE, header=[*CSV_BASE, "gender"]), "line 1: unknown column(s) 'gender'"),
    CSV("structure-missing-required", csv_bytes(CSV_BASE, header=[h for h in CSV_BASE if h != "source_locator"]),
        "line 1: required column(s) missing: source_locator"),
    CSV("structure-empty-csv", b"\xef\xbb\xbf\r\n", "file is empty"),
    Bad("structure-unknown-file-type", "structure-unknown-file-type.json", b"{}", ("unknown file type '.json'",)),
    # -- types ---------------------------------------------------------------------------------
    Y("types-age-text", mutated(lambda d: case0(d).update(age_value="sixty", age_unit="a")),
      "cases[0].age_value: Input should be a valid number"),
    Y("types-onset-fraction", mutated(lambda d: case0(d).update(onset_day=2.5)), "cases[0].onset_day: Input should be a valid integer"),
    Y("types-death-maybe", mutated(lambda d: case0(d)["outcome"].update(death="maybe")), "cases[0].outcome.death: Input should be a valid boolean"),
    Y("types-pmid-text", mutated(lambda d: d["publication"].update(pmid="abc")), "publication.pmid: Input should be a valid integer"),
    Y("types-country-boolean", mutated(lambda d: case0(d).update(country=False)), "cases[0].country: Input should be a valid string"),
    Y("types-src-not-list", mutated(lambda d: case0(d).update(src="Abs. 1")), "cases[0].src: Input should be a valid list"),
    Y("types-lab-value-list", mutated(lambda d: case0(d)["labs"][0].update(value=[1, 2])), "cases[0].labs[0].value: Input should be a valid number"),
    CSV("types-age-text-csv", csv_with(age_value="sixty"), "line 2: age_value: Input should be a valid number"),
    CSV("types-onset-fraction-csv", csv_with(onset_day="1.5"), "line 2: onset_day: Input should be a valid integer"),
    CSV("types-death-maybe-csv", csv_with(death="maybe"), "line 2: death: Input should be a valid boolean"),
    CSV("types-year-text-csv", csv_with(year="2021a"), "line 2: year: Input should be a valid integer"),
    CSV("structure-publication-authors-empty-csv", csv_with(authors=""),
        "line 2: authors: required (the publication is not in the registry yet); one that could not be read is entered "
        "in seed-format YAML, with missing.authors saying why"),
    # -- bounds --------------------------------------------------------------------------------
    Y("bounds-dose-inf", mutated(lambda d: x0(d)["doses"][0].update(dose_value=float("inf"))),
      "cases[0].exposures[0].doses[0].dose_value: must be a finite number (got inf)"),
    Y("bounds-dose-negative", mutated(lambda d: x0(d)["doses"][0].update(dose_value=-5)),
      "cases[0].exposures[0].doses[0].dose_value: Input should be greater than 0", check="ck_dose_regimens_dose_positive"),
    Y("bounds-ref-nan", mutated(lambda d: case0(d)["labs"][1].update(ref_low=float("nan"))), "cases[0].labs[1].ref_low: must be a finite number"),
    Y("bounds-lab-inf", mutated(lambda d: case0(d)["labs"][0].update(value=float("-inf"))), "cases[0].labs[0].value: must be a finite number"),
    Y("bounds-age-months-inf", mutated(lambda d: d["cases"][1].update(age_value=float("inf"), age_unit="mo")),
      "cases[1].age_value: must be a finite number"),
    Y("bounds-step-dose-inf", mutated(lambda d: x0(d)["challenges"][0]["steps"][0].update(dose_value=float("inf"))),
      "cases[0].exposures[0].challenges[0].steps[0].dose_value: must be a finite number"),
    Y("bounds-follow-up-2e64", mutated(lambda d: case0(d)["outcome"].update(follow_up_days=2**64)),
      "cases[0].outcome.follow_up_days: Input should be less than or equal to 36500", check="ck_case_outcomes_follow_up_sane"),
    Y("bounds-pmid-2e63", mutated(lambda d: d["publication"].update(pmid=2**63)), "publication.pmid: Input should be less than or equal to 2147483647"),
    Y("bounds-resolution-huge", mutated(lambda d: case0(d)["outcome"].update(time_to_resolution_days=10**12)),
      "cases[0].outcome.time_to_resolution_days: Input should be less than or equal to 36500", check="ck_case_outcomes_resolution_sane"),
    Y("bounds-recurrence-2e40", mutated(lambda d: x0(d)["challenges"][0].update(time_to_recurrence_days=2**40)),
      "cases[0].exposures[0].challenges[0].time_to_recurrence_days: Input should be less than or equal to 2147483647"),
    Y("bounds-protocol-day", mutated(lambda d: x0(d)["challenges"][0]["steps"][0].update(protocol_day=10**9)),
      "steps[0].protocol_day: Input should be less than or equal to 366", check="ck_challenge_steps_protocol_day_sane"),
    Y("bounds-interval-minutes", mutated(lambda d: x0(d)["challenges"][0]["steps"][1].update(interval_minutes=5000)),
      "steps[1].interval_minutes: Input should be less than or equal to 1440", check="ck_challenge_steps_interval_within_day"),
    Y("bounds-onset-day", mutated(lambda d: case0(d).update(onset_day=99999)), "cases[0].onset_day: Input should be less than or equal to 36500", check="ck_cases_onset_day_sane"),
    Y("bounds-age-150-years", mutated(lambda d: d["cases"][1].update(age_value=150)), "cases[1]: age_value 150.0 years is over 120", check="ck_cases_age_0_120_years"),
    Y("bounds-year-1800", mutated(lambda d: d["publication"].update(year=1800)), "publication.year: Input should be greater than or equal to 1900", check="ck_publications_year_sane"),
    Y("bounds-regiscar-points", mutated(lambda d: case0(d)["assessments"][0]["items"][0].update(points=1_000_000)),
      "cases[0].assessments[0]: items[0].points: 1000000 is not a regiscar_dress score for 'fever'; allowed: -1, 0"),
    Y("bounds-regiscar-total", mutated(lambda d: case0(d)["assessments"][0].update(total=42)),
      "cases[0].assessments[0]: total 42 is outside regiscar_dress's range -4..9", check="ck_assessments_regiscar_range"),
    Y("bounds-dose-stop-before-start", mutated(lambda d: x0(d)["doses"][0].update(stop_day=0)),
      "cases[0].exposures[0].doses[0]: stop_day 0 is before start_day 1"),
    Y("bounds-treatment-stop-before-start", mutated(lambda d: case0(d)["treatments"][0].update(stop_day=2)),
      "cases[0].treatments[0]: stop_day 2 is before start_day 23"),
    Y("bounds-exposure-stop-before-start", mutated(lambda d: x0(d).update(stop_day=-5)),
      "cases[0].exposures[0]: stop_day -5 is before start_day 1", check="ck_drug_exposures_stop_after_start"),
    Y("bounds-ref-range-reversed", mutated(lambda d: case0(d)["labs"][1].update(ref_low=100)),
      "cases[0].labs[1]: ref_low 100.0 is above ref_high 90.0", check="ck_lab_results_ref_range_ordered"),
    Y("bounds-onset-before-first-dose", mutated(lambda d: case0(d).update(onset_day=0)),
      "cases[0]: onset_day 0 is before the start_day 1 of the suspect drug carbamazepine"),
    Y("bounds-drug-name-long", mutated(lambda d: x0(d).update(drug="x" * 121)),
      "cases[0].exposures[0].drug: String should have at most 120 characters"),
    CSV("bounds-dose-inf-csv", csv_with(dose_value="inf"), "line 2: dose_value: must be a finite number (got 'inf')"),
    CSV("bounds-age-nan-csv", csv_with(age_value="nan"), "line 2: age_value: must be a finite number (got 'nan')"),
    CSV("bounds-pmid-huge-csv", csv_with(pmid="99999999999999999999"), "line 2: pmid: Input should be less than or equal to 2147483647"),
    CSV("bounds-onset-before-start-csv", csv_with(onset_day="-3"), "line 2: onset_day: -3 is before the start_day 1 of the suspect drug allopurinol"),
    # twins of the remaining CHECK constraints, one each
    Y("bounds-extraction-fields-compared", mutated(lambda d: d.update(extraction=dual(fields_compared=-1))),
      "extraction.fields_compared: Input should be greater than or equal to 0", check="ck_extraction_reports_fields_compared_sane"),
    Y("bounds-extraction-fields-differing", mutated(lambda d: d.update(extraction=dual(fields_differing=-2))),
      "extraction.fields_differing: Input should be greater than or equal to 0", check="ck_extraction_reports_fields_differing_sane"),
    Y("bounds-extraction-compared", mutated(lambda d: d.update(extraction=dual(agreement=[agreement(compared=-1, agreed=0)]))),
      "extraction.agreement[0].compared: Input should be greater than or equal to 0", check="ck_extraction_agreement_compared_sane"),
    Y("bounds-extraction-agreed", mutated(lambda d: d.update(extraction=dual(agreement=[agreement(compared=3, agreed=4)]))),
      "extraction.agreement[0]: agreed 4 is more than compared 3", check="ck_extraction_agreement_agreed_sane"),
    Y("bounds-extraction-kappa", mutated(lambda d: d.update(extraction=dual(agreement=[agreement(kappa=1.5)]))),
      "extraction.agreement[0].kappa: Input should be less than or equal to 1", check="ck_extraction_agreement_kappa_sane"),
    Y("bounds-naranjo-total", mutated(lambda d: case0(d)["assessments"].append(
        {"instrument": "naranjo", "exposure_drug": "carbamazepine", "total": 20, "src": [{"at": "Diskussion"}]})),
      "cases[0].assessments[1]: total 20 is outside naranjo's range -4..13", check="ck_assessments_naranjo_range"),
    Y("bounds-resolution-day", mutated(lambda d: case0(d)["outcome"].update(resolution_day=40000)),
      "cases[0].outcome.resolution_day: Input should be less than or equal to 36500", check="ck_case_outcomes_resolution_day_sane"),
    Y("bounds-age-without-unit", mutated(lambda d: d["cases"][1].pop("age_unit")), "cases[1]: age_value and age_unit go together",
      check="ck_cases_age_value_has_unit"),
    Y("bounds-recurrence-negative", mutated(lambda d: x0(d)["challenges"][0].update(time_to_recurrence_days=-1)),
      "challenges[0].time_to_recurrence_days: Input should be greater than or equal to 0", check="ck_challenge_events_recurrence_nonnegative"),
    Y("bounds-challenge-start-day", mutated(lambda d: x0(d)["challenges"][0].update(start_day=40000)),
      "challenges[0].start_day: Input should be less than or equal to 36500", check="ck_challenge_events_start_day_sane"),
    Y("bounds-step-dose-zero", mutated(lambda d: x0(d)["challenges"][0]["steps"][0].update(dose_value=0)),
      "steps[0].dose_value: Input should be greater than 0", check="ck_challenge_steps_dose_positive"),
    Y("bounds-reference-number-zero", mutated(lambda d: d.update(cites=[{"pub": "testfix2020", "reference_number": 0}])),
      "cites[0].reference_number: Input should be greater than 0", check="ck_citations_reference_number_positive"),
    Y("bounds-dose-interval-zero", mutated(lambda d: x0(d)["doses"][0].update(interval_value=0)),
      "doses[0].interval_value: Input should be greater than 0", check="ck_dose_regimens_interval_positive"),
    Y("bounds-dose-start-day", mutated(lambda d: x0(d)["doses"][0].update(start_day=-40000)),
      "doses[0].start_day: Input should be greater than or equal to -36500", check="ck_dose_regimens_start_day_sane"),
    Y("bounds-dose-stop-day", mutated(lambda d: x0(d)["doses"][0].update(stop_day=40000)),
      "doses[0].stop_day: Input should be less than or equal to 36500", check="ck_dose_regimens_stop_day_sane"),
    Y("bounds-exposure-start-day", mutated(lambda d: x0(d).update(start_day=-40000)),
      "cases[0].exposures[0].start_day: Input should be greater than or equal to -36500", check="ck_drug_exposures_start_day_sane"),
    Y("bounds-exposure-stop-day", mutated(lambda d: x0(d).update(stop_day=40000)),
      "cases[0].exposures[0].stop_day: Input should be less than or equal to 36500", check="ck_drug_exposures_stop_day_sane"),
    Y("bounds-finding-day", mutated(lambda d: case0(d)["findings"][0].update(day=40000)),
      "cases[0].findings[0].day: Input should be less than or equal to 36500", check="ck_findings_day_sane"),
    Y("bounds-investigation-day", mutated(lambda d: case0(d)["investigations"][0].update(day=-40000)),
      "cases[0].investigations[0].day: Input should be greater than or equal to -36500", check="ck_investigations_day_sane"),
    Y("bounds-lab-day", mutated(lambda d: case0(d)["labs"][0].update(day=40000)),
      "cases[0].labs[0].day: Input should be less than or equal to 36500", check="ck_lab_results_day_sane"),
    Y("bounds-lab-negative", mutated(lambda d: case0(d)["labs"][0].update(value=-1)),
      "cases[0].labs[0].value: Input should be greater than or equal to 0", check="ck_lab_results_value_nonnegative"),
    Y("bounds-pmid-zero", mutated(lambda d: d["publication"].update(pmid=0)), "publication.pmid: Input should be greater than 0",
      check="ck_publications_pmid_positive"),
    Y("bounds-treatment-dose-negative", mutated(lambda d: case0(d)["treatments"][0].update(dose_value=-1)),
      "cases[0].treatments[0].dose_value: Input should be greater than 0", check="ck_treatments_dose_positive"),
    Y("bounds-treatment-start-day", mutated(lambda d: case0(d)["treatments"][0].update(start_day=-40000)),
      "cases[0].treatments[0].start_day: Input should be greater than or equal to -36500", check="ck_treatments_start_day_sane"),
    Y("bounds-treatment-stop-day", mutated(lambda d: case0(d)["treatments"][0].update(stop_day=40000)),
      "cases[0].treatments[0].stop_day: Input should be less than or equal to 36500", check="ck_treatments_stop_day_sane"),
    Y("bounds-recurrence-hours-negative", mutated(lambda d: x0(d)["challenges"][0].update(time_to_recurrence_hours=-1)),
      "challenges[0].time_to_recurrence_hours: Input should be greater than or equal to 0",
      check="ck_challenge_events_recurrence_hours_sane"),
    Y("bounds-recurrence-hours-disagree", mutated(lambda d: x0(d)["challenges"][0].update(
        time_to_recurrence_hours=12, time_to_recurrence_days=2)),
      "challenges[0]: time_to_recurrence_hours 12 is day 0, but time_to_recurrence_days is 2"),
    Y("bounds-genetic-allele-of-gene", mutated(lambda d: case0(d).update(genetic_tests=[
        {"gene": "HLA-B", "allele": "HLA-A*31:01", "result": "carrier", "src": [{"at": "Abs. 2"}]}])),
      "cases[0].genetic_tests[0]: allele 'HLA-A*31:01' does not start with the gene 'HLA-B'",
      check="ck_genetic_tests_allele_of_gene"),
    Y("bounds-genetic-day", mutated(lambda d: case0(d).update(genetic_tests=[
        {"gene": "HLA-B", "result": "carrier", "day": 40000, "src": [{"at": "Abs. 2"}]}])),
      "cases[0].genetic_tests[0].day: Input should be less than or equal to 36500", check="ck_genetic_tests_day_sane"),
    Y("bounds-procedure-start-day", mutated(lambda d: case0(d).update(procedures=[
        {"procedure": "icu_admission", "start_day": -40000, "src": [{"at": "Abs. 3"}]}])),
      "cases[0].procedures[0].start_day: Input should be greater than or equal to -36500",
      check="ck_procedures_start_day_sane"),
    Y("bounds-procedure-duration-negative", mutated(lambda d: case0(d).update(procedures=[
        {"procedure": "haemodialysis", "duration_days": -1, "src": [{"at": "Abs. 3"}]}])),
      "cases[0].procedures[0].duration_days: Input should be greater than or equal to 0", check="ck_procedures_duration_sane"),
    Y("bounds-publication-year-unknown-without-reason", mutated(lambda d: d["publication"].pop("year")),
      "publication: year: give it, or say why it is unknown under missing.year"),
    Y("bounds-publication-reason-for-known-year", mutated(lambda d: d["publication"].update(
        missing={"year": {"status": "not_available"}})),
      "publication: missing.year: year is given (2020); a known value has no missing reason"),
    Y("bounds-publication-missing-not-a-field", mutated(lambda d: d["publication"].update(
        missing={"volume": {"status": "not_reported"}})),
      "publication.missing.volume: not a key fact of this record (authors, journal, year)"),
    Y("bounds-publication-authors-unknown-without-reason", mutated(lambda d: d["publication"].pop("authors")),
      "publication: authors: give it, or say why it is unknown under missing.authors"),
    Y("bounds-publication-reason-for-known-authors", mutated(lambda d: d["publication"].update(
        missing={"authors": {"status": "not_reported"}})),
      "publication: missing.authors: authors is given ("),
    CSV("bounds-interval-infinity-csv", csv_with(interval_value="-Infinity", interval_unit="d"),
        "line 2: interval_value: must be a finite number (got '-Infinity')"),
    # -- vocabulary codes ---------------------------------------------------------------------------
    Y("codes-genotype-result", mutated(lambda d: case0(d).update(genetic_tests=[
        {"gene": "HLA-B", "result": "positive", "src": [{"at": "Abs. 2"}]}])),
      "cases[0].genetic_tests[0].result: unknown genotype_result code 'positive'; allowed: carrier, non_carrier, indeterminate"),
    Y("codes-lab-unit-ng-per-l", mutated(lambda d: case0(d).update(labs=[
        {"analyte": "tarc", "value": 24000, "unit": "ng/L", "src": [{"at": "Abs. 2"}]}])),
      "cases[0].labs[0].unit: unknown lab_unit code 'ng/L'"),
    Y("codes-dose-unit-g-per-kg-spelling", mutated(lambda d: case0(d).update(treatments=[
        {"drug": "immunoglobulin", "category": "ivig", "dose_value": 2, "dose_unit": "g/kg/d", "src": [{"at": "Abs. 3"}]}])),
      "cases[0].treatments[0].dose_unit: unknown dose_unit code 'g/kg/d'"),
    Y("codes-procedure", mutated(lambda d: case0(d).update(procedures=[{"procedure": "dialysis", "src": [{"at": "Abs. 3"}]}])),
      "cases[0].procedures[0].procedure: unknown procedure code 'dialysis'"),
    Y("codes-gene-lower-case", mutated(lambda d: case0(d).update(genetic_tests=[
        {"gene": "hla-b", "result": "carrier", "src": [{"at": "Abs. 2"}]}])),
      "cases[0].genetic_tests[0].gene: String should match pattern"),
    Y("references-genetic-test-without-src", mutated(lambda d: case0(d).update(genetic_tests=[{"gene": "HLA-B", "result": "carrier"}])),
      "cases[0].genetic_tests[0]: no src (every record names its source)"),
    Y("codes-sex", mutated(lambda d: case0(d).update(sex="femme")), "cases[0].sex: unknown sex code 'femme'; allowed: male, female"),
    Y("codes-route", mutated(lambda d: x0(d).update(route="by mouth")), "cases[0].exposures[0].route: unknown route code 'by mouth'"),
    Y("codes-dose-unit", mutated(lambda d: x0(d)["doses"][0].update(dose_unit="mgs")), "doses[0].dose_unit: unknown dose_unit code 'mgs'"),
    Y("codes-analyte", mutated(lambda d: case0(d)["labs"][0].update(analyte="eos")), "cases[0].labs[0].analyte: unknown analyte code 'eos'"),
    Y("codes-finding", mutated(lambda d: case0(d)["findings"][0].update(finding="fevers")), "cases[0].findings[0].finding: unknown finding code 'fevers'"),
    Y("codes-instrument", mutated(lambda d: case0(d)["assessments"][0].update(instrument="scorad")),
      "cases[0].assessments[0].instrument: unknown instrument code 'scorad'"),
    Y("codes-regiscar-item", mutated(lambda d: case0(d)["assessments"][0]["items"][0].update(item="nosuch")),
      "cases[0].assessments[0]: items[0].item: unknown regiscar_dress item 'nosuch'; allowed: fever"),
    Y("codes-evidence-status", mutated(lambda d: case0(d)["src"][0].update(status="maybe")), "cases[0].src[0].status: unknown evidence_status code 'maybe'"),
    CSV("codes-sex-csv", csv_with(sex="femme"), "line 2: sex: unknown sex code 'femme'; allowed: male, female"),
    CSV("codes-age-unit-csv", csv_with(age_unit="years"), "line 2: age_unit: unknown age_unit code 'years'; allowed: a, mo"),
    # -- references ----------------------------------------------------------------------------------
    Y("references-src-pub", mutated(lambda d: case0(d)["labs"][0]["src"][0].update(pub="nosuch1999")),
      "cases[0].labs[0].src[0].pub: unknown publication 'nosuch1999'"),
    Y("references-link-pub", mutated(lambda d: case0(d).update(links=[{"pub": "nosuch1999", "role": "review_summary"}])),
      "cases[0].links[0].pub: unknown publication 'nosuch1999'"),
    Y("references-cites-pub", mutated(lambda d: d.update(cites=[{"pub": "nosuch1999", "reference_number": 1}])),
      "cites[0].pub: unknown publication 'nosuch1999'"),
    Y("references-src-field-typo", mutated(lambda d: case0(d)["labs"][0]["src"][0].update(field="valu")),
      "cases[0].labs[0].src[0].field: 'valu' is not a field of this record; allowed: analyte, comparator, day"),
    Y("references-missing-not-key", mutated(lambda d: case0(d)["labs"][0].update(missing={"value": {"status": "not_reported"}})),
      "cases[0].labs[0].missing.value: not a key fact of this record (this record has none)"),
    Y("references-case-missing-unknown", mutated(lambda d: case0(d).update(missing={"weight": {"status": "not_reported"}})),
      "cases[0].missing.weight: not a key fact of this record (age_value, country, onset_day, sex)"),
    Y("references-assessed-drug", mutated(lambda d: case0(d)["assessments"][0].update(exposure_drug="phenytoin")),
      "cases[0]: assessments[0].exposure_drug: 'phenytoin' is not a drug of this case's exposures"),
    Y("references-cites-self", mutated(lambda d: d.update(cites=[{"pub": "bad2021", "reference_number": 1}])),
      "cites[0].pub: the publication cannot cite itself", check="ck_citations_not_self"),
    Y("references-link-own-publication", mutated(lambda d: case0(d).update(links=[{"pub": "bad2021", "role": "review_summary"}])),
      "cases[0].links[0].pub: 'bad2021' is the case's own publication"),
    Y("references-sourced-fact-without-src", mutated(lambda d: case0(d).update(src=case0(d)["src"][1:])),
      "cases[0].sex: value has no source (add a src entry with field: sex)"),
    # -- duplicates -------------------------------------------------------------------------------------
    Y("duplicates-yaml-key", replaced("  sex: female\n", "  sex: female\n  sex: male\n"),
      "key 'sex' appears twice in the same mapping (first on line"),
    Y("duplicates-yaml-doi-key", replaced("  doi: 10.5555/bad.2021.1\n", "  doi: 10.5555/bad.2021.1\n  doi: 10.5555/bad.2021.2\n"),
      "key 'doi' appears twice in the same mapping"),
    Y("duplicates-drug-case", mutated(lambda d: d["drugs"].append({"name": "CARBAMAZEPINE"})),
      "drugs[1].name: 'carbamazepine' is also drugs[0] (names are compared without case)"),
    Y("duplicates-finding", mutated(lambda d: case0(d)["findings"].append(dict(case0(d)["findings"][0]))),
      "cases[0]: findings[3].finding: 'fever' listed twice"),
    Y("duplicates-assessment-item", mutated(lambda d: case0(d)["assessments"][0]["items"].append({"item": "fever", "points": 0})),
      "cases[0].assessments[0]: items[2].item: 'fever' listed twice"),
    Y("duplicates-assessment", mutated(lambda d: case0(d)["assessments"].append(copy.deepcopy(case0(d)["assessments"][0]))),
      "cases[0]: assessments[1]: a second regiscar_dress assessment"),
    Y("duplicates-cites-pub", mutated(lambda d: d.update(cites=[{"pub": "testfix2020", "reference_number": 1},
                                                                {"pub": "testfix2020", "reference_number": 2}])),
      "cites[1].pub: 'testfix2020' is also cites[0]"),
    Y("duplicates-cites-number", mutated(lambda d: d.update(cites=[{"pub": "testfix2020", "reference_number": 1},
                                                                   {"pub": "park2021", "reference_number": 1}])),
      "cites[1].reference_number: 1 is also cites[0]"),
    Y("duplicates-case-key", mutated(lambda d: d["cases"][1].update(key="bad2021-1")), "cases[1].key: 'bad2021-1' is also used in"),
    Y("duplicates-registered-doi", mutated(lambda d: d["publication"].update(doi="10.5555/testfix.2020.101")),
      "publication.doi: 10.5555/testfix.2020.101 is already registered as publication 'testfix2020'"),
    Y("duplicates-link", mutated(lambda d: case0(d).update(links=[{"pub": "testfix2020", "role": "review_summary"}] * 2)),
      "cases[0].links[1].pub: 'testfix2020' is also links[0]"),
    CSV("duplicates-case-key-csv", csv_bytes(CSV_BASE, {**CSV_BASE}), "line 3: case_key: 'badcsv2021-1' is also on line 2"),
    CSV("duplicates-column-csv", csv_bytes(CSV_BASE, header=[*CSV_BASE, "sex"]), "line 1: column(s) sex appear more than once"),
    CSV("duplicates-registered-case-csv", csv_bytes({"publication_key": "testfix2020", "case_key": "testfix2020-1",
                                                     "drug": "carbamazepine", "source_locator": "Tab. 1"},
                                                    header=["publication_key", "case_key", "drug", "source_locator"]),
        "line 2: case_key: 'testfix2020-1' is already in the registry"),
    # -- size ---------------------------------------------------------------------------------------------
    Y("size-yaml-over-limit", yaml_text(BASE_DOC).encode(), "larger than the input limit of 1,048 bytes", **{INPUT_LIMIT_ENV: "0.001"}),
    CSV("size-csv-over-limit", csv_with(summary="x" * 3000), "larger than the input limit of 1,048 bytes", **{INPUT_LIMIT_ENV: "0.001"}),
    Y("size-billion-laughs", _billion_laughs(), "line 4:", "the aliases expand to more than 10,000 values"),
    Y("size-many-aliases", ("a: &a x\nb: [" + ", ".join(["*a"] * (YAML_MAX_ALIASES + 1)) + "]\n").encode(),
      f"more than {YAML_MAX_ALIASES:,} aliases"),
    Y("size-deep-nesting", ("publication: " + "[" * 5000 + "]" * 5000 + "\n").encode(), f"nested more than {YAML_MAX_DEPTH} levels deep"),
    Y("size-recursive-alias", b"publication: &p\n  key: x\n  self: *p\n", "alias *p refers to a list or mapping that contains it"),
    Y("size-text-over-4000", mutated(lambda d: case0(d).update(summary="y" * 4001)), "cases[0].summary: String should have at most 4000 characters"),
    CSV("size-cell-over-4000-csv", csv_with(summary="y" * 5000), "line 2: summary: text of 5,000 characters is over the limit of 4,000"),
    Y("size-doi-over-column", mutated(lambda d: d["publication"].update(doi="10.5555/" + "d" * 200)),
      "publication.doi: String should have at most 200 characters"),
    Y("size-publication-key-over-column", mutated(lambda d: d["publication"].update(key="k" * 61)),
      "publication.key: String should have at most 60 characters"),
    # -- hostile text -------------------------------------------------------------------------------------
    Y("hostile-nul-escape", mutated(lambda d: case0(d).update(summary="before\x00after")),
      "cases[0].summary: control character U+0000 (NUL) at character 7 is not allowed in text"),
    Y("hostile-nul-raw", replaced("Patient 2", "Patient\x002"), "line", "column", "control character U+0000 (NUL) is not allowed in a YAML file"),
    Y("hostile-escape-sequence", mutated(lambda d: x0(d).update(notes="\x1b[31mred\x1b[0m")),
      "cases[0].exposures[0].notes: control character U+001B (ESC)"),
    Y("hostile-bell-in-drug-class", mutated(lambda d: d["drugs"][0].update(drug_class="anticonvulsant\x07")),
      "drugs[0].drug_class: control character U+0007 (BEL)"),
    Y("hostile-del-in-title", mutated(lambda d: d["publication"].update(title="Title\x7f")), "publication.title: control character U+007F (DEL)"),
    Y("hostile-form-feed-in-locator", mutated(lambda d: case0(d)["src"][0].update(at="p.\x0c3")), "cases[0].src[0].at: control character U+000C (form feed)"),
    Y("hostile-sql-in-drug", mutated(lambda d: x0(d).update(drug="x'); drop table cases;--")),
      "cases[0].exposures[0].drug: String should match pattern"),
    Y("hostile-path-in-key", mutated(lambda d: d["publication"].update(key="../../etc/passwd")), "publication.key: String should match pattern"),
    Y("hostile-empty-treatment-drug", mutated(lambda d: case0(d)["treatments"][0].update(drug="  ")),
      "cases[0].treatments[0].drug: String should have at least 1 character"),
    CSV("hostile-nul-csv", csv_with(summary="a\x00b"), "line 2: summary: control character U+0000 (NUL) at character 2"),
    CSV("hostile-form-feed-csv", csv_with(summary="page one\x0cpage two"), "line 2: summary: control character U+000C (form feed)"),
    CSV("hostile-vertical-tab-csv", csv_with(authors="Doe\x0bJ"), "line 2: authors: control character U+000B (VT)"),
]

BY_ID = {b.id: b for b in CATALOGUE}
KINDS = ("encoding", "syntax", "structure", "types", "bounds", "codes", "references", "duplicates", "size", "hostile")


#: CHECK constraints on columns no seed document or CSV row writes.
NOT_WRITTEN_BY_INPUT = {"ck_assessments_interval_ordered": "total_min/total_max: registry-computed assessments only"}

#: Tables no seed document or case CSV writes: `intake` and `screen` write the first four, from search exports
#: and screening sheets (their refusals are tested in tests/test_intake.py and tests/test_screening.py); the
#: audit log is written by the registry itself, from the changes it makes (tests/test_audit.py).
NOT_FROM_CASE_INPUT = {"searches", "search_records", "candidates", "screening_decisions", "audit_changes", "audit_log"}


def test_every_check_constraint_has_a_twin_in_the_catalogue():
    """Each CHECK in the models is exercised by a catalogue case: validation refuses it first, naming file,
    record and field, so the database's own message never reaches a curator."""
    from sqlalchemy import CheckConstraint

    from registry.core.db import metadata

    checks = {c.name for t in metadata.sorted_tables if t.name not in NOT_FROM_CASE_INPUT
              for c in t.constraints if isinstance(c, CheckConstraint)}
    twins = {b.check for b in CATALOGUE if b.check}
    assert twins <= checks, twins - checks
    assert checks - twins == set(NOT_WRITTEN_BY_INPUT), checks - twins


def test_the_catalogue_is_large_and_grouped():
    counts = Counter(b.kind for b in CATALOGUE)
    assert set(counts) == set(KINDS), counts
    assert len(BY_ID) == len(CATALOGUE) >= 80
    assert min(counts.values()) >= 5, counts


# -- running a case ------------------------------------------------------------------------------


def _load_fixture(engine) -> None:
    doc = Document(str(FIXTURE), parse_document(str(FIXTURE), read_yaml(FIXTURE)))
    with writing(engine) as conn:
        load_documents(conn, [doc])


@pytest.fixture(scope="module")
def sqlite_template(db_templates):
    return db_templates.derive("sqlite", _load_fixture)


def write_case(bad: Bad, folder: Path) -> Path:
    path = folder / bad.name
    path.write_bytes(bad.content)
    return path


def run(args: list[str]) -> tuple[int, str, str]:
    """The command in-process: exit code, stdout, stderr. The result (whose traceback holds the command's
    engine) is dropped and collected, so the engine's connections close and SQLite removes its write-ahead log."""
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    out = result.exit_code, result.stdout, result.stderr
    del result
    gc.collect()
    return out


def check_message(bad: Bad, path: Path, stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    prefix = f"dress-registry: error: {path}: "
    assert lines[0].startswith(prefix), (prefix, stderr)
    for fragment in bad.expect:
        assert fragment in lines[0], (fragment, stderr)
    return lines[0]


@pytest.mark.parametrize("bad", CATALOGUE, ids=lambda b: b.id)
def test_bad_input_is_refused(bad, sqlite_template, tmp_path, monkeypatch):
    db = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template.location, db)
    before = db.read_bytes()
    for k, v in bad.env.items():
        monkeypatch.setenv(k, v)
    path = write_case(bad, tmp_path)
    exit_code, stdout, stderr = run(["--database", f"sqlite:///{db}", "import", str(path)])
    assert exit_code == 2, stdout + stderr
    check_message(bad, path, stderr)
    assert stdout == ""
    assert not Path(f"{db}-wal").exists()
    assert db.read_bytes() == before


# The bases themselves are valid: each bad case differs from a file that imports.


def test_the_valid_bases_import(sqlite_template, tmp_path):
    db = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template.location, db)
    (tmp_path / "good.yaml").write_text(yaml_text(BASE_DOC), encoding="utf-8")
    (tmp_path / "good.csv").write_bytes(csv_with())
    result = CliRunner().invoke(cli, ["--database", f"sqlite:///{db}", "import", str(tmp_path / "good.yaml"),
                                      str(tmp_path / "good.csv")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "imported 3 case(s) (3 new) of 2 publication(s)" in result.output


# -- the same through seed, on PostgreSQL, and as real processes -----------------------------------

SEED_SUBSET = ["encoding-latin1-yaml", "syntax-two-documents", "structure-no-publication", "types-age-text",
               "bounds-dose-inf", "bounds-follow-up-2e64", "codes-sex", "references-src-field-typo", "duplicates-yaml-key",
               "duplicates-drug-case", "size-billion-laughs", "size-deep-nesting", "hostile-nul-escape"]


@pytest.mark.parametrize("case_id", SEED_SUBSET)
def test_seed_refuses_the_same(case_id, sqlite_template, tmp_path):
    bad = BY_ID[case_id]
    db = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template.location, db)
    before = db.read_bytes()
    folder = tmp_path / "seed"
    folder.mkdir()
    path = folder / (bad.name if bad.name.endswith(".yaml") else f"{case_id}.yaml")
    path.write_bytes(bad.content)
    exit_code, stdout, stderr = run(["--database", f"sqlite:///{db}", "seed", "--dir", str(folder)])
    assert exit_code == 2, stdout + stderr
    check_message(bad, path, stderr)
    assert not Path(f"{db}-wal").exists()
    assert db.read_bytes() == before


POSTGRES_SUBSET = ["types-pmid-text", "bounds-follow-up-2e64", "bounds-pmid-2e63", "bounds-recurrence-2e40",
                   "bounds-ref-range-reversed", "bounds-regiscar-total", "bounds-pmid-huge-csv", "duplicates-registered-doi",
                   "duplicates-drug-case", "size-publication-key-over-column", "size-doi-over-column", "hostile-nul-escape",
                   "hostile-nul-csv"]


@pytest.fixture(scope="module")
def postgres_template(db_templates):
    from tests.conftest import require_postgres

    require_postgres()
    template = db_templates.derive("postgresql", _load_fixture)
    yield template
    db_templates.drop_template(template)


@pytest.mark.postgres
@pytest.mark.parametrize("case_id", POSTGRES_SUBSET)
def test_postgres_refuses_the_same(case_id, postgres_template, clone_database, tmp_path):
    bad = BY_ID[case_id]
    engine = clone_database(postgres_template)
    before = dump(engine)
    path = write_case(bad, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--database", url, "import", str(path)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    check_message(bad, path, result.stderr)
    assert dump(engine) == before


SUBPROCESS_SUBSET = ["syntax-python-tag", "bounds-follow-up-2e64", "size-deep-nesting", "hostile-nul-csv"]


@pytest.mark.parametrize("case_id", SUBPROCESS_SUBSET)
def test_a_real_process_prints_no_traceback(case_id, sqlite_template, tmp_path):
    bad = BY_ID[case_id]
    db = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template.location, db)
    before = db.read_bytes()
    path = write_case(bad, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "registry.cli", "--database", f"sqlite:///{db}", "import", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    check_message(bad, path, proc.stderr)
    assert db.read_bytes() == before


# -- what must still be accepted, exactly as written ------------------------------------------------


def _import_ok(db: Path, *paths: Path) -> str:
    exit_code, stdout, stderr = run(["--database", f"sqlite:///{db}", "import", *map(str, paths)])
    assert exit_code == 0, stdout + stderr
    return stdout


def _rows(db: Path, sql: str) -> list[tuple]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_line_separators_inside_a_csv_cell_stay_in_the_cell(sqlite_template, tmp_path):
    """U+2028, U+0085 and a quoted CR LF are text inside a cell, not row ends (the csv module over a file
    object, not str.splitlines)."""
    db = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template.location, db)
    summary = "first\u2028second\u0085third\r\nfourth"
    path = tmp_path / "separators.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_with(summary=summary))
    _import_ok(db, path)
    assert _rows(db, "SELECT summary FROM cases WHERE case_key = 'badcsv2021-1'") == [(summary,)]


def test_norway_and_norwegian_are_codes_not_booleans(sqlite_template, tmp_path):
    db = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template.location, db)
    path = tmp_path / "norway.yaml"
    path.write_bytes(replaced("  language: de\n", "  language: no\n").replace(b"  country: DE\n", b"  country: NO\n"))
    _import_ok(db, path)
    assert _rows(db, "SELECT language FROM publications WHERE key = 'bad2021'") == [("no",)]
    assert _rows(db, "SELECT country FROM cases WHERE case_key = 'bad2021-1'") == [("NO",)]


def test_a_drug_named_in_capitals_is_the_same_drug(sqlite_template, tmp_path):
    """Drug names are compared without case on every path and stored lower case (drugs.name): no second drug."""
    db = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template.location, db)
    yml = tmp_path / "capitals.yaml"
    yml.write_bytes(mutated(lambda d: [x.update(drug="CARBAMAZEPINE") for c in d["cases"] for x in c["exposures"]]))
    csv_path = tmp_path / "capitals.csv"
    csv_path.write_bytes(csv_with(drug="  Carbamazepine "))
    _import_ok(db, yml, csv_path)
    assert _rows(db, "SELECT name FROM drugs WHERE lower(name) = 'carbamazepine'") == [("carbamazepine",)]
    assert _rows(db, """SELECT count(*) FROM drug_exposures x JOIN drugs g ON g.id = x.drug_id JOIN cases c ON c.id = x.case_id
                        WHERE g.name = 'carbamazepine' AND c.case_key IN ('bad2021-1', 'bad2021-2', 'badcsv2021-1')""") == [(3,)]


def test_a_publication_without_evidence_or_cases_loads(db_templates, tmp_path):
    """Into an empty database by seed, and by import."""
    pub = {k: BASE_DOC["publication"][k] for k in ("key", "authors", "title", "journal", "year", "article_type", "source_access")}
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "bad2021.yaml").write_text(yaml_text({"publication": pub}), encoding="utf-8")
    for command in ("seed", "import"):
        db = tmp_path / f"{command}.db"
        shutil.copyfile(db_templates.migrated("sqlite").location, db)
        args = ["seed", "--dir", str(folder)] if command == "seed" else ["import", str(folder / "bad2021.yaml")]
        exit_code, stdout, stderr = run(["--database", f"sqlite:///{db}", *args])
        assert exit_code == 0, stdout + stderr
        assert _rows(db, "SELECT key FROM publications") == [("bad2021",)]
        assert _rows(db, "SELECT count(*) FROM evidence") == [(0,)]


def test_a_database_error_no_check_caught_is_one_line(sqlite_template, tmp_path):
    """The last line of defence: a refusal only the database knows about (here a trigger standing in for a
    constraint validation has no twin of) still ends in one line naming the file and table, exit 2, nothing
    written."""
    import sqlite3

    db = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template.location, db)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TRIGGER refuse_labs BEFORE INSERT ON lab_results BEGIN SELECT RAISE(ABORT, 'no labs today'); END")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    path = tmp_path / "good.yaml"
    path.write_text(yaml_text(BASE_DOC), encoding="utf-8")
    exit_code, stdout, stderr = run(["--database", f"sqlite:///{db}", "import", str(path)])
    assert exit_code == 2, stdout + stderr
    assert stderr == (f"dress-registry: error: {path}: table lab_results: the database refused the data (no labs today); "
                      "nothing was written\n")
    assert db.read_bytes() == before


def test_export_quotes_text_that_yaml_1_2_reads_as_a_number():
    from registry.cases.seedformat import dump_yaml
    from registry.core.inputs import parse_yaml

    texts = {"a": "1e3", "b": "0o17", "c": "NO", "d": "no", "e": "2020-01-01", "f": "1:30", "g": "012", "h": ".5", "i": "yes"}
    assert parse_yaml(dump_yaml(texts)) == texts
