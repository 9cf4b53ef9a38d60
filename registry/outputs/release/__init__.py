"""Citable releases: a published build frozen under its version, with notes, checksums and a CITATION.cff.

`freeze.make_release` copies dist/registry.db (what `publish` built) into
releases/VERSION/, records the release inside the copy, writes release
notes computed from the data (`notes`: this build against the previous
release's file, case by case and record by record), a CITATION.cff and
SHA-256 checksums, and makes the folder read-only.
"""
