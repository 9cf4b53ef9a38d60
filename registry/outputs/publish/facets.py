"""Column facets whose queries run side by side, and the narrow rows they count on searched pages.

datasette 0.65 runs the facet classes of a table page concurrently, but one
ColumnFacet instance holds every column facet of the page and awaits their
queries one after another. case_summary shows six; on a search or a drug
filter each reads every matching row (about 25 ms for 29,000 of 100,000
cases), so the page waited for six such reads in a row on a machine whose
other cores stood idle.

ConcurrentColumnFacet hands each column to its own single-column instance of
datasette's ColumnFacet and gathers them: the queries, results, links and
time limits are datasette's own, only their order in time changes. The
results keep the configured order. The site plugin (plugins/registry_sqlite.py)
registers it in place of datasette's ColumnFacet.

A page that picks its case_summary rows by rowid (a full-text search, the
suspect-drug filter) makes each facet look up every matching row; in
case_summary's wide rows (about 700 bytes) that is a page read per few rows.
case_summary_facets holds the facet columns again, one narrow row per case
under the same rowid, and those pages count their facets there: datasette's
own facet SQL, with case_summary_facets read under the name case_summary. Its
columns are copies, so a filter over them selects the same rows. Only pages
whose every argument is known qualify: a search, the drug filter, filters on
the narrow columns, and arguments that add nothing to the WHERE clause. Any
other (a filter on another column, _where, _next, _through) keeps the facets
on case_summary: SQLite reads a double-quoted name it cannot find as a
string, so such a clause would not fail on the narrow rows, it would count
wrong. Pages without a search or drug filter keep reading case_summary's
facet indexes.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from datasette.facets import ArrayFacet, ColumnFacet, DateFacet
from datasette.utils import detect_json1, escape_sqlite

from registry.cases.baked import BakedTable, Col
from registry.cases.summary import CASE_SUMMARY
from registry.outputs.publish.suspects import ARRAY_COLUMN, ARRAY_LOOKUP

#: datasette's own facet module, whose classes this one replaces (blocked as a plugin, its classes re-registered).
DATASETTE_FACETS_PLUGIN = "datasette.facets"

#: Facets shown on case_summary without asking. Each is a plain column the build
#: indexes, so a facet reads an index, not the table: the array facet on
#: suspect_drug_list (json_each over every row) grew with the registry and is
#: only run when asked for (?_facet_array=suspect_drug_list).
CASE_SUMMARY_FACETS: list[Any] = [
    "indication", "main_suspect_drug", "reaction_outcome", "sex", "rechallenge_result", "year",
]

CASE_SUMMARY_FACET_ROWS = BakedTable(
    name="case_summary_facets",
    description=(
        "case_summary's default facet columns again, one narrow row per case under case_summary's rowid: the "
        "site counts the facets of a searched or drug-filtered case_summary page here."
    ),
    pk="rowid",
    columns=(
        Col("rowid", int, "rowid of the case's row in case_summary."),
        *(replace(c, references=None) for c in CASE_SUMMARY.columns if c.name in CASE_SUMMARY_FACETS),
    ),
)

#: Request arguments that make a case_summary page pick its rows by rowid.
ROWID_ARGUMENTS = ("_search", f"{ARRAY_COLUMN}__{ARRAY_LOOKUP}")
#: datasette's page arguments that add nothing to the facets' WHERE clause.
NEUTRAL_ARGUMENTS = frozenset({
    "_searchmode", "_facet", "_facet_array", "_facet_date", "_facet_size", "_size", "_sort", "_sort_desc",
    "_col", "_nocol", "_labels", "_nolabels", "_nocount", "_nofacet", "_nosuggest", "_shape", "_json", "_extra",
    "_trace", "_stream", "_dl",
})


def facet_rows_sql() -> str:
    names = ", ".join(c.name for c in CASE_SUMMARY_FACET_ROWS.columns[1:])
    return f"SELECT rowid, {names} FROM {CASE_SUMMARY.name} ORDER BY rowid"


def _narrow_argument(arg: str) -> bool:
    """Whether the WHERE clause datasette makes of this argument reads only rowids and the narrow columns."""
    if arg in ROWID_ARGUMENTS or arg in NEUTRAL_ARGUMENTS:
        return True
    column = arg.rsplit("__", 1)[0] if "__" in arg else arg  # as datasette's Filters.selections splits it
    return not arg.startswith("_") and column in CASE_SUMMARY_FACETS


def _narrow_sql(facet: ColumnFacet, column: str) -> str | None:
    """The facet's source SQL on case_summary_facets, when its page picks rows by rowid and has the column."""
    if facet.table != CASE_SUMMARY.name or column not in CASE_SUMMARY_FACETS:
        return None
    args = set(facet.request.args)
    if not args & set(ROWID_ARGUMENTS) or not all(_narrow_argument(arg) for arg in args):
        return None
    _, found, where = facet.sql.partition(f" from {escape_sqlite(CASE_SUMMARY.name)} ")
    if not found:
        return None
    return f"select * from {CASE_SUMMARY_FACET_ROWS.name} as {CASE_SUMMARY.name} {where}"


class _OneColumn(ColumnFacet):
    """datasette's ColumnFacet limited to one of the page's column facets."""

    def __init__(self, parent: ColumnFacet, config: dict[str, Any]) -> None:
        """`config` is one item of the parent's get_configs()."""
        super().__init__(parent.ds, parent.request, parent.database, sql=parent.sql, table=parent.table,
                         params=parent.params, metadata=parent.metadata, row_count=parent.row_count)
        self._config = config

    def get_configs(self) -> list[dict[str, Any]]:
        return [self._config]

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        config = self._config["config"]  # as get_configs gives it: {"source": ..., "config": {...}}
        narrow = _narrow_sql(self, config.get("column") or config.get("simple", ""))
        if narrow is not None:
            self.sql = narrow
        return await super().facet_results()


class ConcurrentColumnFacet(ColumnFacet):
    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        configs = self.get_configs()
        parts = await asyncio.gather(*(_OneColumn(self, config).facet_results() for config in configs))
        results = [facet for part_results, _ in parts for facet in part_results]
        timed_out = [column for _, part_timed_out in parts for column in part_timed_out]
        return results, timed_out


def facet_classes() -> list[type]:
    """What datasette's facet module registers, with ConcurrentColumnFacet for its ColumnFacet."""
    classes: list[type] = [ConcurrentColumnFacet, DateFacet]
    if detect_json1():
        classes.append(ArrayFacet)
    return classes
