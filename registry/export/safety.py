"""Cell values for spreadsheet-bound output: missing-data codes and formula neutralisation.

Missing data. A NULL in the registry means one of three things, and the
export keeps them apart:

* the source was read and does not report the value: evidence status
  ``not_reported`` -> cell ``NR``;
* the curators could not read the source (or the part) that would report
  it: evidence status ``not_available`` -> cell ``NA-SRC``;
* the value does not apply, or nobody recorded why it is missing: empty cell.

The reason comes from the evidence rows with status not_reported /
not_available for the same subject row and field. When sources disagree on
the reason, the same rule as registry/completeness.py picks one (the
smallest status, i.e. not_available), so the export and the completeness
counts never tell different stories.

Formula neutralisation. A text cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is a formula (or becomes one) when a
spreadsheet opens the file; in CSV and xlsx output such cells get a leading
apostrophe. Only text is touched: numbers (e.g. -1 points) are written as
numbers. ``--raw`` turns neutralisation off for machine use; JSON and YAML
are never neutralised.
"""

from __future__ import annotations

import math
from typing import Any

from registry.vocabulary import VOCABULARIES

#: Evidence status -> cell code.
MISSING_CODES: dict[str, str] = {"not_reported": "NR", "not_available": "NA-SRC"}
MISSING_STATUSES = tuple(MISSING_CODES)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class MissingCode(str):
    """A cell that stands for a missing value with a known reason (NR / NA-SRC)."""


def missing_code(status: str | None) -> MissingCode | None:
    code = MISSING_CODES.get(status or "")
    return MissingCode(code) if code else None


def missing_code_definitions() -> list[tuple[str, str, str]]:
    """(code, evidence status, meaning) for the README and the codebook, from the vocabulary."""
    v = VOCABULARIES["evidence_status"]
    return [(code, status, f"{v.label(status)}. {v.term(status).definition}") for status, code in MISSING_CODES.items()]


def pick_status(statuses: list[str]) -> str | None:
    """One reason when several sources give one (as registry/completeness.py: MIN(status))."""
    known = [s for s in statuses if s in MISSING_CODES]
    return min(known) if known else None


def neutralise(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and not isinstance(value, MissingCode) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def format_number(value: float | int) -> str:
    """400.0 -> '400', 0.1 -> '0.1' (shortest text that reads back as the same float)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def cell_text(value: Any, *, neutralise_formulas: bool) -> str:
    """The text of a CSV cell: empty for None, 1/0 for booleans, plain numbers, text as is."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return format_number(value)
    text = str(value)
    return neutralise(text) if neutralise_formulas else text
