"""The field dictionary: what each model table's columns are, read from the models themselves.

A table's columns are declared once, in its model (registry/schema/models):
name, SQL type, comment (the definition), vocabulary (a foreign key to a
vocab_* table), bounds and pattern (`info`, see models/_columns.py), default,
and whether NULL is allowed. Everything that names a table's fields takes them
from here: the seed/import schema (registry.cases.seedschema), the loader
(registry.ingest.seed), the YAML writer (registry.cases.seedformat), the flat
CSV (registry.cases.csvformat), the export tables and their codebook
(registry.outputs.export).

A column is one of three things:

* a **fact** (role, indication, dose_value, ...): a seed document field of
  the same name, an export column, a codebook entry;
* a **reference** to a drug (`drug_reference`): a seed document field that
  names the drug (`drug`, `switched_to`), stored as drugs.id;
* **structure**: the row id, the link to the parent row, and the record's
  position among its siblings (`order`), which a seed document gives by the
  order of its lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, Float, Integer, String, Table

from registry.schema.vocabulary import VOCABULARIES

_VOCAB_BY_TABLE = {v.table: name for name, v in VOCABULARIES.items()}

#: info keys that bound a value (pydantic's names: greater or equal, greater than, less or equal).
BOUNDS = ("ge", "gt", "le")
#: What an integer column holds on every backend: Integer is 32-bit on PostgreSQL (SQLite's is 64-bit),
#: BigInteger 64-bit on both.
INT32_RANGE = (-(2**31), 2**31 - 1)
INT64_RANGE = (-(2**63), 2**63 - 1)


def integer_range(sql_type: Any) -> tuple[int, int]:
    """The values an integer column of this SQL type can hold on both backends."""
    return INT64_RANGE if isinstance(sql_type, BigInteger) else INT32_RANGE


def value_limits(column: Column) -> dict[str, Any]:
    """Everything a value of `column` must satisfy to be stored, as pydantic Field arguments: the model's
    bounds (`info`), an integer column's range on both backends, finite numbers only, the text length."""
    sql = column.type
    limits: dict[str, Any] = {k: column.info[k] for k in BOUNDS if k in column.info}
    if isinstance(sql, Integer):
        lo, hi = integer_range(sql)
        if "ge" not in limits and "gt" not in limits:
            limits["ge"] = lo
        limits.setdefault("le", hi)
    elif isinstance(sql, Float):
        limits["allow_inf_nan"] = False
    return limits


def vocabulary_of(column: Column) -> str | None:
    """The vocabulary a coded column takes its codes from (its foreign key to a vocab_* table)."""
    for fk in column.foreign_keys:
        name = _VOCAB_BY_TABLE.get(fk.column.table.name)
        if name:
            return name
    return None


@dataclass(frozen=True)
class Field:
    """One field of a record as seed documents, exports and the codebook know it."""

    #: The name in a seed document (the column's name, or the reference's `field` for a drug reference).
    name: str
    column: Column
    #: The column that holds what the document writes: drugs.name for a drug reference, else `column`.
    value_column: Column

    @property
    def is_reference(self) -> bool:
        return self.value_column is not self.column

    @property
    def vocabulary(self) -> str | None:
        return vocabulary_of(self.column)

    @property
    def kind(self) -> str:
        """code, integer, number, boolean, date or text."""
        if self.vocabulary:
            return "code"
        sql = self.value_column.type
        if isinstance(sql, Boolean):
            return "boolean"
        if isinstance(sql, Integer):
            return "integer"
        if isinstance(sql, Float):
            return "number"
        if isinstance(sql, Date):
            return "date"
        return "text"

    @property
    def required(self) -> bool:
        """A document must give it: NOT NULL in the table and no default."""
        return not self.column.nullable and self.default is None

    @property
    def default(self) -> Any:
        d = self.column.default
        if d is None or callable(d.arg):
            return None
        # A vocabulary constant (a StrEnum member) as the plain code it stands for: documents and writers take str.
        return str(d.arg) if isinstance(d.arg, str) else d.arg

    @property
    def bounds(self) -> dict[str, Any]:
        return {k: self.column.info[k] for k in BOUNDS if k in self.column.info}

    @property
    def limits(self) -> dict[str, Any]:
        """The bounds plus what the column type holds (registry.schema.fields.value_limits)."""
        return value_limits(self.value_column)

    @property
    def pattern(self) -> str | None:
        return self.value_column.info.get("pattern")

    @property
    def lower_case(self) -> bool:
        """Values are names compared without case: stored lower case, spaces collapsed (drugs.name)."""
        return bool(self.value_column.info.get("lower_case"))

    @property
    def max_length(self) -> int | None:
        """The column's own limit (String(n)); None for unbounded Text."""
        sql = self.value_column.type
        return sql.length if isinstance(sql, String) and sql.length else None


def is_structure(column: Column) -> bool:
    """The row id, a link to another registry row that no document field names, or a sibling order column."""
    if column.primary_key or column.info.get("order"):
        return True
    return any(fk.column.table.name not in _VOCAB_BY_TABLE for fk in column.foreign_keys) and "field" not in column.info


@cache
def record_fields(table: Table) -> tuple[Field, ...]:
    """The fields of a table's records in a seed document, in column order (facts and drug references)."""
    out = []
    for column in table.columns:
        if is_structure(column):
            continue
        if "field" in column.info:
            (fk,) = column.foreign_keys
            name_column = fk.column.table.c.name
            out.append(Field(column.info["field"], column, name_column))
        else:
            out.append(Field(str(column.name), column, column))  # a plain str: YAML and JSON writers take it
    return tuple(out)


@cache
def fact_fields(table: Table) -> tuple[Field, ...]:
    """The fact fields of a table (no references), in column order."""
    return tuple(f for f in record_fields(table) if not f.is_reference)


def fact_names(table: Table) -> tuple[str, ...]:
    return tuple(f.name for f in fact_fields(table))

