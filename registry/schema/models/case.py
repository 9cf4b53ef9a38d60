"""Cases (one patient episode of DRESS) and their links to publications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.core.db import Base
from registry.core.types import intpk
from registry.schema.models._columns import AGE_MAX_YEARS, coded, day, day_checks
from registry.schema.vocabulary import AgeUnit


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(
            f"age_value IS NULL OR (age_value >= 0 AND (age_unit <> '{AgeUnit.YEARS}' OR age_value <= {AGE_MAX_YEARS}))",
            name=f"age_0_{AGE_MAX_YEARS}_years",
        ),
        CheckConstraint("(age_value IS NULL) = (age_unit IS NULL)", name="age_value_has_unit"),
        *day_checks("cases", "onset_day"),
        {"comment": "One patient's episode of drug-induced DRESS as published. Relative days count from day 1 = first dose of the suspect drug."},
    )

    id: Mapped[intpk]
    case_key: Mapped[str] = mapped_column(String(80), unique=True, comment="Stable public key, e.g. park2021-1 (publication key + case number in it).")
    label_in_source: Mapped[str | None] = mapped_column(Text, comment="How the primary report refers to the patient (e.g. 'Case 2').")
    age_value: Mapped[float | None] = mapped_column(Float, comment="Age at onset, in age_unit. NULL when unknown (see evidence for why).")
    age_unit: Mapped[str | None] = coded("age_unit", "Unit of age_value.")
    age_is_approximate: Mapped[bool] = mapped_column(Boolean, default=False, comment="True when the source gives an approximate age (e.g. 'in her sixties').")
    sex: Mapped[str | None] = coded("sex", "Sex of the patient. NULL when unknown.")
    country: Mapped[str | None] = mapped_column(String(2), index=True, comment="Country where the patient was treated (ISO 3166-1 alpha-2). NULL when unknown.")
    diagnosis_as_reported: Mapped[str | None] = mapped_column(Text, comment="The diagnosis in the authors' terms (paraphrased).")
    registry_diagnosis: Mapped[str | None] = coded("registry_diagnosis", "The registry's judgement of the diagnosis.")
    day1_anchor: Mapped[str] = mapped_column(Text, comment="What day 1 is for this case (normally the first dose of the suspect drug), in words.")
    onset_day: Mapped[int | None] = day("First signs of the reaction.")
    onset_is_approximate: Mapped[bool] = mapped_column(Boolean, default=False, comment="True when the onset day comes from an approximate statement (e.g. 'two weeks later').")
    summary: Mapped[str | None] = mapped_column(Text, comment="Curator's short paraphrase of the case.")
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False, comment="True for benchmark data made by `dress-registry synth`.")
    row_version: Mapped[int] = mapped_column(Integer, default=1, comment="Optimistic-lock counter: bumped on every edit so concurrent edits are detected.")
    facts_changed_at: Mapped[datetime | None] = mapped_column(
        DateTime,
        comment="When a write path (seed, import, edit) last changed this case or a row of its record (UTC). "
                "Publish re-scores only the cases whose time differs from the one its previous build scored; "
                "NULL (never set) means always re-score.",
    )

    __mapper_args__ = {"version_id_col": row_version}

    publications: Mapped[list["CasePublication"]] = relationship(back_populates="case", cascade="all, delete-orphan", passive_deletes=True)
    exposures: Mapped[list["DrugExposure"]] = relationship(  # noqa: F821
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True, order_by="DrugExposure.seq"
    )
    findings: Mapped[list["Finding"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)  # noqa: F821
    investigations: Mapped[list["Investigation"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)  # noqa: F821
    labs: Mapped[list["LabResult"]] = relationship(  # noqa: F821
        cascade="all, delete-orphan", passive_deletes=True, order_by="LabResult.seq"
    )
    treatments: Mapped[list["Treatment"]] = relationship(  # noqa: F821
        cascade="all, delete-orphan", passive_deletes=True, order_by="Treatment.seq"
    )
    genetic_tests: Mapped[list["GeneticTest"]] = relationship(  # noqa: F821
        cascade="all, delete-orphan", passive_deletes=True, order_by="GeneticTest.seq"
    )
    procedures: Mapped[list["Procedure"]] = relationship(  # noqa: F821
        cascade="all, delete-orphan", passive_deletes=True, order_by="Procedure.seq"
    )
    outcome: Mapped["CaseOutcome | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)  # noqa: F821
    assessments: Mapped[list["Assessment"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)  # noqa: F821
    evidence: Mapped[list["Evidence"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)  # noqa: F821


class CasePublication(Base):
    __tablename__ = "case_publications"
    __table_args__ = {"comment": "Which publications report or summarise each case, and in what role."}

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, comment="The case.")
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True, index=True, comment="The publication."
    )
    role: Mapped[str] = coded("case_link_role", "Role of the publication for this case.", nullable=False)
    label_in_publication: Mapped[str | None] = mapped_column(Text, comment="How this publication refers to the case (e.g. 'ref. 16').")

    case: Mapped[Case] = relationship(back_populates="publications")
    publication: Mapped["Publication"] = relationship()  # noqa: F821
