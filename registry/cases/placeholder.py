"""The placeholder an extraction template (registry/cases/template.py) holds where a value is still to be extracted.

It lives apart from the template so that the document reader
(registry/cases/documents.py) can refuse documents that still hold it
without depending on the template writer.
"""

from __future__ import annotations

from typing import Any

#: What a skeleton holds where a curator has still to extract something.
UNFILLED = "TO-EXTRACT"


def unfilled_fields(raw: Any, path: str = "") -> list[str]:
    """Paths (cases[0].age_value) of every value that is still the UNFILLED placeholder."""
    out: list[str] = []
    if isinstance(raw, dict):
        for k, v in raw.items():
            out += unfilled_fields(v, f"{path}.{k}" if path else str(k))
    elif isinstance(raw, list):
        for i, v in enumerate(raw):
            out += unfilled_fields(v, f"{path}[{i}]")
    elif isinstance(raw, str) and raw.strip() == UNFILLED:
        out.append(path or "(top level)")
    return out
