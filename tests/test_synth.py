"""Synthetic registry: valid seed documents, deterministic, realistic shape; the bulk path loads it
exactly as one-at-a-time loading does."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import yaml
from sqlalchemy import select, text

from registry.cases.documents import read_documents, validate_documents
from registry.cases.seedschema import SeedDocument
from registry.core.db import make_engine, writing
from registry.ingest.seed import load_documents
from registry.ingest.synth import CULPRITS, synth_documents, synth_raw, write_documents
from registry.schema.models import Case, Publication
from registry.schema.vocabulary import ExposureRole
from tests.helpers import SEED_DIR, dump, run_cli


def test_same_seed_same_documents_and_prefix_stable():
    a = list(synth_raw(120, seed=7))
    assert a == list(synth_raw(120, seed=7))
    assert a != list(synth_raw(120, seed=8))
    # A smaller registry is the start of a larger one (only the last publication may be cut short).
    small = list(synth_raw(40, seed=7))
    assert small[:-1] == a[: len(small) - 1]
    assert sum(len(d["cases"]) for d in small) == 40


def test_every_document_validates_and_is_synthetic():
    docs = synth_documents(300, seed=1)
    assert sum(len(d.doc.cases) for d in docs) == 300
    assert all(isinstance(d.doc, SeedDocument) for d in docs)
    assert {d.doc.publication.article_type for d in docs} == {"synthetic"}
    keys = [c.key for d in docs for c in d.doc.cases]
    assert len(set(keys)) == len(keys)


def test_a_co_suspect_starts_by_the_onset_at_any_size():
    """Publication 109,826 of seed 0 (reached from about 110,000 cases) drew a co-suspect started after the onset
    of a case whose suspect has no start day, which the schema refuses; the generator now keeps it by the onset."""
    from registry.ingest.synth import _cases_in, _publication

    raw = _publication(0, 109_826, _cases_in(0, 109_826))
    doc = SeedDocument.model_validate(raw)
    starts = [x.start_day for c in doc.cases for x in c.exposures if x.role == ExposureRole.CO_SUSPECT and x.start_day is not None]
    assert starts and all(s <= c.onset_day for c in doc.cases for s in starts if c.onset_day is not None)


def test_realistic_shape():
    cases = [c for d in synth_documents(2000, seed=0) for c in d.doc.cases]
    n = len(cases)
    per_case = lambda f: sum(f(c) for c in cases) / n  # noqa: E731
    assert 2.2 <= per_case(lambda c: len(c.exposures)) <= 2.9
    assert 1.5 <= per_case(lambda c: sum(len(x.doses) for x in c.exposures)) <= 3.5
    assert 4.5 <= per_case(lambda c: len(c.labs)) <= 5.5
    assert per_case(lambda c: len(c.findings)) >= 4
    # Every record names its source, once or twice.
    srcs = [len(r.src) for c in cases for x in c.exposures for r in (x, *x.doses)]
    assert set(srcs) <= {1, 2} and 1 in srcs and 2 in srcs
    # Skewed culprits: allopurinol first, a long tail of real DRESS drugs.
    suspects = Counter(c.exposures[0].drug for c in cases)
    ranked = [name for name, _ in suspects.most_common()]
    assert ranked[0] == "allopurinol" and suspects["allopurinol"] > 2 * suspects[ranked[3]]
    assert len(suspects) >= 25 and set(suspects) <= {d[0] for d in CULPRITS}
    # Some data missing, as in real reports.
    assert 0.05 < sum(c.age_value is None for c in cases) / n < 0.3
    assert 0.05 < sum(c.onset_day is None for c in cases) / n < 0.3
    assert {c.unstated for c in cases} == {"not_reported", "not_available"}


def test_out_file_formats_round_trip(tmp_path):
    raws = list(synth_raw(30, seed=2))
    for suffix in (".jsonl", ".json", ".yaml"):
        out = tmp_path / f"synth{suffix}"
        assert write_documents(iter(raws), out) == len(raws)
        if suffix == ".jsonl":
            back = [json.loads(line) for line in out.read_text().splitlines()]
        elif suffix == ".json":
            back = json.loads(out.read_text())
        else:
            back = list(yaml.safe_load_all(out.read_text()))
        assert back == raws, suffix


def test_cli_loads_synthetic_data_flagged(sqlite_engine, tmp_path):
    url = sqlite_engine.url.render_as_string(hide_password=False)
    result = run_cli(url, "synth", "--cases", "60", "--seed", "3", "--batch", "25")
    assert result.exit_code == 0, result.output
    assert "60 cases" in result.output
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(text("count(*)")).select_from(Case)).scalar() == 60
        assert conn.execute(text("select count(*) from cases where not is_synthetic")).scalar() == 0
        assert conn.execute(text("select count(*) from publications where not is_synthetic")).scalar() == 0
    before = dump(sqlite_engine)
    again = run_cli(url, "synth", "--cases", "60", "--seed", "3")
    assert again.exit_code == 0 and "no changes" in again.output, again.output
    assert dump(sqlite_engine) == before
    out = tmp_path / "s.jsonl"
    written = run_cli(url, "synth", "--cases", "10", "--out", str(out))
    assert written.exit_code == 0 and out.exists()
    bad = run_cli(url, "synth", "--cases", "10", "--out", str(tmp_path / "s.txt"))
    assert bad.exit_code == 2 and "unknown format" in bad.output


def test_bulk_and_one_at_a_time_give_identical_databases(backend_url, tmp_path):
    """The bulk path (all documents in one load_documents) writes exactly what loading
    the same documents one by one writes: same rows, same ids."""
    from registry.schema import migrate

    seed = read_documents(sorted(SEED_DIR.glob("*.yaml")))
    docs = synth_documents(150, seed=5)
    dumps = []
    for mode in ("bulk", "single"):
        # A fresh database per mode (PostgreSQL: a second schema on the same server).
        url = backend_url if mode == "bulk" else _second_database(backend_url, tmp_path)
        engine = make_engine(url)
        migrate.upgrade(engine)
        with writing(engine) as conn:
            load_documents(conn, seed)
        if mode == "bulk":
            with writing(engine) as conn:
                load_documents(conn, docs, prune=False)
        else:
            for d in docs:
                with writing(engine) as conn:
                    load_documents(conn, [d], prune=False)
        dumps.append(dump(engine))
        engine.dispose()
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["cases"]) == 150 + sum(len(d.doc.cases) for d in seed)


_extra_schemas: list = []


def _second_database(url: str, tmp_path) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'single.db'}"
    import uuid

    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(make_url(url).difference_update_query(["options"]).render_as_string(hide_password=False))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    _extra_schemas.append((admin, schema))
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def _drop_extra_schemas():
    yield
    while _extra_schemas:
        admin, schema = _extra_schemas.pop()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_bulk_load_is_idempotent_and_updates_in_place(engine):
    docs = synth_documents(80, seed=9)
    with writing(engine) as conn:
        first = load_documents(conn, docs, prune=False)
    assert first.inserted["cases"] == 80
    before = dump(engine)
    with writing(engine) as conn:
        assert not load_documents(conn, docs, prune=False).changed
    assert dump(engine) == before
    # Edit one case's age in the raw document: one case row updated, version bumped, ids kept.
    raws = list(synth_raw(80, seed=9))
    target = next(c for r in raws for c in r["cases"] if c.get("age_value") is not None)
    target["age_value"] = target["age_value"] + 1
    edited = validate_documents((r["publication"]["key"], r) for r in raws)
    with writing(engine) as conn:
        stats = load_documents(conn, edited, prune=False)
    assert stats.updated["cases"] == 1 and stats.inserted["evidence"] == 0 and stats.deleted["evidence"] == 0
    with engine.connect() as conn:
        row = conn.execute(select(Case.id, Case.row_version).where(Case.case_key == target["key"])).one()
    old = {r[1]: r for r in before["cases"]}[target["key"]]
    assert row.id == old[0] and row.row_version == 2


def test_synthetic_and_seed_coexist(engine):
    """Synthetic data loaded next to the curated seed leaves the seed's rows (and drug classes) alone."""
    url = engine.url.render_as_string(hide_password=False)
    assert run_cli(url, "seed", "--dir", str(SEED_DIR)).exit_code == 0
    before = {k: v for k, v in dump(engine).items()}
    assert run_cli(url, "synth", "--cases", "40").exit_code == 0
    after = dump(engine)
    for table in ("drugs", "publications"):
        assert set(before[table]) <= set(after[table]), table
    assert run_cli(url, "seed", "--dir", str(SEED_DIR)).output.strip().endswith("no changes")
    with engine.connect() as conn:
        assert conn.execute(select(text("count(*)")).select_from(Publication).where(Publication.is_synthetic)).scalar() > 0
