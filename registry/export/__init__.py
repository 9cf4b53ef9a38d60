"""Exports for review and analysis, and the case import.

`dress-registry export` writes the flat case table (the published case
summary), long tables, a codebook, citations and a README, as CSV, xlsx,
JSON or the lossless seed-format YAML (registry/export/command.py);
`dress-registry import` reads seed-format YAML and the flat case CSV
(registry/export/importer.py, registry/export/csvimport.py).
"""
