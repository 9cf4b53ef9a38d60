"""The stored facts a score is computed from, read once per case.

`CaseFacts` is a plain dataclass so that the facts-to-answers functions can
be tested (and reasoned about) without a database: the loader is the only
code here that knows about tables. Each fact keeps its row id so that an
answer's basis can point back at the exact row it rests on. The facts
themselves are named tuples: immutable, and several times cheaper to build
than frozen dataclasses when a publish reads hundreds of thousands of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection, Row

from registry.schema.models import (
    Case,
    CaseOutcome,
    ChallengeEvent,
    Drug,
    DrugExposure,
    Finding,
    Investigation,
    LabResult,
)
from registry.schema.vocabulary import PER_UL_FACTORS, SUSPECT_ROLES, VOCABULARIES, Analyte, Comparator, LabUnit

UNKNOWN_STATUSES = frozenset(t.code for t in VOCABULARIES["finding_status"].terms if t.missing)
"""Finding statuses that say nothing about the finding itself."""

"""Exposure roles a causality instrument (Naranjo) is scored for."""

_INVESTIGATION_CATEGORY = {t.code: t.category for t in VOCABULARIES["investigation"].terms}
"""Test code -> vocabulary category, looked up once: rules ask it of every test of every case."""


def _day_text(day: int | None, approximate: bool | None = False) -> str:
    if day is None:
        return ""
    return f" day {'~' if approximate else ''}{day}"


class FindingFact(NamedTuple):
    id: int | None
    code: str
    status: str
    day: int | None = None
    detail: str | None = None

    def describe(self) -> str:
        return f"findings.{self.code} = {self.status}"


class LabFact(NamedTuple):
    id: int | None
    analyte: str
    value: float
    unit: str
    comparator: str = Comparator.EQ
    day: int | None = None
    day_is_approximate: bool | None = False
    time_point: str | None = None
    seq: int | None = None

    def describe(self) -> str:
        comp = "" if self.comparator == Comparator.EQ else self.comparator
        ref = f"lab_results #{self.id}" if self.id is not None else "lab_results"
        where = _day_text(self.day, self.day_is_approximate) or (f" ({self.time_point})" if self.time_point else "")
        return f"{ref} {self.analyte} {comp}{self.value:g} {self.unit}{where}"

    def per_ul(self) -> float | None:
        """The value in cells per µL, or None when the unit is not a count."""
        factor = PER_UL_FACTORS.get(self.unit)
        # Rounding absorbs float noise such as 1.499 * 1000 = 1498.9999999999998.
        return None if factor is None else round(self.value * factor, 6)

    def same_time_point(self, other: LabFact) -> bool:
        """Same sample: the same day, or the same labelled time point."""
        if self.day is not None and other.day is not None:
            return self.day == other.day
        return self.time_point is not None and self.time_point == other.time_point


class InvestigationFact(NamedTuple):
    id: int | None
    test: str
    result: str | None
    day: int | None = None

    @property
    def category(self) -> str | None:
        return _INVESTIGATION_CATEGORY[self.test]

    def describe(self) -> str:
        ref = f"investigations #{self.id}" if self.id is not None else "investigations"
        return f"{ref} {self.test} {self.result or 'result not recorded'}"


class ChallengeFact(NamedTuple):
    id: int | None
    challenge_type: str
    result: str | None
    start_day: int | None = None
    premedication: str | None = None

    def describe(self) -> str:
        ref = f"challenge_events #{self.id}" if self.id is not None else "challenge_events"
        return f"{ref} {self.challenge_type} result = {self.result or 'not recorded'}"


class ExposureFact(NamedTuple):
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


class OutcomeFact(NamedTuple):
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
    counts = [(lab, v) for lab in facts.labs_of(Analyte.EOSINOPHILS_ABS) if (v := lab.per_ul()) is not None]
    return max(counts, key=lambda lv: lv[1]) if counts else None


def leukocytes_below(lab: LabFact, limit_per_ul: float) -> bool:
    """True only when the value is certainly below the limit."""
    v = lab.per_ul()
    if v is None:
        return False
    if lab.comparator in (Comparator.EQ, Comparator.LE):
        return v < limit_per_ul
    if lab.comparator == Comparator.LT:
        return v <= limit_per_ul
    return False  # ">" or ">=": could be anything above


def eosinophil_percentages(facts: CaseFacts) -> list[tuple[LabFact, LabFact | None]]:
    """Each eosinophil percentage with a leukocyte count from the same sample.

    The leukocyte count is the lowest one recorded at that time point, or None
    when no count was recorded there; whether the percentage route applies is
    the caller's rule to decide.
    """
    leukocytes = [lab for lab in facts.labs_of(Analyte.LEUKOCYTES) if lab.per_ul() is not None]
    out: list[tuple[LabFact, LabFact | None]] = []
    for pct in facts.labs_of(Analyte.EOSINOPHILS_PCT):
        if pct.unit != LabUnit.PERCENT:
            continue
        same = [w for w in leukocytes if w.same_time_point(pct)]
        out.append((pct, min(same, key=lambda w: w.per_ul() or 0.0) if same else None))
    return out


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def load_cases_facts(conn: Connection, case_ids: Iterable[int] | None = None) -> dict[int, CaseFacts]:
    """Facts for many cases, by case id.

    Given ids are read with a handful of queries per 500 cases. None means
    every case: then each table is read whole, once, with no id list at all
    (a publish scores every case, and an IN list only costs parameters).
    """
    out: dict[int, CaseFacts] = {}
    if case_ids is None:
        _load(conn, None, out)
        return out
    for chunk in _chunks(sorted(set(case_ids))):
        _load(conn, chunk, out)
    return out


_FETCH = 5000
"""Rows fetched per round trip to the driver: row-at-a-time iteration costs
more than the query itself at hundreds of thousands of rows."""


def _rows(conn: Connection, stmt: Select, case_column: Any, ids: Sequence[int] | None) -> Iterator[Row]:
    """Rows of `stmt`, limited to the cases `ids` unless None (every case),
    fetched in batches. Callers unpack them as tuples (no attribute lookups)."""
    result = conn.execute(stmt if ids is None else stmt.where(case_column.in_(ids)))
    for batch in result.partitions(_FETCH):
        yield from batch


def _load(conn: Connection, ids: Sequence[int] | None, out: dict[int, CaseFacts]) -> None:
    """Add the facts of the cases `ids` (every case when None) to `out`."""
    c = Case.__table__
    stmt = select(c.c.id, c.c.case_key, c.c.onset_day, c.c.onset_is_approximate).order_by(c.c.id)
    for case_id, case_key, onset_day, approximate in _rows(conn, stmt, c.c.id, ids):
        out[case_id] = CaseFacts(case_id, case_key, onset_day, bool(approximate))

    f = Finding.__table__
    stmt = select(f.c.case_id, f.c.id, f.c.finding, f.c.status, f.c.day, f.c.detail).order_by(f.c.id)
    for case_id, id_, code, status, day, detail in _rows(conn, stmt, f.c.case_id, ids):
        out[case_id].findings[code] = FindingFact(id_, code, status, day, detail)

    lab = LabResult.__table__
    stmt = select(
        lab.c.case_id, lab.c.id, lab.c.analyte, lab.c.value, lab.c.unit, lab.c.comparator, lab.c.day,
        lab.c.day_is_approximate, lab.c.time_point, lab.c.seq,
    ).order_by(lab.c.case_id, lab.c.seq)
    rows = _rows(conn, stmt, lab.c.case_id, ids)
    for case_id, id_, analyte, value, unit, comparator, day, approximate, time_point, seq in rows:
        out[case_id].labs.append(LabFact(id_, analyte, value, unit, comparator or Comparator.EQ, day, approximate, time_point, seq))

    inv = Investigation.__table__
    stmt = select(inv.c.case_id, inv.c.id, inv.c.test, inv.c.result, inv.c.day).order_by(inv.c.case_id, inv.c.id)
    for case_id, id_, test, result, day in _rows(conn, stmt, inv.c.case_id, ids):
        out[case_id].investigations.append(InvestigationFact(id_, test, result, day))

    o = CaseOutcome.__table__
    stmt = select(o.c.case_id, o.c.reaction_outcome, o.c.time_to_resolution_days, o.c.follow_up_days, o.c.resolution_day)
    for case_id, *outcome in _rows(conn, stmt, o.c.case_id, ids):
        out[case_id].outcome = OutcomeFact(*outcome)

    e, d, ch = DrugExposure.__table__, Drug.__table__, ChallengeEvent.__table__
    # Challenges are selected through their exposure's case, so no list of
    # exposure ids is sent back to the database.
    stmt = (
        select(ch.c.exposure_id, ch.c.id, ch.c.challenge_type, ch.c.result, ch.c.start_day, ch.c.premedication)
        .join(e, e.c.id == ch.c.exposure_id)
        .order_by(ch.c.exposure_id, ch.c.seq)
    )
    challenges: dict[int, list[ChallengeFact]] = {}
    for exposure_id, *challenge in _rows(conn, stmt, e.c.case_id, ids):
        challenges.setdefault(exposure_id, []).append(ChallengeFact(*challenge))
    stmt = (
        select(e.c.case_id, e.c.id, d.c.name, e.c.role, e.c.seq, e.c.start_day, e.c.stop_day, e.c.dechallenge_result)
        .join(d, d.c.id == e.c.drug_id)
        .order_by(e.c.case_id, e.c.seq)
    )
    for case_id, id_, *exposure in _rows(conn, stmt, e.c.case_id, ids):
        out[case_id].exposures.append(ExposureFact(id_, *exposure, tuple(challenges.get(id_, ()))))


def load_case_facts(conn: Connection, case_id: int) -> CaseFacts:
    """Facts for one case; KeyError when there is no such case."""
    facts = load_cases_facts(conn, [case_id])
    if case_id not in facts:
        raise KeyError(f"no case with id {case_id}")
    return facts[case_id]
