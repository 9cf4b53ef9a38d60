"""Shared curation: curators importing and editing at the same time.

PostgreSQL (the multi-curator backend): two imports of different cases in
overlapping transactions both land, even when both bring the same new drug;
two edits of one case are detected and the loser gets a clear conflict
message. SQLite (one curator, but several processes): a second writer waits
for the first instead of failing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
from sqlalchemy import select, text

from registry.core.db import make_engine, writing
from registry.core.errors import RegistryError
from registry.ingest.audit import Curator, CuratorSource
from registry.ingest.curation import EditConflict, current_version, edit_case
from registry.ingest.seed import load_documents
from registry.ingest.synth import synth_documents
from registry.schema.models import Case, Drug
from tests.helpers import ROOT, dump


ANA = Curator("ana", CuratorSource.OPTION)


def _two_curators_docs():
    # Different seeds: different publications and cases, but the same (skewed) drugs.
    return synth_documents(20, seed=11), synth_documents(20, seed=12)


def _count(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


@pytest.mark.postgres
def test_two_curators_import_different_cases_at_once(postgres_url):
    from registry.schema import migrate

    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    mine, theirs = _two_curators_docs()
    assert {x.drug for d in mine for c in d.doc.cases for x in c.exposures} & \
           {x.drug for d in theirs for c in d.doc.cases for x in c.exposures}, "both should bring shared drugs"
    barrier = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def curator(docs):
        try:
            with writing(engine) as conn:
                conn.execute(text("select 1"))
                barrier.wait()  # both transactions are open before either writes
                # Where both bring the same new drug, the second waits for the first to commit.
                load_documents(conn, docs, prune=False)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=curator, args=(docs,)) for docs in (mine, theirs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    n_cases = sum(len(d.doc.cases) for d in mine + theirs)
    assert _count(engine, "select count(*) from cases") == n_cases
    # Nothing lost or doubled: every case has its exposures and evidence, every drug once.
    expected_x = sum(len(c.exposures) for d in mine + theirs for c in d.doc.cases)
    assert _count(engine, "select count(*) from drug_exposures") == expected_x
    assert _count(engine, "select count(*) from cases c where not exists "
                          "(select 1 from evidence e where e.case_id = c.id)") == 0
    with engine.connect() as conn:
        names = conn.execute(select(Drug.name)).scalars().all()
    assert len(names) == len(set(names))
    engine.dispose()


@pytest.mark.postgres
def test_concurrent_import_matches_serial_import(postgres_url, sqlite_url):
    """The same two imports, run one after the other on SQLite, give the same cases and facts."""
    from registry.schema import migrate

    mine, theirs = _two_curators_docs()
    pg = make_engine(postgres_url)
    migrate.upgrade(pg)
    threads = [threading.Thread(target=lambda d=d: _load(pg, d)) for d in (mine, theirs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    lite = make_engine(sqlite_url)
    migrate.upgrade(lite)
    _load(lite, mine)
    _load(lite, theirs)

    def facts(engine):
        with engine.connect() as conn:
            return sorted(conn.execute(text(
                "select c.case_key, x.seq, d.name, x.role, count(r.id) from cases c "
                "join drug_exposures x on x.case_id = c.id join drugs d on d.id = x.drug_id "
                "left join dose_regimens r on r.exposure_id = x.id group by c.case_key, x.seq, d.name, x.role")).all())

    assert facts(pg) == facts(lite)
    pg.dispose()
    lite.dispose()


def _load(engine, docs):
    with writing(engine) as conn:
        load_documents(conn, docs, prune=False)


def _one_case(engine):
    docs = synth_documents(3, seed=4)
    _load(engine, docs)
    key = docs[0].doc.cases[0].key
    return key, current_version(engine, key)


def test_edit_bumps_version(engine):
    key, v = _one_case(engine)
    with engine.connect() as conn:
        loaded_at = conn.execute(select(Case.facts_changed_at).where(Case.case_key == key)).scalar()
    assert edit_case(engine, key, v, curator=ANA, age_value=44, age_unit="a") == v + 1
    with engine.connect() as conn:
        age, changed_at = conn.execute(select(Case.age_value, Case.facts_changed_at).where(Case.case_key == key)).one()
    assert age == 44
    assert changed_at > loaded_at  # publish re-scores the edited case


def test_stale_edit_is_refused_with_a_clear_message(engine):
    key, v = _one_case(engine)
    edit_case(engine, key, v, curator=ANA, summary="first curator's summary")
    before = dump(engine)
    with pytest.raises(EditConflict) as exc:
        edit_case(engine, key, v, curator=ANA, summary="second curator's summary")
    assert str(exc.value).startswith(f"case {key} was changed by someone else (version {v + 1}, you had {v})")
    assert dump(engine) == before


def test_bad_edits_are_refused(engine):
    key, v = _one_case(engine)
    with pytest.raises(RegistryError, match="cannot edit case_key"):
        edit_case(engine, key, v, curator=ANA, case_key="x")
    with pytest.raises(RegistryError, match="no case 'nope-1'"):
        edit_case(engine, "nope-1", 1, curator=ANA, sex="male")
    with pytest.raises(RegistryError, match="refused the edit"):
        edit_case(engine, key, v, curator=ANA, sex="woman")
    assert current_version(engine, key) == v


@pytest.mark.postgres
def test_simultaneous_edits_of_one_case_one_wins(postgres_url, monkeypatch):
    """Both curators read version N; both write. The ORM's versioned UPDATE lets one through and
    raises StaleDataError for the other, which edit_case turns into the conflict message."""
    from registry.ingest import curation
    from registry.schema import migrate

    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    key, v = _one_case(engine)
    barrier = threading.Barrier(2, timeout=60)
    real_apply = curation._apply_changes

    def apply_after_both_read(case, changes):
        barrier.wait()  # both have read version v and passed the check
        real_apply(case, changes)

    monkeypatch.setattr(curation, "_apply_changes", apply_after_both_read)
    results: dict[str, object] = {}

    def curator(name):
        try:
            results[name] = edit_case(engine, key, v, curator=Curator(name, CuratorSource.OPTION), summary=f"summary by {name}")
        except RegistryError as exc:
            results[name] = exc

    threads = [threading.Thread(target=curator, args=(n,)) for n in ("ana", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wins = [n for n, r in results.items() if r == v + 1]
    losses = [r for r in results.values() if isinstance(r, EditConflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert f"case {key} was changed by someone else (version {v + 1}, you had {v})" in str(losses[0])
    with engine.connect() as conn:
        assert conn.execute(select(Case.summary).where(Case.case_key == key)).scalar() == f"summary by {wins[0]}"
    assert current_version(engine, key) == v + 1
    engine.dispose()


_HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from sqlalchemy import text
    from registry.core.db import make_engine, writing
    engine = make_engine(sys.argv[1])
    with writing(engine) as conn:
        conn.execute(text("update cases set summary = 'held' where case_key = :k"), {"k": sys.argv[2]})
        Path(sys.argv[3]).write_text("locked")
        time.sleep(1.5)
        Path(sys.argv[4]).write_text(repr(time.time()))
""")

