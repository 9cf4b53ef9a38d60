"""Part 3 (datasette pages) and the datasette / sqlite3 halves of part 4 (CSV).

Pages are timed in-process through datasette's own ASGI client (no network,
the server's work only) and over HTTP against a real `datasette serve`
subprocess started with the registry's own command line
(registry.outputs.publish.serve.serve_argv): the published file in immutable mode,
the registry's metadata, templates, plugins and settings, and the separate
ad-hoc SQL process that `serve` starts beside it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import percentile, vm_hwm_mb

DB = "registry"


def page_paths(db_path: Path) -> list[tuple[str, str]]:
    """(label, path) of every page the benchmark times, with values taken from the data."""
    from registry.outputs.publish.canned import canned_queries

    con = sqlite3.connect(f"file:{db_path}?mode=ro&immutable=1", uri=True)
    try:
        case_key = con.execute("select case_key from case_summary order by case_key limit 1").fetchone()[0]
        drug = con.execute(
            "select d.name from drug_exposures x join drugs d on d.id = x.drug_id where x.role = 'suspect' "
            "group by d.name order by count(*) desc limit 1").fetchone()[0]
    finally:
        con.close()
    paths = [
        ("case_summary, default facets", f"/{DB}/case_summary"),
        ("case_summary, filtered (sex, outcome)", f"/{DB}/case_summary?sex=female&reaction_outcome=fatal"),
        ("case_summary, full-text search", f"/{DB}/case_summary?_search={urllib.parse.quote(drug)}"),
        ("case page (row)", f"/{DB}/case_summary/{urllib.parse.quote(case_key)}"),
        ("case_summary, suspect_drug_list__arraycontains",
         f"/{DB}/case_summary?suspect_drug_list__arraycontains={urllib.parse.quote(drug)}"),
        ("home page /", "/"),
        ("database page /registry", f"/{DB}"),
        ("about page", "/about"),
        ("evidence table", f"/{DB}/evidence"),
        ("case_timeline table", f"/{DB}/case_timeline"),
        ("lab_series table", f"/{DB}/lab_series"),
    ]
    for q in canned_queries():
        params = {}
        for p in q.params:
            params[p] = {"case_key": case_key, "drug": drug, "q": "desensitisation"}.get(p, q.example.get(p, ""))
        qs = ("?" + urllib.parse.urlencode(params)) if params else ""
        paths.append((f"canned: {q.name}", f"/{DB}/{q.name}{qs}"))
    return paths


DIAGNOSTIC_PATHS = [
    ("case_summary, no facets (_nofacet)", f"/{DB}/case_summary?_nofacet=1"),
    ("case_summary, no count (_nocount)", f"/{DB}/case_summary?_nocount=1"),
    ("case_summary, neither", f"/{DB}/case_summary?_nofacet=1&_nocount=1"),
]

TIME_LIMIT_MARKERS = ("SQL query took too long", "interrupted", "Query interrupted")


def _timed_out(status: int, body: str) -> bool:
    return status >= 400 and any(m in body for m in TIME_LIMIT_MARKERS)


# -- in-process -------------------------------------------------------------------------


def _datasette(out_dir: Path, **settings: Any):
    from datasette.app import Datasette

    from registry.outputs.publish.serve import datasette_kwargs

    kwargs = datasette_kwargs(out_dir)
    kwargs["settings"] = {**kwargs["settings"], **settings}
    return Datasette(**kwargs)


def in_process(out_dir: Path, paths: list[tuple[str, str]], requests: int) -> dict[str, dict[str, Any]]:
    """p50/p95 per page through ds.client (after one warm-up request, reported as `first`)."""

    async def run() -> dict[str, dict[str, Any]]:
        ds = _datasette(out_dir)
        await ds.invoke_startup()
        out = {}
        for label, path in paths:
            times, status, body = [], 0, ""
            t0 = time.perf_counter()
            r = await ds.client.get(path)
            first = time.perf_counter() - t0
            for _ in range(requests):
                t0 = time.perf_counter()
                r = await ds.client.get(path)
                body = r.text
                times.append(time.perf_counter() - t0)
                status = r.status_code
            out[label] = {"path": path, "status": status, "first_ms": first * 1000,
                          "p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
                          "time_limit": _timed_out(status, body)}
        return out

    return asyncio.run(run())


def trace(out_dir: Path, path: str) -> list[tuple[float, str]]:
    """The SQL a page runs with each query's duration (datasette's trace_debug), slowest first."""

    async def run():
        ds = _datasette(out_dir, trace_debug=True)
        await ds.invoke_startup()
        await ds.client.get(path)  # warm (counts of immutable tables are cached after the first)
        sep = "&" if "?" in path else "?"
        base, _, qs = path.partition("?")
        r = await ds.client.get(f"{base}.json{('?' + qs) if qs else ''}{sep if qs else '?'}_trace=1")
        data = r.json()
        traces = data.get("_trace", {}).get("traces", [])
        return sorted(((t.get("duration_ms", 0.0), " ".join(str(t.get("sql", "")).split())) for t in traces), reverse=True)

    return asyncio.run(run())


# -- real server over HTTP ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def datasette_server(out_dir: Path, extra_settings: dict[str, Any] | None = None) -> Iterator[tuple[str, int]]:
    """`datasette serve` as the registry runs it, on a free loopback port; stopped afterwards."""
    from registry.outputs.publish.serve import serve_argv, setting_value, start_adhoc_server
    from registry.outputs.publish.site import ADHOC_SOCKET_ENV

    port = free_port()
    argv = serve_argv(out_dir, "127.0.0.1", port)
    for name, value in (extra_settings or {}).items():
        argv += ["--setting", name, setting_value(value)]
    adhoc, socket_path = start_adhoc_server(out_dir, os.getpid())
    proc = subprocess.Popen(argv, cwd=out_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, ADHOC_SOCKET_ENV: str(socket_path)})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"datasette did not start (exit {proc.poll()})")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        for process in (proc, adhoc):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(socket_path.parent, ignore_errors=True)


def http_get(url: str, timeout: float = 120) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def over_http(base: str, paths: list[tuple[str, str]], requests: int) -> dict[str, dict[str, Any]]:
    out = {}
    for label, path in paths:
        times, status, body = [], 0, b""
        t0 = time.perf_counter()
        http_get(base + path)
        first = time.perf_counter() - t0
        for _ in range(requests):
            t0 = time.perf_counter()
            status, body = http_get(base + path)
            times.append(time.perf_counter() - t0)
        out[label] = {"path": path, "status": status, "first_ms": first * 1000,
                      "p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
                      "time_limit": _timed_out(status, body.decode(errors="replace"))}
    return out


def datasette_csv(base: str, pid: int, out_file: Path) -> dict[str, Any]:
    """Stream the whole case_summary as CSV from the server; time, rows, and server peak RSS growth."""
    before = vm_hwm_mb(pid)
    t0 = time.perf_counter()
    status, body = http_get(f"{base}/{DB}/case_summary.csv?_stream=on&_size=max", timeout=1800)
    seconds = time.perf_counter() - t0
    out_file.write_bytes(body)
    after = vm_hwm_mb(pid)
    # Records, not lines (a quoted cell may hold a line break), and how many distinct cases they are.
    records = list(csv.reader(io.StringIO(body.decode("utf-8", errors="replace"))))[1:]
    return {"status": status, "seconds": seconds, "bytes": len(body), "rows": len(records),
            "distinct_cases": len({r[0] for r in records if r}),
            "server_hwm_before_mb": before, "server_hwm_after_mb": after,
            "truncated_or_error": status != 200 or b"CSV contains more than" in body[-500:]}


def summarise_trace(traces: list[tuple[float, str]], top: int = 6) -> list[str]:
    out = []
    for ms, sql in traces[:top]:
        out.append(f"{ms:8.1f} ms  {sql[:150]}")
    return out


def json_dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=str)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.serving OUT_DIR`: the page timings alone, on a build that exists already."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench.serving", description=main.__doc__)
    p.add_argument("out_dir", type=Path, help="a published folder (registry.db and metadata.json)")
    p.add_argument("--requests", type=int, default=10, help="timed requests per page, after one warm-up")
    p.add_argument("--only", default="", help="time only the pages whose label contains this text")
    p.add_argument("--http", action="store_true", help="also over HTTP, against a real `datasette serve`")
    args = p.parse_args(argv)
    paths = [(label, path) for label, path in page_paths(args.out_dir / "registry.db") if args.only in label]
    inproc = in_process(args.out_dir, paths, args.requests)
    http: dict[str, dict[str, Any]] = {}
    if args.http:
        with datasette_server(args.out_dir) as (base, _pid):
            http = over_http(base, paths, args.requests)
    print(f"{'in-process p50':>15} {'http p50':>9}  page")
    for label, _ in paths:
        over = f"{http[label]['p50_ms']:9.1f}" if label in http else f"{'':9}"
        print(f"{inproc[label]['p50_ms']:12.1f} ms {over}  {label}{'  (time limit)' if inproc[label]['time_limit'] else ''}")


if __name__ == "__main__":
    main()
