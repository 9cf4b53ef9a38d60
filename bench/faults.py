"""Fault tests at scale: `kill -9` inside an import and a seed, and a full disk during an import.

    python -m bench.faults [--cases 20000] [--seed-cases 1000]

Every run starts from a migrated SQLite file holding the shipped seed (the
previous content), runs the real `dress-registry` command in its own process,
and then checks the file: PRAGMA integrity_check, and every row of every
table compared with the previous content. The helpers are shared with
tests/test_faults.py, which runs the same at a size CI can afford.

Kills land inside the write transaction: the runner waits until the command
holds SQLite's write lock (a BEGIN IMMEDIATE probe that does not wait fails),
then the given delay, checks the lock is still held, and sends SIGKILL.

The full disk is a tmpfs mounted for the run (needs root), with room for the
file and about 1 MiB more; SQLite's PRAGMA max_page_count gives the same
SQLITE_FULL where no filesystem can be mounted. Prints a markdown table for
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from registry.core.db import make_engine, metadata, writing
from registry.core.resources import SEED_PUBLICATIONS_DIR
from registry.ingest.synth import synth_raw

CSV_HEADER = ["publication_key", "authors", "title", "journal", "year", "article_type", "source_access", "case_key", "sex",
              "age_value", "age_unit", "country", "onset_day", "drug", "start_day", "dose_value", "dose_unit", "indication",
              "route", "reaction_outcome", "death", "summary", "source_locator"]


def write_import_csv(path: Path, n_cases: int, key: str = "faultpub2021") -> Path:
    """One publication with n_cases one-line cases (a large flat CSV import)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_HEADER)
        for i in range(n_cases):
            citation = ["Doe J", "Fault test", "Test J", "2021", "case_series", "full_text"] if i == 0 else [""] * 6
            w.writerow([key, *citation, f"{key}-{i + 1}", "female" if i % 2 else "male", str(20 + i % 60), "a", "FR",
                        str(10 + i % 30), ("allopurinol", "carbamazepine", "lamotrigine")[i % 3], "1", "300", "mg", "gout",
                        "oral", "recovered", "false", f"Case {i + 1}.", f"Table 1, row {i + 1}"])
    return path


def write_seed_dir(folder: Path, n_cases: int) -> Path:
    """The shipped seed files plus synthetic ones holding n_cases (written as JSON, which is YAML)."""
    folder.mkdir()
    for p in SEED_PUBLICATIONS_DIR.glob("*.yaml"):
        shutil.copy(p, folder / p.name)
    for raw in synth_raw(n_cases, 7):
        (folder / f"{raw['publication']['key']}.yaml").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return folder


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def content(db: Path) -> dict[str, list[tuple]]:
    """Every row of every registry table, in primary-key order."""
    from sqlalchemy import select

    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in metadata.sorted_tables}
    finally:
        engine.dispose()


def writer_active(db: Path) -> bool:
    """Does someone hold the write lock (is a write transaction open)? Probes with BEGIN IMMEDIATE, no waiting."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def cli(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "registry.cli", "--database", f"sqlite:///{db}", *args]


def kill_inside_the_write(argv: list[str], db: Path, after_s: float, timeout_s: float = 1800) -> dict[str, float]:
    """Start the command, wait until it holds the write lock, wait `after_s` more, then SIGKILL it.
    Returns seconds from start to the lock and to the kill, and the write-ahead log's size at the kill."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not writer_active(db):
            if proc.poll() is not None:
                raise AssertionError(f"finished before it could be killed: {proc.communicate()}")
            if time.monotonic() - t0 > timeout_s:
                raise AssertionError("never started writing")
            time.sleep(0.002)
        locked = time.monotonic() - t0
        time.sleep(after_s)
        if proc.poll() is not None:
            raise AssertionError(f"finished before it could be killed: {proc.communicate()}")
        if not writer_active(db):
            raise AssertionError("the write transaction ended before the kill")
        wal = Path(f"{db}-wal")
        wal_bytes = wal.stat().st_size if wal.exists() else 0
        proc.send_signal(signal.SIGKILL)
        killed = time.monotonic() - t0
    finally:
        proc.wait(60)
    if proc.returncode != -signal.SIGKILL:
        raise AssertionError(f"exit code {proc.returncode}, not SIGKILL")
    return {"locked_s": locked, "killed_s": killed, "wal_bytes": wal_bytes}


