"""The real seed, published and served: what a visitor of `make run` gets."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from datasette.app import Datasette
from sqlite_utils import Database

from registry.core.db import make_engine
from registry.outputs.publish.build import publish
from registry.outputs.publish.canned import canned_queries
from registry.outputs.publish.serve import datasette_kwargs
from tests.helpers import SEED_DIR, run_cli

#: Every case key of the seed files, read from the files themselves.
SEEDED_KEYS = {case["key"] for f in sorted(SEED_DIR.glob("*.yaml"))
               for case in yaml.safe_load(f.read_text(encoding="utf-8")).get("cases") or []}


@pytest.fixture(scope="module")
def site(tmp_path_factory, db_templates) -> Path:
    tmp = tmp_path_factory.mktemp("seeded-site")
    url = db_templates.copy(db_templates.migrated("sqlite"), tmp / "work.db")
    engine = make_engine(url)
    assert run_cli(url, "seed", "--dir", str(SEED_DIR)).exit_code == 0
    publish(engine, tmp / "dist")
    engine.dispose()
    return tmp / "dist"


def test_every_seeded_case_is_published_with_both_scores(site):
    db = Database(site / "registry.db")
    rows = {r["case_key"]: r for r in db["case_summary"].rows}
    assert set(rows) == SEEDED_KEYS
    park = rows["park2021-1"]
    assert (park["authors_regiscar"], park["registry_regiscar"]) == (3, 3)
    # The authors took 1 point off for a biopsy that was not done; the instrument does not.
    assert "skin_biopsy" in park["score_flags"]
    zgolli = rows["zgolli2019-1"]
    assert zgolli["authors_regiscar"] == 3
    assert zgolli["registry_regiscar_min"] <= 3 <= zgolli["registry_regiscar_max"]
    # Every case has a registry interval, even with almost nothing known.
    assert all(r["registry_regiscar_min"] is not None for r in rows.values())
    db.close()


async def test_every_canned_query_runs_on_the_seeded_site(site):
    ds = Datasette(**datasette_kwargs(site))
    examples = {"drug": "imatinib", "case_key": "park2021-1", "q": "reslizumab"}
    for query in canned_queries():
        params = {p: examples.get(p, "x") for p in query.params}
        response = await ds.client.get(f"/registry/{query.name}.json?" + urlencode({**params, "_shape": "array"}))
        assert response.status_code == 200, (query.name, response.text[:300])
        assert isinstance(response.json(), list)


async def test_disagreements_between_a_value_and_a_status_are_listed(site):
    """An adjudicated difference where one curator read a value and the other could not (or read that the source
    says nothing) is a disagreement too: every evidence row not followed is listed, a status in words."""
    ds = Datasette(**datasette_kwargs(site))
    rows = (await ds.client.get("/registry/discrepancies.json?_shape=array&_size=max")).json()
    with sqlite3.connect(site / "registry.db") as conn:
        not_followed = {i for (i,) in conn.execute("select id from evidence where not is_curated")}
        statuses = conn.execute("select count(*) from evidence where not is_curated and status != 'stated'").fetchone()[0]
    assert statuses and {r["other_evidence_id"] for r in rows} == not_followed
    worded = [r for r in rows if r["other_status"] != "stated"]
    assert len({r["other_evidence_id"] for r in worded}) == statuses
    assert all(r["other_value"] in ("not reported", "source not read (not available to the curators)") for r in worded)


async def test_goldman_rechallenge_disagreement_is_listed(site):
    ds = Datasette(**datasette_kwargs(site))
    response = await ds.client.get("/registry/discrepancies.json?_shape=array&_size=max")
    rows = response.json()
    goldman = [r for r in rows if r.get("case_key") == "goldman2008-1"]
    assert goldman, json.dumps(rows)[:500]
