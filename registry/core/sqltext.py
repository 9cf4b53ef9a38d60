"""SQL written by the registry's code: one way to put a code or a word into a statement as a literal.

No SQLAlchemy here: the published-file export imports it and starts in a fraction of a second.
"""

from __future__ import annotations


def sql_literal(value: object) -> str:
    """`value` as an SQL string literal ('it''s'), for codes and words written into generated SQL."""
    return "'" + str(value).replace("'", "''") + "'"
