"""Screening (both stages, reasons, history, sheets) and the PRISMA 2020 counts and diagram, on a known set.

The known set: the three hand-written exports of tests/data/intake (see its README.md) taken into the
seeded registry: 12 records (PubMed 5, Embase 4, Scopus 3), 3 duplicates, 3 already in the registry,
so 6 candidates to screen: Abara (T1), Bianchi (T2), Smith (T3), Chen (T4), Dupont (T5), Okafor (T6).

Decisions, and the counts they give, worked out by hand:

    title/abstract: T1 T2 T3 T5 include; T4 exclude (no_case_data); T6 exclude (not_drug_reaction)
        -> screened 6, excluded 2, sought for retrieval 4
    full text: T1 include; T2 exclude (not_retrievable); T3 include, then revised to exclude (not_dress);
               T5 include
        -> not retrieved 1, assessed 3 (T1 T3 T5), excluded 1 (Not DRESS 1), included 2 (T1 T5)
    T1 and T5 are made-up works, not in the registry: 0 included reports in it, 0 of its cases;
    the registry holds the seeded publications and their cases (counted from seed/publications), all there
    before screening.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from registry.core.db import make_engine
from registry.outputs import prisma as diagram
from registry.outputs.publish.serve import datasette_kwargs
from registry.schema import migrate
from tests.helpers import BACKENDS, SEED_DIR, dump, run_cli, seed_counts, url_of
from tests.helpers import query_rows as q
from tests.test_intake import EMBASE, SCOPUS, seed, take_in, take_in_all

SVG_NS = "{http://www.w3.org/2000/svg}"


def _taken_in(engine) -> None:
    seed(engine)
    take_in_all(engine)


@pytest.fixture(scope="module", params=BACKENDS)
def intake_template(request, db_templates):
    """The seeded registry with the three exports taken in."""
    return db_templates.module_template(request, _taken_in)


@pytest.fixture
def registry(intake_template, clone_database):
    return clone_database(intake_template)


@pytest.fixture(scope="module", params=["sqlite"])
def sqlite_intake_template(request, db_templates):
    return db_templates.module_template(request, _taken_in)


@pytest.fixture
def sqlite_registry(sqlite_intake_template, clone_database):
    """The same on SQLite only, for checks made before the database is written (a sheet's cells, a decision's codes)."""
    return clone_database(sqlite_intake_template)


def cid(engine, author: str) -> str:
    return str(q(engine, "SELECT id FROM candidates WHERE first_author = :a", a=author)[0][0])


def ok(engine, *args: str) -> str:
    result = run_cli(url_of(engine), *args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(engine, *args: str) -> str:
    """A screen command that must fail with one line; nothing written; returns the line."""
    before = dump(engine)
    result = run_cli(url_of(engine), *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert dump(engine) == before
    return lines[0].removeprefix("dress-registry: error: ")


def screen(engine, author: str, stage: str, decision: str, *extra: str) -> str:
    return ok(engine, "screen", cid(engine, author), "--stage", stage, "--decision", decision, "--curator", "alice", *extra)


def fill_sheet(path: Path, plan: dict[str, tuple[str, str]], engine, **extra: str) -> None:
    """Fill the decision cells of an exported CSV sheet, as a screener would."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_id = {cid(engine, author): decision for author, decision in plan.items()}
    for row in rows:
        if row["candidate"] in by_id:
            row["decision"], row["reason"] = by_id[row["candidate"]]
            row.update(extra)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


TITLE_ABSTRACT = {
    "Abara": ("include", ""), "Bianchi": ("include", ""), "Smith": ("include", ""), "Dupont": ("include", ""),
    "Chen": ("exclude", "no_case_data"), "Okafor": ("exclude", "not_drug_reaction"),
}

EXPECTED = {
    "sources": [
        {"source": "Embase", "records": 4, "searched_from": "2026-11-21", "searched_to": "2026-11-21"},
        {"source": "PubMed", "records": 5, "searched_from": "2026-11-20", "searched_to": "2026-11-20"},
        {"source": "Scopus", "records": 3, "searched_from": None, "searched_to": None},
    ],
    "records_identified": 12, "duplicates_removed": 3, "already_in_registry": 3,
    "records_screened": 6, "records_excluded": 2, "awaiting_screening": 0,
    "reports_sought": 4, "reports_not_retrieved": 1, "reports_assessed": 3,
    "reports_excluded": [{"reason": "not_dress", "label": "Not DRESS", "reports": 1}], "reports_excluded_total": 1,
    "awaiting_assessment": 0, "reports_included": 2, "included_in_registry": 0, "cases_included": 0,
    # the seeded registry, all of it there before screening (counted from the seed files)
    "registry_publications": seed_counts().publications, "registry_cases": seed_counts().cases,
    "previous_publications": seed_counts().publications, "previous_cases": seed_counts().cases,
}


