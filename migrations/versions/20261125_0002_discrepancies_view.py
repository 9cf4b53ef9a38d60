"""discrepancies view

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

A view listing every piece of evidence the curated value does not follow
(evidence.is_curated false), next to the curated evidence for the same fact,
so disagreements between sources (or between two places in one source) are
one query away. Written in SQL common to SQLite and PostgreSQL.

Reviewed by hand. Note for later revisions: SQLite batch operations on
`evidence`, `cases` or `publications` must drop this view first and
recreate it afterwards (batch "move and copy" fails under a dependent view).
"""
from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VIEW_SQL = """
CREATE VIEW discrepancies AS
SELECT
    e.id AS evidence_id,
    c.case_key AS case_key,
    e.subject_table AS subject_table,
    e.subject_id AS subject_id,
    e.field AS field,
    cur.value_as_stated AS curated_value,
    pc.key AS curated_source,
    cur.locator AS curated_locator,
    e.value_as_stated AS other_value,
    po.key AS other_source,
    e.locator AS other_locator,
    COALESCE(e.curation_note, cur.curation_note) AS reason
FROM evidence e
JOIN publications po ON po.id = e.publication_id
LEFT JOIN cases c ON c.id = e.case_id
LEFT JOIN evidence cur
       ON cur.subject_table = e.subject_table
      AND cur.subject_id = e.subject_id
      AND COALESCE(cur.field, '') = COALESCE(e.field, '')
      AND cur.is_curated
      AND cur.status = 'stated'
LEFT JOIN publications pc ON pc.id = cur.publication_id
WHERE NOT e.is_curated AND e.status = 'stated'
"""


def upgrade() -> None:
    op.execute(VIEW_SQL)


def downgrade() -> None:
    op.execute("DROP VIEW discrepancies")
