"""Cell values for spreadsheet-bound output: formula neutralisation and number text.

Missing data is written as the codes of registry.cases.missing (NR, NA-SRC).

Formula neutralisation (CSV only). A text cell that a spreadsheet would
evaluate (registry.outputs.formulas.formula_like: a leading ``=``, ``+``,
``-``, ``@``, tab or carriage return, and not a plain number such as
``-3``) gets a leading apostrophe. A cell that is only such a character, as
the lab comparator code ``=``, is left as it is unless the CSV is meant for
Excel (``--excel``): LibreOffice keeps it as text. Numbers (e.g. -1 points)
are written as numbers. ``--raw`` turns neutralisation off for machine use.
xlsx cells are never neutralised: a string cell of an xlsx file is text
and never evaluated (the writer stores every string as a string), so an
apostrophe there would only be a wrong character. JSON and YAML are never
neutralised.
"""

from __future__ import annotations

import math
from typing import Any

from registry.cases.missing import MissingCode
from registry.outputs.formulas import FORMULA_PREFIXES, formula_like

__all__ = ["FORMULA_PREFIXES", "cell_text", "format_number", "neutralise"]


def neutralise(value: Any, *, bare: bool = False) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe (`bare`: see formula_like)."""
    if isinstance(value, str) and not isinstance(value, MissingCode) and formula_like(value, bare=bare):
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


def cell_text(value: Any, *, neutralise_formulas: bool, bare: bool = False) -> str:
    """The text of a CSV cell: empty for None, 1/0 for booleans, plain numbers, text as is."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return format_number(value)
    text = str(value)
    return neutralise(text, bare=bare) if neutralise_formulas else text
