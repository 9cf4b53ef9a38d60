"""Exports for review and analysis, and the case import.

`dress-registry export` writes the flat case table (the published case
summary), long tables, a codebook, citations and a README, as CSV, xlsx,
JSON or the lossless seed-format YAML (registry/cli/export.py);
`dress-registry import` reads seed-format YAML and the flat case CSV
(registry/ingest/importer.py, registry/ingest/csvimport.py).
"""
