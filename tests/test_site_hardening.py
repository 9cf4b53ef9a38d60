"""The published site under abuse: bounded queries, clean 4xx, security headers, formula-safe CSV.

Through datasette's own client configured as `serve` runs it, through a
served site (`dress-registry serve` as a subprocess) where the path or a
real HTTP exchange matters, in LibreOffice headless for the CSV, and in
Debian chromium for the Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
import publish_fixtures as fx
import pytest
from test_browser import _free_port, _wait_until_answering, browser, sync_api  # noqa: F401 - fixtures
from datasette.app import Datasette
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from registry.core.db import make_engine
from registry.outputs.formulas import formula_like
from registry.outputs.publish.build import publish
from registry.outputs.publish.guard import MAX_COLUMNS, MAX_RESULT_BYTES, MAX_VALUE_BYTES, repeats_too_long
from registry.outputs.publish.serve import ADHOC_NICE, datasette_kwargs
from registry.outputs.publish.site import ADHOC_SOCKET_ENV
from registry.outputs.publish import web
from registry.outputs.publish.web import SECURITY_HEADERS, CsvGuard

REPO = Path(__file__).resolve().parent.parent
HOSTILE_SUMMARY = '=HYPERLINK("http://example.invalid/x","click")'
HOSTILE_NOTES = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_TITLE = "+1+1 and -1-1 in a title"
HOSTILE_CELLS = {HOSTILE_SUMMARY, HOSTILE_NOTES, HOSTILE_TITLE}

#: Queries that once took the server to 8.9 GB and 27 s (issue 13), and their relatives.
ABUSIVE_SQL = [
    "select randomblob(1000000000)",
    "select printf('%.*c', 2147483647, 'x')",
    "select format('%.*c', 2147483647, 'x')",
    "select printf(char(37, 46, 42, 99), 2147483647, 'x')",
    "select zeroblob(1000000000)",
    "select replace(hex(zeroblob(100000000)), '0', '00')",
    "select length(randomblob(1000000000))",
    "select group_concat(randomblob(200000)) from (with recursive r(i) as (select 1 union all select i + 1 from r"
    " limit 100) select i from r)",
]
#: Results under the value limit but over the result limit: many rows, or few very wide ones.
OVERSIZED_SQL = [
    "with recursive r(i) as (select 1 union all select i + 1 from r limit 2001) select randomblob(200000) from r",
    "with recursive r(i) as (select 1 union all select i + 1 from r limit 3) select "
    + ", ".join(["randomblob(250000)"] * 120) + " from r",
]


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory, db_templates) -> Path:
    tmp = tmp_path_factory.mktemp("hardened-site")
    engine = make_engine(db_templates.copy(db_templates.migrated("sqlite"), tmp / "work.db"))
    fx.write_cases(engine)
    with engine.begin() as conn:
        conn.execute(text("update cases set summary = :s where case_key = :k"), {"s": HOSTILE_SUMMARY, "k": fx.SPARSE_KEY})
        conn.execute(text("update publications set notes = :n, title = :t where key = 'doe2020'"),
                     {"n": HOSTILE_NOTES, "t": HOSTILE_TITLE})
    publish(engine, tmp / "dist")
    engine.dispose()
    return tmp / "dist"


@pytest.fixture
def ds(out_dir) -> Datasette:
    return Datasette(**datasette_kwargs(out_dir))


def _sql(path: str, sql: str, **extra: str) -> str:
    return f"{path}?{urlencode({'sql': sql, **extra})}"


# -- item 1: one query is bounded --------------------------------------------------------------


async def test_abusive_queries_are_refused_with_400(ds):
    failures = []
    for sql in ABUSIVE_SQL:
        for fmt in (".json", ".csv", ""):
            response = await ds.client.get(_sql(f"/registry{fmt}", sql))
            if response.status_code != 400 or "string or blob too big" not in response.text:
                failures.append((sql, fmt, response.status_code, response.text[:200]))
    assert failures == []


async def test_oversized_results_are_refused_with_400(ds):
    for sql in OVERSIZED_SQL:
        for fmt in (".json", ".csv"):
            response = await ds.client.get(_sql(f"/registry{fmt}", sql))
            assert response.status_code == 400, response.text[:300]
            assert "query result too large" in response.text


async def test_a_result_row_has_at_most_max_columns(ds):
    sql = "select " + ", ".join(f"{i} as c{i}" for i in range(MAX_COLUMNS + 1))
    response = await ds.client.get(_sql("/registry.json", sql))
    assert response.status_code == 400 and "too many columns" in response.text
    sql = "select " + ", ".join(f"{i} as c{i}" for i in range(MAX_COLUMNS))
    assert (await ds.client.get(_sql("/registry.json", sql))).status_code == 200


async def test_a_query_over_the_time_limit_is_400_in_every_format(ds):
    sql = "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r"
    for fmt in (".json", ".csv", ""):
        response = await ds.client.get(_sql(f"/registry{fmt}", sql, _timelimit="50"))
        assert response.status_code == 400, fmt
        assert "too long" in response.text, fmt


async def test_ad_hoc_sql_runs_one_at_a_time_and_a_full_queue_gets_429(out_dir, monkeypatch):
    """Three slow ad-hoc queries at once: one runs, one waits its turn, the third finds the queue (here of
    one) full and gets 429 with Retry-After; a page asked for meanwhile is served, and saved questions
    (no `sql` parameter) never enter the queue."""
    monkeypatch.setattr(web, "ADHOC_QUEUE", 1)
    ds = Datasette(**datasette_kwargs(out_dir))
    slow = _sql("/registry.json", "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r",
                _timelimit="400")

    async def later(path: str, delay: float):
        await asyncio.sleep(delay)
        return await ds.client.get(path)

    responses = await asyncio.gather(later(slow, 0), later(slow, 0.05), later(slow, 0.1),
                                     later("/registry/case_summary.json?_size=1", 0.15))
    statuses = [r.status_code for r in responses]
    assert statuses == [400, 400, 429, 200], [r.text[:200] for r in responses]
    assert "too long" in responses[1].text  # the waiting one ran, to its own time limit
    assert responses[2].headers["retry-after"] == str(web.ADHOC_RETRY_AFTER_S)
    assert "try again" in responses[2].json()["error"]
    assert web.is_adhoc_sql({"query_string": b"sql=select+1"})
    assert not web.is_adhoc_sql({"query_string": b"q=sql&_size=5"})  # a saved question's search for "sql"


def test_printf_keeps_its_meaning_below_the_limits():
    assert repeats_too_long("%.*c", (MAX_VALUE_BYTES + 1, "x"))
    assert repeats_too_long("%!-10.*c", (-2**31 + 1, "x"))
    assert repeats_too_long("%*.*c", (3, str(2**31 - 1), "x"))
    assert not repeats_too_long("%.*c", (MAX_VALUE_BYTES, "x"))
    assert not repeats_too_long("%%.*c %d", (2**31 - 1,))
    assert not repeats_too_long("%.*s", (2**31 - 1, "x"))  # a precision that truncates is cheap


async def test_printf_and_real_pages_still_work(ds):
    rows = (await ds.client.get(_sql("/registry.json", "select printf('%5.1f|%-3d|%q|%.3c', 3.14159, 7, 'it''s', 'x') as p,"
                                     " format('%d-%d', 1, 7) as f", _shape="array"))).json()
    assert rows == [{"p": "  3.1|7  |it''s|xxx", "f": "1-7"}]
    for path in (f"/registry/case_summary/{fx.PARK_KEY}", "/registry/case_summary", "/registry/case_summary.json?_size=max",
                 "/registry/evidence.json?_size=max", "/registry/case_summary.csv?_stream=on&_labels=on&_dl=on",
                 "/registry/challenge_outcomes", "/registry/latency_distribution.json", "/about", "/"):
        response = await ds.client.get(path)
        assert response.status_code == 200, path


async def test_the_result_limit_leaves_room_for_every_page_of_the_baked_tables(ds):
    # The widest page a table gives (max_returned_rows rows of case_summary) costs, by the guard's count,
    # well under the limit: the limit is hit only by results no page of the registry makes.
    data = (await ds.client.get("/registry/case_summary.json?_size=max&_shape=arrays")).json()
    per_row = max(48 * len(r) + sum(len(v) for v in r if isinstance(v, str)) for r in data["rows"])
    assert per_row * ds.setting("max_returned_rows") * 4 < MAX_RESULT_BYTES


async def test_the_file_path_is_not_readable_through_sql(ds, out_dir):
    for sql in ("select * from pragma_database_list", "select file from pragma_database_list()",
                "select group_concat(file) from pragma_database_list", "select * from temp.sqlite_master"):
        response = await ds.client.get(_sql("/registry.json", sql, _shape="array"))
        assert response.status_code == 200
        assert str(out_dir) not in response.text and "registry.db" not in response.text, sql


# -- item 3: clean 4xx, headers ----------------------------------------------------------------

BAD_PARAMETERS = [
    "_sort=nosuch", "_sort_desc=nosuch", "_sort=case_key&_sort_desc=case_key", "_sort=rowid", "_size=-1", "_size=abc",
    "_size=0", "_size=999999999", "_next=garbage", "_next=", "_next=a,b,c&_sort=case_key", "_facet=nosuchcol",
    "_facet_array=nosuch", "_facet_date=nosuch", "_facet_size=abc", "_facet_size=-1", "_where=", "_where=nosuch=1",
    "_col=nosuch", "_nocol=nosuch", "_search=%22", "_search=AND", "_search_nosuch=x", "_search_mode=raw&_search=%22",
    "nosuch__exact=1", "sex__nosuchop=1", "year__gt=abc", "year__in=1,2,", "year__date=x", "_through=garbage",
    '_through={"table":"x","column":"y","value":1}', "_through=[1]", "_timelimit=abc", "_timelimit=-1",
    "_ttl=abc", "_ttl=-5", "_shape=nosuch", "_labels=on&_expand=nosuch", "_format=nosuch", "_stream=on",
    "_json=nosuch", "_nl=on", "_hash=1",
]


async def test_malformed_parameters_never_give_a_server_error(ds):
    failures = []
    for query in BAD_PARAMETERS:
        for suffix in ("", ".json", ".csv"):
            response = await ds.client.get(f"/registry/case_summary{suffix}?{query}")
            if response.status_code >= 500:
                failures.append((query, suffix, response.status_code, response.text[:200]))
    assert failures == []


async def test_unknown_sort_columns_and_unparsed_parameters_are_400(ds):
    for query in ("_sort=nosuch", "_sort_desc=nosuch", "_through=garbage", "_timelimit=abc"):
        for suffix in ("", ".json", ".csv"):
            response = await ds.client.get(f"/registry/case_summary{suffix}?{query}")
            assert response.status_code == 400, (query, suffix, response.text[:300])


async def test_every_method_but_get_and_head_is_405(ds):
    paths = ["/registry/search", "/registry/search.json", "/registry/case_summary", "/registry/case_summary.csv", "/",
             "/about", "/registry", "/registry.json", f"/registry/case_summary/{fx.PARK_KEY}", "/-/settings.json"]
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        for path in paths:
            response = await ds.client.request(method, path, data={"q": "x"} if method != "OPTIONS" else None)
            assert (response.status_code, response.headers.get("allow")) == (405, "GET, HEAD"), (method, path)
    assert (await ds.client.head("/registry/case_summary")).status_code == 200


async def test_every_response_carries_the_security_headers(ds):
    for path in ("/", "/about", "/registry", "/registry/case_summary", "/registry/case_summary.json",
                 "/registry/case_summary.csv", f"/registry/case_summary/{fx.PARK_KEY}", "/registry/search?q=x",
                 "/registry/nosuch", "/registry/case_summary?_sort=nosuch", "/-/static/app.css",
                 "/registry-assets/registry.css", "/registry.db"):
        response = await ds.client.get(path)
        for name, value in SECURITY_HEADERS:
            assert response.headers[name.decode()] == value.decode(), (path, name)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp


# -- item 2: formula-safe CSV ------------------------------------------------------------------


def _cells(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body, newline="")))


CSV_PATHS = [
    "/registry/case_summary.csv",
    "/registry/case_summary.csv?_stream=on&_labels=on&_dl=on",
    "/registry/case_summary.csv?_labels=on",
    "/registry/publications.csv?_stream=on",
    "/registry/cases.csv?_labels=on&_stream=on",
    "/registry/search.csv?q=HYPERLINK",
    "/registry.csv?" + urlencode({"sql": "select summary, notes from case_summary"}),
]


async def test_table_permission_rules_are_kept_once_and_still_apply(out_dir):
    """The site reads each table's `allow` rules once (datasette re-reads the whole metadata per check): a
    denial in the metadata still holds on every request, and other tables stay open."""
    kwargs = datasette_kwargs(out_dir)
    kwargs["metadata"]["databases"]["registry"]["tables"]["publications"]["allow"] = {"id": "nobody"}
    ds = Datasette(**kwargs)
    for _ in range(2):
        assert (await ds.client.get("/registry/publications")).status_code == 403
        assert (await ds.client.get("/registry/case_summary")).status_code == 200
    assert ds._table_permission_allows("registry", "publications") == [{"id": "nobody"}]
    assert ds._table_permission_allows("registry", "case_summary") == []
    assert ds._table_permission_allows.__name__ == "<lambda>"  # the remembered rules, not datasette's own


async def test_every_csv_neutralises_formula_text(ds):
    for path in CSV_PATHS:
        response = await ds.client.get(path)
        assert response.status_code == 200
        cells = [c for row in _cells(response.text) for c in row]
        assert not HOSTILE_CELLS & set(cells), path
        assert not [c for c in cells if formula_like(c)], path
        assert {"'" + h for h in HOSTILE_CELLS} & set(cells), path  # the text is there, as text


async def test_csv_keeps_numbers_and_the_stored_text(ds):
    sql = ("select -3 as score, '-3' as score_text, -0.5 as half, '+2' as plus, '1e-05' as tiny, '-' as dash,"
           " '=' as eq, '-1-1' as sum, char(9) || '=1' as tab, char(13) || '=1' as cr, '＝1+1' as fullwidth,"
           " 'a,\"b\"' || char(10) || '=c' as quoted")
    (header, row) = _cells((await ds.client.get("/registry.csv?" + urlencode({"sql": sql}))).text)
    got = dict(zip(header, row))
    assert got == {"score": "-3", "score_text": "-3", "half": "-0.5", "plus": "+2", "tiny": "1e-05", "dash": "'-",
                   "eq": "'=", "sum": "'-1-1", "tab": "'\t=1", "cr": "'\r=1", "fullwidth": "＝1+1",
                   "quoted": 'a,"b"\n=c'}


@given(st.lists(st.lists(st.text(alphabet='ab,"\r\n=+-@\t1', max_size=6), min_size=1, max_size=4), min_size=1,
                max_size=6), st.randoms())
def test_csv_guard_gives_the_same_records_however_the_stream_is_cut(rows, rnd):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    whole = out.getvalue()
    cuts = sorted(rnd.sample(range(len(whole) + 1), min(len(whole) + 1, rnd.randint(0, 8))))
    pieces = [whole[i:j] for i, j in zip([0, *cuts], [*cuts, len(whole)])]
    guard = CsvGuard()
    streamed = "".join(guard.feed(p) for p in pieces) + guard.close()
    expected = [["'" + c if formula_like(c) else c for c in r] for r in _cells(whole)]
    assert _cells(streamed) == expected


# -- a served site: the path, LibreOffice ------------------------------------------------------


def _serve(out_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """`dress-registry serve` of the build on a free port, answering; returns the process and its address."""
    port = _free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--out", str(out_dir), "--host",
                                 "127.0.0.1", "--port", str(port)], cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(f"{base}/-/versions.json", proc, log)
    except BaseException:
        proc.kill()
        raise
    return proc, base


@pytest.fixture(scope="module")
def served(out_dir) -> Iterator[str]:
    proc, base = _serve(out_dir, out_dir.parent / "serve.log")
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_served_site_shows_no_server_path(served, out_dir):
    # ?sql= goes to the ad-hoc process, which the gate waits for while it starts (ADHOC_START_WAIT_S): on a loaded
    # machine that is longer than httpx's default 5 s
    get = partial(httpx.get, timeout=30)
    databases = get(f"{served}/-/databases.json").json()
    assert [d["path"] for d in databases if d["name"] == "registry"] == ["registry.db"]
    for path in ("/-/databases.json", "/registry.json?" + urlencode({"sql": "select * from pragma_database_list"}),
                 "/registry.json?" + urlencode({"sql": "select * from nosuch"}), "/registry/nosuch"):
        assert str(out_dir.parent) not in get(served + path).text, path
    assert get(f"{served}/registry.db").content.startswith(b"SQLite format 3")


def _xlsx_cells(path: Path) -> list[tuple[str, str, bool]]:
    """(text, cell type, has a formula) of every cell of the first sheet, strings resolved."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(path) as z:
        strings = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
                   for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)]
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    cells = []
    for c in sheet.iter(f"{{{ns['m']}}}c"):
        v = c.find("m:v", ns)
        value = "" if v is None else v.text or ""
        kind = c.get("t", "n")
        cells.append((strings[int(value)] if kind == "s" else value, kind, c.find("m:f", ns) is not None))
    return cells


