"""Shared pieces of the benchmark: figures and the report, timing, subprocesses, machine facts."""

from __future__ import annotations

import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GNU_TIME = "/usr/bin/time"
RSS_MARK = "__bench_max_rss_kb__ "


@dataclass
class Figure:
    part: str
    name: str
    value: float | None
    unit: str
    goal: str = ""
    ok: bool | None = None  # None: no goal, or not measured
    note: str = ""

    def shown(self) -> str:
        if self.value is None:
            return "-"
        v = self.value
        if self.unit in ("rows/s",):
            return f"{v:,.0f} {self.unit}"
        if self.unit == "x":
            return f"{v:.2f}x"
        if abs(v) >= 100:
            return f"{v:,.0f} {self.unit}"
        if abs(v) >= 10:
            return f"{v:.1f} {self.unit}"
        return f"{v:.3g} {self.unit}"


@dataclass
class Report:
    cases: int
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def add(self, part: str, name: str, value: float | None, unit: str, goal: str = "", ok: bool | None = None,
            note: str = "") -> Figure:
        f = Figure(part, name, value, unit, goal, ok, note)
        self.figures.append(f)
        print(f"  {part:<10} {name:<58} {f.shown():>16}  {goal}", flush=True)
        return f

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def skip(self, part: str, reason: str) -> None:
        self.add(part, f"skipped: {reason}", None, "")

    def table(self, markdown: bool = False) -> str:
        head = ("part", "figure", "value", "goal", "met")
        rows = []
        for f in self.figures:
            met = "" if f.ok is None else ("yes" if f.ok else "NO")
            name = f.name + (f" ({f.note})" if f.note else "")
            rows.append((f.part, name, f.shown(), f.goal, met))
        if markdown:
            out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
            out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
            return "\n".join(out)
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
        line = "  ".join(h.ljust(w) for h, w in zip(head, widths))
        out = [line, "-" * len(line)]
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
        return "\n".join(out)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"cases": self.cases, "info": self.info, "notes": self.notes,
                                    "figures": [asdict(f) for f in self.figures]}, indent=2) + "\n")


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def percentile(xs: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def run_measured(argv: list[str], *, stdout: Path | None = None, timeout: float | None = None,
                 env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """Run a command; return (seconds, peak RSS in MB of that process, exit code, stderr tail).

    Peak RSS comes from GNU time (%M) when /usr/bin/time exists: on Linux a
    child forked from this (large) process inherits its high-water mark, so
    our own wait4 rusage would report the bench's size, not the command's;
    `time` is small, and the command it forks reports its own peak. Without
    it, the child's VmHWM is sampled while it runs.
    """
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    gnu_time = os.path.exists(GNU_TIME)
    if gnu_time:
        argv = [GNU_TIME, "-f", f"{RSS_MARK}%M", *argv]
    t0 = time.perf_counter()
    # Own process group, so a timeout ends the command and not just `time`.
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, env=env, cwd=ROOT, start_new_session=True)
    sampled = 0.0
    try:
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if not gnu_time:
                sampled = max(sampled, vm_hwm_mb(proc.pid) or 0.0)
            if deadline is not None and time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return time.perf_counter() - t0, sampled, -9, "timed out"
            time.sleep(0.01)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        peak = sampled
        if gnu_time:
            kept = []
            for line in err.splitlines():
                if line.startswith(RSS_MARK):
                    peak = int(line[len(RSS_MARK):].strip()) / 1024
                elif not line.startswith("Command exited with non-zero status"):
                    kept.append(line)
            err = "\n".join(kept)
        return seconds, peak, proc.returncode, err[-2000:]
    finally:
        if stdout:
            out.close()
        if proc.stderr:
            proc.stderr.close()


def worker_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.worker", *args]


def machine_info() -> dict[str, Any]:
    mem_gb = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    except OSError:
        pass
    import sqlite3

    versions = {}
    for pkg in ("sqlalchemy", "pydantic", "pydantic-core", "sqlite-utils", "datasette", "psycopg", "alembic", "click"):
        try:
            versions[pkg] = importlib_metadata.version(pkg)
        except importlib_metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    pg = None
    try:
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "cores": os.cpu_count(), "memory_gb": mem_gb, "cpu": cpu, "python": platform.python_version(),
        "platform": platform.platform(), "sqlite": sqlite3.sqlite_version, "postgresql_client": pg,
        "load_average_at_start": os.getloadavg(), "packages": versions,
    }


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory so far of a running process (Linux VmHWM)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
