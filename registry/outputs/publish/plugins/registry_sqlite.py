"""datasette plugin (loaded with --plugins-dir): how connections read the published file.

The published file is immutable and only ever replaced whole (publish moves
a new file into place), so its connections memory-map it: a page read is
then a memory access rather than a read() system call. Facets of a filtered
case_summary look up every matching row; at 100,000 cases this cut their
CPU time by about 40%.

Every connection also gets the registry's bounds on one query
(registry.outputs.publish.guard): value length, columns, result size,
LIKE patterns, SQLite's heap, and the file's path kept private.

A `suspect_drug_list__arraycontains` filter on case_summary is answered
from the baked case_suspect_drugs table (see
registry.outputs.publish.suspects), so it reads an index instead of every
row's JSON array.

The column facets of a page run side by side (registry.outputs.publish.facets):
datasette's own facet classes are unplugged and registered again with
ConcurrentColumnFacet in place of ColumnFacet.
"""

from datasette import hookimpl
from datasette.plugins import pm

from registry.outputs.publish.facets import DATASETTE_FACETS_PLUGIN, facet_classes
from registry.outputs.publish.guard import guard_connection
from registry.outputs.publish.site import DATABASE
from registry.outputs.publish.suspects import install_drug_filter

#: Upper bound; SQLite caps it at its compile-time maximum (2 GiB in Debian's build).
MMAP_BYTES = 2**31

pm.set_blocked(DATASETTE_FACETS_PLUGIN)
install_drug_filter()


@hookimpl
def prepare_connection(conn, database):
    if database == DATABASE:
        conn.execute(f"pragma mmap_size = {MMAP_BYTES}")
        guard_connection(conn)


@hookimpl
def register_facet_classes():
    return facet_classes()