def _libreoffice(csv_file: Path) -> list[tuple[str, str, bool]]:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is needed: make test installs libreoffice-calc-nogui")
    profile = csv_file.parent / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(csv_file.parent),
                    str(csv_file)], check=True, capture_output=True, timeout=180)
    return _xlsx_cells(csv_file.with_suffix(".xlsx"))


def test_libreoffice_opens_the_sites_csv_without_evaluating_anything(served, tmp_path):
    sql = ("select case_summary.summary, publications.notes, publications.title, -3 as score, 2.5 as ratio, '=1+1' as f1, '+1+1' as f2, '-1-1' as f3,"
           " '@SUM(1;2)' as f4, '=' as eq from case_summary join publications on publications.id = publication_id")
    downloads = {
        "table.csv": "/registry/case_summary.csv?_stream=on&_labels=on&_dl=on",
        "query.csv": "/registry.csv?" + urlencode({"sql": sql}),
        "canned.csv": "/registry/search.csv?q=HYPERLINK",
    }
    for name, path in downloads.items():
        target = tmp_path / name
        target.write_bytes(httpx.get(served + path, timeout=60).content)
        cells = _libreoffice(target)
        assert cells, name
        assert not [c for c in cells if c[2]], f"{name}: LibreOffice found formulas {[c for c in cells if c[2]]}"
        assert not [c for c in cells if c[1] == "e"], name
        texts = {c[0] for c in cells if c[1] in ("s", "str", "inlineStr")}
        assert {"'" + HOSTILE_SUMMARY} <= texts, name
        if name == "query.csv":
            numbers = {c[0] for c in cells if c[1] == "n"}
            assert {"-3", "2.5"} <= numbers
            assert {"'=1+1", "'+1+1", "'-1-1", "'@SUM(1;2)", "'="} <= texts


