"""cases.facts_changed_at: when a write path last changed a case's facts

Revision ID: 0004
Revises: 0008
Create Date: 2026-12-01

Publish re-scores only the cases whose facts changed since its previous
build; the seed loader, the importers and the case editor set this column
(in bulk, one statement per batch) whenever they change a case or a row of
its record. Existing cases get the time of the upgrade: their scores are
computed afresh by the first publish after it, as before.

The column is nullable (NULL: never set, always re-scored), so SQLite adds
it in place. Both directions are plain ALTER TABLE statements on SQLite
(recreate="never"): rebuilding `cases` would drop the table its children's
ON DELETE CASCADE keys point at.

Reviewed by hand: one column, no index, no constraint.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0008"
branch_labels = None
depends_on = None

_COMMENT = (
    "When a write path (seed, import, edit) last changed this case or a row of its record (UTC). "
    "Publish re-scores only the cases whose time differs from the one its previous build scored; "
    "NULL (never set) means always re-score."
)


def upgrade() -> None:
    with op.batch_alter_table("cases", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("facts_changed_at", sa.DateTime(), nullable=True, comment=_COMMENT))
    op.execute(sa.text("UPDATE cases SET facts_changed_at = CURRENT_TIMESTAMP"))


def downgrade() -> None:
    with op.batch_alter_table("cases", recreate="never") as batch_op:
        batch_op.drop_column("facts_changed_at")
