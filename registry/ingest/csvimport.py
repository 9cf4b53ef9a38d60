"""The flat case CSV: quick entry of simple cases, one row per case.

Columns: the publication's citation, the case, one suspect drug with its
dose, indication and days, the outcome, and where in the publication the
facts are (`source_locator`). IMPORT_COLUMNS below is the one list of them;
the codebook documents them (table `import_cases`) from it.

Every row is turned into the seed document model (registry/ingest/
schema.py) and validated by it, so a CSV row and a YAML file obey the same
rules; errors are reported as "FILE: line N: column: problem; allowed: ...".
Rows with the same publication_key become one document. A publication that
is already in the registry needs only its key: empty citation cells are
filled from the registry's record (and its evidence kept).

Conventions for a row: the drug is the case's suspect (role suspect) and its
first dose is day 1, so start_day defaults to 1 and day1_anchor to "first
dose of <drug> (day 1)"; a dose becomes one dose row (reason initial);
every fact given cites `source_locator` in the case's publication; key facts
left empty are recorded as `unstated` (default not_reported: the source was
read and does not say). Text cells keep their exact content (a cell that
starts with '=' is stored as written; exports neutralise it for
spreadsheets). Text fields are limited to the seed format's 4,000 characters.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from registry.cases.csvformat import (
    BY_PART_FIELD,
    COLUMNS_BY_NAME,
    REQUIRED_HEADER,
)
from registry.cases.documents import SOURCED_CASE_FIELDS, DocumentErrors
from registry.cases.seedschema import PUBLICATION_MISSING_FIELDS, CaseIn, PublicationIn, describe_error, name_key
from registry.core.errors import RegistryError
from registry.core.inputs import csv_file, read_text
from registry.schema.vocabulary import DoseChangeReason, EvidenceStatus, ExposureRole

# The csv module's default field limit (128 KiB) would hide the schema's own
# length message behind a parser error; the schema's limits apply instead.
_FIELD_LIMIT = 64 * 1024 * 1024


@dataclass
class CsvRow:
    line: int
    values: dict[str, str]


@dataclass
class CsvFile:
    path: str
    columns: list[str]
    rows: list[CsvRow] = field(default_factory=list)


class Problems:
    """Collects every problem, then raises them together."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, msg: str) -> None:
        if msg not in self.lines:
            self.lines.append(msg)

    def __bool__(self) -> bool:
        return bool(self.lines)


def read_csv(path: Path, problems: Problems) -> CsvFile | None:
    """Read and check the file's structure (size, encoding, header, field counts); None if it cannot be used."""
    try:
        text = read_text(path, "a header line and one row per case")
    except RegistryError as exc:
        problems.add(str(exc))
        return None
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, min(_FIELD_LIMIT, sys.maxsize)))
    try:
        return _parse(path, text, problems)
    finally:
        csv.field_size_limit(limit)


