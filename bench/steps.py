"""`python -m bench.steps OUT_DIR [--sql]`: one publish of $REGISTRY_DATABASE_URL with each step's own cost.

For every step of the publish it prints the wall time and the step's own peak RSS. RSS is sampled
every 20 ms; ru_maxrss never falls, so it shows only the first big step. With --sql it also times
every SQL statement, taking the gap to the next statement as its duration, and prints the
slowest 30 (the log itself then adds to the memory figures). The bench's publish figures time whole processes; this says where inside one the
time and memory go.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

from sqlalchemy import create_engine

from registry.core import progress
from registry.outputs.publish.build import publish

PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_S = 0.02


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


class StepPeaks:
    """Each step's own peak RSS, from a sampling thread."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb())
            time.sleep(SAMPLE_S)

    def install(self) -> None:
        step = progress.Progress.step
        peaks = self

        @contextmanager
        def timed(self: progress.Progress, name: str) -> Iterator[None]:
            peaks.peak = start = rss_mb()
            started = time.perf_counter()
            with step(self, name):
                yield
            print(f"{name:20s} {time.perf_counter() - started:8.1f} s  start {start:6.0f}  peak {peaks.peak:6.0f}  "
                  f"end {rss_mb():6.0f} MB", flush=True)

        progress.Progress.step = timed


def trace_sql() -> list[tuple[float, str]]:
    """Log every statement of every sqlite3 connection opened from now on (time it started, its SQL)."""
    log: list[tuple[float, str]] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(lambda sql: log.append((time.perf_counter(), sql)))
        return conn

    sqlite3.connect = sqlite3.dbapi2.connect = traced  # the module's own, and the one SQLAlchemy's pysqlite calls
    return log


def slowest(log: list[tuple[float, str]], top: int = 30) -> list[tuple[float, int, str]]:
    """(seconds, times run, statement) of the statements that took longest in all, the gap to the next one
    counting as a statement's time."""
    spent: dict[str, list[float]] = {}
    for (started, sql), (following, _) in pairwise(log):
        entry = spent.setdefault(" ".join(sql.split())[:160], [0.0, 0])
        entry[0] += following - started
        entry[1] += 1
    return sorted(((s, int(n), sql) for sql, (s, n) in spent.items()), reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.steps", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--sql", action="store_true", help="also time every SQL statement")
    args = parser.parse_args()
    StepPeaks().install()
    log = trace_sql() if args.sql else None
    print(f"start {rss_mb():.0f} MB")
    publish(create_engine(os.environ["REGISTRY_DATABASE_URL"]), args.out_dir, allow_synthetic=True,
            progress=progress.quiet())
    if log is not None:
        log.append((time.perf_counter(), "end"))
        for seconds, n, sql in slowest(log):
            print(f"{seconds:7.2f} s {n:7d}x  {sql}")


if __name__ == "__main__":
    main()
