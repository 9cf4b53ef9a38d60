"""Column facets whose queries run side by side.

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
"""

from __future__ import annotations

import asyncio
from typing import Any

from datasette.facets import ArrayFacet, ColumnFacet, DateFacet
from datasette.utils import detect_json1

#: datasette's own facet module, whose classes this one replaces (blocked as a plugin, its classes re-registered).
DATASETTE_FACETS_PLUGIN = "datasette.facets"


class _OneColumn(ColumnFacet):
    """datasette's ColumnFacet limited to one of the page's column facets."""

    def __init__(self, parent: ColumnFacet, config: dict[str, Any]) -> None:
        super().__init__(parent.ds, parent.request, parent.database, sql=parent.sql, table=parent.table,
                         params=parent.params, metadata=parent.metadata, row_count=parent.row_count)
        self._config = config

    def get_configs(self) -> list[dict[str, Any]]:
        return [self._config]


class ConcurrentColumnFacet(ColumnFacet):
    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        configs = self.get_configs()
        if len(configs) < 2:
            return await super().facet_results()
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
