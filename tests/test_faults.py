"""Faults in the middle of a write: `kill -9` during an import and during a seed, and a full disk.

Real processes, real SQLite files. An import or seed runs in one write
transaction (registry.core.db.writing, BEGIN IMMEDIATE on SQLite), so a
process killed inside it, or refused space by the disk, must leave the
database exactly as it was: PRAGMA integrity_check says ok and every row of
every table is the previous content.

The full disk is a real one where the tests may mount a small tmpfs (root),
and SQLite's PRAGMA max_page_count otherwise (the same SQLITE_FULL error,
raised by SQLite instead of the kernel). bench/faults.py runs the same at
scale (bench/RESULTS.md, "Fault tests"); the helpers live there.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import event

from bench.faults import (
    cli,
    content,
    integrity,
    kill_inside_the_write,
    mount_tmpfs,
    write_import_csv,
    write_seed_dir,
)
from registry.cases.documents import read_documents
from registry.core.db import make_engine, writing
from registry.core.errors import RegistryError
from registry.ingest.audit import resolve_curator
from registry.ingest.importer import import_files
from registry.ingest.seed import load_documents
from tests.helpers import SEED_DIR


@pytest.fixture
def seeded_db(db_templates, tmp_path) -> Path:
    """A migrated SQLite file holding the shipped seed (the previous content)."""
    db = tmp_path / "registry.db"
    url = db_templates.copy(db_templates.migrated("sqlite"), db)
    engine = make_engine(url)
    with writing(engine) as conn:
        load_documents(conn, read_documents(sorted(SEED_DIR.glob("*.yaml"))))
    engine.dispose()
    return db


def test_kill_9_during_a_large_import_leaves_the_previous_content(seeded_db, tmp_path):
    before = content(seeded_db)
    big = write_import_csv(tmp_path / "big.csv", 1000)
    kill_inside_the_write(cli(seeded_db, "import", "--quiet", str(big)), seeded_db, after_s=0.1)
    assert integrity(seeded_db) == "ok"
    assert content(seeded_db) == before


def test_kill_9_during_seed_leaves_the_previous_content(seeded_db, tmp_path):
    before = content(seeded_db)
    folder = write_seed_dir(tmp_path / "seed", 60)
    # The seed parses every file first and writes in one short transaction: killed as soon as it holds the lock.
    kill_inside_the_write(cli(seeded_db, "seed", "--dir", str(folder)), seeded_db, after_s=0)
    assert integrity(seeded_db) == "ok"
    assert content(seeded_db) == before


def test_a_full_disk_during_import_is_one_line_and_nothing_half_written(seeded_db, tmp_path):
    """A real full disk: the working database on a tmpfs with room for about 300 KiB more."""
    disk = tmp_path / "disk"
    size = seeded_db.stat().st_size + 300 * 1024
    why = mount_tmpfs(disk, size)
    if why:
        pytest.skip(f"{why}; test_sqlite_max_page_count_during_import covers SQLITE_FULL")
    try:
        db = disk / "registry.db"
        shutil.copyfile(seeded_db, db)
        before = content(db)
        big = write_import_csv(tmp_path / "big.csv", 1000)
        proc = subprocess.run(cli(db, "import", "--quiet", str(big)), capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and "database or disk is full" in lines[0] and "nothing was written" in lines[0], proc.stderr
        assert str(big) in lines[0] or "the database refused the operation" in lines[0], proc.stderr
        assert integrity(db) == "ok"
        assert content(db) == before
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_sqlite_max_page_count_during_import(seeded_db, tmp_path):
    """SQLITE_FULL from SQLite itself (PRAGMA max_page_count): where no small filesystem can be mounted."""
    before = content(seeded_db)
    pages = sqlite3.connect(seeded_db).execute("PRAGMA page_count").fetchone()[0]
    engine = make_engine(f"sqlite:///{seeded_db}")
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count = {pages + 50}"))
    big = write_import_csv(tmp_path / "big.csv", 500)
    with pytest.raises(RegistryError) as exc:
        import_files(engine, [big], curator=resolve_curator(engine, "fault-test"))
    engine.dispose()
    message = str(exc.value)
    assert message.startswith(f"{big}: table ") and "(database or disk is full); nothing was written" in message
    assert "\n" not in message
    assert integrity(seeded_db) == "ok"
    assert content(seeded_db) == before
