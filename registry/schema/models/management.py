"""What was done and how it ended: treatments of the reaction, procedures and the outcome."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.core.db import Base
from registry.core.types import intpk
from registry.schema.models._columns import DAY_MAX, bounded_checks, coded, day, day_checks, days, drug_reference, order, parent


class Treatment(Base):
    __tablename__ = "treatments"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        CheckConstraint("dose_value IS NULL OR dose_value > 0", name="dose_positive"),
        *day_checks("treatments", "start_day", "stop_day"),
        {"comment": "Treatments given for the reaction (agent, dose, route, when, response)."},
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = parent("cases.id", "The case.")
    seq: Mapped[int] = order("Order of the treatment within the case.")
    drug_id: Mapped[int | None] = drug_reference("The agent, when it is a drug.", field="drug", nullable=True)
    category: Mapped[str] = coded("treatment_category", "Kind of treatment.", nullable=False)
    dose_value: Mapped[float | None] = mapped_column(Float, comment="Dose per administration, in dose_unit.", info={"gt": 0})
    dose_unit: Mapped[str | None] = coded("dose_unit", "Unit of dose_value.")
    route: Mapped[str | None] = coded("route", "Route of administration.")
    start_day: Mapped[int | None] = day("First day of the treatment.")
    stop_day: Mapped[int | None] = day("Last day of the treatment.")
    response: Mapped[str | None] = coded("treatment_response", "How the reaction responded.")
    notes: Mapped[str | None] = mapped_column(Text, comment="Curator's notes (paraphrased).")
    # Added after the first release: columns are only ever added at the end of a table (the export's promise).
    start_is_approximate: Mapped[bool | None] = mapped_column(
        comment="True when the start day comes from an approximate statement (e.g. 'about two weeks later').")
    stop_is_approximate: Mapped[bool | None] = mapped_column(
        comment="True when the stop day comes from an approximate statement.")

    drug: Mapped["Drug | None"] = relationship()  # noqa: F821


class Procedure(Base):
    __tablename__ = "procedures"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        *day_checks("procedures", "start_day"),
        *bounded_checks(("duration_sane", "duration_days", 0, DAY_MAX)),
        {"comment": "Procedures for the reaction or its complications: transplant, dialysis, intensive care, "
                    "ventilation and other organ support (immunoglobulin and corticosteroids are treatments)."},
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = parent("cases.id", "The case.")
    seq: Mapped[int] = order("Order of the procedure within the case.")
    procedure: Mapped[str] = coded("procedure", "The procedure.", nullable=False)
    start_day: Mapped[int | None] = day("First day of the procedure (the day of a transplant, admission to intensive care).")
    start_is_approximate: Mapped[bool | None] = mapped_column(
        comment="True when the start day comes from an approximate statement.")
    duration_days: Mapped[int | None] = days("How many days it lasted (a stay in intensive care, a course of dialysis).")
    detail: Mapped[str | None] = mapped_column(Text, comment="Short paraphrase of what the source says (indication, course).")


class CaseOutcome(Base):
    __tablename__ = "case_outcomes"
    __table_args__ = (
        *bounded_checks(("resolution_sane", "time_to_resolution_days", 0, DAY_MAX), ("follow_up_sane", "follow_up_days", 0, DAY_MAX)),
        *day_checks("case_outcomes", "resolution_day"),
        {"comment": "Outcome of the reaction at last follow-up (E2B E.i.7), time to resolution, death, and what became of the suspect therapy."},
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, comment="The case.")
    reaction_outcome: Mapped[str | None] = coded("reaction_outcome", "Outcome of the reaction at last follow-up.")
    resolution_day: Mapped[int | None] = day("Day the reaction resolved.")
    time_to_resolution_days: Mapped[int | None] = days("Days from onset (or from withdrawal, see notes) to resolution.")
    follow_up_days: Mapped[int | None] = days("Days of follow-up after onset.")
    death: Mapped[bool | None] = mapped_column(Boolean, comment="True if the patient died during follow-up, whatever the cause.")
    therapy_fate: Mapped[str | None] = coded("therapy_fate", "What became of the suspect therapy.")
    switched_to_drug_id: Mapped[int | None] = drug_reference("Drug that replaced the suspect drug, if any.", field="switched_to",
                                                               nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, comment="Curator's notes (paraphrased).")

    switched_to: Mapped["Drug | None"] = relationship()  # noqa: F821
