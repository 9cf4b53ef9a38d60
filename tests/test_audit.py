"""The audit log, on SQLite and PostgreSQL: what seed, edit and import record, `history`, who is named,
that the log refuses changes, and that concurrent curators lose no entries."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from registry.core.db import make_engine
from registry.ingest.audit import ENV_CURATOR, Curator, CuratorSource, audited, resolve_curator
from registry.ingest.curation import current_version, edit_case
from registry.ingest.seed import load_documents
from registry.ingest.synth import synth_documents
from registry.schema import migrate
from tests.helpers import SEED_DIR, dump, edited_yaml, record_ids, run_cli, seed_counts

CASE = "park2021-1"
SUMMARY = (SEED_DIR / "park2021.yaml").read_text(encoding="utf-8")


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _history(url: str, key: str) -> list[str]:
    result = run_cli(url, "history", key)
    assert result.exit_code == 0, result.output
    # Drop the timestamp (first two words and "UTC"): the rest is exact.
    return [line.split("  ", 1)[1] for line in result.output.splitlines()]


def _entries(engine, sql: str = "") -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT c.curator, c.command, l.case_key, l.table_name, l.action, l.field, l.old_value, l.new_value "
            "FROM audit_log l JOIN audit_changes c ON c.id = l.change_id " + sql + " ORDER BY l.id"))]


def test_history_after_seed_edit_import(engine, tmp_path):
    url = _url(engine)
    seeded = run_cli(url, "seed", "--dir", str(SEED_DIR), "--curator", "ana")
    assert seeded.exit_code == 0, seeded.output
    # The seed logs each new case, publication and drug once; their own records are part of them. Its trail:
    # each search file once (its records are part of it), each candidate once and its link (two fields), each
    # screening decision once.
    # A work found by more than one search (the wave's leads list the seeded publications again) is one
    # candidate: logged once, and again only for a field a later record fills in that the first left empty.
    seed = seed_counts()
    works = set(_trail_record_ids())
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT table_name, count(*) FROM audit_log GROUP BY table_name")).all())
        drugs = conn.execute(text("SELECT count(*) FROM drugs")).scalar()
    candidates = _entries(engine, "WHERE l.table_name = 'candidates'")
    inserted = [e for e in candidates if e[4] == "insert"]
    linked = [e for e in candidates if e[4] == "update" and e[5] in ("publication_id", "publication_match")]
    filled = [e for e in candidates if e not in inserted and e not in linked]
    assert len(inserted) == len(works) and len(linked) == 2 * seed.linked
    assert len(filled) <= seed.records - len(works)
    assert all(e[4] == "update" and json.loads(e[6]) is None and json.loads(e[7]) is not None for e in filled), filled
    assert counts == {"cases": seed.cases, "publications": seed.publications, "drugs": drugs,
                      "searches": seed.search_files, "candidates": len(candidates),
                      "screening_decisions": seed.decisions}

    v = current_version(engine, CASE)
    edit_case(engine, CASE, v, curator=Curator("ben", CuratorSource.OPTION), summary="Edited summary.", sex="male")

    edited = tmp_path / "park2021.yaml"
    edited.write_text(edited_yaml(SUMMARY, ("cases", 0, "onset_day"), 15, 14), encoding="utf-8")
    imported = run_cli(url, "import", "--curator", "cara", str(edited))
    assert imported.exit_code == 0, imported.output

    lines = _history(url, CASE)
    created = [ln for ln in lines if ln.startswith("ana  seed --dir ")]
    assert f"ana  seed --dir {SEED_DIR}  added cases.age_value: → 62.0" in created
    assert len(created) == 14  # every column the loader sets (all but id and row_version)
    assert lines[len(created):] == [
        "ben  edit  changed cases.summary: " + _summary() + " → Edited summary.",
        "ben  edit  changed cases.sex: female → male",
        f"cara  import {edited}  changed cases.sex: male → female",
        f"cara  import {edited}  changed cases.onset_day: 15 → 14",
        f"cara  import {edited}  changed cases.summary: Edited summary. → " + _summary(),
    ]
    # Another case of the same load was not touched after the seed.
    assert all(ln.startswith("ana  ") for ln in _history(url, "saidi2017-1"))
    unknown = run_cli(url, "history", "nope-1")
    assert unknown.exit_code == 2 and unknown.output.strip() == \
        "dress-registry: error: no history for case 'nope-1' (no such case, or no logged change)"


def _trail_record_ids() -> list[str]:
    """The record identifiers of every search file of the seed's trail, in order (one per record)."""
    import yaml

    searches = SEED_DIR.parent / "searches"
    manifest = yaml.safe_load((searches / "searches.yaml").read_text(encoding="utf-8"))["searches"]
    return [i for s in manifest for i in record_ids(searches / s["file"])]


