"""Bounds on what one query of the published site may make, and what it may read.

datasette stops a query after `sql_time_limit_ms` with a progress handler, but
that handler only runs between SQLite instructions: one instruction that
builds a gigabyte (`randomblob(1000000000)`, `printf('%.*c', 2147483647, 'x')`,
`zeroblob`, `replace`) cannot be stopped, and the rows a query returns are
then copied into Python and encoded as JSON or CSV outside SQLite. These
limits are set on every connection to the published file (the plugin
registry_sqlite.py calls `guard_connection`):

* `MAX_VALUE_BYTES` (SQLITE_LIMIT_LENGTH): no string, blob or sorted row may
  be longer. SQLite refuses such a value at once ("string or blob too big")
  instead of building it. The longest value in a published file is a few KB
  (a case's notes; FTS blocks are pages of about 4 KB).
* `MAX_COLUMNS` (SQLITE_LIMIT_COLUMN): columns per result row (the widest
  table, case_summary, has under 60), so one row holds at most
  MAX_COLUMNS x MAX_VALUE_BYTES (32 MB).
* `MAX_RESULT_BYTES`: what one statement may hand to Python, counted row by
  row as it is fetched (text and blob lengths, plus `CELL_BYTES` per cell for
  the Python object and its JSON); past it the fetch fails with
  `ResultTooLarge`, which datasette shows as a query error (400). A page of
  2,000 case_summary rows is about 7 MB by this count. A streamed CSV fetches
  page by page, each its own statement, so a whole export is not capped here
  (max_csv_mb does that).
* `LIKE_PATTERN_BYTES` (SQLITE_LIMIT_LIKE_PATTERN_LENGTH): a LIKE or GLOB
  pattern is matched inside one instruction; a short pattern keeps that
  instruction short.
* `printf`/`format` with a `c` conversion and a precision (`%.*c`) repeat the
  character in a loop that runs the whole precision even after the length
  limit has made the result NULL: 2^31 turns, a minute, in one instruction.
  Both functions are replaced on the connection by `SafePrintf`, which
  refuses such a call at once with SQLite's "string or blob too big" (it
  returns a value one byte over the limit; SQLite's own printf makes NULL,
  after the loop) and hands every other call to SQLite's own printf on a private in-memory
  connection with the same limits (about 10 microseconds a call; the
  canned queries call it per challenge step or latency week, not per case).
* `HEAP_LIMIT_BYTES` (`pragma hard_heap_limit`, for the whole process):
  what SQLite itself may allocate (page caches, sorters, FTS doclists) is a
  backstop, far above what the site needs.

The server's own path is private: `pragma_database_list` (allowed by
datasette's SQL check) reads back NULL for its `file` column, through an
authorizer; datasette's own `PRAGMA database_list` still works.
"""

from __future__ import annotations

import re
import sqlite3
import weakref
from typing import Any

MAX_VALUE_BYTES = 256 * 1024
MAX_COLUMNS = 128
MAX_RESULT_BYTES = 32 * 1024 * 1024
#: A cell's cost beyond its text: the Python object, its JSON or CSV text, the row tuple's slot.
CELL_BYTES = 48
LIKE_PATTERN_BYTES = 1000
HEAP_LIMIT_BYTES = 1024 * 1024 * 1024

#: Tables whose columns read back as NULL, by column.
PRIVATE_COLUMNS = {("pragma_database_list", "file")}


class ResultTooLarge(sqlite3.OperationalError):
    """A statement returned more than MAX_RESULT_BYTES; an OperationalError so that datasette reports it
    like any other SQL error."""


def _authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action == sqlite3.SQLITE_READ and (arg1, arg2) in PRIVATE_COLUMNS:
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


class _Budget:
    """A row factory that counts what each cursor has fetched and stops it past MAX_RESULT_BYTES."""

    def __init__(self, make_row: Any) -> None:
        self.make_row = make_row
        self.spent: weakref.WeakKeyDictionary[sqlite3.Cursor, int] = weakref.WeakKeyDictionary()

    def __call__(self, cursor: sqlite3.Cursor, row: tuple) -> Any:
        cost = CELL_BYTES * len(row)
        for value in row:
            if type(value) is str or type(value) is bytes:
                cost += len(value)
        spent = self.spent.get(cursor, 0) + cost
        if spent > MAX_RESULT_BYTES:
            self.spent.pop(cursor, None)
            raise ResultTooLarge(
                f"query result too large: over {MAX_RESULT_BYTES // 2**20} MB; select fewer rows or columns "
                "(LIMIT), or download the whole file"
            )
        self.spent[cursor] = spent
        return self.make_row(cursor, row) if self.make_row is not None else row


#: One printf conversion: flags, width, precision, length modifier, conversion character.
_CONVERSION = re.compile(r"%[-+ #!0,]*(\*|\d+)?(?:\.(\*|\d*))?(?:ll|l)?(.)?", re.S)
_LEADING_INT = re.compile(r"\s*[+-]?\d+")


def _int_arg(value: Any) -> int:
    """SQLite's sqlite3_value_int64 of an argument, as printf reads a `*` width or precision."""
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return int(value) if abs(value) < 2**63 else 0
    if isinstance(value, str):
        match = _LEADING_INT.match(value)
        return int(match.group()) if match else 0
    return 0


def repeats_too_long(fmt: Any, args: tuple) -> bool:
    """Does this printf call have a %c conversion whose precision (its repeat count) is over MAX_VALUE_BYTES?"""
    if not isinstance(fmt, str) or "c" not in fmt:
        return False
    i = 0
    for width, precision, conversion in _CONVERSION.findall(fmt):
        if conversion == "%":
            continue
        if width == "*":
            i += 1
        if precision == "*":
            precision, i = str(abs(_int_arg(args[i])) if i < len(args) else 0), i + 1
        if conversion == "c" and precision and int(precision) > MAX_VALUE_BYTES:
            return True
        if conversion != "n":
            i += 1
    return False


#: One byte over MAX_VALUE_BYTES: SQLite refuses it as a function's result with "string or blob too big".
_TOO_BIG = "x" * (MAX_VALUE_BYTES + 1)


class SafePrintf:
    """printf/format for a guarded connection: SQLite's own, on a private connection, minus the slow %.*c."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._sqlite = sqlite3.connect(":memory:", check_same_thread=False)
        self._sqlite.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        self._sql: dict[int, str] = {}

    def __call__(self, *args: Any) -> Any:
        if args and repeats_too_long(args[0], args[1:]):
            return _TOO_BIG
        sql = self._sql.get(len(args))
        if sql is None:
            sql = self._sql[len(args)] = f"select {self.name}({', '.join('?' * len(args))})"
        return self._sqlite.execute(sql, args).fetchone()[0]


def guard_connection(conn: sqlite3.Connection) -> None:
    """Apply the limits above to one connection (after datasette has set its row factory)."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, MAX_COLUMNS)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, LIKE_PATTERN_BYTES)
    conn.execute(f"pragma hard_heap_limit = {HEAP_LIMIT_BYTES}")
    for name in ("printf", "format"):
        conn.create_function(name, -1, SafePrintf(name), deterministic=True)
    conn.set_authorizer(_authorize)
    conn.row_factory = _Budget(conn.row_factory)