_SECOND = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from registry.core.db import make_engine, writing
    from registry.ingest.seed import load_documents
    from registry.ingest.synth import synth_documents
    while not Path(sys.argv[2]).exists():
        time.sleep(0.01)
    engine = make_engine(sys.argv[1])
    docs = synth_documents(5, seed=21)
    with writing(engine) as conn:
        load_documents(conn, docs, prune=False)
    Path(sys.argv[3]).write_text(repr(time.time()))
""")


def test_sqlite_second_writer_waits_instead_of_failing(sqlite_engine, tmp_path):
    key, _ = _one_case(sqlite_engine)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    locked, first_done, second_done = (tmp_path / n for n in ("locked", "first", "second"))
    env_python = [sys.executable, "-c"]
    second = subprocess.Popen([*env_python, _SECOND, url, str(locked), str(second_done)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True)
    first = subprocess.Popen([*env_python, _HOLDER, url, key, str(locked), str(first_done)], cwd=ROOT,
                             stderr=subprocess.PIPE, text=True)
    _, err1 = first.communicate(timeout=120)
    _, err2 = second.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2  # no "database is locked"
    # The second writer finished after the first let go of the lock: it waited.
    assert float(second_done.read_text()) >= float(first_done.read_text())
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("select summary from cases where case_key = :k"), {"k": key}).scalar() == "held"
        assert conn.execute(text("select count(*) from cases")).scalar() == 3 + 5
