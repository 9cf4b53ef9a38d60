"""Shape of the tables the publish step bakes, declared next to their descriptions.

Each baked table is declared once as a `BakedTable`: the build creates it
from this declaration and the datasette metadata takes its table and column
descriptions from the same object, so a column cannot be published without
a description (a test checks every column of the built file).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Boolean, Float, Integer, Table
from sqlalchemy.types import TypeEngine


@dataclass(frozen=True)
class Col:
    name: str
    type: type
    description: str
    #: "table.column" this column references, so datasette shows labels and links.
    references: str | None = None


@dataclass(frozen=True)
class BakedTable:
    name: str
    description: str
    pk: str | tuple[str, ...]
    columns: tuple[Col, ...]
    #: Columns to index (facets and filters), each a column or a tuple of columns (one index on them, in that
    #: order); foreign keys are indexed anyway.
    indexes: tuple[str | tuple[str, ...], ...] = ()
    label_column: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def column_types(self) -> dict[str, type]:
        return {c.name: c.type for c in self.columns}

    @property
    def foreign_keys(self) -> list[tuple[str, str, str]]:
        return [(c.name, *c.references.split(".")) for c in self.columns if c.references]

    @property
    def descriptions(self) -> dict[str, str]:
        return {c.name: c.description for c in self.columns}


def sqlite_type(sa_type: TypeEngine) -> type:
    """The sqlite-utils column type for a model column type (bools are stored as 0/1)."""
    if isinstance(sa_type, (Integer, Boolean)):
        return int
    if isinstance(sa_type, Float):
        return float
    return str


def model_column_types(table: Table) -> dict[str, type]:
    return {c.name: sqlite_type(c.type) for c in table.columns}


def model_foreign_keys(table: Table) -> list[tuple[str, str, str]]:
    return sorted((fk.parent.name, fk.column.table.name, fk.column.name) for fk in table.foreign_keys)


def model_pk(table: Table) -> str | tuple[str, ...]:
    cols = [c.name for c in table.primary_key.columns]
    return cols[0] if len(cols) == 1 else tuple(cols)
