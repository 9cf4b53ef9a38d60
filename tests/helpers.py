"""Small helpers shared by tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.engine import Engine

from registry.cli import cli
from registry.core.db import metadata

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seed" / "publications"
# The paper's text is shared beside the repository (not part of it: we store
# facts, not the article). $REGISTRY_SOURCES_DIR points elsewhere if needed.
SOURCES_DIR = Path(os.environ.get("REGISTRY_SOURCES_DIR", ROOT.parent / "shared" / "sources"))
PARK_TEXT = SOURCES_DIR / "park2021-case-rep-oncol-14-1548.txt"

#: The two backends: the parameters of the `backend_url` and `engine` fixtures, and of a module's
#: template fixture (conftest.DatabaseTemplates.module_template).
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def run_cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database", url, *args], catch_exceptions=False)


def dump(engine: Engine, *, with_change_times: bool = False) -> dict[str, list[tuple]]:
    """Every row of every registry table, in primary-key order.

    cases.facts_changed_at (the time a load changed a case) is left out unless asked for: two loads of
    the same data at different times are otherwise the same database.
    """
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            columns = [c for c in table.columns if with_change_times or c is not table.c.get("facts_changed_at")]
            out[table.name] = [tuple(r) for r in conn.execute(select(*columns).order_by(*pk))]
    return out
