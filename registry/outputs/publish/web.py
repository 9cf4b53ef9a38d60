"""HTTP hardening of the published site: methods, security headers, spreadsheet-safe CSV, error statuses.

`harden(app)` wraps datasette's ASGI application (the plugin registry_http.py
installs it with `asgi_wrapper`):

* Only GET and HEAD reach datasette; the site is read-only, and anything
  else (a POST to a canned query, a table, a page) is answered 405 here.
  The two parameters that datasette parses without checking (`_timelimit`,
  `_through`: a 500 on bad input) are checked here first (400).
* Every response carries a Content-Security-Policy, X-Frame-Options DENY,
  X-Content-Type-Options nosniff and a Referrer-Policy (`SECURITY_HEADERS`).
  Scripts run only from the site itself, plus the few inline scripts that
  datasette's own templates carry, allowed by their SHA-256 hash
  (`datasette_inline_script_hashes`); our templates have none. Inline
  styles stay allowed: datasette's pages colour headers with them.
* Every CSV datasette serves (tables, views, canned queries, arbitrary SQL,
  streamed or not, with `_labels`) is rewritten record by record as it
  streams (`CsvGuard`): a cell a spreadsheet would evaluate
  (registry.outputs.formulas.formula_like) gets a leading apostrophe, so it
  opens as text. Memory stays at one chunk.
* A CSV of a query that failed comes from datasette as a 200 with an empty
  header line; it is answered 400 with the query's error instead.
* Arbitrary SQL (any request with a `sql` parameter) runs one request at a
  time (`AdhocGate`): the slowest legal query runs to the SQL time limit on
  one of datasette's three query threads and one of the machine's cores, and
  three of them at once left no thread for the pages. Further ad-hoc queries
  wait their turn in front of datasette, not on a thread; past
  `ADHOC_QUEUE` waiting, a request is answered 429 with Retry-After. After
  each, the next waits as long again (`ADHOC_SHARE`): ad-hoc SQL, sent back
  to back by any number of clients, has at most half of one core, and the
  pages the rest. Pages, tables and saved questions never wait here.
* When serve has started the ad-hoc SQL process (its socket is in
  ADHOC_SOCKET_ENV), the gate forwards each such request there
  (`AdhocForward`) and streams its answer back; that process applies the
  same rules to it. If it has died, a new one is started; if it still
  cannot be reached, the answer is 503 with Retry-After; the pages are
  never affected. Without the variable (the tests'
  in-process datasette), ad-hoc SQL runs here.

`error_response` renders errors in place of datasette's default handler
(which the plugin blocks: it prints every error's traceback with all local
variables when `rich` is installed, seconds of CPU for each 404 under load)
and answers 400, not 500, for what a request got wrong: an unknown sort
column, a query over the time limit or over the result size
(registry.outputs.publish.guard), SQL that SQLite refuses.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import codecs
import contextlib
import csv
import functools
import hashlib
import io
import json
import os
import re
import sqlite3
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import datasette
import httpx
from datasette import Response
from datasette.database import QueryInterrupted
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from markupsafe import Markup

from registry.outputs.formulas import formula_like, neutralise
from registry.outputs.publish.guard import ResultTooLarge
from registry.outputs.publish.serve import start_adhoc_server
from registry.outputs.publish.site import ADHOC_PARENT_ENV, ADHOC_PID_ENV, ADHOC_SOCKET_ENV

ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]

ALLOWED_METHODS = ("GET", "HEAD")

#: datasette's templates that carry inline scripts, and the values their one template variable takes.
_INLINE_SCRIPT_TEMPLATES = ("_codemirror_foot.html", "_close_open_menus.html")
_TABLE_SCRIPT = "DATASETTE_ALLOW_FACET = {};"
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def datasette_inline_script_hashes() -> list[str]:
    """CSP source expressions for each inline script datasette's own templates render."""
    folder = Path(datasette.__file__).parent / "templates"
    bodies = [body for name in _INLINE_SCRIPT_TEMPLATES for body in _SCRIPT.findall((folder / name).read_text())]
    if not bodies:  # pragma: no cover - a datasette without them needs no hashes, but say so
        raise RuntimeError(f"no inline scripts found in datasette's {_INLINE_SCRIPT_TEMPLATES}")
    bodies += [_TABLE_SCRIPT.format(value) for value in ("true", "false")]
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii") + "'"
        for body in bodies
    ]


CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' " + " ".join(datasette_inline_script_hashes()),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_SECURITY_HEADER_NAMES = {name for name, _ in SECURITY_HEADERS}


def _integer(value: str) -> bool:
    return value.strip().isdigit()


def _through(value: str) -> bool:
    try:
        through = json.loads(value)
    except ValueError:
        return False
    return isinstance(through, dict) and {"table", "column", "value"} <= through.keys()


#: Parameters datasette reads without checking them, and the check.
PARAMETER_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "_timelimit": (_integer, "a whole number of milliseconds"),
    "_through": (_through, 'a JSON object with "table", "column" and "value"'),
}


def bad_parameter(scope: dict) -> str | None:
    """Why the request's parameters cannot be served, or None."""
    args = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    for name, (ok, expected) in PARAMETER_CHECKS.items():
        for value in args.get(name, ()):
            if not ok(value):
                return f"{name} must be {expected}"
    return None


def is_adhoc_sql(scope: dict) -> bool:
    """A request that runs SQL the client wrote (`?sql=` on the database, as HTML, JSON or CSV)."""
    return "sql" in parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


#: Ad-hoc SQL requests that may wait for the one running; one more is answered 429.
ADHOC_QUEUE = 8
ADHOC_RETRY_AFTER_S = 5
#: The share of the time ad-hoc SQL may run: after a request that took t seconds, the next starts
#: t * (1 / ADHOC_SHARE - 1) seconds later.
ADHOC_SHARE = 0.5
#: The longest rest: a query runs at most the SQL time limit (3 s) plus the time to send its answer; a request
#: that took longer was waiting (for the ad-hoc process to start), not running.
ADHOC_MAX_REST_S = 5.0


class AdhocGate:
    """One ad-hoc SQL request at a time, resting as long as it ran, at most ADHOC_QUEUE waiting (made in the loop that serves)."""

    def __init__(self, running: int = 1, queue: int | None = None, share: float | None = None) -> None:
        self._slots = asyncio.Semaphore(running)
        self._queue = ADHOC_QUEUE if queue is None else queue
        self._rest = 1 / (ADHOC_SHARE if share is None else share) - 1
        self._waiting = 0

    def full(self) -> bool:
        return self._waiting >= self._queue and self._slots.locked()

    async def run(self, call: Callable[[], Awaitable[None]]) -> None:
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        started = time.monotonic()
        try:
            await call()
        finally:
            rest = min((time.monotonic() - started) * self._rest, ADHOC_MAX_REST_S)
            asyncio.get_running_loop().call_later(rest, self._slots.release)


#: How long the public server waits for a live ad-hoc process to accept a connection: it may be starting, which
#: takes datasette seconds, more at its lower priority on a busy machine. A dead one is not waited for.
ADHOC_START_WAIT_S = 60.0
#: How long it waits for an answer: above the SQL time limit, and the time to encode 2,000 rows.
ADHOC_ANSWER_TIMEOUT_S = 60.0
#: Headers that belong to one connection, not to the answer (RFC 9110 section 7.6.1).
_HOP_HEADERS = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding",
                b"upgrade", b"content-length"}


#: A dead ad-hoc process is replaced at most this often (a query that kills it cannot make the server fork
#: back to back).
ADHOC_RESTART_INTERVAL_S = 30.0


