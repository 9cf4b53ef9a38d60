"""The evidence worded, and the cases' key facts counted, in a second process while the first scores the cases, on a
first publish of a large registry.

Scoring and wording the evidence are the two longest steps of a publish that takes nothing from a previous build
(about 40 s and 25 s at 100,000 cases), and neither reads what the other writes: scoring writes the registry's
own assessments, evidence_facts words the evidence and the rows it is about, none of which is a registry
assessment (`start` checks). The completeness counts (5 s) read no assessment either, and go with it. On a
machine with a second core they can run side by side:

- the file being built goes into WAL mode for the scoring step, so that a reader in another process and the
  scoring writer do not wait for each other;
- the worker (`python -m registry.outputs.publish.beside`, a process of its own: nothing of the parent's SQLite
  connections crosses into it, and the caller's script is not imported again, as multiprocessing would) reads
  the file, runs the bake's own SELECTs (registry.outputs.publish.reading.evidence_facts_sql,
  registry.cases.completeness.completeness_sql) and writes their rows to a file of its own beside the build;
- after scoring, `finish` waits for it and takes the file out of WAL mode; the bake then copies the rows in, in
  their order, in place of running those SELECTs itself (`attach`, `rows_sql` and `completeness_sql`);
- if the worker failed (killed, say, or out of memory), the bake runs those SELECTs itself, as for a small
  registry, and the publish reports why the worker failed: the build is the same, only slower.

The rows are those the bake would have worded in the parent: the same SELECT over the same rows. A small
registry (the seed, the tests) is worded in the parent as before: starting a process costs more than it saves.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from registry.cases.completeness import completeness_sql as counts_sql
from registry.outputs.publish.reading import EVIDENCE_FACTS, evidence_facts_sql
from registry.schema.vocabulary import Assessor

#: Evidence rows from which the worker is used (about 40 per case; below it, a few thousand cases, the parent
#: words them in less time than a process takes to start).
WORKER_FROM_ROWS = 200_000
#: Name under which the bake attaches the worker's file, and the table holding its rows.
ATTACHED = "evidence_beside"
_TABLE = "rows"
_COUNTS = "completeness"
#: The worker's file is the build file's name with this suffix (removed with the build's other files).
SUFFIX = ".evidence"


@dataclass
class Worker:
    process: subprocess.Popen
    #: The file the worker writes.
    path: Path


def side_path(build: Path) -> Path:
    return Path(f"{build}{SUFFIX}")


def start(conn: sqlite3.Connection, build: Path) -> Worker | None:
    """Start wording the evidence of the file being built (`conn`, outside a transaction, its only connection)
    in another process, or None when the parent is to word it in the bake (a small registry, or evidence about
    a registry assessment, whose stored value scoring may change)."""
    (rows,) = conn.execute("SELECT count(*) FROM evidence").fetchone()
    if rows < WORKER_FROM_ROWS:
        return None
    if conn.execute("SELECT 1 FROM evidence e JOIN assessments a ON e.subject_table = 'assessments' "
                    "AND a.id = e.subject_id WHERE a.assessor = ? LIMIT 1", (Assessor.REGISTRY,)).fetchone():
        return None
    if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
        return None
    path = side_path(build)
    path.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, "-m", __name__, str(build), str(path), str(os.getpid())],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return Worker(process, path)


def finish(conn: sqlite3.Connection, worker: Worker) -> str | None:
    """Wait for the worker and take the build file out of WAL mode (no journal, as the rest of the build).

    Returns None when its rows are ready, or why it failed (its exit status and last line): the worker only
    saves time, so the caller stops it and words the evidence itself, and says so."""
    _, message = worker.process.communicate()
    mode = conn.execute("PRAGMA journal_mode = OFF").fetchone()[0]
    if mode != "off":
        raise RuntimeError(f"the build file stayed in journal mode {mode!r} after wording the evidence beside it")
    if worker.process.returncode == 0:
        return None
    last = (message.strip().splitlines() or ["no message"])[-1]  # the exception, after its traceback
    return f"exit {worker.process.returncode}: {last}"


def stop(worker: Worker) -> None:
    """End the worker if it still runs (the build failed) and remove its file."""
    if worker.process.poll() is None:
        worker.process.kill()
    worker.process.wait()
    if worker.process.stderr is not None:
        worker.process.stderr.close()
    worker.path.unlink(missing_ok=True)


def attach(conn: sqlite3.Connection, worker: Worker) -> None:
    conn.execute(f"ATTACH DATABASE ? AS {ATTACHED}", (f"{worker.path.resolve().as_uri()}?mode=ro",))


def rows_sql() -> str:
    """The worker's rows, in the order it wrote them (the bake's order), as a SELECT of EVIDENCE_FACTS' columns."""
    return f"SELECT {', '.join(c.name for c in EVIDENCE_FACTS.columns)} FROM {ATTACHED}.{_TABLE} ORDER BY rowid"


def completeness_sql() -> str:
    """The worker's completeness counts of every case, in the order completeness_sql gives them."""
    return f"SELECT * FROM {ATTACHED}.{_COUNTS} ORDER BY rowid"


def detach(conn: sqlite3.Connection) -> None:
    if any(name == ATTACHED for (_, name, _) in conn.execute("PRAGMA database_list")):
        conn.execute(f"DETACH DATABASE {ATTACHED}")


def _word(build: str, side: str, parent: int) -> None:
    """The worker: every evidence row of `build` in words, into table _TABLE of the new file `side`, and every
    case's completeness counts into _COUNTS. It ends, removing its file, if the publish that started it ends first
    (kill -9 included)."""
    _end_with(parent, Path(side))
    conn = sqlite3.connect(f"{Path(build).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS side", (Path(side).resolve().as_uri(),))
        conn.execute("PRAGMA side.journal_mode = OFF")
        conn.execute("PRAGMA side.synchronous = OFF")
        names = [c.name for c in EVIDENCE_FACTS.columns]
        conn.execute(f"CREATE TABLE side.{_TABLE} ({', '.join(names)})")
        conn.execute(f"INSERT INTO side.{_TABLE} ({', '.join(names)}) {evidence_facts_sql(conn)}")
        conn.execute(f"CREATE TABLE side.{_COUNTS} AS {counts_sql()}")
    finally:
        conn.close()


def _end_with(parent: int, side: Path) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        side.unlink(missing_ok=True)
        os._exit(1)

    threading.Thread(target=watch, name="registry-evidence-parent", daemon=True).start()


if __name__ == "__main__":
    _word(sys.argv[1], sys.argv[2], int(sys.argv[3]))  # an error ends it non-zero, its traceback on stderr for finish
