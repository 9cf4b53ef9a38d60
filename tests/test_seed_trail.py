"""The seed's curation trail (seed/searches/, seed/screening.yaml), on SQLite and PostgreSQL.

The PRISMA counts of a freshly seeded registry are checked against counts made by hand from the seed
files (regular expressions over the exports, the YAML as plain data): nothing here pins today's totals,
so the test holds as publications, searches and decisions are added. Re-seeding changes nothing; a bad
trail file is refused with one line naming the file, the entry or record, and the field, and the
database is left as it was.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from registry.cases.prisma import prisma_counts
from tests.helpers import SEED_DIR, dump, record_ids, run_cli

SEED_ROOT = SEED_DIR.parent
SEARCHES = SEED_ROOT / "searches"


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _seed(engine, directory: Path = SEED_DIR, *extra: str):
    return run_cli(_url(engine), "seed", "--dir", str(directory), *extra)


def _records(path: Path) -> list[tuple[str, str | None]]:
    """(identifier, DOI in lower case or None) per record of a search export, by hand."""
    body = path.read_text(encoding="utf-8-sig")
    ends = r"^ER  -.*$" if path.suffix == ".ris" else r"^(?=@\w+\{)" if path.suffix == ".bib" else r"^(?=PMID- )"
    chunks = re.split(ends, body, flags=re.MULTILINE)
    out = []
    for chunk in chunks:
        ids = _record_ids_in(path.suffix, chunk)
        if not ids:
            continue
        dois = re.findall(r"^(?:DO  - |\s*doi\s*=\s*\{)([^}\s]+)", chunk, re.MULTILINE)
        out.append((ids[0], dois[0].lower() if dois else None))
    assert [i for i, _ in out] == record_ids(path), path  # the split found every record, once
    return out


def _record_ids_in(suffix: str, chunk: str) -> list[str]:
    if suffix == ".ris":
        return re.findall(r"^ID  - (.+?)\s*$", chunk, re.MULTILINE)
    if suffix == ".bib":
        return re.findall(r"^@\w+\{([^,\s]+),", chunk, re.MULTILINE)
    return re.findall(r"^PMID- (\d+)", chunk, re.MULTILINE)


def _expected() -> dict:
    """The PRISMA counts the seed files imply, worked out by hand (see the module docstring)."""
    manifest = yaml.safe_load((SEARCHES / "searches.yaml").read_text(encoding="utf-8"))["searches"]
    pubs = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in SEED_DIR.glob("*.yaml")}
    per_source: Counter = Counter()
    seen_dois: set[str] = set()
    seen_ids: set[str] = set()
    duplicates = 0
    for s in manifest:
        path = SEARCHES / s["file"]
        ids = record_ids(path)
        per_source[s["source"]] += len(ids)
        for record_id, doi in _records(path):
            # A record repeats an earlier one when it carries a DOI already met, or (the seed's convention:
            # a record's identifier is its publication's key) the key of a seeded publication already met.
            # One record is one duplicate, however many of the two it repeats.
            duplicates += bool((doi and doi in seen_dois) or (record_id in seen_ids and record_id in pubs))
            seen_dois.update([doi] if doi else [])
            seen_ids.add(record_id)
    last: dict[tuple[str, str], dict] = {}
    for d in yaml.safe_load((SEED_ROOT / "screening.yaml").read_text(encoding="utf-8"))["decisions"]:
        last[(d["record"].split("#", 1)[1], d["stage"])] = d  # the decision taken last counts
    ta = {r: d for (r, stage), d in last.items() if stage == "title_abstract"}
    ft = {r: d for (r, stage), d in last.items() if stage == "full_text"}
    included = [r for r, d in ft.items() if d["decision"] == "include"]
    return {
        "sources": dict(per_source),
        "records_identified": sum(per_source.values()),
        "duplicates_removed": duplicates,
        "already_in_registry": 0,
        "records_screened": sum(1 for d in ta.values() if d["decision"] != "pending"),
        "records_excluded": sum(1 for d in ta.values() if d["decision"] == "exclude"),
        "reports_sought": sum(1 for d in ta.values() if d["decision"] == "include"),
        "reports_not_retrieved": sum(1 for d in ft.values() if d.get("reason") == "not_retrievable"),
        "reports_included": len(included),
        "included_in_registry": sum(1 for r in included if r in pubs),
        "cases_included": sum(len(pubs[r].get("cases") or []) for r in included if r in pubs),
        "registry_publications": len(pubs),
        "registry_cases": sum(len(p.get("cases") or []) for p in pubs.values()),
        "included_keys": sorted(r for r in included if r in pubs),
    }


def test_a_freshly_seeded_registry_counts_the_seed_trail(engine):
    result = _seed(engine)
    assert result.exit_code == 0, result.output
    want = _expected()
    assert want["records_identified"] > 0 and want["cases_included"] > 0  # the test has something to check
    with engine.connect() as conn:
        got = prisma_counts(conn)
        linked = conn.execute(text(
            "SELECT r.source_record_id, p.key FROM search_records r JOIN candidates c ON c.id = r.candidate_id "
            "JOIN publications p ON p.id = c.publication_id WHERE NOT r.is_duplicate ORDER BY r.id")).all()
        in_registry = conn.execute(text("SELECT count(*) FROM candidates WHERE in_registry_at_intake")).scalar()
    assert {s.source: s.records for s in got.sources} == want["sources"]
    for name in ("records_identified", "duplicates_removed", "already_in_registry", "records_screened",
                 "records_excluded", "reports_sought", "reports_not_retrieved", "reports_included",
                 "included_in_registry", "cases_included", "registry_publications", "registry_cases"):
        assert getattr(got, name) == want[name], name
    assert in_registry == 0  # the seed's searches were run before their publications were in the registry
    # Each record of a seeded publication is linked to it by the intake's matching (DOI, PMID, title).
    assert all(record == key for record, key in linked), linked
    assert sorted(k for k, _ in linked if k in want["included_keys"]) == want["included_keys"]
    assert got.previous_publications == want["registry_publications"] - want["included_in_registry"]

    report = _seed(engine, SEED_DIR, "--report")
    assert report.exit_code == 0, report.output
    table, _, flow = report.output.partition("PRISMA 2020 flow")
    assert "park2021-1" in table and flow, report.output
    assert f"  records identified: {want['records_identified']}" in flow
    assert (f"  reports included: {want['reports_included']} ({want['included_in_registry']} in the registry, "
            f"with {want['cases_included']} case(s))") in flow


def test_reseeding_changes_nothing(engine):
    assert _seed(engine).exit_code == 0
    before = dump(engine)
    again = _seed(engine)
    assert again.exit_code == 0, again.output
    assert "trail: no changes" in again.output
    assert dump(engine) == before  # no candidate, decision or audit entry added


def _copy_seed(tmp_path: Path) -> Path:
    root = tmp_path / "seed"
    shutil.copytree(SEED_ROOT, root, ignore=shutil.ignore_patterns("README.md"))
    return root


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    body = path.read_text(encoding="utf-8")
    assert old in body, (path, old)
    path.write_text(body.replace(old, new, count), encoding="utf-8")


def _append_decision(root: Path, entry: str) -> None:
    with (root / "screening.yaml").open("a", encoding="utf-8") as fh:
        fh.write(entry)


BAD = {
    "manifest-date": (lambda r: _edit(r / "searches" / "searches.yaml", 'searched_on: "2026-11-25"', 'searched_on: "25/11/2026"'),
                      "searches/searches.yaml: searches[0] (park2021-index.ris): searched_on '25/11/2026' is not a date"),
    "manifest-field": (lambda r: _edit(r / "searches" / "searches.yaml", "    source: ", "    sourse: "),
                       "searches/searches.yaml: searches[0] (park2021-index.ris): unknown field 'sourse'"),
    "manifest-missing-file": (lambda r: (r / "searches" / "park2021-index.ris").unlink(),
                              "searches/searches.yaml: searches[0] (park2021-index.ris): file: no such file"),
    "unlisted-export": (lambda r: shutil.copy(r / "searches" / "park2021-index.ris", r / "searches" / "extra.ris"),
                        "searches/extra.ris: not listed in"),
    "export-doi": (lambda r: _edit(r / "searches" / "park2021-index.ris", "DO  - 10.1159/000519471", "DO  - 1159/000519471"),
                   "searches/park2021-index.ris: record 1: DOI '1159/000519471' is not a DOI"),
    "export-no-id": (lambda r: _edit(r / "searches" / "park2021-index.ris", "ID  - park2021\n", ""),
                     "searches/park2021-index.ris: record 1: no record identifier"),
    "decision-record": (lambda r: _append_decision(r, "  - {record: park2021-references.bib#nobody2020, stage: title_abstract, "
                                                      "decision: include, curator: x, decided_on: '2026-11-26'}\n"),
                        "screening.yaml: decisions[{n}] (park2021-references.bib#nobody2020): record: "
                        "park2021-references.bib has no record 'nobody2020'"),
    "decision-code": (lambda r: _append_decision(r, "  - {record: park2021-index.ris#park2021, stage: title_abstract, "
                                                    "decision: maybe, curator: x, decided_on: '2026-11-26'}\n"),
                      "screening.yaml: decisions[{n}] (park2021-index.ris#park2021): decision 'maybe' is not one of"),
    "decision-reason": (lambda r: _append_decision(r, "  - {record: park2021-index.ris#park2021, stage: full_text, "
                                                      "decision: exclude, curator: x, decided_on: '2026-11-26'}\n"),
                        "screening.yaml: decisions[{n}] (park2021-index.ris#park2021): an exclusion needs a reason"),
    "decision-curator": (lambda r: _append_decision(r, "  - {record: park2021-index.ris#park2021, stage: full_text, "
                                                       "decision: include, decided_on: '2026-11-26'}\n"),
                         "screening.yaml: decisions[{n}] (park2021-index.ris#park2021): curator is missing"),
    # A rule of the screening itself (checked against the database): full text before title/abstract.
    "decision-order": (lambda r: (_edit(r / "screening.yaml", "stage: title_abstract\n    decision: include",
                                        "stage: title_abstract\n    decision: pending"),),
                       "screening.yaml: decisions[8] (park2021-index.ris#park2021): a full-text decision needs a "
                       "title/abstract include first"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_trail_file_is_refused(sqlite_engine, tmp_path, name):
    root = _copy_seed(tmp_path)
    decisions = len(yaml.safe_load((root / "screening.yaml").read_text(encoding="utf-8"))["decisions"])
    change, message = BAD[name]
    change(root)
    before = dump(sqlite_engine)
    result = _seed(sqlite_engine, root / "publications")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"dress-registry: error: {root}/"), lines
    assert message.format(n=decisions) in lines[0], lines[0]
    assert dump(sqlite_engine) == before


@pytest.mark.postgres
@pytest.mark.parametrize("name", ["export-doi", "decision-order"])
def test_a_bad_trail_file_is_refused_on_postgresql(db_templates, clone_database, tmp_path, name):
    from tests.conftest import require_postgres

    require_postgres()
    test_a_bad_trail_file_is_refused(clone_database(db_templates.migrated("postgresql")), tmp_path, name)


def test_a_seeded_export_edited_later_is_refused(engine, tmp_path):
    root = _copy_seed(tmp_path)
    assert _seed(engine, root / "publications").exit_code == 0
    _edit(root / "searches" / "park2021-index.ris", "VL  - 14", "VL  - 15")
    before = dump(engine)
    result = _seed(engine, root / "publications")
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"dress-registry: error: {root}/searches/park2021-index.ris: changed since it was "
                                     "seeded (a search export is not edited once loaded: put records found later in a "
                                     "new search file, with its own entry in searches.yaml); nothing was written")
    assert dump(engine) == before


def test_a_new_source_and_a_revised_decision_are_one_file_each(engine, tmp_path):
    """What the seed README promises: a search added (its export and its manifest entry), a later decision
    appended; re-seeding takes in only those, finds the repeated record a duplicate, and counts the revision."""
    root = _copy_seed(tmp_path)
    assert _seed(engine, root / "publications").exit_code == 0
    (root / "searches" / "again.ris").write_text(
        "TY  - JOUR\nID  - park2021\nTI  - Successful Treatment of Imatinib-Induced DRESS Syndrome Using Reslizumab "
        "without Cessation of Imatinib: A Case Report\nAU  - Park H\nPY  - 2021\nDO  - 10.1159/000519471\nER  - \n\n"
        "TY  - JOUR\nID  - other2020\nTI  - A report that is not DRESS\nAU  - Other A\nPY  - 2020\nER  - \n",
        encoding="utf-8")
    with (root / "searches" / "searches.yaml").open("a", encoding="utf-8") as fh:
        fh.write('  - {file: again.ris, source: Test database, searched_on: "2026-11-30", curator: tester}\n')
    _append_decision(root, "  - {record: again.ris#other2020, stage: title_abstract, decision: exclude, reason: not_dress, "
                           "curator: tester, decided_on: '2026-11-30'}\n"
                           "  - {record: again.ris#other2020, stage: title_abstract, decision: exclude, reason: no_case_data, "
                           "curator: tester, decided_on: '2026-12-01'}\n")
    with engine.connect() as conn:
        before = prisma_counts(conn)
    result = _seed(engine, root / "publications")
    assert result.exit_code == 0, result.output
    assert "trail: 1 search file(s) with 2 record(s) taken in, 2 screening decision(s) recorded, 0 candidate(s) linked" \
        in result.output
    with engine.connect() as conn:
        after = prisma_counts(conn)
    assert after.records_identified == before.records_identified + 2
    assert after.duplicates_removed == before.duplicates_removed + 1
    assert after.records_excluded == before.records_excluded + 1  # the revision replaces, the history keeps both
    assert after.reports_included == before.reports_included
    again = _seed(engine, root / "publications")
    assert again.exit_code == 0 and "trail: no changes" in again.output


def test_history_of_a_candidate_and_a_publication(engine):
    assert _seed(engine, SEED_DIR, "--curator", "ana").exit_code == 0
    with engine.connect() as conn:
        cid = conn.execute(text("SELECT c.id FROM candidates c JOIN publications p ON p.id = c.publication_id "
                                "WHERE p.key = 'zgolli2019'")).scalar_one()
    result = run_cli(_url(engine), "history", "--candidate", str(cid))
    assert result.exit_code == 0, result.output
    lines = [ln.split("  ", 1)[1] for ln in result.output.splitlines()]
    command = f"ana  seed --dir {SEED_DIR}"
    assert f"{command}  added candidates[Zgolli 2019, pmid 30706827].pmid: → 30706827" in lines
    assert f"{command}  added screening_decisions[candidate {cid}, title_abstract].decision: → include" in lines
    assert f"{command}  added screening_decisions[candidate {cid}, full_text].decision: → include" in lines
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT id FROM publications WHERE key = 'zgolli2019'")).scalar_one()
    assert f"{command}  changed candidates[Zgolli 2019, pmid 30706827].publication_id: NULL → {pid}" in lines
    pub = run_cli(_url(engine), "history", "--publication", "zgolli2019")
    assert pub.exit_code == 0, pub.output
    assert f"{command}  added publications.pmid: → 30706827" in pub.output
    assert set(lines) <= {ln.split(" UTC  ", 1)[1] for ln in pub.output.splitlines() if " UTC  " in ln}  # found, screened
    assert run_cli(_url(engine), "history", "--publication", "nope").exit_code == 2
    both = run_cli(_url(engine), "history", "park2021-1", "--candidate", "1")
    assert both.exit_code == 2 and "give one of" in both.output


def test_intake_and_screening_are_audited(engine, tmp_path):
    """`intake` and `screen` write through the audit log: the export, each candidate, each decision."""
    export = tmp_path / "one.ris"
    export.write_text("TY  - JOUR\nTI  - A first title\nAU  - Smith, J.\nPY  - 2020\nDB  - PubMed\nAN  - 90000011\nER  - \n",
                      encoding="utf-8")
    url = _url(engine)
    took = run_cli(url, "intake", str(export), "--searched-on", "2026-11-30", "--curator", "ben")
    assert took.exit_code == 0, took.output
    with engine.connect() as conn:
        (cid,) = conn.execute(text("SELECT id FROM candidates")).scalars().all()
    assert run_cli(url, "screen", str(cid), "--stage", "title_abstract", "--decision", "exclude",
                   "--reason", "no_case_data", "--curator", "cara").exit_code == 0
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.curator, c.command, l.table_name, l.action, l.record_key, l.new_value FROM audit_log l "
            "JOIN audit_changes c ON c.id = l.change_id ORDER BY l.id")).all()
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        ("ben", f"intake {export} --searched-on 2026-11-30", "searches", "insert", f"PubMed: {export.name}"),
        ("ben", f"intake {export} --searched-on 2026-11-30", "candidates", "insert", "Smith 2020, pmid 90000011"),
        ("cara", f"screen {cid} --stage title_abstract --decision exclude --reason no_case_data", "screening_decisions",
         "insert", f"candidate {cid}, title_abstract"),
    ]
    assert json.loads(rows[0][5])["record_count"] == 1
    assert json.loads(rows[2][5])["reason"] == "no_case_data"


def test_a_database_that_took_in_a_seeded_record_before_the_trail_still_seeds(engine, tmp_path):
    """A working database seeded without a trail, whose curator then took in a search holding a seeded
    publication (a candidate 'already in the registry'), takes the trail in later: the trail's record of that
    publication is a duplicate of the earlier candidate, not screened; everything else loads."""
    root = _copy_seed(tmp_path)
    bare = tmp_path / "bare" / "publications"
    shutil.copytree(SEED_DIR, bare)
    assert _seed(engine, bare).exit_code == 0
    export = tmp_path / "mine.ris"
    shutil.copy(SEARCHES / "park2021-index.ris", export)
    _edit(export, "ID  - park2021", "ID  - mine1")  # another export naming the same paper
    took = run_cli(_url(engine), "intake", str(export), "--source", "Mine")
    assert took.exit_code == 0 and "1 already in the registry" in took.output, took.output
    result = _seed(engine, root / "publications")
    assert result.exit_code == 0, result.output
    # the decisions on every record of park2021 in the trail (its identifier is its key in each search file)
    decisions = sum(1 for d in yaml.safe_load((root / "screening.yaml").read_text(encoding="utf-8"))["decisions"]
                    if d["record"].split("#", 1)[1] == "park2021")
    assert f"{decisions} decision(s) left out" in result.output
    with engine.connect() as conn:
        counts = prisma_counts(conn)
    want = _expected()
    assert counts.already_in_registry == 1 and counts.duplicates_removed == want["duplicates_removed"] + 1
    assert counts.reports_included == want["reports_included"] - 1
    again = _seed(engine, root / "publications")
    assert again.exit_code == 0 and "trail: no changes" in again.output
