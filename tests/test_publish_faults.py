"""Publish stopped half-way: kill -9 and a full disk leave the previous build intact and serveable.

`publish` builds under temporary names and moves the files into place at the
end (registry.outputs.publish.build.publish). These tests stop a real
`dress-registry publish` process at several points of its build, and run
one on a tmpfs too small for it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import publish_fixtures as fx
import pytest
from datasette.app import Datasette

from registry.core.db import make_engine
from registry.outputs.publish.build import publish
from registry.outputs.publish.serve import datasette_kwargs
from tests.helpers import run_cli

REPO = Path(__file__).resolve().parent.parent
#: Synthetic cases in the working database of the publish that is stopped: enough for a build of seconds.
SYNTH_CASES = 200
#: Seconds a publish may take to start building (a readiness wait, not a timing check).
START_DEADLINE_S = 120


@pytest.fixture(scope="module")
def small(tmp_path_factory, db_templates) -> str:
    """A working database with the two test cases: the previous build is published from it."""
    tmp = tmp_path_factory.mktemp("faults")
    url = db_templates.copy(db_templates.migrated("sqlite"), tmp / "small.db")
    engine = make_engine(url)
    fx.write_cases(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def working(small, tmp_path_factory) -> str:
    """The same with SYNTH_CASES synthetic cases more: the publish that is stopped."""
    path = tmp_path_factory.mktemp("faults-big") / "big.db"
    path.write_bytes(Path(small.removeprefix("sqlite:///")).read_bytes())
    url = f"sqlite:///{path}"
    result = run_cli(url, "synth", "--cases", str(SYNTH_CASES), "-q")
    assert result.exit_code == 0, result.output
    return url


def _previous_build(small: str, out: Path) -> str:
    """Publish the small database into `out`; the sha256 of its registry.db."""
    engine = make_engine(small)
    publish(engine, out)
    engine.dispose()
    return _sha(out / "registry.db")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _publish_argv(working: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "registry.cli", "--database", working, "publish", "--allow-synthetic",
            "--out", str(out), "-q"]


def _read(out: Path, sql: str) -> tuple:
    with closing(sqlite3.connect(f"file:{out / 'registry.db'}?mode=ro", uri=True)) as conn:
        return conn.execute(sql).fetchone()


async def _serveable(out: Path) -> None:
    assert _read(out, "pragma integrity_check") == ("ok",)
    ds = Datasette(**datasette_kwargs(out))
    try:
        for path in ("/", "/registry/case_summary", f"/registry/case_summary/{fx.PARK_KEY}",
                     "/registry/case_summary.csv"):
            response = await ds.client.get(path)
            assert response.status_code == 200, path
    finally:
        for db in ds.databases.values():
            db.close()


def _start_building(working: str, out: Path) -> subprocess.Popen:
    """A publish process, returned once it has started writing its new file."""
    proc = subprocess.Popen(_publish_argv(working, out), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_DEADLINE_S
    while not (out / ".registry.db.building").exists():
        assert proc.poll() is None, f"publish ended before building: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline, "publish did not start building"
        time.sleep(0.02)
    return proc


def _wait_for(proc: subprocess.Popen, ready: Callable[[], bool]) -> None:
    """Poll until `ready()` (a point of the build seen on disk); the process must still be running."""
    deadline = time.monotonic() + START_DEADLINE_S
    while not ready():
        assert proc.poll() is None, "publish finished before the point it was to be killed at: build more cases"
        assert time.monotonic() < deadline, "publish never reached the point it was to be killed at"
        time.sleep(0.005)


#: Where the publish is killed, each a point seen on disk (no timing): as soon as it builds the new file; once
#: that file has grown past its first MB (copied, being baked); while it writes the review package, after the
#: new build was moved into place.
KILL_POINTS = {
    "start": lambda out: True,
    "baking": lambda out: (out / ".registry.db.building").exists() and (out / ".registry.db.building").stat().st_size > 2**20,
    "package": lambda out: any(out.glob(".download.*")),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
async def test_kill_9_during_publish_leaves_the_previous_build(small, working, tmp_path, point):
    out = tmp_path / "dist"
    before = _previous_build(small, out)
    metadata_before = (out / "metadata.json").read_bytes()
    proc = _start_building(working, out)
    _wait_for(proc, lambda: KILL_POINTS[point](out))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    if point == "package":  # the new build was in place: it must be the whole of it
        assert _sha(out / "registry.db") != before
    if _sha(out / "registry.db") == before:
        assert (out / "metadata.json").read_bytes() == metadata_before
    else:  # killed after the new file was moved into place: it must be the whole new build
        assert _read(out, "select count(*) from case_summary") == (2 + SYNTH_CASES,)
    await _serveable(out)
    # The next publish clears what the killed one left and replaces the build.
    done = subprocess.run(_publish_argv(working, out), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["download", "files", "inspect-data.json", "metadata.json",
                                                     "registry.db"]
    assert _sha(out / "registry.db") != before
    await _serveable(out)


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 3 MB tmpfs: room for the small build, not for the synthetic one beside it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


async def test_a_full_disk_during_publish_is_one_line_and_leaves_the_previous_build(small, working, small_disk):
    out = small_disk / "dist"
    before = _previous_build(small, out)
    metadata_before = (out / "metadata.json").read_bytes()
    done = subprocess.run(_publish_argv(working, out), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if not line.startswith("warning: --allow-synthetic")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "disk" in lines[0] and "full" in lines[0] and str(out) in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["files", "inspect-data.json", "metadata.json", "registry.db"]
    assert _sha(out / "registry.db") == before
    assert (out / "metadata.json").read_bytes() == metadata_before
    await _serveable(out)