def screen_known_set(engine, tmp_path: Path) -> None:
    sheet = tmp_path / "to-screen.csv"
    assert ok(engine, "screen", "--export", str(sheet)).strip() == f"wrote 6 row(s) to fill to {sheet}"
    fill_sheet(sheet, TITLE_ABSTRACT, engine, decided_on="2026-11-25")
    assert ok(engine, "screen", "--file", str(sheet), "--curator", "alice").strip() == "recorded 6 decision(s)"
    screen(engine, "Abara", "full_text", "include")
    screen(engine, "Bianchi", "full_text", "exclude", "--reason", "not_retrievable")
    screen(engine, "Smith", "full_text", "include")
    screen(engine, "Smith", "full_text", "exclude", "--reason", "not_dress", "--revise")
    screen(engine, "Dupont", "full_text", "include")


def test_prisma_counts_on_the_known_set(registry, tmp_path):
    screen_known_set(registry, tmp_path)
    out = ok(registry, "prisma", "--json", str(tmp_path / "prisma.json"), "--svg", str(tmp_path / "prisma.svg"))
    assert json.loads((tmp_path / "prisma.json").read_text(encoding="utf-8")) == EXPECTED
    assert "  records identified: 12\n    Embase: 4 (searched 2026-11-21)\n    PubMed: 5 (searched 2026-11-20)\n    Scopus: 3\n" in out
    assert "  reports excluded: 1\n    Not DRESS: 1\n" in out


def _boxes(svg: str) -> list[tuple[float, float, float, float, list[str]]]:
    """(x, y, width, height, its lines) per box of the diagram."""
    root = ET.fromstring(svg)
    rects = [r for r in root.iter(f"{SVG_NS}rect") if "box" in r.get("class", "")]
    texts = list(root.iter(f"{SVG_NS}text"))
    out = []
    for r in rects:
        x, y, w, h = (float(r.get(k)) for k in ("x", "y", "width", "height"))
        inside = [t.text for t in texts if x <= float(t.get("x")) <= x + w and y <= float(t.get("y")) <= y + h]
        out.append((x, y, w, h, inside))
    return out


def test_the_diagram_places_the_counts_in_the_prisma_boxes(registry, tmp_path):
    screen_known_set(registry, tmp_path)
    ok(registry, "prisma", "--svg", str(tmp_path / "prisma.svg"))
    boxes = _boxes((tmp_path / "prisma.svg").read_text(encoding="utf-8"))
    main = [b[4] for b in boxes if b[0] == diagram.MAIN_X]
    side = [b[4] for b in boxes if b[0] == diagram.SIDE_X]
    in_registry = f"{seed_counts().publications} publication(s), {seed_counts().cases} case(s)"
    assert main == [
        ["Records identified (n = 12):", "Embase (n = 4), searched 2026-11-21",
         "PubMed (n = 5), searched 2026-11-20", "Scopus (n = 3)"],
        ["Records screened (n = 6)"],
        ["Reports sought for retrieval (n = 4)"],
        ["Reports assessed for eligibility (n = 3)"],
        ["Reports included (n = 2)", "In the registry (n = 0), with 0 case(s)", "Registry total:", in_registry,
         "Already in the registry before screening:", in_registry],
    ]
    assert side == [
        ["Records removed before screening:", "Duplicate records removed (n = 3)", "Already in the registry (n = 3)"],
        ["Records excluded (n = 2)"],
        ["Reports not retrieved (n = 1)"],
        ["Reports excluded (n = 1):", "Not DRESS (n = 1)"],
    ]
    # each side box sits beside its main box, and the main boxes run down the page without overlapping
    tops = {b[0]: [] for b in boxes}
    for b in boxes:
        tops[b[0]].append(b[1])
    assert tops[diagram.SIDE_X] == tops[diagram.MAIN_X][:4]
    mains = [b for b in boxes if b[0] == diagram.MAIN_X]
    assert all(a[1] + a[3] < b[1] for a, b in zip(mains, mains[1:]))


def test_prisma_of_an_empty_registry(engine, tmp_path):
    out = ok(engine, "prisma", "--json", str(tmp_path / "p.json"))
    counts = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert counts["records_identified"] == 0 and counts["sources"] == [] and counts["reports_excluded"] == []
    assert "records identified: 0" in out


