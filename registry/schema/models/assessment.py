"""Diagnostic and causality assessments, with item-level answers."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.core.db import Base
from registry.core.types import intpk
from registry.schema.models._columns import coded, parent
from registry.schema.vocabulary import InstrumentCode


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("case_id", "instrument", "assessor", "exposure_id"),
        CheckConstraint("total_min IS NULL OR total_max IS NULL OR total_min <= total_max", name="interval_ordered"),
        CheckConstraint(
            f"instrument <> '{InstrumentCode.REGISCAR_DRESS}' OR ((total IS NULL OR total BETWEEN -4 AND 9)"
            " AND (total_min IS NULL OR total_min >= -4) AND (total_max IS NULL OR total_max <= 9))",
            name="regiscar_range",
        ),
        CheckConstraint(
            f"instrument <> '{InstrumentCode.NARANJO}' OR ((total IS NULL OR total BETWEEN -4 AND 13)"
            " AND (total_min IS NULL OR total_min >= -4) AND (total_max IS NULL OR total_max <= 13))",
            name="naranjo_range",
        ),
        {"comment": "A score or category from one instrument, as the authors published it or as the registry computed it from the stored facts."},
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = parent("cases.id", "The case.")
    exposure_id: Mapped[int | None] = parent("drug_exposures.id", "The drug exposure assessed (Naranjo is per drug); NULL for case-level instruments.", nullable=True)
    instrument: Mapped[str] = coded("instrument", "Instrument used.", nullable=False)
    instrument_version: Mapped[str | None] = mapped_column(String(40), comment="Version of the instrument definition used.")
    assessor: Mapped[str] = coded("assessor", "Who assessed.", nullable=False)
    total: Mapped[int | None] = mapped_column(Integer, comment="Total score (authors': as published; registry: under the instrument's own rule for unknown items).")
    total_min: Mapped[int | None] = mapped_column(Integer, comment="Lowest total still possible given unknown items (registry only).")
    total_max: Mapped[int | None] = mapped_column(Integer, comment="Highest total still possible given unknown items (registry only).")
    category: Mapped[str | None] = mapped_column(Text, comment="Category for total (e.g. possible, probable).")
    category_range: Mapped[str | None] = mapped_column(Text, comment="Categories spanned by total_min..total_max (e.g. possible-probable).")
    notes: Mapped[str | None] = mapped_column(Text, comment="Notes, e.g. where the authors' items do not add up to their total.")

    items: Mapped[list["AssessmentItem"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="AssessmentItem.item_code"
    )


class AssessmentItem(Base):
    __tablename__ = "assessment_items"
    __table_args__ = (
        UniqueConstraint("assessment_id", "item_code"),
        {"comment": "Item-level answers of an assessment: the answer, its points and the facts it rests on."},
    )

    id: Mapped[intpk]
    assessment_id: Mapped[int] = parent("assessments.id", "The assessment.")
    item_code: Mapped[str] = mapped_column(String(60), comment="Item code within the instrument (e.g. fever, eosinophilia, q5).")
    answer: Mapped[str | None] = mapped_column(String(40), comment="Answer code (e.g. yes, no, unknown, level_2).")
    points: Mapped[int | None] = mapped_column(Integer, comment="Points this answer gives.")
    points_min: Mapped[int | None] = mapped_column(Integer, comment="Lowest points possible for an unknown item.")
    points_max: Mapped[int | None] = mapped_column(Integer, comment="Highest points possible for an unknown item.")
    basis: Mapped[str | None] = mapped_column(Text, comment="The facts the answer comes from, or the authors' wording (paraphrased).")
