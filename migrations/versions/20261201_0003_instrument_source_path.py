"""instrument vocabulary: its source names the instruments' new folder

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

The package was rearranged into layers; the scoring instruments moved from
registry/scoring/instruments to registry/cases/scoring/instruments, and the
comment of vocab_instrument (which names where the instruments are defined)
follows. Only PostgreSQL stores table comments; on SQLite there is nothing
to change.

Reviewed by hand: a comment only, no data, no DDL on SQLite.
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BEFORE = ("Vocabulary: Assessment instrument. Diagnostic or causality instrument. "
           "Source: see registry/scoring/instruments.")
_AFTER = ("Vocabulary: Assessment instrument. Diagnostic or causality instrument. "
          "Source: see registry/cases/scoring/instruments.")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_table_comment("vocab_instrument", _AFTER, existing_comment=_BEFORE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_table_comment("vocab_instrument", _BEFORE, existing_comment=_AFTER)
