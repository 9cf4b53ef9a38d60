"""Canned queries, kept as .sql files in queries/ with a small comment header.

Each file starts with `-- key: value` lines (title, question: the plain
question the answer answers, description, and optionally example:
name=value for tests and links, per_page: N, choices: name=drugs|cases so
the page offers a parameter as a list to choose from), then the SQL. Keeping them as files makes them reviewable and lets the tests run
every one. None is writable: the published database is immutable.

datasette pages table views but not canned queries: a query that lists
cases would return (and render) up to max_returned_rows at once, more as
the registry grows. Such a query declares `per_page: N`; it then ends with
a LIMIT/OFFSET driven by a `page` parameter (blank means page 1) and its
description says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from registry.schema.vocabulary import SUSPECT_ROLES

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
_HEADER = re.compile(r"^--\s*(\w+)\s*:\s*(.*)$")
_PARAM = re.compile(r"(?<![:\w]):(\w+)")
PAGE_PARAM = "page"
#: Any text that is not a number >= 1 (blank included) reads as page 1.
PAGE_CLAUSE = (
    "limit {n} offset {n} * (max(cast(coalesce(nullif(trim(:" + PAGE_PARAM + "), ''), '1') as integer), 1) - 1)"
)
PAGE_NOTE = " {n} rows per page."
#: Where a parameter's choices come from: (SQL of the values, in order).
CHOICE_SOURCES = {
    "drugs": "select name from drugs where id in (select drug_id from drug_exposures where role in ("
             + ", ".join(f"'{r}'" for r in SUSPECT_ROLES) + ")) order by name",
    "cases": "select case_key from case_summary order by case_key",
}


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    description: str
    sql: str
    example: dict[str, str]
    question: str = ""
    per_page: int | None = None
    #: parameter -> CHOICE_SOURCES key
    choices: dict[str, str] | None = None

    @property
    def params(self) -> list[str]:
        return list(dict.fromkeys(_PARAM.findall(self.sql)))

    def as_metadata(self) -> dict:
        entry = {"sql": self.sql, "title": self.title, "description": self.description,
                 "question": self.question or self.title, "per_page": self.per_page,
                 "choices": dict(self.choices or {})}
        if self.params:
            entry["params"] = self.params
        return entry


def parse_query(path: Path) -> CannedQuery:
    header: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    body_start = 0
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if not m:
            body_start = i
            break
        header[m.group(1)] = m.group(2).strip()
    missing = {"title", "question", "description"} - header.keys()
    if missing:
        raise ValueError(f"{path.name}: header lacks {', '.join(sorted(missing))}")
    example = dict(p.split("=", 1) for p in header.get("example", "").split("&") if "=" in p)
    sql = "\n".join(lines[body_start:]).strip()
    description = header["description"]
    per_page = None
    if "per_page" in header:
        per_page = n = int(header["per_page"])
        sql += "\n" + PAGE_CLAUSE.format(n=n)
        description += PAGE_NOTE.format(n=n)
    choices = dict(p.split("=", 1) for p in header.get("choices", "").split("&") if "=" in p)
    unknown = set(choices.values()) - CHOICE_SOURCES.keys()
    if unknown:
        raise ValueError(f"{path.name}: choices from unknown source {', '.join(sorted(unknown))}")
    return CannedQuery(path.stem, header["title"], description, sql, example, header["question"], per_page, choices)


def canned_queries(directory: Path = QUERIES_DIR) -> list[CannedQuery]:
    return [parse_query(p) for p in sorted(directory.glob("*.sql"))]
