"""case_suspect_drugs: every (case, suspect drug) pair, so that filtering case_summary by a drug reads an index.

case_summary.suspect_drug_list is a JSON array; datasette's
`suspect_drug_list__arraycontains=X` filter tests every row's array with
json_each (0.9 s at 100,000 cases). The pairs are baked from that column, and
the registry's datasette plugin adds `case_key IN (the cases of X)` to such a
filter: SQLite then visits only those cases, and the array test (which gives
the same answer) runs on them alone.
"""

from __future__ import annotations

from typing import Any

from registry.cases.baked import BakedTable, Col
from registry.cases.summary import CASE_SUMMARY

#: The filter the plugin speeds up (datasette's own, left in place).
ARRAY_FILTER = "suspect_drug_list__arraycontains"

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
    ),
    indexes=("drug",),
)


def case_suspect_drugs_sql() -> str:
    return (f"SELECT s.case_key, j.value FROM {CASE_SUMMARY.name} s, json_each(s.suspect_drug_list) j "
            "ORDER BY s.case_key, j.key")


def drug_filter(table: str, args: Any) -> tuple[list[str], dict[str, str]]:
    """Where clauses and parameters that narrow an arraycontains filter on case_summary to the drug's cases."""
    if table != CASE_SUMMARY.name:
        return [], {}
    clauses, params = [], {}
    for i, drug in enumerate(args.getlist(ARRAY_FILTER)):
        params[f"suspect_drug_{i}"] = drug
        clauses.append(f"case_key IN (SELECT case_key FROM {CASE_SUSPECT_DRUGS.name} WHERE drug = :suspect_drug_{i})")
    return clauses, params
