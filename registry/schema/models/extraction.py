"""Dual extraction: who extracted a publication, how far two independent extractions agreed, what was adjudicated.

A seed document's `extraction:` block (registry/cases/seedschema.py) is
loaded here, one report per publication: the curators who extracted it (one,
or two for a dual extraction), the adjudicator, the agreement per field kind
(`dress-registry compare`) and every adjudicated difference
(`dress-registry adjudicate`). The overruled values themselves are kept where
source disagreements are: as non-curated evidence rows.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.core.db import Base
from registry.core.types import intpk
from registry.schema.models._columns import coded, order, parent


class ExtractionReport(Base):
    __tablename__ = "extraction_reports"
    __table_args__ = (
        CheckConstraint("fields_compared IS NULL OR fields_compared >= 0", name="fields_compared_sane"),
        CheckConstraint("fields_differing IS NULL OR fields_differing >= 0", name="fields_differing_sane"),
        {"comment": "How a publication was extracted: by whom, twice independently or once, and who adjudicated the differences."},
    )

    id: Mapped[intpk]
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), unique=True, comment="The publication extracted."
    )
    extractor: Mapped[str] = mapped_column(Text, comment="Curator who extracted the publication (the first of two for a dual extraction).")
    second_extractor: Mapped[str | None] = mapped_column(Text, comment="Curator of the second, independent extraction (NULL: extracted once).")
    adjudicator: Mapped[str | None] = mapped_column(Text, comment="Who settled the differences between the two extractions.")
    adjudicated_on: Mapped[date | None] = mapped_column(Date, comment="Date of the adjudication.")
    fields_compared: Mapped[int | None] = mapped_column(Integer, info={"ge": 0}, comment="Fields the two extractions were compared on (at least one gave a value or a status).")
    fields_differing: Mapped[int | None] = mapped_column(Integer, info={"ge": 0}, comment="Fields where they differed (value, status or locator, and records in one only).")


class ExtractionAgreement(Base):
    __tablename__ = "extraction_agreement"
    __table_args__ = (
        UniqueConstraint("report_id", "kind"),
        CheckConstraint("compared >= 0", name="compared_sane"),
        CheckConstraint("agreed >= 0 AND agreed <= compared", name="agreed_sane"),
        CheckConstraint("kappa IS NULL OR (kappa >= -1 AND kappa <= 1)", name="kappa_sane"),
        {"comment": "Agreement between two independent extractions of a publication, per field kind (`dress-registry compare`)."},
    )

    id: Mapped[intpk]
    report_id: Mapped[int] = parent("extraction_reports.id", "The extraction report.")
    kind: Mapped[str] = coded("agreement_kind", "Kind of field.", nullable=False)
    compared: Mapped[int] = mapped_column(Integer, info={"ge": 0}, comment="Fields of this kind compared.")
    agreed: Mapped[int] = mapped_column(Integer, info={"ge": 0}, comment="Fields of this kind on which the two extractions agreed.")
    kappa: Mapped[float | None] = mapped_column(Float, info={"ge": -1, "le": 1}, comment="Cohen's kappa (coded and yes/no fields; NULL where undefined or not categorical).")


class ExtractionDecision(Base):
    __tablename__ = "extraction_decisions"
    __table_args__ = (
        UniqueConstraint("report_id", "seq"),
        {"comment": "Each difference between two extractions and how it was adjudicated, with the reason (`dress-registry adjudicate`)."},
    )

    id: Mapped[intpk]
    report_id: Mapped[int] = parent("extraction_reports.id", "The extraction report.")
    seq: Mapped[int] = order("Position of the decision in the report.")
    case_key: Mapped[str | None] = mapped_column(Text, comment="Case the difference is in (NULL for the publication's own fields).")
    record: Mapped[str] = mapped_column(Text, comment="Record the difference is in, e.g. cases[park2021-1].labs[eosinophils_abs day 29].")
    field: Mapped[str | None] = mapped_column(String(60), comment="Field that differed (NULL for a whole record).")
    aspect: Mapped[str] = coded("extraction_aspect", "What differed: value, status, locator or the whole record.", nullable=False)
    kept_from: Mapped[str] = mapped_column(Text, comment="Curator whose extraction the curated record follows here.")
    kept: Mapped[str | None] = mapped_column(Text, comment="The kept value, status or locator, as text (NULL: none, e.g. a record left out).")
    overruled: Mapped[str | None] = mapped_column(Text, comment="The other curator's value, status or locator, as text.")
    reason: Mapped[str] = mapped_column(Text, comment="Why the adjudicator kept it.")
