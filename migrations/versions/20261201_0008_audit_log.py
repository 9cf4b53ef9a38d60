"""audit log: audit_changes and audit_log, append-only

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01

Two new tables (registry/schema/models/audit.py): audit_changes, one row
per write transaction of a command (when, who, which command), and
audit_log, one row per change to curated data (table, record, field, old
and new value as JSON). Nothing existing is altered, so no batch operation
is needed on SQLite.

The log is append-only. SQLite: BEFORE UPDATE and BEFORE DELETE triggers on
both tables that abort the statement. PostgreSQL: one statement-level
trigger per table, for UPDATE, DELETE and TRUNCATE, calling a function that
raises. (DROP TABLE, which the downgrade and `publish` use, fires neither.)

Reviewed by hand: constraint names follow the naming convention; the
downgrade drops triggers, function and tables in reverse order.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("audit_changes", "audit_log")
_MESSAGE = "is append-only: its rows cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "audit_changes",
        sa.Column("id", sa.Integer(), nullable=False, comment="Internal row id (use the public key to refer to a record)."),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="When the change was made (UTC)."),
        sa.Column("curator", sa.String(length=200), nullable=False,
                  comment="Who made it: --curator, $REGISTRY_CURATOR or (SQLite only) the OS user."),
        sa.Column("curator_source", sa.String(length=20), nullable=False,
                  comment="Where the curator's name came from: option, environment or os_user."),
        sa.Column("command", sa.Text(), nullable=False, comment="The command that made the change, e.g. 'import new-cases.yaml'."),
        sa.CheckConstraint("curator_source IN ('option', 'environment', 'os_user')", name=op.f("ck_audit_changes_curator_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_changes")),
        comment="One write transaction of a registry command: when, who, which command (append-only).",
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False, comment="Internal row id (use the public key to refer to a record)."),
        sa.Column("change_id", sa.Integer(), nullable=False, comment="The change (when, who, command) this entry belongs to."),
        sa.Column("case_key", sa.String(length=80), nullable=True,
                  comment="The case the record belongs to (NULL for publications, citations, drugs)."),
        sa.Column("table_name", sa.String(length=64), nullable=False, comment="The table of the changed record."),
        sa.Column("record_id", sa.Integer(), nullable=True,
                  comment="The record's id in that table at the time (NULL for tables keyed otherwise)."),
        sa.Column("record_key", sa.Text(), nullable=True, comment="The record's natural key in words, e.g. 'seq 2' or 'fever'."),
        sa.Column("action", sa.String(length=10), nullable=False, comment="insert, update or delete."),
        sa.Column("field", sa.String(length=64), nullable=True,
                  comment="The changed column (update only; NULL: the whole record)."),
        sa.Column("old_value", sa.Text(), nullable=True,
                  comment="The value before, as JSON (a JSON object of the record for a delete)."),
        sa.Column("new_value", sa.Text(), nullable=True,
                  comment="The value after, as JSON (a JSON object of the record for an insert)."),
        sa.CheckConstraint("action IN ('insert', 'update', 'delete')", name=op.f("ck_audit_log_action")),
        sa.CheckConstraint("action = 'update' OR field IS NULL", name=op.f("ck_audit_log_field_only_for_update")),
        sa.ForeignKeyConstraint(["change_id"], ["audit_changes.id"], name=op.f("fk_audit_log_change_id_audit_changes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        comment="One change to curated data: the record, the field, the old and the new value (append-only).",
    )
    op.create_index(op.f("ix_audit_log_change_id"), "audit_log", ["change_id"])
    op.create_index(op.f("ix_audit_log_case_key"), "audit_log", ["case_key"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% {_MESSAGE}', TG_TABLE_NAME;
            END $$""")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")
    else:
        for table in TABLES:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} {_MESSAGE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(TABLES):
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION audit_append_only()")
    else:
        for table in reversed(TABLES):
            for event in ("UPDATE", "DELETE"):
                op.execute(f"DROP TRIGGER {table}_no_{event.lower()}")
    op.drop_index(op.f("ix_audit_log_case_key"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_change_id"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("audit_changes")
