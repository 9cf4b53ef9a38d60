"""The audit log: who changed which curated value, when, with which command.

Append-only. One `audit_changes` row per write transaction of a command
(when, who, the command line); one `audit_log` row per change it made:

* update: one row per changed field, with the old and the new value;
* insert: one row per new record, its values as one JSON object in
  new_value (field NULL). A new case's own records (exposures, findings,
  evidence, ...) are part of that case's insert and get no rows of their
  own; a record added to a case that was already there gets one;
* delete: one row per deleted record, its values as one JSON object in
  old_value (field NULL). Records the database deletes with it (foreign
  keys ON DELETE CASCADE: a case's exposures, their doses, its findings and
  evidence, ...) get a delete row each, with their values; a column a SET
  NULL key empties gets an update row.

Values are JSON text (`null` for a NULL value; SQL NULL where there is no
value: the old value of an insert, the new value of a delete).

Neither table is ever updated or deleted from: the migration that creates
them adds triggers that refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL). Neither is published (registry.schema.models.published_model_tables).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.core.db import Base
from registry.core.types import intpk

#: Table info flag: the table stays in the working database and is left out of the published file.
UNPUBLISHED = {"published": False}


class AuditAction(StrEnum):
    """What a log entry records (not a registry vocabulary: the log's own structure)."""

    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


class CuratorSource(StrEnum):
    """Where the curator's name came from."""

    OPTION = "option"
    ENVIRONMENT = "environment"
    OS_USER = "os_user"


class AuditChange(Base):
    __tablename__ = "audit_changes"
    __table_args__ = (
        CheckConstraint(f"curator_source IN ({', '.join(repr(str(s)) for s in CuratorSource)})", name="curator_source"),
        {"comment": "One write transaction of a registry command: when, who, which command (append-only).",
         "info": UNPUBLISHED},
    )

    id: Mapped[intpk]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), comment="When the change was made (UTC).")
    curator: Mapped[str] = mapped_column(String(200), comment="Who made it: --curator, $REGISTRY_CURATOR or (SQLite only) the OS user.")
    curator_source: Mapped[str] = mapped_column(String(20), comment="Where the curator's name came from: option, environment or os_user.")
    command: Mapped[str] = mapped_column(Text, comment="The command that made the change, e.g. 'import new-cases.yaml'.")


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(f"action IN ({', '.join(repr(str(a)) for a in AuditAction)})", name="action"),
        CheckConstraint("action = 'update' OR field IS NULL", name="field_only_for_update"),
        {"comment": "One change to curated data: the record, the field, the old and the new value (append-only).",
         "info": UNPUBLISHED},
    )

    id: Mapped[intpk]
    change_id: Mapped[int] = mapped_column(ForeignKey("audit_changes.id"), index=True, comment="The change (when, who, command) this entry belongs to.")
    case_key: Mapped[str | None] = mapped_column(String(80), index=True, comment="The case the record belongs to (NULL for publications, citations, drugs).")
    table_name: Mapped[str] = mapped_column(String(64), comment="The table of the changed record.")
    record_id: Mapped[int | None] = mapped_column(Integer, comment="The record's id in that table at the time (NULL for tables keyed otherwise).")
    record_key: Mapped[str | None] = mapped_column(Text, comment="The record's natural key in words, e.g. 'seq 2' or 'fever'.")
    action: Mapped[str] = mapped_column(String(10), comment="insert, update or delete.")
    field: Mapped[str | None] = mapped_column(String(64), comment="The changed column (update only; NULL: the whole record).")
    old_value: Mapped[str | None] = mapped_column(Text, comment="The value before, as JSON (a JSON object of the record for a delete).")
    new_value: Mapped[str | None] = mapped_column(Text, comment="The value after, as JSON (a JSON object of the record for an insert).")