def test_cases_included_come_from_included_reports_linked_to_publications(engine, tmp_path):
    """park2021 is found before it is in the registry, screened in, then seeded and linked: its cases count.

    park2021 reports one patient (park2021-1) and summarises seven cases reported elsewhere (case_publications
    role review_summary): the cases reached through it, counted from the seed files; the other seeded
    publications and their cases were in the registry without screening."""
    take_in(engine, str(EMBASE))
    park = cid(engine, "Park")
    for stage in ("title_abstract", "full_text"):
        ok(engine, "screen", park, "--stage", stage, "--decision", "include", "--curator", "alice")
    seed(engine)
    ok(engine, "intake", "--link")
    ok(engine, "prisma", "--json", str(tmp_path / "p.json"))
    counts = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    reached = _cases_reached_through("park2021")
    assert (counts["reports_included"], counts["included_in_registry"], counts["cases_included"]) == (1, 1, len(reached))
    files = seed_counts()
    assert (counts["previous_publications"], counts["previous_cases"]) == (files.publications - 1, files.cases - len(reached))
    assert (counts["records_screened"], counts["awaiting_screening"], counts["awaiting_assessment"]) == (1, 3, 0)


def _cases_reached_through(key: str) -> set[str]:
    """The seeded cases a publication reports or links to (`links: - pub: KEY`), read from the seed files by hand."""
    reached = set()
    for f in sorted(SEED_DIR.glob("*.yaml")):
        for case in yaml.safe_load(f.read_text(encoding="utf-8")).get("cases") or []:
            if f.stem == key or any(link.get("pub") == key for link in case.get("links") or []):
                reached.add(case["key"])
    return reached


# -- the rules ----------------------------------------------------------------------------------------------


def test_full_text_needs_a_title_abstract_include(registry):
    assert refused(registry, "screen", cid(registry, "Abara"), "--stage", "full_text", "--decision", "include",
                   "--curator", "alice") == (f"candidate {cid(registry, 'Abara')}: a full-text decision needs a title/abstract "
                                             "include first (title/abstract decision: none); nothing was written")
    screen(registry, "Chen", "title_abstract", "exclude", "--reason", "no_case_data")
    line = refused(registry, "screen", cid(registry, "Chen"), "--stage", "full_text", "--decision", "include", "--curator", "bob")
    assert "(title/abstract decision: exclude (no_case_data) by alice on " in line


def test_works_already_in_the_registry_are_not_screened(registry):
    line = refused(registry, "screen", cid(registry, "Park"), "--stage", "title_abstract", "--decision", "include", "--curator", "a")
    assert line == f"candidate {cid(registry, 'Park')}: already in the registry when found (publication park2021); it is not screened; nothing was written"


@pytest.mark.parametrize(("args", "message"), [
    (("--decision", "exclude"), "an exclusion needs a reason: one of not_dress, not_drug_reaction, no_case_data, "
                                "duplicate_patient, not_retrievable, other"),
    (("--decision", "exclude", "--reason", "other"), "reason 'other' needs the reason in words"),
    (("--decision", "include", "--reason", "not_dress"), "reason 'not_dress' given for decision 'include'; a reason goes with exclude only"),
    (("--decision", "exclude", "--reason", "not_retrievable"), "reason 'not_retrievable' belongs to the full_text stage"),
])
def test_reasons(sqlite_registry, args, message):
    line = refused(sqlite_registry, "screen", cid(sqlite_registry, "Chen"), "--stage", "title_abstract", *args, "--curator", "alice")
    assert message in line


def test_other_reason_with_its_text(registry):
    screen(registry, "Chen", "title_abstract", "exclude", "--reason", "other", "--reason-text", "animal study")
    assert q(registry, "SELECT stage, decision, reason, reason_text, curator FROM screening_decisions") == [
        ("title_abstract", "exclude", "other", "animal study", "alice")]


def test_a_decision_needs_a_curator(registry, monkeypatch):
    monkeypatch.delenv("REGISTRY_CURATOR", raising=False)
    line = refused(registry, "screen", cid(registry, "Chen"), "--stage", "title_abstract", "--decision", "include")
    assert line == "who decides? give --curator NAME (or set REGISTRY_CURATOR)"
    monkeypatch.setenv("REGISTRY_CURATOR", "carol")
    ok(registry, "screen", cid(registry, "Chen"), "--stage", "title_abstract", "--decision", "include")
    assert q(registry, "SELECT curator FROM screening_decisions") == [("carol",)]


