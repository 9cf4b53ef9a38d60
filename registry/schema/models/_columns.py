"""Column builders shared by the model modules."""

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
    return mapped_column(Integer, nullable=True, comment=f"{comment} Relative day (day 1 = first dose of the suspect drug).")


def day_checks(table: str, *cols: str) -> list[CheckConstraint]:
    return [
        CheckConstraint(f"{c} BETWEEN {DAY_MIN} AND {DAY_MAX}", name=f"{c}_sane") for c in cols
    ]
