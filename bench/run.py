"""`python -m bench`: build N synthetic cases and measure import, publish, datasette, CSV export and PostgreSQL.

Every figure is the median of several repeats (fewer at large N), all in
one run on one machine, printed with its goal beside it. Parts whose code
is not there yet (publish, export) are skipped with a note, so the bench
runs at any stage of the project. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import shlex
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import importing, serving
from bench.common import Report, machine_info, median, run_measured, worker_argv

PARTS = ("import", "publish", "datasette", "export", "postgres", "pgpublish")
#: Parts run by default: all of them.
DEFAULT_PARTS = PARTS
BIG = 100_000  # the size the absolute goals are stated for


def repeat(fn, times: int, budget_s: float) -> list:
    """Call fn up to `times` times, stopping early once `budget_s` seconds have gone (at least once)."""
    out, t0 = [], time.perf_counter()
    for _ in range(times):
        out.append(fn())
        if time.perf_counter() - t0 > budget_s:
            break
    return out


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=10_000, help="synthetic cases (default 10,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=None, help="repeats per timing (default 3; 1 from 50,000 cases)")
    p.add_argument("--requests", type=int, default=None, help="requests per page (default 20; 10 from 50,000 cases)")
    p.add_argument("--parts", default=",".join(DEFAULT_PARTS),
                   help=f"comma-separated subset of {','.join(PARTS)} (default: all)")
    p.add_argument("--batch", type=int, default=20_000, help="cases validated and loaded per batch (one transaction)")
    p.add_argument("--publish-timeout", type=float, default=600, help="seconds before a publish is given up")
    p.add_argument("--budget", type=float, default=150,
                   help="seconds per figure: repeats stop early once a figure's runs took this long")
    p.add_argument("--memory-scale", type=int, default=10,
                   help="CSV peak memory is also measured on N/this cases, to see that it stays flat (0: skip)")
    p.add_argument("--working", type=Path, default=None,
                   help="a working database of --cases synthetic cases already imported (dress-registry synth): "
                        "no documents are generated and nothing is imported; the import part times SQLite's own "
                        "copy of its rows instead (the floor), the other parts read it as they read their own")
    p.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a new temporary one)")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    p.add_argument("--markdown", type=Path, default=None, help="also write the table as Markdown")
    args = p.parse_args(argv)
    args.parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        p.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    big = args.cases >= 50_000
    args.repeats = args.repeats or (1 if big else 3)
    args.requests = args.requests or (10 if big else 20)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix=f"dress-bench-{args.cases}-"))
    work.mkdir(parents=True, exist_ok=True)
    report = Report(args.cases)
    report.info = {"machine": machine_info(), "command": "python -m bench " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
                   "repeats": args.repeats, "requests_per_page": args.requests, "batch_cases": args.batch}
    started = time.perf_counter()
    print(f"DRESS registry bench: {args.cases:,} synthetic cases (seed {args.seed}), repeats {args.repeats}, "
          f"parts {','.join(args.parts)}, scratch {work}", flush=True)
    try:
        Bench(args, work, report).run()
    finally:
        report.info["wall_seconds"] = round(time.perf_counter() - started, 1)
        print()
        print(f"== {args.cases:,} cases, {args.repeats} repeat(s), {report.info['wall_seconds']:.0f} s wall ==")
        print(report.table())
        if report.notes:
            print("\nnotes:")
            for n in report.notes:
                print(f"- {n}")
        if args.json:
            report.save(args.json)
        if args.markdown:
            args.markdown.write_text(report.table(markdown=True) + "\n\n" + "\n".join(f"- {n}" for n in report.notes) + "\n")
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, report: Report):
        self.args, self.work, self.report = args, work, report
        self.n = args.cases
        self.db_path = str(args.working or work / "working.db")
        self.out_dir = work / "published"
        self.published = False
        self.publish_peak: float | None = None

    def run(self) -> None:
        a, r = self.args, self.report
        t0 = time.perf_counter()
        # With --working only the N/memory-scale prefix is generated (for the memory check of the export part).
        generated = self.n // a.memory_scale if a.working and a.memory_scale else 0 if a.working else self.n
        self.raws = importing.synth_raws(generated, a.seed) if generated else []
        gc.freeze()  # the raw documents live all run: keep the collector from walking them again and again
        r.add("data", f"generate {generated:,} cases ({len(self.raws):,} publications)", time.perf_counter() - t0, "s")
        if a.working:
            r.note(f"working database given (--working {a.working}): its {self.n:,} cases were imported beforehand")
            if "import" in a.parts:
                self.part_copy_floor()
        elif {"import", "publish", "datasette", "export"} & set(a.parts):
            self.part_import()  # (the SQLite working database the other parts read)
        if "publish" in a.parts or "datasette" in a.parts or "export" in a.parts:
            self.part_publish()
        if "datasette" in a.parts:
            self.part_datasette()
        if "export" in a.parts:
            self.part_export()
        if "postgres" in a.parts:
            self.part_postgres()

    # -- 1. import -------------------------------------------------------------------------

    def part_import(self) -> None:
        a, r, n = self.args, self.report, self.n
        engines = []

        def once(audit=True):
            for e in engines:
                e.dispose()
            engines[:] = [importing.fresh_sqlite(self.db_path)]
            return importing.import_raws(engines[0], self.raws, a.batch, audit=audit)

        if "import" not in a.parts:
            once()
            engines[0].dispose()
            return  # the other parts only needed the working database
        # With and without the audit log, interleaved so that both see the same machine; the audited
        # run comes last, so the working database the other parts read is what `import` writes.
        pairs = repeat(lambda: (once(audit=False), once()), a.repeats, 2 * a.budget)
        timings = [p[1] for p in pairs]
        engine = engines[0]
        rows = timings[0].rows
        v, l = median([t.validate_s for t in timings]), median([t.load_s for t in timings])
        total = median([t.total_s for t in timings])
        r.add("import", f"rows written ({rows / n:.0f} per case)", rows, "rows")
        r.add("import", "validate (pydantic + cross-checks)", v, "s")
        r.add("import", "load_documents + commit", l, "s")
        r.add("import", "import total (validate + load)", total, "s")
        r.add("import", "import rate", rows / total, "rows/s")
        bare = median([p[0].total_s for p in pairs])
        r.add("import", "import total without the audit log", bare, "s")
        r.add("import", "audit log's cost (import total / without the log - 1)", 100 * (total / bare - 1), "%",
              "<= 15%", total / bare <= 1.15)
        data = importing.capture_rows(engine)
        engine.dispose()
        raw = median(repeat(lambda: importing.raw_sqlite(str(self.work / "raw.db"), data), a.repeats, a.budget))
        del data
        r.add("import", "raw sqlite3.executemany, same rows, one transaction", raw, "s")
        r.add("import", "raw rate", rows / raw, "rows/s")
        r.add("import", "import total / raw", total / raw, "x", "<= 2x", total / raw <= 2)
        r.add("import", "load only / raw (validation excluded)", l / raw, "x")
        (self.work / "raw.db").unlink(missing_ok=True)

    def part_copy_floor(self) -> None:
        """For a working database imported beforehand: SQLite's own INSERT ... SELECT of its rows into a freshly
        migrated file (attached), one transaction, the registry's pragmas: the floor for these rows and indexes
        (no Python in the loop; the executemany baseline would hold every row in memory)."""
        r = self.report
        floor = self.work / "floor.db"
        importing.fresh_sqlite(str(floor)).dispose()
        con = sqlite3.connect(floor.resolve().as_uri(), isolation_level=None, uri=True)
        try:
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("ATTACH DATABASE ? AS working", (f"{Path(self.db_path).resolve().as_uri()}?mode=ro",))
            rows, t0 = 0, time.perf_counter()
            con.execute("BEGIN IMMEDIATE")
            for name in importing.data_tables():
                rows += con.execute(f'INSERT INTO main."{name}" SELECT * FROM working."{name}" ORDER BY rowid').rowcount
            con.execute("COMMIT")
            seconds = time.perf_counter() - t0
        finally:
            con.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{floor}{suffix}").unlink(missing_ok=True)
        r.add("import", f"rows in the working database ({rows / self.n:.0f} per case)", rows, "rows")
        r.add("import", "floor: SQLite INSERT ... SELECT of those rows, one transaction", seconds, "s")
        r.add("import", "floor rate", rows / seconds, "rows/s")

    # -- 2. publish -------------------------------------------------------------------------

    def _publish_after_an_edit(self) -> tuple[float, float, dict] | None:
        """Edit one case through the registry's edit path, then publish into the same folder, measured."""
        s, _, code, err = run_measured(worker_argv("edit-one-case", f"sqlite:///{self.db_path}"))
        if code != 0:
            self.report.note(f"editing one case failed: {err.strip()[-200:]}")
            return None
        steps_file = self.work / "publish-steps-edited.json"
        s, peak, code, err = run_measured(
            worker_argv("publish", f"sqlite:///{self.db_path}", str(self.out_dir), str(steps_file)),
            timeout=self.args.publish_timeout)
        if code != 0:
            self.report.note(f"publish after one edit failed: {err.strip()[-200:]}")
            return None
        return s, peak, json.loads(steps_file.read_text())

    def part_publish(self) -> None:
        """The first publish after the import scores every case; later ones (into the same folder, so they find
        the previous build) score only the cases whose facts changed: none."""
        a, r = self.args, self.report
        if not _have("registry.outputs.publish.build"):
            r.skip("publish", "registry.outputs.publish.build is not there yet (publish, datasette and export parts need it)")
            return
        runs = []
        t_start = time.perf_counter()
        shutil.rmtree(self.out_dir, ignore_errors=True)
        for i in range(1 + (a.repeats if "publish" in a.parts else 0)):
            if i > 1 and time.perf_counter() - t_start > a.budget:
                break
            steps_file = self.work / f"publish-steps-{i}.json"
            s, peak, code, err = run_measured(
                worker_argv("publish", f"sqlite:///{self.db_path}", str(self.out_dir), str(steps_file)),
                timeout=a.publish_timeout)
            if code != 0:
                msg = "timed out" if code == -9 else f"failed: {err.strip().splitlines()[-1] if err.strip() else code}"
                r.add("publish", f"publish {msg}", s, "s", "<= 20 s at 100k", False)
                r.note(f"publish {msg} after {s:.0f} s; datasette and export parts skipped")
                return
            runs.append((s, peak, json.loads(steps_file.read_text())))
        self.published = True
        if "publish" not in a.parts:
            return
        big = self.n >= BIG
        goal_note = "" if big else "goal is for 100k"
        first = runs[0]
        r.add("publish", "first publish after import (scores every case)", first[0], "s", "<= 20 s at 100k",
              (first[0] <= 20) if big else None, goal_note)
        again = runs[1:] or runs
        t = median([x[0] for x in again])
        r.add("publish", "publish again, nothing changed (the build is kept)", t, "s", "<= 10 s at 100k",
              (t <= 10) if big else None, goal_note)
        edited = self._publish_after_an_edit()
        if edited is not None:
            r.add("publish", "publish after one case was edited (bakes and scores that case)", edited[0], "s")
            runs.append(edited)
        for label, (_, _, steps) in (("first publish", first), ("publish again", again[-1]),
                                     *((("after one edit", edited),) if edited else ())):
            r.note(f"{label}, seconds per step: " + ", ".join(
                f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v:,}" for k, v in steps.items()
                if not isinstance(v, float) or v >= 0.05))
        peak = max(x[1] for x in runs)
        r.add("publish", "publish peak RSS", peak, "MB", "<= 400 MB at 100k", (peak <= 400) if big else None, goal_note)
        self.publish_peak = peak
        size, working = (self.out_dir / "registry.db").stat().st_size / 1e6, Path(self.db_path).stat().st_size / 1e6
        r.add("publish", "published file size", size, "MB")
        r.add("publish", "working database size", working, "MB")
        r.add("publish", "published file / working database", size / working, "x", "<= 1x", size <= working)

    # -- 3. datasette -------------------------------------------------------------------------

    def part_datasette(self) -> None:
        a, r = self.args, self.report
        if not self.published:
            r.skip("datasette", "no published file")
            return
        if not _have("registry.outputs.publish.serve"):
            r.skip("datasette", "registry.outputs.publish.serve is not there yet")
            return
        result_json = self.work / "pages.json"
        _, _, code, err = run_measured(worker_argv("pages", str(self.out_dir), str(a.requests), str(result_json)))
        if code != 0:
            r.skip("datasette", f"in-process run failed: {err.strip().splitlines()[-1] if err.strip() else code}")
            return
        measured = json.loads(result_json.read_text())
        paths = [tuple(p) for p in measured["paths"]]
        big = self.n >= BIG
        goals = {
            "case_summary, default facets": (100, "p50 <= 100 ms at 100k"), "case page (row)": (20, "p50 <= 20 ms at 100k"),
            "case_summary, full-text search": (150, "p50 <= 150 ms at 100k"),
            "case_summary, filtered (sex, outcome)": (100, "p50 <= 100 ms at 100k"),
            "case_summary, suspect_drug_list__arraycontains": (150, "p50 <= 150 ms at 100k"),
            "home page /": (100, "p50 <= 100 ms at 100k"), "database page /registry": (100, "p50 <= 100 ms at 100k"),
            "about page": (100, "p50 <= 100 ms at 100k"), "evidence table": (150, "p50 <= 150 ms at 100k"),
        }
        for mode, results in (("in-process", measured["results"]), ("http", self._http_pages(paths))):
            for label, res in results.items():
                goal, limit = "", None
                if label in goals:
                    limit, goal = goals[label]
                ok = (res["p50_ms"] <= limit) if (limit is not None and big) else None
                if label.startswith("canned"):
                    goal, ok = "no time limit hit", not res["time_limit"] and res["status"] == 200
                note = f"status {res['status']}" if res["status"] != 200 else ""
                r.add(f"ds {mode}", f"{label} p50", res["p50_ms"], "ms", goal, ok, note)
                r.add(f"ds {mode}", f"{label} p95", res["p95_ms"], "ms")
                if label == "case_summary, default facets":
                    r.add(f"ds {mode}", f"{label} first request", res["first_ms"], "ms")
        traces = measured["trace"]
        total = sum(ms for ms, _ in traces)
        r.note(f"faceted page SQL ({len(traces)} queries, {total:.0f} ms in SQL), slowest: "
               + " | ".join(f"{ms:.0f} ms {sql[:90]}" for ms, sql in traces[:4]))

    def _http_pages(self, paths: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
        with serving.datasette_server(self.out_dir) as (base, _pid):
            return serving.over_http(base, paths, self.args.requests)

    # -- 4. CSV export -------------------------------------------------------------------------

    def part_export(self) -> None:
        r = self.report
        if not self.published:
            r.skip("export", "no published file")
            return
        big = self._csv_figures(self.n, f"sqlite:///{self.db_path}", self.out_dir, label="")
        scale = self.args.memory_scale
        if scale and self.n // scale >= 100:
            small_n = self.n // scale
            small_db = self.work / "small.db"
            engine = importing.fresh_sqlite(str(small_db))
            importing.import_raws(engine, _prefix(self.raws, small_n), self.args.batch)
            engine.dispose()
            small_out = self.work / "published-small"
            s, small_peak, code, err = run_measured(worker_argv("publish", f"sqlite:///{small_db}", str(small_out)),
                                                    timeout=self.args.publish_timeout)
            if code != 0:
                r.note(f"small publish for the memory check failed: {err[-300:]}")
                return
            r.add("publish", f"publish peak RSS at N/{scale}", small_peak, "MB")
            if self.publish_peak:
                growth = self.publish_peak / small_peak
                r.add("publish", f"publish peak RSS at N / at N/{scale}", growth, "x", "<= 1.5x", growth <= 1.5)
            small = self._csv_figures(small_n, f"sqlite:///{small_db}", small_out, label=f" at N/{scale}", repeats=1)
            for who in ("ours", "datasette", "sqlite3"):
                if big.get(who) and small.get(who):
                    growth = big[who] / small[who]
                    r.add("export", f"{who}: peak RSS at N / at N/{scale}", growth, "x",
                          "flat (<= 1.5x)" if who == "ours" else "", (growth <= 1.5) if who == "ours" else None)

    def _sqlite3_same_query(self, db_file: Path, repeats: int) -> float | None:
        """sqlite3 -csv running the SELECT our export runs: the floor for the same cells. The sqlite3 shell does not
        have the formula guard's Python function (registry_formula_like), so each call of it is replaced by 0 (no
        text is taken for a formula; the guard's SQL pre-test, which lets almost every cell skip the function,
        still runs). None, with a note, if sqlite3 still cannot run the SELECT."""
        from registry.cases.selection import Selection
        from registry.outputs.export.published import FORMULA_FUNCTION, case_table_query, open_published, summary_columns

        conn = open_published(db_file)
        try:
            sql, params = case_table_query(summary_columns(conn), Selection(include_synthetic=True))
        finally:
            conn.close()
        assert not params, "an unfiltered selection has no parameters"
        sql = _without_calls(sql, FORMULA_FUNCTION)
        runs = repeat(lambda: run_measured(["sqlite3", "-bail", "-csv", "-header", str(db_file), sql],
                                           stdout=self.work / "sqlite3-same.csv"), repeats, self.args.budget)
        failed = [x for x in runs if x[2] != 0 or x[3].strip()]
        if failed:
            self.report.note(f"sqlite3 could not run our export's SELECT: {failed[0][3].strip()[:200]}")
            return None
        return median([x[0] for x in runs])

    def _csv_figures(self, n: int, working_url: str, out_dir: Path, label: str, repeats: int | None = None) -> dict[str, float]:
        r = self.report
        repeats = repeats or self.args.repeats
        db_file = out_dir / "registry.db"
        peaks: dict[str, float] = {}
        sq = repeat(lambda: run_measured(["sqlite3", "-csv", "-header", str(db_file), "select * from case_summary"],
                                         stdout=self.work / "sqlite3.csv"), repeats, self.args.budget)
        t_sqlite = median([x[0] for x in sq])
        peaks["sqlite3"] = max(x[1] for x in sq)
        r.add("export", f"sqlite3 -csv case_summary{label} ({n:,} cases)", t_sqlite, "s")
        r.add("export", f"sqlite3 -csv peak RSS{label}", peaks["sqlite3"], "MB")
        t_ours = None
        if _have("registry.outputs.export.published"):
            runs = repeat(lambda: run_measured(worker_argv("export-cases", str(db_file), str(self.work / "ours.csv"))),
                          repeats, self.args.budget)
            if all(x[2] == 0 for x in runs):
                t_ours = median([x[0] for x in runs])
                peaks["ours"] = max(x[1] for x in runs)
                r.add("export", f"ours: export --published, case table{label}", t_ours, "s")
                r.add("export", f"ours / sqlite3 -csv case_summary{label}", t_ours / t_sqlite, "x", "<= 4x",
                      t_ours / t_sqlite <= 4, "sqlite3 writes 57 columns; ours adds labels and NR / NA-SRC codes")
                t_same = self._sqlite3_same_query(db_file, repeats)
                if t_same is not None:
                    r.add("export", f"sqlite3 -csv of our export's own SELECT (the same cells){label}", t_same, "s")
                    r.add("export", f"ours / sqlite3 -csv of the same SELECT{label}", t_ours / t_same, "x", "<= 4x",
                          t_ours / t_same <= 4)
                r.add("export", f"ours peak RSS{label}", peaks["ours"], "MB")
            else:
                r.skip("export", f"our export failed: {runs[0][3].strip().splitlines()[-1] if runs[0][3].strip() else runs[0][2]}")
            working = run_measured(worker_argv("export-cases-working", working_url, str(self.work / "working.csv")))
            if working[2] == 0:
                r.add("export", f"ours from the working database (case table rebuilt){label}", working[0], "s")
                r.add("export", f"ours from the working database peak RSS{label}", working[1], "MB")
        else:
            r.skip("export", "registry.outputs.export is not there yet")
        if _have("registry.outputs.publish.serve"):
            for settings, what in (({}, "registry settings"), ({"max_csv_mb": 0}, "max_csv_mb=0")):
                secs, hwm = [], []
                res = {}

                def csv_once(settings=settings):
                    with serving.datasette_server(out_dir, settings) as (base, pid):
                        return serving.datasette_csv(base, pid, self.work / "datasette.csv")

                for res in repeat(csv_once, repeats, self.args.budget):
                    secs.append(res["seconds"])
                    hwm.append(res["server_hwm_after_mb"] or 0)
                t_ds = median(secs)
                note = ("TRUNCATED/ERROR: not all rows" if res["truncated_or_error"]
                        else f"{res['rows']:,} rows, {res['distinct_cases']:,} distinct cases of {n:,}")
                r.add("export", f"datasette CSV _stream=on ({what}){label}", t_ds, "s", "", None, note)
                if t_ours is not None and not res["truncated_or_error"]:
                    r.add("export", f"datasette CSV / ours ({what}){label}", t_ds / t_ours, "x", ">= 2x", t_ds / t_ours >= 2)
                peaks.setdefault("datasette", max(hwm))
                r.add("export", f"datasette server peak RSS ({what}){label}", max(hwm), "MB")
        return peaks

    # -- 5. PostgreSQL -------------------------------------------------------------------------

    def part_postgres(self) -> None:
        a, r = self.args, self.report
        reason = importing.pg_available()
        if reason:
            r.skip("postgres", reason)
            return
        timings, raw_times = [], []
        data = None
        pub = None
        t_start = time.perf_counter()
        for i in range(a.repeats):
            if i and time.perf_counter() - t_start > a.budget:
                break
            with importing.pg_schema("imp") as url:
                engine = importing.fresh_pg(url)
                timings.append(importing.import_raws(engine, self.raws, a.batch))
                if i == 0:
                    data = importing.capture_rows(engine)
                    if "pgpublish" in a.parts and _have("registry.outputs.publish.build"):
                        out = self.work / "published-pg"
                        steps_file = self.work / "publish-pg-steps.json"
                        s, peak, code, err = run_measured(worker_argv("publish", url, str(out), str(steps_file)),
                                                          timeout=a.publish_timeout)
                        steps = json.loads(steps_file.read_text()) if code == 0 else {}
                        pub = (s, peak, code, err, steps)
                engine.dispose()
        def copy_once():
            with importing.pg_schema("copy") as url:
                return importing.raw_pg_copy(url, data)

        raw_times = repeat(copy_once, a.repeats, a.budget)
        rows = timings[0].rows
        total, l = median([t.total_s for t in timings]), median([t.load_s for t in timings])
        raw = median(raw_times)
        r.add("postgres", "import total (validate + load) into PostgreSQL", total, "s")
        r.add("postgres", "import rate", rows / total, "rows/s")
        r.add("postgres", "load_documents + commit", l, "s")
        r.add("postgres", "raw psycopg COPY, same rows, one transaction", raw, "s")
        r.add("postgres", "import total / COPY", total / raw, "x", "<= 3x", total / raw <= 3)
        r.add("postgres", "load only / COPY", l / raw, "x")
        if "pgpublish" not in a.parts:
            pass
        elif pub is None:
            r.skip("postgres", "publish: registry.outputs.publish.build is not there yet")
        elif pub[2] != 0:
            r.add("postgres", "publish from PostgreSQL " + ("timed out" if pub[2] == -9 else "failed"), pub[0], "s")
        else:
            r.add("postgres", "publish from PostgreSQL (first: scores every case)", pub[0], "s", "< 10 s at 100k",
                  (pub[0] < 10) if self.n >= BIG else None)
            r.note("publish from PostgreSQL, seconds per step: "
                   + ", ".join(f"{k} {v:.1f}" for k, v in pub[4].items() if v >= 0.05))
            r.add("postgres", "publish from PostgreSQL / COPY", pub[0] / raw, "x", "<= 3x", pub[0] / raw <= 3)
            r.add("postgres", "publish from PostgreSQL peak RSS", pub[1], "MB")


def _without_calls(sql: str, function: str, stand_in: str = "0") -> str:
    """`sql` with every call of `function` (its arguments may hold parentheses and quoted text) replaced by `stand_in`."""
    out, i, opening = [], 0, f"{function}("
    while (start := sql.find(opening, i)) >= 0:
        out.append(sql[i:start])
        depth, j, quote = 0, start + len(function), None
        while True:
            ch = sql[j]
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        out.append(stand_in)
        i = j + 1
    out.append(sql[i:])
    return "".join(out)


def _prefix(raws: list, n_cases: int) -> list:
    out, count = [], 0
    for label, raw in raws:
        if count >= n_cases:
            break
        cases = raw["cases"][: n_cases - count]
        out.append((label, {**raw, "cases": cases}))
        count += len(cases)
    return out


if __name__ == "__main__":
    sys.exit(main())
