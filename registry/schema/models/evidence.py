"""Evidence: which source states each fact, where, and how it was derived.

One row per (fact, source). A fact is addressed by table, row id and field
(field NULL = the whole row). Rows with status not_reported / not_available
say why a value is NULL. Two rows for the same fact with different
`value_as_stated` are a disagreement; `is_curated` marks the one the stored
value follows, and `curation_note` says why.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.core.db import Base
from registry.core.types import intpk
from registry.schema.models._columns import coded, parent


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (
        Index("ix_evidence_subject", "subject_table", "subject_id", "field"),
        {"comment": "Provenance of every stored fact (and of every missing one): publication, locator, derivation and status."},
    )

    id: Mapped[intpk]
    case_id: Mapped[int | None] = parent("cases.id", "The case the fact belongs to (NULL for publication-level facts).", nullable=True)
    subject_table: Mapped[str] = mapped_column(String(40), comment="Table holding the fact (e.g. cases, dose_regimens).")
    subject_id: Mapped[int] = mapped_column(Integer, comment="Primary key of the row holding the fact (case_id for case_outcomes).")
    field: Mapped[str | None] = mapped_column(String(60), comment="Column of the fact; NULL when the evidence covers the whole row.")
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), index=True, comment="Publication the evidence comes from.")
    status: Mapped[str] = coded("evidence_status", "Stated, not reported by the source, or source not available.", nullable=False)
    locator: Mapped[str | None] = mapped_column(Text, comment="Where in the publication (section, paragraph, page, figure, table).")
    derivation: Mapped[str | None] = coded("derivation", "How the stored value was obtained.")
    value_as_stated: Mapped[str | None] = mapped_column(Text, comment="The value as the source gives it (short; a number, unit or term, not a passage).")
    is_curated: Mapped[bool] = mapped_column(Boolean, default=True, comment="True when the stored value follows this source.")
    curation_note: Mapped[str | None] = mapped_column(Text, comment="Why the stored value follows (or does not follow) this source; derivation details.")

    publication: Mapped["Publication"] = relationship()  # noqa: F821