def mount_tmpfs(where: Path, size_bytes: int) -> str | None:
    """Mount a tmpfs of that size at `where` (made if missing); None if it worked, else why not."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "mounting a tmpfs needs root"
    where.mkdir(exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    return None if proc.returncode == 0 else f"mount -t tmpfs refused: {proc.stderr.strip()}"


def seeded_file(path: Path) -> Path:
    """A migrated SQLite file holding the shipped seed."""
    from registry.cases.documents import read_documents
    from registry.ingest.seed import load_documents
    from registry.schema import migrate

    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with writing(engine) as conn:
        load_documents(conn, read_documents(sorted(SEED_PUBLICATIONS_DIR.glob("*.yaml"))))
    engine.dispose()
    return path


# ---------------------------------------------------------------------------------------------


def _verdict(db: Path, before: dict) -> str:
    ok = integrity(db)
    same = content(db) == before
    return f"integrity_check {ok}; previous content {'intact' if same else 'CHANGED'}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=20_000, help="cases in the large CSV import")
    ap.add_argument("--seed-cases", type=int, default=1_000, help="synthetic cases added to the seed files")
    args = ap.parse_args(argv)
    rows: list[tuple[str, str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="faults-"))
    base = seeded_file(work / "base.db")
    before = content(base)
    big = write_import_csv(work / "big.csv", args.cases)

    t0 = time.monotonic()
    done = work / "done.db"
    shutil.copyfile(base, done)
    proc = subprocess.run(cli(done, "import", "--quiet", str(big)), capture_output=True, text=True)
    full_s = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    rows.append((f"import of {args.cases:,} CSV cases, not killed", f"{full_s:.1f} s", "reference duration"))

    for frac in (0.1, 0.5, 0.9):
        db = work / f"kill-import-{frac}.db"
        shutil.copyfile(base, db)
        r = kill_inside_the_write(cli(db, "import", "--quiet", str(big)), db, after_s=frac * full_s * 0.8)
        rows.append((f"kill -9 during import ({args.cases:,} cases), {r['killed_s']:.1f} s in "
                     f"(lock at {r['locked_s']:.1f} s)", f"WAL {r['wal_bytes'] / 1e6:.1f} MB at the kill", _verdict(db, before)))

    seed_dir = write_seed_dir(work / "seed", args.seed_cases)
    for after in (0.0, 0.3):
        db = work / f"kill-seed-{after}.db"
        shutil.copyfile(base, db)
        r = kill_inside_the_write(cli(db, "seed", "--dir", str(seed_dir)), db, after_s=after)
        rows.append((f"kill -9 during seed (8 files + {args.seed_cases:,} synthetic cases), {r['killed_s']:.1f} s in "
                     f"(lock at {r['locked_s']:.1f} s)", f"WAL {r['wal_bytes'] / 1e6:.1f} MB at the kill", _verdict(db, before)))

    disk = work / "disk"
    why = mount_tmpfs(disk, base.stat().st_size + 1024 * 1024)
    if why:
        rows.append(("full disk during import (tmpfs)", "not run", why))
    else:
        try:
            db = disk / "registry.db"
            shutil.copyfile(base, db)
            t0 = time.monotonic()
            proc = subprocess.run(cli(db, "import", "--quiet", str(big)), capture_output=True, text=True)
            took = time.monotonic() - t0
            msg = proc.stderr.strip().replace(str(big), "big.csv")
            rows.append((f"full disk during import (tmpfs, file + 1 MiB free, {args.cases:,} cases)",
                         f"exit {proc.returncode} after {took:.1f} s; {len(proc.stderr.splitlines())} line(s)",
                         f"{_verdict(db, before)}; `{msg}`"))
        finally:
            subprocess.run(["umount", str(disk)], check=False)

    print("| fault | observed | database afterwards |")
    print("|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
