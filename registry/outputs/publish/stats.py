"""registry_stats: the counts the home and about pages show, computed once by publish.

A page that counted 100,000 cases on every request (or loaded every latency
to draw a chart) would grow with the registry; these figures are baked, in
SQL inside the new file, right after case_summary. One long table holds
them all:

* a whole-registry count has `value` NULL (figure 'cases', 'publications', ...);
* a distribution has one row per value, in the order a chart lists them
  (most frequent first, unknown last), with `value` the value as text
  ('not known' never appears: an unknown value is NULL).
"""

from __future__ import annotations

from registry.cases.baked import BakedTable, Col

REGISTRY_STATS = BakedTable(
    name="registry_stats",
    description=(
        "Counts over the whole published registry, computed once by publish for the home and about pages: "
        "whole-registry counts (value NULL) and distributions of case_summary columns (one row per value)."
    ),
    pk="id",
    columns=(
        Col("id", int, "Row number: a distribution's rows are in chart order (most cases first, unknown last)."),
        Col("figure", str, "What is counted: cases, real_cases, synthetic_cases, publications, drugs, suspect_drugs, "
                           "countries, evidence (whole-registry counts), or a case_summary column (a distribution)."),
        Col("value", str, "The value counted, as text (NULL for a whole-registry count, or for cases where the column "
                          "is unknown)."),
        Col("n", int, "Number of cases (or rows of the figure's table) with this value."),
    ),
    indexes=("figure",),
)

#: Whole-registry counts: figure -> SELECT of one number inside the published file.
TOTALS = {
    "cases": "SELECT count(*) FROM case_summary",
    "real_cases": "SELECT count(*) FROM case_summary WHERE NOT is_synthetic",
    "synthetic_cases": "SELECT count(*) FROM case_summary WHERE is_synthetic",
    "publications": "SELECT count(*) FROM publications",
    "drugs": "SELECT count(*) FROM drugs",
    "suspect_drugs": "SELECT count(DISTINCT j.value) FROM case_summary, json_each(case_summary.suspect_drug_list) j",
    "countries": "SELECT count(DISTINCT country) FROM case_summary",
    "evidence": "SELECT count(*) FROM evidence",
}
#: case_summary columns counted value by value.
DISTRIBUTIONS = (
    "latency_days", "indication", "reaction_outcome", "main_suspect_drug", "sex", "country", "year",
    "rechallenge_result",
)


def registry_stats_sql() -> str:
    """SELECT of every registry_stats row (run inside the file, after case_summary is baked)."""
    parts = [f"SELECT 0 AS part, '{name}' AS figure, NULL AS value, ({sql}) AS n, 0 AS rank"
             for name, sql in TOTALS.items()]
    for i, column in enumerate(DISTRIBUTIONS, start=1):
        parts.append(
            f"SELECT {i}, '{column}', CAST({column} AS TEXT), count(*), "
            f"row_number() OVER (ORDER BY count(*) DESC, {column} IS NULL, {column}) "
            f"FROM case_summary GROUP BY {column}"
        )
    return ("SELECT row_number() OVER (ORDER BY part, rank, figure), figure, value, n FROM ("
            + " UNION ALL ".join(parts) + ") ORDER BY part, rank, figure")
