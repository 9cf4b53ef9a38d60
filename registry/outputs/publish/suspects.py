"""case_suspect_drugs: every (case, suspect drug) pair, so that filtering case_summary by a drug reads an index.

case_summary.suspect_drug_list is a JSON array; datasette's
`suspect_drug_list__arraycontains=X` filter tests every row's array with
json_each (0.9 s at 100,000 cases). The pairs are baked from that column, with
the rowid of the case's case_summary row, and on case_summary the registry's
datasette plugin answers that filter with `rowid IN (the rows of X)` instead:
one index range, then each matching row found by its rowid, with no JSON read.
The pairs hold exactly what json_each finds in the column, so both clauses
select the same rows (tests/test_bake_batches.py compares them).
"""

from __future__ import annotations

from typing import Any

from datasette.filters import Filters, TemplatedFilter

from registry.cases.baked import BakedTable, Col
from registry.cases.summary import CASE_SUMMARY

#: datasette's filter lookup this module answers from the pairs on case_summary.suspect_drug_list.
ARRAY_LOOKUP = "arraycontains"
ARRAY_COLUMN = "suspect_drug_list"

CASE_SUSPECT_DRUGS = BakedTable(
    name="case_suspect_drugs",
    description=(
        "One row per case and suspect drug (case_summary.suspect_drug_list, one drug a row): "
        "which cases name a drug as suspect, by index."
    ),
    pk=("case_key", "drug"),
    columns=(
        Col("case_key", str, "Public key of the case.", "case_summary.case_key"),
        Col("drug", str, "A suspect, co-suspect or interacting drug of the case (as in suspect_drug_list)."),
        Col("case_rowid", int, "rowid of the case's row in case_summary (what the site's drug filter reads)."),
    ),
    indexes=(("drug", "case_rowid"),),
)


def case_suspect_drugs_sql() -> str:
    return (f"SELECT s.case_key, j.value, s.rowid FROM {CASE_SUMMARY.name} s, json_each(s.{ARRAY_COLUMN}) j "
            "ORDER BY s.case_key, j.key")


class SuspectDrugFilter(TemplatedFilter):
    """datasette's arraycontains filter, answered from case_suspect_drugs on case_summary.suspect_drug_list."""

    def where_clause(self, table: str, column: str, value: Any, param_counter: int) -> tuple[str, Any]:
        if (table, column) != (CASE_SUMMARY.name, ARRAY_COLUMN):
            return super().where_clause(table, column, value, param_counter)
        return (f"rowid IN (SELECT case_rowid FROM {CASE_SUSPECT_DRUGS.name} WHERE drug = :p{param_counter})",
                str(value))


def install_drug_filter() -> None:
    """Put SuspectDrugFilter in the place of datasette's arraycontains (same key, label and description).

    datasette keeps its filters in class attributes of Filters; every table page looks its lookups up there.
    Other tables and columns keep datasette's own clause."""
    current = Filters._filters_by_key.get(ARRAY_LOOKUP)
    if current is None or isinstance(current, SuspectDrugFilter):
        return
    replacement = SuspectDrugFilter(current.key, current.display, current.sql_template, current.human_template,
                                    current.format, current.numeric, current.no_argument)
    Filters._filters = [replacement if f is current else f for f in Filters._filters]
    Filters._filters_by_key = {**Filters._filters_by_key, ARRAY_LOOKUP: replacement}
