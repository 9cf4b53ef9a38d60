"""Extraction templates, dual extraction, comparison and adjudication.

Two extractions of one small publication differ in a value (age 40 / 45, a
finding present / absent, a dechallenge result given / not reported), a
status (resolution time not reported / source not available), a locator
(onset read on p.2 / p.3) and a record (a lab only one curator entered).
The comparison, the kappa, the curated file and what the database and the
published file hold after loading it are checked on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, text

from registry.cases.adjudicate import adjudicate, parse_decisions
from registry.cases.compare import cohen_kappa, compare
from registry.cases.completeness import CASE_FIELDS, CORE_FINDINGS, EXPOSURE_FIELDS, OUTCOME_FIELDS
from registry.cases.documents import Document, DocumentErrors, cross_check, parse_document
from registry.cases.placeholder import UNFILLED, unfilled_fields
from registry.cases.seedschema import CaseIn, Exposure
from registry.cases.template import skeleton
from registry.outputs.publish.build import publish
from registry.schema.fields import record_fields
from registry.schema.models.tables import DR, O, X, XA, XD, XR, E
from registry.schema.vocabulary import AgreementKind, ExtractionAspect
from tests.helpers import dump, run_cli, url_of

PUB = "testx2024"
CASE = f"{PUB}-1"


def _extraction(curator: str) -> dict[str, Any]:
    """Extraction A (curator Ana); B is built from it by _b()."""
    return {
        "extraction": {"extractor": curator},
        "publication": {
            "key": PUB, "authors": "Doe J", "title": "A case of DRESS", "journal": "Test J", "year": 2024,
            "article_type": "case_report", "source_access": "full_text",
        },
        "cases": [{
            "key": CASE, "unstated": "not_reported", "age_value": 40, "age_unit": "a", "sex": "female",
            "day1_anchor": "first dose of drugx", "onset_day": 20,
            "src": [{"at": "p.2", "field": "age_value", "as": "40-year-old"},
                    {"at": "p.2", "field": "sex", "as": "woman"},
                    {"at": "p.2", "field": "onset_day", "as": "day 20"}],
            "exposures": [{
                "drug": "drugx", "role": "suspect", "action_taken": "withdrawn", "dechallenge_result": "positive",
                "src": [{"at": "p.2"}],
                "doses": [{"dose_value": 100, "dose_unit": "mg", "src": [{"at": "p.2"}]}],
            }],
            "findings": [
                {"finding": "fever", "status": "present", "src": [{"at": "p.2"}]},
                {"finding": "rash", "status": "present", "src": [{"at": "p.2"}]},
            ],
            "labs": [{"analyte": "eosinophils_abs", "value": 2100, "unit": "/uL", "day": 20, "src": [{"at": "Table 1"}]}],
            "outcome": {
                "reaction_outcome": "recovered", "src": [{"at": "p.3", "field": "reaction_outcome"}],
                "missing": {"time_to_resolution_days": {"status": "not_reported"}},
            },
        }],
    }


def _b() -> dict[str, Any]:
    b = _extraction("Ben")
    case = b["cases"][0]
    case["age_value"] = 45                                            # a value
    case["src"][0]["as"] = "45-year-old"
    case["src"][2]["at"] = "p.3"                                      # a locator
    del case["exposures"][0]["dechallenge_result"]                    # a value given / not reported
    case["findings"][0]["status"] = "absent"                          # a coded value
    case["outcome"]["missing"]["time_to_resolution_days"]["status"] = "not_available"   # a status
    del case["labs"]                                                  # a record
    return b


def _doc(raw: dict[str, Any], path: str = "x.yaml"):
    return parse_document(path, copy.deepcopy(raw))


def _write(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# Kappa and the comparison (no database)


def test_cohen_kappa_by_hand():
    """Fifty items rated yes/no by two raters:

                  B yes  B no
        A yes       20     5     A: 25 yes, 25 no
        A no        10    15     B: 30 yes, 20 no

    p_o = (20 + 15) / 50 = 0.70
    p_e = (25 * 30 + 25 * 20) / 50^2 = 1250 / 2500 = 0.50
    kappa = (0.70 - 0.50) / (1 - 0.50) = 0.40

    Two items the raters swap: p_o = 0, p_e = (1 * 1 + 1 * 1) / 4 = 0.5, kappa = -1.
    Both raters always say yes: p_e = 1, kappa undefined (None); no items: None.
    """
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.40)
    assert cohen_kappa([("x", "y"), ("y", "x")]) == pytest.approx(-1.0)
    assert cohen_kappa([("yes", "yes")] * 3) is None
    assert cohen_kappa([]) is None


def test_compare_lists_each_difference_and_the_agreement_per_kind():
    """The coded fields compared, A | B (a field's category is its code, or its status in brackets):

        publication.article_type, source_access       case_report | case_report, full_text | full_text
        case: unstated, age_unit, sex                 not_reported x2, a x2, female x2
        exposure: role, action_taken                  suspect x2, withdrawn x2
        exposure: dechallenge_result (key fact)       positive | (not_reported)          differs
        dose: dose_unit                               mg | mg
        findings: status of fever                     present | absent                   differs
                  status of rash                      present | present
                  status of the 14 other core findings, not listed (the case's unstated):
                                                      not_reported | not_reported  x14
        outcome: reaction_outcome                     recovered | recovered
                 therapy_fate (key fact, not given)   (not_reported) | (not_reported)
        lab in A only: comparator (default), unit     = | (no record), /uL | (no record)

    n = 2 + 3 + 3 + 1 + 16 + 2 + 2 = 29 pairs, 25 agree: p_o = 25/29.
    Categories, count in A x count in B: not_reported 15 x 15 = 225 (unstated and 14 finding statuses);
    (not_reported) 1 x 2 = 2; present 2 x 1 = 2; case_report, full_text, a, female, suspect, withdrawn,
    mg, recovered 1 x 1 each = 8; positive 1 x 0, absent 0 x 1, =, /uL 1 x 0, (no record) 0 x 2 = 0.
    Sum 237: p_e = 237/841.
    kappa = (25/29 - 237/841) / (1 - 237/841) = (725 - 237) / (841 - 237) = 488/604 = 0.8079.
    """
    c = compare(_doc(_extraction("Ana")), _doc(_b()), "Ana", "Ben")
    got = [(d.record, d.field, d.aspect, d.a, d.b) for d in c.differences]
    assert got == [
        (f"cases[{CASE}]", "age_value", ExtractionAspect.VALUE, "40", "45"),
        (f"cases[{CASE}]", "onset_day", ExtractionAspect.LOCATOR, "p.2", "p.3"),
        (f"cases[{CASE}].exposures[drugx]", "dechallenge_result", ExtractionAspect.VALUE, "positive", "(not_reported)"),
        (f"cases[{CASE}].findings[fever]", "status", ExtractionAspect.VALUE, "present", "absent"),
        (f"cases[{CASE}].labs[eosinophils_abs day 20]", None, ExtractionAspect.RECORD, "record present", None),
        (f"cases[{CASE}].outcome", "time_to_resolution_days", ExtractionAspect.STATUS, "(not_reported)", "(not_available)"),
    ]
    code = next(a for a in c.agreement if a.kind == AgreementKind.CODE)
    assert (code.compared, code.agreed) == (29, 25)
    assert code.kappa == pytest.approx(488 / 604, abs=1e-4)
    locator = next(a for a in c.agreement if a.kind == AgreementKind.LOCATOR)
    assert locator.agreed == locator.compared - 1
    assert c.fields_differing == 6


def test_identical_extractions_agree_fully():
    raw = _extraction("Ana")
    c = compare(_doc(raw), _doc(raw), "Ana", "Ben")
    assert c.differences == []
    assert all(a.agreed == a.compared for a in c.agreement)


# ---------------------------------------------------------------------------
# The commands


def _load(engine, path: Path, *args: str):
    result = run_cli(url_of(engine), "import", str(path), *args)
    assert result.exit_code == 0, result.output
    return result


def test_compare_command_reports_and_writes_json(tmp_path, sqlite_url):
    a, b = _write(tmp_path / "a.yaml", _extraction("Ana")), _write(tmp_path / "b.yaml", _b())
    result = run_cli(sqlite_url, "compare", str(a), str(b), "--json", str(tmp_path / "c.json"))
    assert result.exit_code == 0, result.output
    assert "extraction A by Ana, extraction B by Ben" in result.output
    assert f"cases[{CASE}].age_value  [value]" in result.output
    report = json.loads((tmp_path / "c.json").read_text())
    assert report["extractor_b"] == "Ben" and len(report["differences"]) == 6
    assert {a["kind"] for a in report["agreement"]} >= {"code", "number", "locator"}


@pytest.mark.parametrize("change, message", [
    (lambda b: b.pop("extraction"), "b.yaml: extraction.extractor: missing"),
    (lambda b: b["extraction"].update(extractor="ana"), "a dual extraction needs two curators"),
    (lambda b: b["publication"].update(key="other2024"), "a.yaml extracts 'testx2024'"),
    (lambda b: b["cases"][0].update(age_value=UNFILLED), "b.yaml: cases[0].age_value: not extracted yet"),
])
def test_compare_refuses_what_is_not_two_extractions_of_one_publication(tmp_path, sqlite_url, change, message):
    raw = _b()
    change(raw)
    a, b = _write(tmp_path / "a.yaml", _extraction("Ana")), _write(tmp_path / "b.yaml", raw)
    result = run_cli(sqlite_url, "compare", str(a), str(b))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def _decisions(tmp_path: Path) -> Path:
    c = f"cases[{CASE}]"
    return _write(tmp_path / "decisions.yaml", {"adjudicator": "Cleo", "adjudicated_on": "2026-12-02", "decisions": [
        {"record": c, "field": "age_value", "keep": "a", "reason": "The case text says 40; B read the abstract."},
        {"record": c, "field": "onset_day", "keep": "b", "reason": "The onset is dated on p.3."},
        {"record": f"{c}.exposures[drugx]", "field": "dechallenge_result", "keep": "a", "reason": "Stated on p.2."},
        {"record": f"{c}.findings[fever]", "field": "status", "keep": "Ben", "reason": "Afebrile on admission."},
        {"record": f"{c}.labs[eosinophils_abs day 20]", "keep": "a", "reason": "Table 1 has it."},
        {"record": f"{c}.outcome", "field": "time_to_resolution_days", "keep": "b",
         "reason": "Only the abstract was read for the follow-up."},
    ]})


def _adjudicated(tmp_path: Path, sqlite_url: str) -> Path:
    a, b = _write(tmp_path / "a.yaml", _extraction("Ana")), _write(tmp_path / "b.yaml", _b())
    out = tmp_path / "curated.yaml"
    result = run_cli(sqlite_url, "adjudicate", str(a), str(b), "--decisions", str(_decisions(tmp_path)), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_adjudicate_writes_the_curated_file_keeping_what_it_overrules(tmp_path, sqlite_url):
    doc = yaml.safe_load(_adjudicated(tmp_path, sqlite_url).read_text())
    case = doc["cases"][0]
    assert doc["extraction"]["extractor"] == "Ana" and doc["extraction"]["second_extractor"] == "Ben"
    assert doc["extraction"]["adjudicator"] == "Cleo" and len(doc["extraction"]["decisions"]) == 6
    # The value kept is A's; B's stays as a non-curated source entry with the curator and the reason.
    assert case["age_value"] == 40
    overruled = [s for s in case["src"] if s.get("curated") is False and s["field"] == "age_value"]
    assert overruled == [{"at": "p.2", "field": "age_value", "as": "45", "curated": False, "note":
                          "Ben's extraction: age_value 45; not kept (adjudicated by Cleo): The case text says 40; "
                          "B read the abstract."}]
    # The locator kept is B's; A's stays, not curated.
    onset = [(s["at"], s.get("curated", True)) for s in case["src"] if s["field"] == "onset_day"]
    assert onset == [("p.3", True), ("p.2", False)]
    # B's finding status is kept; A's "present" stays as a non-curated entry.
    fever = next(f for f in case["findings"] if f["finding"] == "fever")
    assert fever["status"] == "absent"
    assert any(s.get("curated") is False and s.get("as") == "present" for s in fever["src"])
    # B's status is kept: the resolution time is "source not available", A's "not reported" stays beside it.
    outcome = case["outcome"]
    assert outcome["missing"]["time_to_resolution_days"]["status"] == "not_available"
    assert [s["status"] for s in outcome["src"] if s.get("field") == "time_to_resolution_days"] == ["not_reported"]
    # A's lab is kept; the dechallenge result too, with B's "not reported" kept as non-curated evidence.
    assert case["labs"][0]["value"] == 2100
    x = case["exposures"][0]
    assert x["dechallenge_result"] == "positive"
    assert [(s.get("status"), s.get("curated")) for s in x["src"] if s.get("field") == "dechallenge_result"] \
        == [("not_reported", False)]


def test_adjudicate_refuses_undecided_and_unknown_decisions(tmp_path, sqlite_url):
    a, b = _write(tmp_path / "a.yaml", _extraction("Ana")), _write(tmp_path / "b.yaml", _b())
    raw = yaml.safe_load(_decisions(tmp_path).read_text())
    del raw["decisions"][1]
    raw["decisions"].append({"record": "cases[nope]", "field": "sex", "keep": "a", "reason": "x"})
    raw["decisions"][0]["keep"] = "Zoe"
    decisions = _write(tmp_path / "d.yaml", raw)
    out = tmp_path / "curated.yaml"
    result = run_cli(sqlite_url, "adjudicate", str(a), str(b), "--decisions", str(decisions), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert f"no decision for cases[{CASE}].onset_day [locator]" in result.output
    assert "decisions[5]: cases[nope].sex: no such difference" in result.output
    assert "decisions[0].keep: 'Zoe' is neither a nor b" in result.output
    assert not out.exists()


def test_an_equivalent_wording_or_locator_leaves_no_discrepancy(tmp_path, sqlite_url):
    """`equivalent: true` on a locator (p.2 / "page 2") or a text field (the indication in other words) keeps
    one side without a non-curated entry for the other; the report keeps both, marked. A value difference
    cannot be called equivalent."""
    a_raw, b_raw = _extraction("Ana"), _extraction("Ben")
    a_raw["cases"][0]["exposures"][0]["indication"] = "GIST"
    b_raw["cases"][0]["exposures"][0]["indication"] = "gastrointestinal stromal tumour"
    b_raw["cases"][0]["src"][2]["at"] = "page 2"
    a, b = _write(tmp_path / "a.yaml", a_raw), _write(tmp_path / "b.yaml", b_raw)
    c = f"cases[{CASE}]"
    decisions = [
        {"record": c, "field": "onset_day", "aspect": "locator", "keep": "a", "equivalent": True, "reason": "Same page."},
        {"record": f"{c}.exposures[drugx]", "field": "indication", "keep": "b", "equivalent": True,
         "reason": "The abbreviation spelled out."},
    ]
    out = tmp_path / "curated.yaml"
    d = _write(tmp_path / "d.yaml", {"adjudicator": "Cleo", "decisions": decisions})
    result = run_cli(sqlite_url, "adjudicate", str(a), str(b), "--decisions", str(d), "--out", str(out))
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(out.read_text())
    case = doc["cases"][0]
    assert [s["at"] for s in case["src"] if s["field"] == "onset_day"] == ["p.2"]
    x = case["exposures"][0]
    assert x["indication"] == "gastrointestinal stromal tumour"
    assert not [s for s in x["src"] if s.get("curated") is False]
    kept = {(r["field"], r["kept"], r["overruled"]) for r in doc["extraction"]["decisions"]}
    assert kept == {("onset_day", "p.2", "page 2"), ("indication", "gastrointestinal stromal tumour", "GIST")}
    assert all(r["reason"].startswith("Same fact, other wording: ") for r in doc["extraction"]["decisions"])

    b_raw["cases"][0]["age_value"] = 45
    b_raw["cases"][0]["src"][0]["as"] = "45-year-old"
    _write(b, b_raw)
    decisions.append({"record": c, "field": "age_value", "keep": "a", "equivalent": True, "reason": "x"})
    _write(d, {"adjudicator": "Cleo", "decisions": decisions})
    out.unlink()
    result = run_cli(sqlite_url, "adjudicate", str(a), str(b), "--decisions", str(d), "--out", str(out))
    assert result.exit_code == 2 and "only wording (text) and locators can be equivalent" in result.output
    assert not out.exists()


def test_adjudicate_a_field_one_side_left_out_and_a_locator_after_a_value(tmp_path, sqlite_url):
    """Two cases adjudicate once refused with a traceback or got wrong: keeping B's value of a field A left out
    (no value, no status: not a key fact) keeps no evidence row for A's nothing; and a value and a locator of one
    field both kept from B leave B's entry once, curated, with A's as the only overruled one."""
    a_raw, b_raw = _extraction("Ana"), _extraction("Ben")
    b_raw["publication"]["pages"] = "10-12"
    b_raw["publication"]["src"] = [{"at": "journal page header", "field": "pages", "as": "pp. 10-12"}]
    b_raw["cases"][0]["age_value"] = 45
    b_raw["cases"][0]["src"][0].update({"as": "45-year-old", "at": "p.3"})
    a, b = _write(tmp_path / "a.yaml", a_raw), _write(tmp_path / "b.yaml", b_raw)
    c = f"cases[{CASE}]"
    decisions = {"adjudicator": "Cleo", "decisions": [
        {"record": "publication", "field": "pages", "keep": "b", "reason": "The header prints them."},
        {"record": c, "field": "age_value", "aspect": "value", "keep": "b", "reason": "p.3 is the case text."},
        {"record": c, "field": "age_value", "aspect": "locator", "keep": "b", "reason": "p.3 is the case text."},
    ]}
    out = tmp_path / "curated.yaml"
    result = run_cli(sqlite_url, "adjudicate", str(a), str(b), "--decisions",
                     str(_write(tmp_path / "d.yaml", decisions)), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    doc = yaml.safe_load(out.read_text())
    assert doc["publication"]["pages"] == "10-12"
    assert [s.get("curated", True) for s in doc["publication"]["src"] if s.get("field") == "pages"] == [True]
    age = [(s["at"], s.get("as"), s.get("curated", True)) for s in doc["cases"][0]["src"] if s["field"] == "age_value"]
    assert age == [("p.3", "45-year-old", True), ("p.2", "40", False)]

    decisions["decisions"][2]["keep"] = "a"
    out.unlink()
    result = run_cli(sqlite_url, "adjudicate", str(a), str(b), "--decisions",
                     str(_write(tmp_path / "d.yaml", decisions)), "--out", str(out))
    assert result.exit_code == 2 and "a locator goes with its value" in result.output and not out.exists()


@pytest.fixture
def curated(tmp_path, sqlite_url) -> Path:
    return _adjudicated(tmp_path, sqlite_url)


def test_the_curated_file_loads_with_its_report_and_publish_copies_it(engine, curated, tmp_path):
    _load(engine, curated)
    with engine.connect() as conn:
        report = conn.execute(select(XR)).mappings().one()
        assert (report["extractor"], report["second_extractor"], report["adjudicator"]) == ("Ana", "Ben", "Cleo")
        assert str(report["adjudicated_on"]) == "2026-12-02"
        assert report["fields_differing"] == 6
        code = conn.execute(select(XA).where(XA.c.kind == AgreementKind.CODE)).mappings().one()
        assert (code["compared"], code["agreed"]) == (29, 25)
        decisions = conn.execute(select(XD.c.field, XD.c.aspect, XD.c.kept_from).order_by(XD.c.seq)).all()
        assert decisions[1] == ("onset_day", ExtractionAspect.LOCATOR, "Ben")
        notes = conn.execute(select(E.c.field, E.c.value_as_stated, E.c.status).where(
            E.c.is_curated.is_(False)).order_by(E.c.field, E.c.status)).all()
        assert ("age_value", "45", "stated") in notes and ("time_to_resolution_days", None, "not_reported") in notes
        shown = conn.execute(text("SELECT other_value, curated_value FROM discrepancies WHERE field = 'age_value'")).all()
        assert shown == [("45", "40-year-old")]
    # Loading it again changes nothing; seeding the folder holding it does the same.
    assert "no changes" in _load(engine, curated).output
    before = dump(engine)
    seeded = run_cli(url_of(engine), "seed", "--dir", str(curated.parent))
    assert seeded.exit_code == 2  # a.yaml and b.yaml are there too: the same publication key three times
    assert dump(engine) == before
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / curated.name).write_text(curated.read_text())
    assert "no changes" in run_cli(url_of(engine), "seed", "--dir", str(folder)).output
    # The YAML export writes the report back, and the round trip is lossless.
    out = tmp_path / "export"
    assert run_cli(url_of(engine), "export", "--format", "yaml", "--out", str(out)).exit_code == 0
    exported = yaml.safe_load((out / "seed" / f"{PUB}.yaml").read_text())
    assert exported["extraction"]["decisions"][0]["reason"].startswith("The case text says 40")
    assert "no changes" in _load(engine, out / "seed" / f"{PUB}.yaml").output
    # The published file holds the report: part of the publication's published record.
    path = publish(engine, tmp_path / "dist").path
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT extractor, second_extractor, adjudicator FROM extraction_reports").fetchall() \
            == [("Ana", "Ben", "Cleo")]
        assert db.execute("SELECT count(*) FROM extraction_decisions").fetchone() == (6,)
        assert db.execute("SELECT count(*) FROM extraction_agreement").fetchone()[0] >= 3


def test_seeding_a_file_without_the_block_removes_the_report(engine, curated, tmp_path):
    _load(engine, curated)
    raw = yaml.safe_load(curated.read_text())
    del raw["extraction"]
    folder = tmp_path / "seed"
    folder.mkdir()
    _write(folder / f"{PUB}.yaml", raw)
    assert run_cli(url_of(engine), "seed", "--dir", str(folder)).exit_code == 0
    with engine.connect() as conn:
        assert conn.execute(select(XR)).all() == [] and conn.execute(select(XD)).all() == []


# ---------------------------------------------------------------------------
# new-case


def test_skeleton_fields_come_from_the_field_dictionary_and_the_schema():
    doc, comments = skeleton(PUB, CASE, None, "Ana")
    case = doc["cases"][0]
    exposure, dose, outcome = case["exposures"][0], case["exposures"][0]["doses"][0], case["outcome"]
    for record, table in ((exposure, X), (dose, DR), (outcome, O)):
        assert {f.name for f in record_fields(table)} <= set(record), table.name
    assert set(Exposure.model_fields) - {"missing"} == set(exposure)
    assert {n for n in CaseIn.model_fields if n != "missing"} == set(case)
    assert [f["finding"] for f in case["findings"]] == list(CORE_FINDINGS)
    # Every key fact is listed and still to extract, and says so in its comment.
    for f in CASE_FIELDS:
        assert case[f] == UNFILLED and comments[("cases", 0, f)].startswith("KEY FACT")
    for f in set(EXPOSURE_FIELDS) - {"dose"}:
        assert exposure[f] == UNFILLED
    for f in OUTCOME_FIELDS:
        assert outcome[f] == UNFILLED
    assert all(f["status"] == UNFILLED for f in case["findings"])
    assert case["unstated"] == UNFILLED
    # Codes are listed from the vocabulary.
    assert "one of: male, female" in comments[("cases", 0, "sex")]


def _fill(raw: dict[str, Any]) -> dict[str, Any]:
    """What a curator does: give the facts the (imagined) paper states with their sources, delete the rest."""
    case = raw["cases"][0]
    given = {"age_value": 52, "age_unit": "a", "sex": "male", "onset_day": 30, "unstated": "not_reported",
             "day1_anchor": "first dose of drugy"}
    for k in list(case):
        if case[k] == UNFILLED:
            if k in given:
                case[k] = given[k]
            else:
                del case[k]
    case["src"] = [{"at": "p.1", "field": f, "as": str(given[f])} for f in ("age_value", "sex", "onset_day")]
    x = case["exposures"][0]
    x.update(drug="drugy", role="suspect", src=[{"at": "p.1"}])
    for k in [k for k, v in x.items() if v == UNFILLED]:
        del x[k]
    x["doses"] = [{"dose_value": 50, "dose_unit": "mg", "src": [{"at": "p.1"}]}]
    for f in case["findings"]:
        f["status"] = "not_reported"
    case["findings"][0].update(status="present", src=[{"at": "p.1"}])
    case["outcome"] = {"reaction_outcome": "recovered", "src": [{"at": "p.2"}]}
    return raw


def test_new_case_skeleton_is_refused_until_filled_then_loads(engine, tmp_path):
    _load(engine, _write(tmp_path / "a.yaml", _extraction("Ana")))
    skel = tmp_path / "new.yaml"
    result = run_cli(url_of(engine), "new-case", PUB, "--out", str(skel), "--curator", "Dana")
    assert result.exit_code == 0, result.output
    raw = yaml.safe_load(skel.read_text())
    assert raw["cases"][0]["key"] == f"{PUB}-2"           # the next free number
    assert raw["publication"]["title"] == "A case of DRESS"  # the registered publication, not placeholders
    assert raw["extraction"] == {"extractor": "Dana"}
    assert "KEY FACT" in skel.read_text()

    before = dump(engine)
    refused = run_cli(url_of(engine), "import", str(skel))
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert f"{skel}: cases[0].age_value: not extracted yet (still {UNFILLED})" in refused.output
    assert f"{skel}: cases[0].findings[0].status: not extracted yet" in refused.output
    assert dump(engine) == before

    filled = _write(tmp_path / "filled.yaml", _fill(raw))
    assert unfilled_fields(yaml.safe_load(filled.read_text())) == []
    _load(engine, filled)
    with engine.connect() as conn:
        keys = [k for (k,) in conn.execute(text("SELECT case_key FROM cases ORDER BY case_key"))]
    assert keys == [f"{PUB}-1", f"{PUB}-2"]


def test_new_case_for_an_unregistered_publication_has_its_block_to_fill(engine, tmp_path, monkeypatch):
    monkeypatch.delenv("REGISTRY_CURATOR", raising=False)  # the suite sets one (tests/conftest.py): no curator here
    result = run_cli(url_of(engine), "new-case", "smith2025")
    assert result.exit_code == 0, result.output
    raw = yaml.safe_load(result.output)
    assert raw["publication"]["key"] == "smith2025" and raw["publication"]["title"] == UNFILLED
    assert raw["cases"][0]["key"] == "smith2025-1"
    assert raw["extraction"]["extractor"] == UNFILLED
    with pytest.raises(DocumentErrors, match=r"publication\.journal: not extracted yet"):
        parse_document("s.yaml", raw)


def test_a_core_finding_only_one_curator_listed(tmp_path):
    """A leaves lymphadenopathy out (so it stands at the case's unstated, not reported); B lists it present.
    Keeping B writes B's finding with its source, and A's "not reported" beside it, not curated."""
    b = _extraction("Ben")
    b["cases"][0]["findings"].append({"finding": "lymphadenopathy", "status": "present", "src": [{"at": "p.2, exam"}]})
    a_doc, b_doc = _doc(_extraction("Ana")), _doc(b)
    c = compare(a_doc, b_doc, "Ana", "Ben")
    record = f"cases[{CASE}].findings[lymphadenopathy]"
    assert [(d.record, d.field, d.a, d.b) for d in c.differences] == [(record, "status", "not_reported", "present")]
    decisions = parse_decisions("d.yaml", {"adjudicator": "Cleo", "decisions": [
        {"record": record, "field": "status", "keep": "b", "reason": "Cervical nodes on p.2."}]})
    curated = parse_document("c.yaml", adjudicate(a_doc, b_doc, c, decisions, "d.yaml", date(2026, 12, 2)))
    cross_check([Document("c.yaml", curated)])
    finding = next(f for f in curated.cases[0].findings if f.finding == "lymphadenopathy")
    assert finding.status == "present"
    assert [(s.at, s.stated, s.curated) for s in finding.src] == [
        ("p.2, exam", None, True), ("no locator given by Ana", "not_reported", False)]
