"""Drugs, exposures to them, dose regimens and challenge events.

This is where a case's drug history lives: a suspect drug stopped,
re-introduced through a desensitisation protocol (its steps in
challenge_steps), escalated for progression, then replaced by another drug.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.core.db import Base
from registry.core.types import intpk
from registry.schema.models._columns import (
    DAY_MAX,
    MINUTES_PER_DAY,
    PROTOCOL_DAY_MAX,
    bounded_checks,
    coded,
    day,
    day_checks,
    drug_reference,
    order,
    parent,
)


#: The most hours a recurrence can take (a century, as for relative days).
RECURRENCE_HOURS_MAX = DAY_MAX * 24
#: CHECK recurrence_hours_sane: within bounds, and the same time as the days column when both are given.
RECURRENCE_HOURS_CHECK = (
    f"time_to_recurrence_hours IS NULL OR (time_to_recurrence_hours BETWEEN 0 AND {RECURRENCE_HOURS_MAX}"
    " AND (time_to_recurrence_days IS NULL OR time_to_recurrence_days = time_to_recurrence_hours / 24))"
)


class Drug(Base):
    __tablename__ = "drugs"
    __table_args__ = {"comment": "Substances, by normalised name (INN, lower case), with optional standard codes."}

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120), unique=True, comment="Normalised substance name (INN, lower case), e.g. imatinib.",
                                      info={"pattern": r"^[a-z0-9][a-z0-9 ()/-]*$", "lower_case": True})
    atc_code: Mapped[str | None] = mapped_column(String(10), comment="WHO ATC code.")
    unii: Mapped[str | None] = mapped_column(String(10), comment="FDA UNII.")
    rxcui: Mapped[str | None] = mapped_column(String(12), comment="RxNorm concept id.")
    drug_class: Mapped[str | None] = mapped_column(Text, comment="Pharmacological class, free text (e.g. BCR-ABL/KIT tyrosine kinase inhibitor).")


class DrugExposure(Base):
    __tablename__ = "drug_exposures"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        *day_checks("drug_exposures", "start_day", "stop_day"),
        CheckConstraint("stop_day IS NULL OR start_day IS NULL OR stop_day >= start_day", name="stop_after_start"),
        {"comment": "A patient's exposure to one drug within a case: role, indication, route, when it started and stopped, and what was done because of the reaction."},
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = parent("cases.id", "The case.")
    seq: Mapped[int] = order("Order of the exposure within the case (1, 2, ...).")
    drug_id: Mapped[int] = drug_reference("The drug.", field="drug", nullable=False)
    role: Mapped[str] = coded("exposure_role", "Role of the drug in the case.", nullable=False)
    indication: Mapped[str | None] = mapped_column(Text, index=True, comment="What the drug was given for (normalised disease name, e.g. chronic myeloid leukaemia).")
    route: Mapped[str | None] = coded("route", "Route of administration.")
    start_day: Mapped[int | None] = day("First dose of this exposure.")
    stop_day: Mapped[int | None] = day("Last dose of this exposure (NULL if ongoing or unknown).")
    action_taken: Mapped[str | None] = coded("action_taken", "What was done with the drug because of the reaction (E2B G.k.8).")
    dechallenge_result: Mapped[str | None] = coded("dechallenge_result", "Whether the reaction abated after stopping or reducing the drug.")
    notes: Mapped[str | None] = mapped_column(Text, comment="Curator's notes (paraphrased).")

    case: Mapped["Case"] = relationship(back_populates="exposures")  # noqa: F821
    drug: Mapped[Drug] = relationship()
    doses: Mapped[list["DoseRegimen"]] = relationship(
        back_populates="exposure", cascade="all, delete-orphan", passive_deletes=True, order_by="DoseRegimen.seq"
    )
    challenges: Mapped[list["ChallengeEvent"]] = relationship(
        back_populates="exposure", cascade="all, delete-orphan", passive_deletes=True, order_by="ChallengeEvent.seq"
    )


class DoseRegimen(Base):
    __tablename__ = "dose_regimens"
    __table_args__ = (
        UniqueConstraint("exposure_id", "seq"),
        CheckConstraint("dose_value IS NULL OR dose_value > 0", name="dose_positive"),
        CheckConstraint("interval_value IS NULL OR interval_value > 0", name="interval_positive"),
        *day_checks("dose_regimens", "start_day", "stop_day"),
        {"comment": "Ordered dose rows of one exposure (E2B G.k.4.r): each change of dose starts a new row."},
    )

    id: Mapped[intpk]
    exposure_id: Mapped[int] = parent("drug_exposures.id", "The exposure.")
    seq: Mapped[int] = order("Order of the row within the exposure.")
    dose_value: Mapped[float | None] = mapped_column(Float, comment="Dose per administration, in dose_unit.", info={"gt": 0})
    dose_unit: Mapped[str | None] = coded("dose_unit", "Unit of dose_value.")
    interval_value: Mapped[float | None] = mapped_column(Float, comment="Number of interval_unit between doses (1 d = once daily).",
                                                          info={"gt": 0})
    interval_unit: Mapped[str | None] = coded("time_unit", "Unit of interval_value.")
    start_day: Mapped[int | None] = day("First day of this dose.")
    stop_day: Mapped[int | None] = day("Last day of this dose.")
    reason: Mapped[str | None] = coded("dose_change_reason", "Why this dose row starts.")
    notes: Mapped[str | None] = mapped_column(Text, comment="Curator's notes (paraphrased).")
    # Added after the first release: columns are only ever added at the end of a table (the export's promise).
    start_is_approximate: Mapped[bool | None] = mapped_column(
        comment="True when the start day comes from an approximate statement (e.g. 'about two weeks later').")
    stop_is_approximate: Mapped[bool | None] = mapped_column(
        comment="True when the stop day comes from an approximate statement.")

    exposure: Mapped[DrugExposure] = relationship(back_populates="doses")


class ChallengeEvent(Base):
    __tablename__ = "challenge_events"
    __table_args__ = (
        UniqueConstraint("exposure_id", "seq"),
        CheckConstraint("time_to_recurrence_days IS NULL OR time_to_recurrence_days >= 0", name="recurrence_nonnegative"),
        CheckConstraint(RECURRENCE_HOURS_CHECK, name="recurrence_hours_sane"),
        *day_checks("challenge_events", "start_day"),
        {"comment": "Re-exposures to a drug: rechallenge, deliberate re-introduction, desensitisation, or continuing through the reaction; with premedication and result."},
    )

    id: Mapped[intpk]
    exposure_id: Mapped[int] = parent("drug_exposures.id", "The exposure re-started or continued.")
    seq: Mapped[int] = order("Order of the event within the exposure.")
    challenge_type: Mapped[str] = coded("challenge_type", "Kind of re-exposure.", nullable=False)
    start_day: Mapped[int | None] = day("First day of the re-exposure.")
    premedication: Mapped[str | None] = mapped_column(Text, comment="Drugs given to cover the re-exposure (e.g. antihistamine, low-dose prednisolone).")
    result: Mapped[str | None] = coded("challenge_result", "Result of the re-exposure. NULL when not reported (see evidence).")
    # No upper bound in the database: challenge_events has children, and replacing its CHECK means
    # rebuilding the table on SQLite, whose DROP would cascade to challenge_steps (migration 0007).
    time_to_recurrence_days: Mapped[int | None] = mapped_column(Integer, comment="Days from the start of the re-exposure to recurrence.",
                                                                   info={"ge": 0})
    notes: Mapped[str | None] = mapped_column(Text, comment="Curator's notes (paraphrased).")
    # Added after the first release, at the end of the table.
    day_is_approximate: Mapped[bool | None] = mapped_column(
        comment="True when the start day comes from an approximate statement (e.g. 'about two weeks later').")
    time_to_recurrence_hours: Mapped[int | None] = mapped_column(
        Integer, comment="Hours from the start of the re-exposure to recurrence, for recurrences within a day or two; "
                         "when time_to_recurrence_days is also given it is these hours in whole days (hours // 24).",
        info={"ge": 0, "le": RECURRENCE_HOURS_MAX})

    exposure: Mapped[DrugExposure] = relationship(back_populates="challenges")
    steps: Mapped[list["ChallengeStep"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ChallengeStep.step_number"
    )


class ChallengeStep(Base):
    __tablename__ = "challenge_steps"
    __table_args__ = (
        UniqueConstraint("challenge_id", "step_number"),
        CheckConstraint("dose_value > 0", name="dose_positive"),
        CheckConstraint(f"protocol_day BETWEEN 1 AND {PROTOCOL_DAY_MAX}", name="protocol_day_sane"),
        *bounded_checks(("interval_within_day", "interval_minutes", 0, MINUTES_PER_DAY)),
        {"comment": "Steps of a desensitisation or graded challenge: dose, protocol day and the interval after the previous step."},
    )

    id: Mapped[intpk]
    challenge_id: Mapped[int] = parent("challenge_events.id", "The challenge event.")
    step_number: Mapped[int] = order("Order of the step (1, 2, ...).")
    protocol_day: Mapped[int] = mapped_column(Integer, comment="Day of the protocol (day 1 = first step).",
                                              info={"ge": 1, "le": PROTOCOL_DAY_MAX})
    dose_value: Mapped[float] = mapped_column(Float, comment="Dose of this step, in dose_unit.", info={"gt": 0})
    dose_unit: Mapped[str] = coded("dose_unit", "Unit of dose_value.", nullable=False)
    interval_minutes: Mapped[int | None] = mapped_column(Integer, comment="Minutes after the previous step on the same protocol day.",
                                                            info={"ge": 0, "le": MINUTES_PER_DAY})
    notes: Mapped[str | None] = mapped_column(Text, comment="Curator's notes (paraphrased).")