class AdhocForward:
    """Sends a request to the ad-hoc SQL process on its Unix socket and streams the answer back
    (made in the loop that serves, on the first ad-hoc request). If that process has died (killed by
    the system for its memory, say), a new one is started, unless the last one started answered less than
    ADHOC_RESTART_INTERVAL_S ago."""

    def __init__(self, socket_path: str, pid: int | None) -> None:
        self.pid = pid
        self.restarted_at = float("-inf")
        self.starting = False
        self._connect(socket_path)

    def _connect(self, socket_path: str) -> None:
        self.client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=socket_path),
                                        timeout=httpx.Timeout(ADHOC_ANSWER_TIMEOUT_S, connect=2.0))

    def _has_died(self) -> bool:
        if self.pid is None:
            return False
        try:
            return os.waitpid(self.pid, os.WNOHANG)[0] == self.pid
        except ChildProcessError:  # not ours to wait for (or already collected)
            return True

    async def _restart(self) -> bool:
        if time.monotonic() - self.restarted_at < ADHOC_RESTART_INTERVAL_S or not self._has_died():
            return False
        self.restarted_at, self.starting = time.monotonic(), True
        _remove_socket()  # the dead one's, named in ADHOC_SOCKET_ENV until the new one replaces it
        process, socket_path = start_adhoc_server(Path.cwd(), os.getpid())
        self.pid = process.pid
        os.environ[ADHOC_SOCKET_ENV] = str(socket_path)
        await self.client.aclose()
        self._connect(str(socket_path))
        return True

    async def __call__(self, scope: dict, send: Callable) -> None:
        target = scope.get("raw_path") or quote(scope["path"]).encode("ascii")
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP_HEADERS]
        request = self.client.build_request(scope["method"], "http://adhoc" + target.decode("latin-1"),
                                            headers=headers)
        deadline = time.monotonic() + ADHOC_START_WAIT_S
        retried = False  # a connection that broke (not one refused) is tried once more
        while True:
            try:
                response = await self.client.send(request, stream=True)
                if self.starting:  # the interval between restarts counts from when a new process answers
                    self.restarted_at, self.starting = time.monotonic(), False
                break
            except httpx.TransportError as exc:
                if await self._restart():
                    deadline = time.monotonic() + ADHOC_START_WAIT_S
                    request = self.client.build_request(request.method, request.url, headers=request.headers)
                elif isinstance(exc, httpx.ConnectError):
                    if self._has_died() or time.monotonic() >= deadline:
                        await unavailable(scope, send)
                        return
                elif retried:
                    await unavailable(scope, send)
                    return
                else:
                    retried = True
                await asyncio.sleep(0.2)
            except httpx.HTTPError:
                await unavailable(scope, send)
                return
        try:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP_HEADERS]})
            try:
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.HTTPError:
                pass  # the answer was cut off: end it where it stopped
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


def remember_table_rules(datasette: Any) -> None:
    """datasette 0.65.5 works out a table's permission rules (its `allow` blocks) by deep-copying the whole
    metadata on every check, and a page checks many tables: at 100,000 cases that was ~250 ms of the
    /registry page (the registry's metadata describes every column). The published site's metadata does
    not change while it is served, so each table's rules are worked out once and kept."""
    rules = getattr(datasette, "_table_permission_allows", None)
    if rules is None:  # another datasette: nothing to keep
        return
    remembered = functools.lru_cache(maxsize=4096)(rules)
    datasette._table_permission_allows = lambda database, table: list(remembered(database, table))


def _remove_socket() -> None:
    socket_path = Path(os.environ.get(ADHOC_SOCKET_ENV, ""))
    if socket_path.name:
        socket_path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            socket_path.parent.rmdir()  # the private folder serve made for it


def end_with_parent() -> None:
    """In the ad-hoc process: exit once the process that started it has ended (it gets another parent);
    its socket and folder are removed on either way out."""
    parent = os.environ.get(ADHOC_PARENT_ENV)
    if not parent:
        return
    atexit.register(_remove_socket)

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(0.5)
        _remove_socket()
        os._exit(0)

    threading.Thread(target=watch, name="registry-adhoc-parent", daemon=True).start()


async def unavailable(scope: dict, send: Callable) -> None:
    await plain_error(scope, 503, "SQL queries cannot be answered at the moment; try again in a few seconds "
                      "(the pages, tables and saved questions are not affected)",
                      {"Retry-After": str(ADHOC_RETRY_AFTER_S)}).asgi_send(send)


