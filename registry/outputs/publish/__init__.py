"""Publishing: bake the working database into a read-only SQLite file and serve it with datasette.

The working database (SQLite or PostgreSQL, managed by alembic) is never
served directly. `build` copies it into `dist/registry.db` with baked,
reader-friendly tables (case_summary, case_timeline, lab_series,
discrepancies), full-text indexes and facet indexes; `metadata` describes
every table and column from the models and vocabularies so the published
documentation cannot drift from the schema; `serve` runs datasette on the
file in immutable mode with the registry's templates and page plugin.
"""
