"""Which text a spreadsheet would evaluate as a formula, for every output a spreadsheet may open.

Shared by the site's CSV (registry.outputs.publish.web) and the export files
(registry.outputs.export.safety), which never import each other.

A cell is formula-like when its text starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return (Excel reads all of them as a formula start;
LibreOffice ``=``), unless the text is a plain decimal number (``-3``,
``+0.5``, ``1e-05``: a negative score is a number, not a formula). Such a
cell is written with a leading apostrophe, which keeps it text in both.

A cell that is only one of those characters (the lab comparator code
``=``, a lone ``-``) is no formula in LibreOffice, which keeps it as text;
whether to neutralise it is the caller's choice (``bare``): the site and
``export --excel`` do, a plain export keeps the code as it is.

Full-width forms (U+FF1D ``＝`` and the like) are not formula starts: LibreOffice
Calc 7.4 opens them as text (tests/test_site_hardening.py checks it).
"""

from __future__ import annotations

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def formula_like(text: str, *, bare: bool = True) -> bool:
    """True when a spreadsheet opening `text` as a cell could evaluate it."""
    if not text.startswith(FORMULA_PREFIXES):
        return False
    if len(text) == 1:
        return bare
    return _NUMBER.fullmatch(text) is None


def neutralise(text: str) -> str:
    return "'" + text
