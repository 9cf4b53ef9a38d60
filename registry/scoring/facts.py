"""The stored facts a score is computed from, read once per case.

`CaseFacts` is a plain dataclass so that the facts-to-answers functions can
be tested (and reasoned about) without a database: the loader is the only
code here that knows about tables. Each fact keeps its row id so that an
answer's basis can point back at the exact row it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from registry.models import Case, CaseOutcome, ChallengeEvent, Drug, DrugExposure, Finding, Investigation, LabResult
from registry.vocabulary import VOCABULARIES

UNKNOWN_STATUSES = frozenset({"not_reported", "not_available"})
"""Finding statuses that say nothing about the finding itself."""

SUSPECT_ROLES = ("suspect", "co_suspect", "interacting")
"""Exposure roles a causality instrument (Naranjo) is scored for."""

_PER_UL_FACTOR = {"/uL": 1.0, "10*9/L": 1000.0}


def _day_text(day: int | None, approximate: bool | None = False) -> str:
    if day is None:
        return ""
    return f" day {'~' if approximate else ''}{day}"


@dataclass(frozen=True)
class FindingFact:
    id: int | None
    code: str
    status: str
    day: int | None = None
    detail: str | None = None

    def describe(self) -> str:
        return f"findings.{self.code} = {self.status}"


@dataclass(frozen=True)
class LabFact:
    id: int | None
    analyte: str
    value: float
    unit: str
    comparator: str = "="
    day: int | None = None
    day_is_approximate: bool | None = False
    time_point: str | None = None
    seq: int | None = None

    def describe(self) -> str:
        comp = "" if self.comparator == "=" else self.comparator
        ref = f"lab_results #{self.id}" if self.id is not None else "lab_results"
        where = _day_text(self.day, self.day_is_approximate) or (f" ({self.time_point})" if self.time_point else "")
        return f"{ref} {self.analyte} {comp}{self.value:g} {self.unit}{where}"

    def per_ul(self) -> float | None:
        """The value in cells per µL, or None when the unit is not a count."""
        factor = _PER_UL_FACTOR.get(self.unit)
        # Rounding absorbs float noise such as 1.499 * 1000 = 1498.9999999999998.
        return None if factor is None else round(self.value * factor, 6)

    def same_time_point(self, other: LabFact) -> bool:
        """Same sample: the same day, or the same labelled time point."""
        if self.day is not None and other.day is not None:
            return self.day == other.day
        return self.time_point is not None and self.time_point == other.time_point


@dataclass(frozen=True)
class InvestigationFact:
    id: int | None
    test: str
    result: str | None
    day: int | None = None

    @property
    def category(self) -> str | None:
        return VOCABULARIES["investigation"].term(self.test).category

    def describe(self) -> str:
        ref = f"investigations #{self.id}" if self.id is not None else "investigations"
        return f"{ref} {self.test} {self.result or 'result not recorded'}"


@dataclass(frozen=True)
class ChallengeFact:
    id: int | None
    challenge_type: str
    result: str | None
    start_day: int | None = None
    premedication: str | None = None

    def describe(self) -> str:
        ref = f"challenge_events #{self.id}" if self.id is not None else "challenge_events"
        return f"{ref} {self.challenge_type} result = {self.result or 'not recorded'}"


@dataclass(frozen=True)
class ExposureFact:
    id: int | None
    drug: str
    role: str
    seq: int = 1
    start_day: int | None = None
    stop_day: int | None = None
    dechallenge_result: str | None = None
    challenges: tuple[ChallengeFact, ...] = ()

    @property
    def is_suspect(self) -> bool:
        return self.role in SUSPECT_ROLES

    def describe(self) -> str:
        ref = f"drug_exposures #{self.id}" if self.id is not None else "drug_exposures"
        return f"{ref} {self.drug}"


@dataclass(frozen=True)
class OutcomeFact:
    reaction_outcome: str | None = None
    time_to_resolution_days: int | None = None
    follow_up_days: int | None = None
    resolution_day: int | None = None


@dataclass
class CaseFacts:
    """Everything the registry's scores are computed from, for one case."""

    case_id: int | None
    case_key: str
    onset_day: int | None = None
    onset_is_approximate: bool = False
    findings: dict[str, FindingFact] = field(default_factory=dict)
    labs: list[LabFact] = field(default_factory=list)
    investigations: list[InvestigationFact] = field(default_factory=list)
    exposures: list[ExposureFact] = field(default_factory=list)
    outcome: OutcomeFact | None = None

    def finding(self, code: str) -> FindingFact | None:
        return self.findings.get(code)

    def labs_of(self, analyte: str) -> list[LabFact]:
        return [lab for lab in self.labs if lab.analyte == analyte]

    @property
    def suspect_exposures(self) -> list[ExposureFact]:
        return [e for e in self.exposures if e.is_suspect]