def _parse(path: Path, text: str, problems: Problems) -> CsvFile | None:
    reader = csv.reader(csv_file(text), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        problems.add(f"{path}: line 1: not a valid CSV header: {exc}")
        return None
    header = [h.strip() for h in header]
    bad = False
    unknown = [h for h in header if h not in COLUMNS_BY_NAME]
    if unknown:
        problems.add(f"{path}: line 1: unknown column(s) {', '.join(repr(u) for u in unknown)}; "
                     f"allowed columns: {', '.join(COLUMNS_BY_NAME)}")
        bad = True
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        problems.add(f"{path}: line 1: column(s) {', '.join(dupes)} appear more than once")
        bad = True
    absent = [r for r in REQUIRED_HEADER if r not in header]
    if absent:
        problems.add(f"{path}: line 1: required column(s) missing: {', '.join(absent)}")
        bad = True
    out = CsvFile(str(path), header)
    prev = reader.line_num
    while True:
        start = prev + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.add(f"{path}: line {start}: not valid CSV: {exc}")
            return None
        prev = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.add(f"{path}: line {start}: {len(row)} fields, but the header has {len(header)} "
                         "(a missing or extra delimiter, or an unclosed quote?)")
            continue  # the other rows are still checked, so that every problem is reported at once
        out.rows.append(CsvRow(start, {h: v for h, v in zip(header, row)}))
    if not out.rows and not bad and not problems:
        problems.add(f"{path}: no case rows after the header line")
        return None
    return None if bad else out


# ---------------------------------------------------------------------------
# Rows -> seed documents


def _cells(row: CsvRow, part: str) -> dict[str, str]:
    """Non-empty cells of one part, by seed field name (surrounding spaces trimmed, as the schema does)."""
    out = {}
    for name, value in row.values.items():
        col = COLUMNS_BY_NAME[name]
        if col.part == part and value.strip():
            out[col.field] = value.strip()
    return out


def _publication_raw(rows: list[CsvRow], key: str, base: dict[str, Any] | None, problems: Problems,
                     path: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The publication's fields from its rows (on top of the registry's record); field -> line it came from."""
    merged: dict[str, Any] = dict(base or {})
    origin: dict[str, int] = {}
    for row in rows:
        for f, v in _cells(row, "publication").items():
            if f in origin and merged[f] != v:
                col = BY_PART_FIELD[("publication", f)]
                problems.add(f"{path}: line {row.line}: {col}: {v!r} differs from line {origin[f]} "
                             f"({merged[f]!r}) for publication {key!r}")
                continue
            if f not in origin:
                merged[f] = v
                origin[f] = row.line
    return merged, origin


def _case_raw(row: CsvRow) -> dict[str, Any]:
    case: dict[str, Any] = _cells(row, "case")
    exposure: dict[str, Any] = _cells(row, "exposure")
    dose = _cells(row, "dose")
    outcome = _cells(row, "outcome")
    at = _cells(row, "src").get("at")
    src = {"at": at} if at is not None else {}
    exposure.setdefault("start_day", "1")
    exposure["role"] = ExposureRole.SUSPECT
    exposure["src"] = [dict(src)]
    if dose:
        dose["reason"] = DoseChangeReason.INITIAL
        dose["src"] = [dict(src)]
        exposure["doses"] = [dose]
    case.setdefault("unstated", EvidenceStatus.NOT_REPORTED)
    case.setdefault("day1_anchor", f"first dose of {name_key(exposure.get('drug', 'the suspect drug'))} (day 1)")
    case["src"] = [{**src, "field": f} for f in SOURCED_CASE_FIELDS if f in case]
    case["exposures"] = [exposure]
    if outcome:
        outcome["src"] = [dict(src)]
        case["outcome"] = outcome
    return case


def _column_for(loc: tuple, part: str) -> str:
    """The CSV column (or record) a pydantic error location points at."""
    parts = [p for p in loc if not isinstance(p, int) and not str(p).startswith("function-")]
    if part == "publication":
        if parts and parts[0] == "src":
            return "publication evidence (from the registry)"
        return BY_PART_FIELD.get(("publication", parts[0]), parts[0]) if parts else "publication"
    if not parts:
        return "case"
    if parts[-1] == "at" or "src" in parts:
        return "source_locator"
    if parts[0] == "exposures":
        if len(parts) == 1:
            return "suspect drug"
        if parts[1] == "doses":
            return BY_PART_FIELD.get(("dose", parts[2]), "dose") if len(parts) > 2 else "dose"
        return BY_PART_FIELD.get(("exposure", parts[1]), parts[1])
    if parts[0] == "outcome":
        return BY_PART_FIELD.get(("outcome", parts[1]), parts[1]) if len(parts) > 1 else "outcome"
    return BY_PART_FIELD.get(("case", parts[0]), parts[0])


def format_error(err: dict[str, Any], column: str | None = None) -> str:
    msg = _format_error(err)
    col = COLUMNS_BY_NAME.get(column or "")
    if col is not None and col.allowed() and "allowed:" not in msg:
        msg += f"; allowed: {col.allowed()}"
    return msg


def _format_error(err: dict[str, Any]) -> str:
    msg = describe_error(err)
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "string_too_long" and isinstance(value, str):
        limit = err.get("ctx", {}).get("max_length")
        return f"text of {len(value):,} characters is over the limit of {limit:,} characters"
    if kind == "missing":
        return "required"
    if isinstance(value, str) and "allowed:" not in msg and kind != "value_error":
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{msg} (got {shown!r})"
    return msg


def _validate(model: type[BaseModel], raw: dict[str, Any]) -> tuple[BaseModel | None, list[dict[str, Any]]]:
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        return None, exc.errors()


@dataclass
class CsvCase:
    line: int
    case: CaseIn


@dataclass
class CsvPublication:
    path: str
    key: str
    publication: PublicationIn
    cases: list[CsvCase]


def build_publications(f: CsvFile, existing: dict[str, dict[str, Any]], existing_cases: set[str],
                       problems: Problems) -> list[CsvPublication]:
    """Validate every row against the seed schema and group rows by publication.

    `existing` maps publication keys already in the registry to their seed-format
    `publication:` (used to fill empty citation cells); `existing_cases` holds the
    registry's case keys (the CSV only adds cases).
    """
    by_pub: dict[str, list[CsvRow]] = {}
    for row in f.rows:
        key = row.values.get("publication_key", "").strip()
        if not key:
            problems.add(f"{f.path}: line {row.line}: publication_key: required")
            continue
        by_pub.setdefault(key, []).append(row)

    out = []
    seen_cases: dict[str, int] = {}
    for key, rows in by_pub.items():
        raw, origin = _publication_raw(rows, key, existing.get(key), problems, f.path)
        raw["key"] = key
        pub, errors = _validate(PublicationIn, raw)
        # The flat CSV has no column for why a citation field is unknown: a new publication needs them all.
        unknown = [n for n in PUBLICATION_MISSING_FIELDS if raw.get(n) in (None, "") and n not in raw.get("missing", {})]
        for name in unknown:
            problems.add(f"{f.path}: line {rows[0].line}: {BY_PART_FIELD[('publication', name)]}: required (the publication "
                         f"is not in the registry yet); one that could not be read is entered in seed-format YAML, "
                         f"with missing.{name} saying why")
        errors = [e for e in errors if e["loc"] or not any(f"missing.{n}" in str(e.get("msg", "")) for n in unknown)]
        for err in errors:
            col = _column_for(err["loc"], "publication")
            line = origin.get(err["loc"][0] if err["loc"] else "", rows[0].line)
            hint = " (the publication is not in the registry yet)" if err.get("type") == "missing" else ""
            problems.add(f"{f.path}: line {line}: {col}: {format_error(err, col)}{hint}")
        cases = []
        for row in rows:
            case_raw = _case_raw(row)
            ck = case_raw.get("key")
            if ck in seen_cases:
                problems.add(f"{f.path}: line {row.line}: case_key: {ck!r} is also on line {seen_cases[ck]}")
            elif ck in existing_cases:
                problems.add(f"{f.path}: line {row.line}: case_key: {ck!r} is already in the registry; the flat CSV only "
                             "adds new cases (change an existing case through its seed-format YAML)")
            if ck:
                seen_cases.setdefault(ck, row.line)
            case, errors = _validate(CaseIn, case_raw)
            for err in errors:
                col = _column_for(err["loc"], "case")
                msg = None
                if err.get("type") == "value_error":  # a check across fields names the field it is about first
                    first, _, rest = str(err["msg"]).removeprefix("Value error, ").partition(" ")
                    if first in COLUMNS_BY_NAME:
                        col, msg = first, rest
                problems.add(f"{f.path}: line {row.line}: {col}: {msg or format_error(err, col)}")
            if case is not None:
                cases.append(CsvCase(row.line, case))
        if pub is not None:
            out.append(CsvPublication(f.path, key, pub, cases))
    return out


def raise_problems(problems: Problems) -> None:
    if problems:
        raise DocumentErrors("\n".join(problems.lines))