# -- chromium: the CSP lets datasette's own pages work ------------------------------------------


@pytest.mark.browser
def test_pages_run_under_the_csp_in_chromium(served, sync_api, browser):
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        for path in ("/", "/registry/case_summary", f"/registry/case_summary/{fx.PARK_KEY}", "/about"):
            response = page.goto(served + path)
            assert response.status == 200
            headers = response.all_headers()
            assert headers["x-frame-options"] == "DENY" and "script-src 'self'" in headers["content-security-policy"]
        # The SQL editor: CodeMirror (a script file plus datasette's inline set-up script) must start.
        page.goto(f"{served}/registry?" + urlencode({"sql": "select case_key from case_summary"}))
        sync_api.expect(page.locator(".CodeMirror")).to_be_visible()
        page.locator("button#sql-format").click()
        page.locator("input[type=submit]").first.click()
        sync_api.expect(page.locator("table.rows-and-columns")).to_contain_text(fx.PARK_KEY)
        # Its JSON and CSV links.
        json_link = page.get_by_role("link", name="json", exact=True).first
        assert page.request.get(served + json_link.get_attribute("href")).json()["rows"]
        csv_link = page.get_by_role("link", name="CSV", exact=True).first
        assert fx.PARK_KEY in page.request.get(served + csv_link.get_attribute("href")).text()
        # The table page's column menus (datasette's table.js, allowed by 'self').
        page.goto(f"{served}/registry/case_summary")
        page.locator("th .dropdown-menu-icon, th svg").first.click()
        sync_api.expect(page.locator(".dropdown-menu").first).to_be_visible()
    finally:
        context.close()
    assert violations == []