def plain_error(scope: dict, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if scope["path"].endswith(".json"):
        return Response.json({"ok": False, "error": message, "status": status, "title": None}, status=status,
                             headers=headers)
    return Response.text(f"Error {status}: {message}\n", status=status, headers=headers)


def is_csv_request(scope: dict) -> bool:
    if scope["path"].endswith(".csv"):
        return True
    return parse_qs(scope.get("query_string", b"").decode("latin-1")).get("_format") == ["csv"]


# -- CSV -------------------------------------------------------------------------------------

#: Text that may hold a cell starting with a formula character (at a record or cell start, quoted or not).
_MAYBE_FORMULA = re.compile(r'(?:^|[,\n])"?[=+\-@\t\r]')


class CsvGuard:
    """Turns CSV text, fed in arbitrary pieces, into the same CSV with formula-like cells neutralised.

    A record is complete at a line end outside quotes (an even number of `"` before it); complete
    records are passed on, the rest waits for the next piece. Text with no cell that starts with a
    formula character (most of it) passes through untouched.
    """

    def __init__(self) -> None:
        self._pending = ""
        self._quotes = 0  # quote characters in _pending
        self.first_record: str | None = None

    def feed(self, text: str) -> str:
        pending = self._pending + text
        cut, quotes, start = -1, self._quotes, len(self._pending)
        quotes_at_cut = 0
        while (end := pending.find("\n", start)) >= 0:
            quotes += pending.count('"', start, end)
            if quotes % 2 == 0:
                cut, quotes_at_cut = end, quotes
            start = end + 1
        quotes += pending.count('"', start)
        complete, self._pending = pending[: cut + 1], pending[cut + 1:]
        self._quotes = quotes - quotes_at_cut
        return self._guard(complete)

    def close(self) -> str:
        rest, self._pending, self._quotes = self._pending, "", 0
        return self._guard(rest)

    def _guard(self, text: str) -> str:
        if not text:
            return ""
        if self.first_record is None:
            self.first_record = text.split("\n", 1)[0] + ("\n" if "\n" in text else "")
        if not _MAYBE_FORMULA.search(text):
            return text
        out = io.StringIO()
        writer = csv.writer(out)  # datasette's dialect: excel, QUOTE_MINIMAL, \r\n
        for record in csv.reader(io.StringIO(text, newline="")):
            writer.writerow([neutralise(cell) if formula_like(cell) else cell for cell in record])
        if not text.endswith("\n"):  # an unterminated last record stays unterminated
            return out.getvalue().removesuffix("\r\n")
        return out.getvalue()


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")


async def _query_error(app: ASGIApp, scope: dict) -> str:
    """The error datasette gives for the same request as JSON (its CSV has none)."""
    path = scope["path"]
    json_scope = dict(scope, path=path[: -len(".csv")] + ".json" if path.endswith(".csv") else path,
                      raw_path=None, query_string=scope.get("query_string", b"").replace(b"_format=csv", b"_format=json"))
    chunks: list[bytes] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(json_scope, receive, send)
    try:
        error = json.loads(b"".join(chunks)).get("error")
    except (ValueError, AttributeError):
        error = None
    return re.sub(r"<[^>]*>", "", str(error or "the query failed")).strip()


def harden(app: ASGIApp) -> ASGIApp:
    gate: list[AdhocGate] = []  # made on the first request, in the loop that serves
    forward: list[AdhocForward] = []
    # The ad-hoc process itself (ADHOC_PARENT_ENV) answers what the public server's gate let through.
    socket_path = os.environ.get(ADHOC_SOCKET_ENV)
    adhoc_process = ADHOC_PARENT_ENV in os.environ

    async def hardened(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_secured(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _SECURITY_HEADER_NAMES]
                message = dict(message, headers=headers + SECURITY_HEADERS)
            await send(message)

        if scope["method"] not in ALLOWED_METHODS:
            await plain_error(scope, 405, "method not allowed: the registry is read-only",
                              {"Allow": ", ".join(ALLOWED_METHODS)}).asgi_send(send_secured)
            return
        if (problem := bad_parameter(scope)) is not None:
            await plain_error(scope, 400, problem).asgi_send(send_secured)
            return
        csv_response = _CsvResponse(scope, send_secured) if is_csv_request(scope) else None
        respond = csv_response.send if csv_response is not None else send_secured

        async def answer() -> None:
            await app(scope, receive, respond)
            if csv_response is not None and csv_response.failed:
                # asked once datasette has finished its CSV response, not from inside its send()
                await plain_error(scope, 400, await _query_error(app, scope)).asgi_send(send_secured)

        if not is_adhoc_sql(scope) or adhoc_process:
            await answer()
            return
        if not gate:
            gate.append(AdhocGate())
            if socket_path:
                pid = os.environ.get(ADHOC_PID_ENV)
                forward.append(AdhocForward(socket_path, int(pid) if pid else None))
        if gate[0].full():
            await plain_error(scope, 429, "the server is answering other SQL queries; try again in a few seconds",
                              {"Retry-After": str(ADHOC_RETRY_AFTER_S)}).asgi_send(send_secured)
            return
        await gate[0].run(lambda: forward[0](scope, send_secured) if forward else answer())

    return hardened


class _CsvResponse:
    """The send() of a CSV request: holds the response start until the first record is known, then
    rewrites the body through a CsvGuard. A query that failed (datasette's 200 with an empty header
    line) is not answered here: `failed` is set and the rest of datasette's response dropped."""

    def __init__(self, scope: dict, send: Callable) -> None:
        self.scope, self._send = scope, send
        self.start: dict | None = None
        self.guard: CsvGuard | None = None
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.failed = False

    async def send(self, message: dict) -> None:
        if self.failed:
            return
        if message["type"] == "http.response.start":
            content_type = _header(message.get("headers", []), b"content-type")
            if message["status"] == 200 and content_type.startswith((b"text/plain", b"text/csv")):
                self.start, self.guard = message, CsvGuard()
                return
            await self._send(message)
            return
        if message["type"] != "http.response.body" or self.guard is None:
            await self._send(message)
            return
        more = message.get("more_body", False)
        text = self.guard.feed(self.decoder.decode(message.get("body", b""), final=not more))
        if not more:
            text += self.guard.close()
        if self.start is not None:
            if self.guard.first_record is None and more:
                return  # nothing complete yet: keep holding the start
            if self.guard.first_record in ("\r\n", "\n") and text.strip() == "":
                self.failed = True
                return
            # The length changes with the neutralisation; the body is streamed either way.
            headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
            await self._send(dict(self.start, headers=headers))
            self.start = None
        await self._send({"type": "http.response.body", "body": text.encode("utf-8"), "more_body": more})


# -- errors ----------------------------------------------------------------------------------

#: SQLite result codes that mean the query was at fault, not the server.
CLIENT_SQLITE_CODES = {sqlite3.SQLITE_ERROR, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_RANGE,
                       sqlite3.SQLITE_NOMEM}


def error_status(exception: BaseException) -> int:
    if isinstance(exception, Base400):
        return exception.status
    if isinstance(exception, DatasetteError):
        # datasette raises DatasetteError with its default 500 only for bad parameters (an unknown _sort
        # column, _sort with _sort_desc, an invalid _through).
        return 400 if exception.status == 500 else exception.status
    if isinstance(exception, (QueryInterrupted, ResultTooLarge)):
        return 400
    if isinstance(exception, sqlite3.Error) and getattr(exception, "sqlite_errorcode", None) in CLIENT_SQLITE_CODES:
        return 400
    return 500


def error_message(exception: BaseException, time_limit_ms: int) -> tuple[str, str | None, dict]:
    """(message, title, extra JSON fields) as datasette's default handler would show them."""
    if isinstance(exception, DatasetteError):
        message: Any = Markup(exception.message) if exception.message_is_html else exception.message
        return message, exception.title, dict(exception.error_dict or {})
    if isinstance(exception, QueryInterrupted):
        return f"SQL query took too long: the time limit is {time_limit_ms} ms", "Query interrupted", {}
    if isinstance(exception, Base400) or error_status(exception) == 400:
        return str(exception.args[0] if exception.args else exception), None, {}
    return str(exception), None, {}


async def error_response(datasette: Any, request: Any, exception: BaseException) -> Response:
    status = error_status(exception)
    if status >= 500:
        traceback.print_exception(exception, file=sys.stderr)
    message, title, info = error_message(exception, datasette.setting("sql_time_limit_ms"))
    info.update({"ok": False, "error": message, "status": status, "title": title})
    path = request.path
    if path.endswith(".json"):
        return Response.json(info, status=status)
    if path.endswith(".csv"):
        return Response.text(f"Error {status}: {re.sub(r'<[^>]*>', '', str(message)).strip()}\n", status=status)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    return Response.html(
        await template.render_async(dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(),
                                          menu_links=lambda: [])),
        status=status,
    )
