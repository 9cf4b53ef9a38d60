"""Lookup tables generated from registry.schema.vocabulary (one table per vocabulary).

One small table per vocabulary (rather than one generic table with a
composite key) lets every coded column carry a plain foreign key, which
datasette turns into a readable label and a link.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from registry.core.db import metadata
from registry.schema.vocabulary import VOCABULARIES


def _vocab_table(name: str) -> Table:
    v = VOCABULARIES[name]
    return Table(
        v.table,
        metadata,
        Column("code", String(40), primary_key=True, comment="Stable code stored in data tables."),
        Column("label", Text, nullable=False, unique=True, comment="Human-readable label."),
        Column("definition", Text, nullable=False, comment="What the code means."),
        Column("e2b_r3_code", Text, comment="Corresponding ICH E2B(R3) code, where one exists."),
        Column("openfda_code", Text, comment="Corresponding FAERS/openFDA (R2) code, where one exists."),
        Column("category", Text, comment="Grouping of the term, where the vocabulary has one."),
        Column("sort_order", Integer, nullable=False, comment="Display order."),
        comment=f"Vocabulary: {v.title}. {v.description} Source: {v.source}.",
    )


VOCAB_TABLES: dict[str, Table] = {name: _vocab_table(name) for name in VOCABULARIES}