def test_hostile_fixture_is_really_hostile():
    # The rule the site applies would catch each hostile cell: the CSV tests above cannot pass vacuously.
    assert all(formula_like(c) for c in HOSTILE_CELLS)


# -- ad-hoc SQL in its own process ---------------------------------------------------------------


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _environ(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_text().split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def _gone(pid: int, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":  # exited, waiting for its parent to collect it
            return True
        time.sleep(0.1)
    return False


def test_ad_hoc_sql_is_answered_by_a_separate_lower_priority_process(out_dir, tmp_path):
    """serve starts a second datasette for `?sql=`: it answers ad-hoc SQL (CSV still neutralised there)
    at a lower priority; a dead one is replaced, and while none can be, only ad-hoc SQL is refused (503),
    never the pages."""
    proc, base = _serve(out_dir, tmp_path / "serve.log")
    try:
        [adhoc] = _children(proc.pid)
        assert os.getpriority(os.PRIO_PROCESS, adhoc) == os.getpriority(os.PRIO_PROCESS, proc.pid) + ADHOC_NICE
        assert Path(os.readlink(f"/proc/{adhoc}/cwd")) == out_dir.resolve()  # it serves the same build
        answer = httpx.get(base + _sql("/registry.json", "select 6 * 7 as n", _shape="array"), timeout=30)
        assert answer.status_code == 200 and answer.json() == [{"n": 42}]
        assert answer.headers["x-frame-options"] == "DENY"
        csv_answer = httpx.get(base + _sql("/registry.csv", "select summary from cases where case_key = :k",
                                           k=fx.SPARSE_KEY), timeout=30)
        assert csv_answer.status_code == 200 and _cells(csv_answer.text)[1] == ["'" + HOSTILE_SUMMARY]
        refused = httpx.get(base + _sql("/registry.csv", "select zeroblob(1000000000)"), timeout=30)
        assert refused.status_code == 400 and "too big" in refused.text

        # killed (as the system would for its memory): the next ad-hoc query starts a new one
        os.kill(adhoc, signal.SIGKILL)
        assert _gone(adhoc)
        again = httpx.get(base + _sql("/registry.json", "select 6 * 7 as n", _shape="array"), timeout=30)
        assert again.status_code == 200 and again.json() == [{"n": 42}]
        [second] = _children(proc.pid)
        assert second != adhoc
        # killed again at once: no third process so soon; ad-hoc SQL is refused for now, the pages are not
        left_behind = _environ(second)[ADHOC_SOCKET_ENV]
        os.kill(second, signal.SIGKILL)
        assert _gone(second)
        shutil.rmtree(Path(left_behind).parent)  # a killed process removes nothing
        down = httpx.get(base + _sql("/registry.json", "select 1"), timeout=30)
        assert down.status_code == 503 and down.headers["retry-after"].isdigit()
        assert "pages" in down.json()["error"]
        for path in ("/", "/registry/case_summary.json", "/registry/case_summary.csv"):
            assert httpx.get(base + path, timeout=30).status_code == 200, path
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_ad_hoc_process_ends_with_the_server(out_dir, tmp_path):
    proc, _ = _serve(out_dir, tmp_path / "serve.log")
    try:
        [adhoc] = _children(proc.pid)
        socket_path = Path(_environ(adhoc)[ADHOC_SOCKET_ENV])
        deadline = time.monotonic() + 60
        while not socket_path.is_socket() and time.monotonic() < deadline:  # it may still be starting
            time.sleep(0.1)
        assert socket_path.is_socket()
    finally:
        proc.kill()  # no chance to stop its child itself
        proc.wait(timeout=10)
    assert _gone(adhoc), "the ad-hoc SQL process outlived the server"
    assert not socket_path.exists() and not socket_path.parent.exists()

