"""Cell values for spreadsheet-bound output: formula neutralisation and number text.

Missing data is written as the codes of registry.cases.missing (NR, NA-SRC).

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

from registry.cases.missing import MissingCode

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