def peak_eosinophils(facts: CaseFacts) -> tuple[LabFact, float] | None:
    """The highest absolute eosinophil count, in /µL, with its row."""
    counts = [(lab, v) for lab in facts.labs_of("eosinophils_abs") if (v := lab.per_ul()) is not None]
    return max(counts, key=lambda lv: lv[1]) if counts else None


def leukocytes_below(lab: LabFact, limit_per_ul: float) -> bool:
    """True only when the value is certainly below the limit."""
    v = lab.per_ul()
    if v is None:
        return False
    if lab.comparator in ("=", "<="):
        return v < limit_per_ul
    if lab.comparator == "<":
        return v <= limit_per_ul
    return False  # ">" or ">=": could be anything above


def eosinophil_percentages(facts: CaseFacts) -> list[tuple[LabFact, LabFact | None]]:
    """Each eosinophil percentage with a leukocyte count from the same sample.

    The leukocyte count is the lowest one recorded at that time point, or None
    when no count was recorded there; whether the percentage route applies is
    the caller's rule to decide.
    """
    leukocytes = [lab for lab in facts.labs_of("leukocytes") if lab.per_ul() is not None]
    out: list[tuple[LabFact, LabFact | None]] = []
    for pct in facts.labs_of("eosinophils_pct"):
        if pct.unit != "%":
            continue
        same = [w for w in leukocytes if w.same_time_point(pct)]
        out.append((pct, min(same, key=lambda w: w.per_ul() or 0.0) if same else None))
    return out


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def load_cases_facts(conn: Connection, case_ids: Iterable[int]) -> dict[int, CaseFacts]:
    """Facts for many cases with a handful of queries per 500 cases."""
    ids = sorted(set(case_ids))
    out: dict[int, CaseFacts] = {}
    for chunk in _chunks(ids):
        _load_chunk(conn, chunk, out)
    return out


def _load_chunk(conn: Connection, ids: Sequence[int], out: dict[int, CaseFacts]) -> None:
    c = Case.__table__
    for r in conn.execute(select(c.c.id, c.c.case_key, c.c.onset_day, c.c.onset_is_approximate).where(c.c.id.in_(ids))):
        out[r.id] = CaseFacts(r.id, r.case_key, r.onset_day, bool(r.onset_is_approximate))

    f = Finding.__table__
    for r in conn.execute(select(f).where(f.c.case_id.in_(ids)).order_by(f.c.id)):
        out[r.case_id].findings[r.finding] = FindingFact(r.id, r.finding, r.status, r.day, r.detail)

    lab = LabResult.__table__
    for r in conn.execute(select(lab).where(lab.c.case_id.in_(ids)).order_by(lab.c.case_id, lab.c.seq)):
        out[r.case_id].labs.append(
            LabFact(r.id, r.analyte, r.value, r.unit, r.comparator or "=", r.day, r.day_is_approximate, r.time_point, r.seq)
        )

    inv = Investigation.__table__
    for r in conn.execute(select(inv).where(inv.c.case_id.in_(ids)).order_by(inv.c.case_id, inv.c.id)):
        out[r.case_id].investigations.append(InvestigationFact(r.id, r.test, r.result, r.day))

    o = CaseOutcome.__table__
    for r in conn.execute(select(o).where(o.c.case_id.in_(ids))):
        out[r.case_id].outcome = OutcomeFact(r.reaction_outcome, r.time_to_resolution_days, r.follow_up_days, r.resolution_day)

    e, d, ch = DrugExposure.__table__, Drug.__table__, ChallengeEvent.__table__
    exposures = conn.execute(
        select(e, d.c.name.label("drug_name")).join(d, d.c.id == e.c.drug_id).where(e.c.case_id.in_(ids)).order_by(e.c.case_id, e.c.seq)
    ).all()
    challenges: dict[int, list[ChallengeFact]] = {}
    if exposures:
        for r in conn.execute(
            select(ch).where(ch.c.exposure_id.in_([x.id for x in exposures])).order_by(ch.c.exposure_id, ch.c.seq)
        ):
            challenges.setdefault(r.exposure_id, []).append(
                ChallengeFact(r.id, r.challenge_type, r.result, r.start_day, r.premedication)
            )
    for r in exposures:
        out[r.case_id].exposures.append(
            ExposureFact(
                r.id, r.drug_name, r.role, r.seq, r.start_day, r.stop_day, r.dechallenge_result,
                tuple(challenges.get(r.id, ())),
            )
        )


def load_case_facts(conn: Connection, case_id: int) -> CaseFacts:
    """Facts for one case; KeyError when there is no such case."""
    facts = load_cases_facts(conn, [case_id])
    if case_id not in facts:
        raise KeyError(f"no case with id {case_id}")
    return facts[case_id]