def test_revising_keeps_the_history_and_must_be_asked_for(registry):
    screen(registry, "Smith", "title_abstract", "include")
    screen(registry, "Smith", "full_text", "pending")
    screen(registry, "Smith", "full_text", "include")  # after pending: no --revise needed
    line = refused(registry, "screen", cid(registry, "Smith"), "--stage", "full_text", "--decision", "exclude",
                   "--reason", "not_dress", "--curator", "bob")
    assert line.startswith(f"candidate {cid(registry, 'Smith')}: full_text: already decided include by alice on ")
    assert "give --revise to record the new decision (the earlier one stays in the history)" in line
    out = ok(registry, "screen", cid(registry, "Smith"), "--stage", "full_text", "--decision", "exclude", "--reason", "not_dress",
             "--curator", "bob", "--revise")
    assert out.strip() == "recorded 1 decision(s) (1 revising an earlier one, kept in the history)"
    assert q(registry, "SELECT stage, decision, reason, curator FROM screening_decisions ORDER BY id") == [
        ("title_abstract", "include", None, "alice"), ("full_text", "pending", None, "alice"),
        ("full_text", "include", None, "alice"), ("full_text", "exclude", "not_dress", "bob")]


def test_title_abstract_include_is_not_revised_under_a_full_text_decision(registry):
    screen(registry, "Smith", "title_abstract", "include")
    screen(registry, "Smith", "full_text", "include")
    line = refused(registry, "screen", cid(registry, "Smith"), "--stage", "title_abstract", "--decision", "exclude",
                   "--reason", "not_dress", "--curator", "bob", "--revise")
    assert "has a full-text decision (include by alice on " in line and "revise that to pending" in line


def test_loading_the_same_sheet_twice_adds_nothing(registry, tmp_path):
    sheet = tmp_path / "s.csv"
    ok(registry, "screen", "--export", str(sheet), "--stage", "title_abstract")
    fill_sheet(sheet, TITLE_ABSTRACT, registry, curator="dana")
    ok(registry, "screen", "--file", str(sheet))
    before = dump(registry)
    assert ok(registry, "screen", "--file", str(sheet)).strip() == "recorded 0 decision(s); 6 already recorded, left as they were"
    assert dump(registry) == before
    # the next sheet asks only for what is left: full texts of the four includes
    ok(registry, "screen", "--export", str(sheet))
    with sheet.open(encoding="utf-8-sig") as fh:
        assert [(r["stage"], r["first_author"]) for r in csv.DictReader(fh)] == [
            ("full_text", "Abara"), ("full_text", "Bianchi"), ("full_text", "Smith"), ("full_text", "Dupont")]


def test_yaml_sheet(registry, tmp_path):
    sheet = tmp_path / "s.yaml"
    ok(registry, "screen", "--export", str(sheet))
    text_ = sheet.read_text(encoding="utf-8")
    assert "stage: title_abstract" in text_
    sheet.write_text(f"- {{candidate: {cid(registry, 'Chen')}, stage: title_abstract, decision: exclude, reason: no_case_data, "
                     "curator: erin, decided_on: 2026-11-30}\n", encoding="utf-8")
    ok(registry, "screen", "--file", str(sheet))
    rows = q(registry, "SELECT decision, reason, curator, decided_at FROM screening_decisions")
    assert [r[:3] for r in rows] == [("exclude", "no_case_data", "erin")] and str(rows[0][3]).startswith("2026-11-30")


@pytest.mark.parametrize(("content", "message"), [
    ("candidate,stage,decision,reson\n1,title_abstract,include,\n", "header: unknown column(s) 'reson'"),
    ("candidate,decision\n1,include\n", "header: missing column(s) stage"),
    ("candidate,stage,decision\nx,title_abstract,include\n", "row 2: candidate 'x' is not a candidate number"),
    ("candidate,stage,decision,curator\n{chen},title_abstract,maybe,x\n", "row 2, candidate {chen}: decision 'maybe' is not one of include, exclude, pending"),
    ("candidate,stage,decision,curator\n{chen},title_abstract,include,\n", "row 2, candidate {chen}: no curator: fill the curator column"),
    ("candidate,stage,decision,curator,decided_on\n{chen},title_abstract,include,x,25/11/2026\n",
     "row 2, candidate {chen}: decided_on '25/11/2026' is not a date"),
    ("candidate,stage,decision,curator\n{chen},title_abstract,include,x,extra\n", "row 2: more cells than columns"),
    ("candidate,stage,decision,curator\n9999,title_abstract,include,x\n", "row 2, candidate 9999: no such candidate"),
])
def test_bad_sheets(sqlite_registry, tmp_path, monkeypatch, content, message):
    monkeypatch.delenv("REGISTRY_CURATOR", raising=False)
    sheet = tmp_path / "bad.csv"
    sheet.write_text(content.replace("{chen}", cid(sqlite_registry, "Chen")), encoding="utf-8")
    line = refused(sqlite_registry, "screen", "--file", str(sheet))
    assert line.startswith(f"{sheet}: ") and message.replace("{chen}", cid(sqlite_registry, "Chen")) in line, line


