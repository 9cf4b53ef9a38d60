"""Column builders shared by the model modules.

What a column accepts beyond its SQL type is declared here too, in the
column's `info` (read by registry.schema.fields, the field dictionary):
bounds (`ge`, `gt`, `le`), a `pattern`, `lower_case` for a name that is
compared without case (stored lower case, runs of spaces as one), the name a seed document gives a
reference to another row (`field`), and whether the column only orders a
record among its siblings (`order`). The CHECK constraints that enforce the
bounds in the database stand beside them in each model; a test holds the two
together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import mapped_column

from registry.schema.vocabulary import VOCABULARIES

# Relative days count from day 1 = first dose of the suspect drug (E2B
# G.k.9.i.3.1 convention); day 0 is the day before. A century either way is
# far beyond any real case and catches typing slips.
DAY_MIN, DAY_MAX = -36500, 36500
# The oldest age a case may give, in years (cases table and seed schema).
AGE_MAX_YEARS = 120
# A desensitisation or graded challenge protocol runs for days or weeks; a year bounds it.
PROTOCOL_DAY_MAX = 366
# Steps on the same protocol day are at most a day apart.
MINUTES_PER_DAY = 1440


def coded(vocab: str, comment: str, *, nullable: bool = True, index: bool = True, **kw: Any) -> Any:
    """A column holding a code from one controlled vocabulary (FK to its table)."""
    v = VOCABULARIES[vocab]
    return mapped_column(
        String(40),
        ForeignKey(f"{v.table}.code"),
        nullable=nullable,
        index=index,
        comment=f"{comment} Code from {v.table} ({v.title}).",
        **kw,
    )


def parent(table_col: str, comment: str, *, nullable: bool = False) -> Any:
    """A foreign key to a parent row; children go when the parent goes."""
    return mapped_column(
        Integer, ForeignKey(table_col, ondelete="CASCADE"), nullable=nullable, index=True, comment=comment
    )


def day(comment: str) -> Any:
    return mapped_column(Integer, nullable=True, comment=f"{comment} Relative day (day 1 = first dose of the suspect drug).",
                         info={"ge": DAY_MIN, "le": DAY_MAX})


def days(comment: str) -> Any:
    """A count of days (a duration): 0 up to DAY_MAX."""
    return mapped_column(Integer, nullable=True, comment=comment, info={"ge": 0, "le": DAY_MAX})


def bounded_checks(*cols: tuple[str, str, int, int]) -> list[CheckConstraint]:
    """CHECK (name) for (constraint name, column, low, high): NULL or within low..high."""
    return [CheckConstraint(f"{c} IS NULL OR {c} BETWEEN {lo} AND {hi}", name=name) for name, c, lo, hi in cols]


def order(comment: str) -> Any:
    """The position of a record among its siblings (1, 2, ...): given by the order of the list in a seed
    document, never written in one."""
    return mapped_column(Integer, comment=comment, info={"order": True})


def drug_reference(comment: str, *, field: str, nullable: bool, **kw: Any) -> Any:
    """A drug named in a seed document by its name (`field`), stored as drugs.id."""
    return mapped_column(Integer, ForeignKey("drugs.id"), nullable=nullable, index=True, comment=comment,
                         info={"field": field}, **kw)


def day_checks(table: str, *cols: str) -> list[CheckConstraint]:
    return [
        CheckConstraint(f"{c} BETWEEN {DAY_MIN} AND {DAY_MAX}", name=f"{c}_sane") for c in cols
    ]