def _summary() -> str:
    import yaml

    return yaml.safe_load(SUMMARY)["cases"][0]["summary"]


def test_seed_logs_a_changed_and_a_removed_record(engine, tmp_path):
    url = _url(engine)
    assert run_cli(url, "seed", "--dir", str(SEED_DIR)).exit_code == 0
    work = tmp_path / "seed"
    work.mkdir()
    for f in SEED_DIR.glob("*.yaml"):
        (work / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    # Change the route of an exposure; take out the last lab value.
    import yaml

    doc = yaml.safe_load((work / "park2021.yaml").read_text(encoding="utf-8"))
    exposure = doc["cases"][0]["exposures"][0]
    old_route = exposure.get("route")
    exposure["route"] = "intravenous" if old_route != "intravenous" else "oral"
    lab = doc["cases"][0]["labs"].pop()
    (work / "park2021.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    before = _entries(engine)
    result = run_cli(url, "seed", "--dir", str(work))
    assert result.exit_code == 0, result.output
    new = _entries(engine)[len(before):]
    assert ("test-suite", f"seed --dir {work}", CASE, "drug_exposures", "update", "route",
            json.dumps(old_route), json.dumps(exposure["route"])) in new
    removed = [e for e in new if e[5] != "route"]
    assert [(e[2], e[3], e[4], e[5], e[7]) for e in removed] == [
        (CASE, "lab_results", "delete", None, None), (CASE, "evidence", "delete", None, None)], removed
    values = json.loads(removed[0][6])
    assert (values["analyte"], values["value"], values["unit"]) == (lab["analyte"], lab["value"], lab["unit"])
    assert json.loads(removed[1][6])["value_as_stated"] == lab["src"][0]["as"]
    assert f"test-suite  seed --dir {work}  deleted lab_results[seq 17].analyte: ggt → (deleted)" in _history(url, CASE)


def test_the_log_refuses_update_and_delete(engine):
    url = _url(engine)
    assert run_cli(url, "seed", "--dir", str(SEED_DIR)).exit_code == 0
    before = _entries(engine)
    statements = ["UPDATE audit_log SET new_value = 'x'", "DELETE FROM audit_log",
                  "UPDATE audit_changes SET curator = 'someone else'", "DELETE FROM audit_changes"]
    if engine.dialect.name == "postgresql":
        statements += ["TRUNCATE audit_log", "TRUNCATE audit_changes CASCADE"]
    for sql in statements:
        with pytest.raises(DBAPIError, match="is append-only"):
            with engine.begin() as conn:
                conn.execute(text(sql))
    assert _entries(engine) == before


def test_who_curates(engine, monkeypatch):
    url = _url(engine)
    monkeypatch.delenv(ENV_CURATOR, raising=False)
    result = run_cli(url, "seed", "--dir", str(SEED_DIR))
    if engine.dialect.name == "postgresql":
        assert result.exit_code == 2
        assert result.output.strip() == ("dress-registry: error: say who is curating: --curator NAME or "
                                         "$REGISTRY_CURATOR (required on a shared database)")
        assert _entries(engine) == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cases")).scalar() == 0
    else:
        assert result.exit_code == 0
        who = resolve_curator(engine, None)
        assert who.source == CuratorSource.OS_USER
        assert f"the audit log records this change as OS user {who.name!r}" in result.output
        with engine.connect() as conn:
            assert conn.execute(text("SELECT DISTINCT curator, curator_source FROM audit_changes")).all() == \
                [(who.name, "os_user")]
    monkeypatch.setenv(ENV_CURATOR, "dora")
    assert resolve_curator(engine, None) == Curator("dora", CuratorSource.ENVIRONMENT)
    assert resolve_curator(engine, " eve ") == Curator("eve", CuratorSource.OPTION)


def test_a_failed_import_logs_nothing(engine, tmp_path):
    url = _url(engine)
    assert run_cli(url, "seed", "--dir", str(SEED_DIR)).exit_code == 0
    before = _entries(engine)
    bad = tmp_path / "park2021.yaml"
    bad.write_text(edited_yaml(SUMMARY, ("cases", 0, "sex"), "female", "woman"), encoding="utf-8")
    assert run_cli(url, "import", str(bad)).exit_code == 2
    assert _entries(engine) == before


@pytest.mark.postgres
def test_concurrent_curators_lose_no_entries(postgres_url):
    """Two curators import different cases in overlapping transactions while a third edits a case:
    every change is logged, under the right name."""
    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    base = synth_documents(2, seed=3)
    with audited(engine, Curator("setup", CuratorSource.OPTION), "setup") as log:
        load_documents(log.conn, base, prune=False, audit=log)
    edited = base[0].doc.cases[0].key
    version = current_version(engine, edited)
    mine, theirs = synth_documents(20, seed=11), synth_documents(20, seed=12)
    barrier = threading.Barrier(3, timeout=60)
    errors: list[BaseException] = []

    def importer(name, docs):
        try:
            with audited(engine, Curator(name, CuratorSource.OPTION), f"import by {name}") as log:
                log.conn.execute(text("select 1"))
                barrier.wait()  # all three transactions are open before anyone writes
                load_documents(log.conn, docs, prune=False, audit=log)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    def editor():
        try:
            barrier.wait()
            edit_case(engine, edited, version, curator=Curator("cara", CuratorSource.OPTION), summary="cara's summary")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=importer, args=("ana", mine)), threading.Thread(target=importer, args=("ben", theirs)),
               threading.Thread(target=editor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    cases = _entries(engine, "WHERE l.table_name = 'cases'")
    for name, docs in (("ana", mine), ("ben", theirs)):
        keys = {c.key for d in docs for c in d.doc.cases}
        assert {e[2] for e in cases if e[0] == name and e[4] == "insert"} == keys
        pubs = {d.doc.publication.key for d in docs}
        logged = {json.loads(e[7])["key"] for e in _entries(engine, "WHERE l.table_name = 'publications'") if e[0] == name}
        assert logged == pubs
    assert [e for e in cases if e[0] == "cara"] == [
        ("cara", "edit", edited, "cases", "update", "summary", json.dumps(base[0].doc.cases[0].summary), '"cara\'s summary"')]
    # Every drug in the registry was logged as added exactly once, by whoever added it first.
    with engine.connect() as conn:
        drugs = conn.execute(text("SELECT count(*) FROM drugs")).scalar()
    assert len(_entries(engine, "WHERE l.table_name = 'drugs'")) == drugs
    engine.dispose()


def test_a_withdrawn_case_logs_every_record_that_goes_with_it(engine, tmp_path):
    """A case dropped from its file is deleted, and the database deletes its records with it (foreign keys
    ON DELETE CASCADE): each of those records gets its own delete entry holding its values."""
    import yaml

    url = _url(engine)
    work = tmp_path / "seed"
    work.mkdir()
    for f in SEED_DIR.glob("*.yaml"):
        (work / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli(url, "seed", "--dir", str(work)).exit_code == 0
    doc = yaml.safe_load((work / "benami2018.yaml").read_text(encoding="utf-8"))
    withdrawn = doc["cases"][0]["key"]
    doc["cases"] = []
    (work / "benami2018.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    before = dump(engine)
    entries_before = len(_entries(engine))
    assert run_cli(url, "seed", "--dir", str(work), "--curator", "dora").exit_code == 0
    after = dump(engine)
    gone = {t: [r for r in rows if r not in after[t]] for t, rows in before.items() if not t.startswith("audit_")}
    gone = {t: rows for t, rows in gone.items() if rows}
    assert {"cases", "drug_exposures", "dose_regimens", "findings", "evidence"} <= set(gone)  # the test has teeth
    new = _entries(engine)[entries_before:]
    assert all(e[0] == "dora" and e[4] == "delete" and e[2] == withdrawn for e in new), new
    logged = {}
    for e in new:
        logged.setdefault(e[3], []).append(json.loads(e[6]))
    assert {t: len(v) for t, v in logged.items()} == {t: len(v) for t, v in gone.items()}
    # The values are the deleted rows' own (every column but the id), e.g. each dose of the exposure.
    from registry.schema.models.tables import BY_NAME

    for table, rows in gone.items():
        columns = [c.name for c in BY_NAME[table].columns if c.name != "facts_changed_at"]  # as dump() reads them
        want = sorted(json.dumps({c: v for c, v in zip(columns, r) if c != "id"}, sort_keys=True, default=str) for r in rows)
        got = sorted(json.dumps({c: x for c, x in v.items() if c in columns}, sort_keys=True, default=str)
                     for v in logged[table])
        assert got == want, table
    history = _history(url, withdrawn)
    assert any(ln.startswith("dora  seed --dir ") and "deleted dose_regimens[" in ln for ln in history)
