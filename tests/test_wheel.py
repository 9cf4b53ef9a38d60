"""The registry as a user installs it: a wheel, in a fresh virtual environment, run from an empty folder.

Builds the wheel from this checkout, installs it (with its dependencies) into
a new venv, and runs `db upgrade`, `seed`, `publish` and `db check` in a
folder that holds nothing of the checkout: the migrations and the seed files
must come from inside the wheel.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from registry.cases.documents import read_documents
from registry.schema import migrate
from tests.helpers import ROOT, SEED_DIR, seed_counts

pytestmark = pytest.mark.wheel


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_the_wheel_migrates_seeds_publishes_and_checks_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(wheels), str(ROOT)], cwd=tmp_path)
    (wheel,) = wheels.glob("dress_registry-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    _run([str(bin_dir / "pip"), "install", "-q", str(wheel)], cwd=tmp_path)

    empty = tmp_path / "somewhere-else"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("REGISTRY_DATABASE_URL", "PYTHONPATH")}
    cli = str(bin_dir / "dress-registry")
    assert f"database at {migrate.head_revision()}" in _run([cli, "db", "upgrade"], cwd=empty, env=env)
    n_files = len(list(SEED_DIR.glob("*.yaml")))
    seeded = _run([cli, "seed"], cwd=empty, env=env)
    assert f"seeded {n_files} publications" in seeded
    trail = seed_counts()  # the wheel ships the seed's search and screening trail too
    assert f"trail: {trail.search_files} search file(s) with {trail.records} record(s) taken in, " \
           f"{trail.decisions} screening decision(s) recorded" in seeded
    assert "published" in _run([cli, "publish", "--quiet"], cwd=empty, env=env)
    assert "matches the models" in _run([cli, "db", "check"], cwd=empty, env=env)

    # What ran was the installed copy, not this checkout.
    location = _run([str(bin_dir / "python"), "-c", "import registry; print(registry.__file__)"], cwd=empty, env=env)
    assert str(env_dir) in location and str(ROOT) not in location
    with sqlite3.connect(empty / "dist" / "registry.db") as conn:
        (cases,) = conn.execute("select count(*) from case_summary").fetchone()
    assert cases == sum(len(d.doc.cases) for d in read_documents(sorted(SEED_DIR.glob("*.yaml"))))
