"""Load test: the served registry under concurrent readers, with and without abusive clients.

`python -m bench.load` builds a published registry of synthetic cases (or
takes one with --published), serves it on loopback with the registry's own
command line (bench.serving.datasette_server), and runs phases of
--seconds each: --readers concurrent readers cycling through a mix of page
types (home, table, case page, facets, canned queries, JSON, CSV), each
pausing --think seconds on average between pages (0: back to back, which
on 2 cores only measures the queue in front of a saturated server), first
alone, then beside 1 and then --abusers clients that send the slowest legal
queries (randomblob / printf / zeroblob refused at once by the length
limit, a recursive CTE that runs to the SQL time limit, a result over the
result limit) back to back. Per phase and page type it reports p50/p99 and
errors (any status but 200 for a reader; a 5xx, a timeout or a dropped
connection for an abuser, whose queries are meant to get a 400, or a 429 when the ad-hoc queue is full). The goal:
0 errors, and one abuser does not push any reader page's p99 past 1 s.

Bounded: each phase stops after --seconds (and each client after
--max-requests); every request has a timeout; the server is stopped at the
end. Plain asyncio and httpx (a datasette dependency).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import percentile, vm_hwm_mb
from bench.serving import DB, datasette_server, page_paths

GOAL_P99_S = 1.0
REQUEST_TIMEOUT_S = 30.0


def _sql(sql: str, fmt: str = ".json") -> str:
    return f"/{DB}{fmt}?" + urllib.parse.urlencode({"sql": sql})


#: The slowest queries an anonymous client may legally send, and what each is meant to get.
ABUSIVE = [
    ("randomblob 1 GB", _sql("select randomblob(1000000000)")),
    ("printf 2^31", _sql("select printf('%.*c', 2147483647, 'x')", ".csv")),
    ("zeroblob 1 GB", _sql("select zeroblob(1000000000)", ".csv")),
    ("recursive CTE to the time limit",
     _sql("with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r")),
    ("oversized result", _sql("with recursive r(i) as (select 1 union all select i + 1 from r limit 2001) "
                              "select randomblob(200000) from r")),
]


def reader_paths(db_path: Path) -> list[tuple[str, str]]:
    """(page type, path): one of each kind a reader opens."""
    pages = dict(page_paths(db_path))
    case_page = pages["case page (row)"]
    return [
        ("home", "/"),
        ("table", f"/{DB}/case_summary"),
        ("case page", case_page),
        ("facets", f"/{DB}/case_summary?sex=female&reaction_outcome=fatal"),
        ("canned: cases_for_drug", pages["canned: cases_for_drug"]),
        ("canned: latency_distribution", pages["canned: latency_distribution"]),
        ("json", f"/{DB}/case_summary.json?_size=50&_shape=objects"),
        ("json (case)", case_page + ".json"),
        ("csv", f"/{DB}/case_summary.csv?_size=100&_labels=on"),
    ]


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: status code, or the exception's name for a request that got no response
    statuses: dict[str, dict[int | str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))


async def _client(http: httpx.AsyncClient, base: str, paths: list[tuple[str, str]], stats: Stats, deadline: float,
                  start: int, max_requests: int, ok: set[int], think: float) -> None:
    i = start
    pause = random.Random(start)
    for _ in range(max_requests):
        if think:
            await asyncio.sleep(pause.uniform(0.5, 1.5) * think)
        if time.monotonic() >= deadline:
            return
        kind, path = paths[i % len(paths)]
        i += 1
        t0 = time.monotonic()
        try:
            response = await http.get(base + path, timeout=REQUEST_TIMEOUT_S)
            await response.aread()
            status = response.status_code
        except httpx.HTTPError as exc:
            stats.errors[kind].append(type(exc).__name__)
            stats.statuses[kind][type(exc).__name__] += 1
            continue
        stats.times[kind].append(time.monotonic() - t0)
        stats.statuses[kind][status] += 1
        if status not in ok:
            stats.errors[kind].append(str(status))


async def _phase(base: str, readers: list[tuple[str, str]], n_readers: int, n_abusers: int, seconds: float,
                 max_requests: int, think: float) -> tuple[Stats, Stats, float]:
    limits = httpx.Limits(max_connections=n_readers + n_abusers + 5, max_keepalive_connections=n_readers + n_abusers)
    reading, abusing = Stats(), Stats()
    async with httpx.AsyncClient(limits=limits) as http:
        t0 = time.monotonic()
        deadline = t0 + seconds
        tasks = [_client(http, base, readers, reading, deadline, k, max_requests, {200}, think)
                 for k in range(n_readers)]
        tasks += [_client(http, base, ABUSIVE, abusing, deadline, k, max_requests, {400, 429}, 0.0)
                  for k in range(n_abusers)]
        await asyncio.gather(*tasks)
        return reading, abusing, time.monotonic() - t0


def _table(title: str, stats: Stats, elapsed: float, goal: bool) -> list[str]:
    total = sum(len(v) for v in stats.times.values())
    lines = [f"**{title}**: {total:,} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s)", "",
             "| page type | requests | p50 | p99 | errors | statuses |" + (" p99 < 1 s |" if goal else ""),
             "|---|---:|---:|---:|---:|---|" + ("---|" if goal else "")]
    for kind in sorted(set(stats.times) | set(stats.errors)):
        times = stats.times.get(kind, [])
        p50 = f"{percentile(times, 50) * 1000:.0f} ms" if times else "-"
        p99 = percentile(times, 99) if times else None
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(stats.statuses[kind].items(), key=lambda x: str(x[0])))
        row = f"| {kind} | {len(times):,} | {p50} | {'-' if p99 is None else f'{p99 * 1000:.0f} ms'} | " \
              f"{len(stats.errors.get(kind, []))} | {statuses} |"
        if goal:
            row += f" {'yes' if p99 is not None and p99 < GOAL_P99_S else '**no**'} |"
        lines.append(row)
    return lines + [""]


def _build(workdir: Path, cases: int, seed: int) -> Path:
    cli = [sys.executable, "-m", "registry.cli"]
    env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{workdir / 'work.db'}"}
    for args in (["db", "upgrade"], ["synth", "--cases", str(cases), "--seed", str(seed), "-q"],
                 ["publish", "--allow-synthetic", "--out", str(workdir / "dist"), "-q"]):
        subprocess.run(cli + args, cwd=workdir, env=env, check=True, stdout=subprocess.DEVNULL)
    return workdir / "dist"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=10_000, help="synthetic cases to publish (default 10,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--published", type=Path, help="serve this published folder instead of building one")
    p.add_argument("--readers", type=int, default=50)
    p.add_argument("--abusers", type=int, default=3, help="abusive clients in the last phase (default 3)")
    p.add_argument("--seconds", type=float, default=60, help="length of each phase (default 60)")
    p.add_argument("--think", type=float, default=2.0,
                   help="mean pause of a reader between pages, seconds (default 2; 0: back to back)")
    p.add_argument("--max-requests", type=int, default=100_000, help="cap per client and phase")
    args = p.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="registry-load-"))
    try:
        out_dir = args.published or _build(workdir, args.cases, args.seed)
        readers = reader_paths(out_dir / "registry.db")
        load_before = os.getloadavg()
        lines = [f"Load average before: {' / '.join(f'{x:.2f}' for x in load_before)} (1/5/15 min), "
                 f"{os.cpu_count()} cores; {args.readers} readers pausing {args.think:g} s on average between pages, "
                 f"{args.seconds:.0f} s per phase.", ""]
        with datasette_server(out_dir) as (base, pid):
            for _ in range(2):  # warm: counts of the immutable tables are cached after the first request
                for _, path in readers:
                    httpx.get(base + path, timeout=REQUEST_TIMEOUT_S)
            phases = [(0, "readers only"), (1, "readers + 1 abusive client")]
            if args.abusers > 1:
                phases.append((args.abusers, f"readers + {args.abusers} abusive clients"))
            for n_abusers, title in phases:
                reading, abusing, elapsed = asyncio.run(
                    _phase(base, readers, args.readers, n_abusers, args.seconds, args.max_requests, args.think))
                lines += _table(f"{title}, readers", reading, elapsed, goal=True)
                if n_abusers:
                    lines += _table(f"{title}, the abusive queries (400 expected)", abusing, elapsed, goal=False)
            peak = vm_hwm_mb(pid)
        lines.append(f"Server peak RSS over all phases: {peak:,.0f} MB. Load average after: "
                     f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())}.")
        print("\n".join(lines))
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