def test_every_problem_of_a_sheet_is_listed_and_nothing_written(registry, tmp_path):
    sheet = tmp_path / "s.csv"
    chen, abara = cid(registry, "Chen"), cid(registry, "Abara")
    sheet.write_text(f"candidate,stage,decision,reason,curator\n{abara},title_abstract,include,,x\n"
                     f"{chen},title_abstract,exclude,,x\n{chen},full_text,include,,x\n", encoding="utf-8")
    before = dump(registry)
    result = run_cli(url_of(registry), "screen", "--file", str(sheet))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"dress-registry: error: {sheet}: row 3, candidate {chen}: an exclusion needs a reason: one of not_dress, "
        "not_drug_reaction, no_case_data, duplicate_patient, not_retrievable, other",
        f"{sheet}: row 4, candidate {chen}: a full-text decision needs a title/abstract include first "
        "(title/abstract decision: none)",
        "2 problems; nothing was written"]
    assert dump(registry) == before


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_sheet_survives_a_spreadsheet(tmp_path):
    """The exported CSV opened and saved by LibreOffice (as UTF-8, through xlsx) loads back unchanged."""
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    migrate.upgrade(engine)
    take_in(engine, str(SCOPUS), "--source", "Scopus")
    sheet = tmp_path / "to-screen.csv"
    ok(engine, "screen", "--export", str(sheet))
    fill_sheet(sheet, {"Okafor": ("exclude", "not_drug_reaction"), "Abara": ("include", "")}, engine,
               curator="Zoé Müller", decided_on="2026-11-25")
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    for args in (["--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(tmp_path / "xlsx"), str(sheet)],
                 ["--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(tmp_path / "back"),
                  str(tmp_path / "xlsx" / "to-screen.xlsx")]):
        subprocess.run(["soffice", "--headless", profile, *args], check=True, capture_output=True, timeout=120)
    back = tmp_path / "back" / "to-screen.csv"
    assert ok(engine, "screen", "--file", str(back)).strip() == "recorded 2 decision(s)"
    rows = q(engine, "SELECT c.first_author, d.decision, d.reason, d.curator, d.decided_at FROM screening_decisions d "
                     "JOIN candidates c ON c.id = d.candidate_id ORDER BY d.id")
    assert [r[:4] for r in rows] == [("Abara", "include", None, "Zoé Müller"), ("Okafor", "exclude", "not_drug_reaction", "Zoé Müller")]
    assert all(str(r[4]).startswith("2026-11-25") for r in rows)
    engine.dispose()


# -- on the site and in the export --------------------------------------------------------------------------


async def test_publish_serves_the_diagram_and_export_carries_it(registry, tmp_path):
    screen_known_set(registry, tmp_path)
    site = tmp_path / "dist"
    ok(registry, "publish", "--out", str(site), "--quiet")
    assert json.loads((site / "files" / "prisma.json").read_text(encoding="utf-8")) == EXPECTED
    ds = Datasette(**datasette_kwargs(site))
    response = await ds.client.get("/registry-files/prisma.svg")
    assert response.status_code == 200
    assert "Reports excluded (n = 1):" in response.text and "Not DRESS (n = 1)" in response.text
    # the screening tables are part of the published file, for datasette users
    response = await ds.client.get("/registry/screening_decisions.json?_shape=array&_size=max")
    assert len(response.json()) == 11

    ok(registry, "export", "--out", str(tmp_path / "export"), "--quiet")
    ok(registry, "export", "--published", str(site / "registry.db"), "--out", str(tmp_path / "export2"), "--quiet")
    for folder in ("export", "export2"):
        assert json.loads((tmp_path / folder / "prisma.json").read_text(encoding="utf-8")) == EXPECTED
        assert (tmp_path / folder / "prisma.svg").read_bytes() == (site / "files" / "prisma.svg").read_bytes()
