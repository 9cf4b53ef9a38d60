"""The PRISMA 2020 flow counts, computed from the intake and screening tables (never typed in).

`prisma_counts(conn)` reads searches, search_records, candidates, screening_decisions, and the
publications and cases they lead to, from a working database or a published file (which holds the
same tables). The current decision of a candidate at a stage is the one recorded last
(`latest_decisions`, shared with registry.ingest.screening).

How the boxes of the PRISMA 2020 diagram are counted:

* records identified: search records, per source (the `--source` of each intake);
* removed before screening: duplicate records (a record naming a work an earlier record named), and
  records of works already in the registry when they were found;
* records screened: candidates with a title/abstract include or exclude; records excluded: the excludes;
  candidates with no decision or a pending one are "awaiting screening";
* reports sought for retrieval: title/abstract includes; not retrieved: full-text excludes with reason
  not_retrievable; assessed for eligibility: the other full-text includes and excludes; reports excluded,
  per reason: those excludes; "awaiting assessment": sought, with no full-text decision or a pending one;
* reports included: full-text includes; of them, in the registry: linked to a publication; cases
  included: the (non-synthetic) cases of those publications;
* the registry as a whole: its publications and cases; those not reached through screening (loaded
  without a search that found them, or works already in when found) are "already in the registry".
  The seed carries its own searches and decisions (registry.ingest.seedtrail), so its publications
  are reached through screening.

Every count is a count of rows; the identities between them hold by construction, and
`PrismaCounts.check()` asserts them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Select, and_, distinct, func, select
from sqlalchemy.engine import Connection

from registry.schema.models.tables import CA, CP, SD, SE, SR, C, P
from registry.schema.vocabulary import VOCABULARIES, ExclusionReason, ScreeningDecisionCode, ScreeningStage


def latest_decisions() -> Select:
    """The ids of the current decisions: per candidate and stage, the decision recorded last."""
    return select(func.max(SD.c.id)).group_by(SD.c.candidate_id, SD.c.stage)


@dataclass
class SourceCount:
    source: str
    records: int
    searched_from: str | None
    searched_to: str | None


@dataclass
class PrismaCounts:
    sources: list[SourceCount] = field(default_factory=list)
    records_identified: int = 0
    duplicates_removed: int = 0
    already_in_registry: int = 0
    records_screened: int = 0
    records_excluded: int = 0
    awaiting_screening: int = 0
    reports_sought: int = 0
    reports_not_retrieved: int = 0
    reports_assessed: int = 0
    reports_excluded: dict[str, int] = field(default_factory=dict)
    awaiting_assessment: int = 0
    reports_included: int = 0
    included_in_registry: int = 0
    cases_included: int = 0
    registry_publications: int = 0
    registry_cases: int = 0
    previous_publications: int = 0
    previous_cases: int = 0

    @property
    def reports_excluded_total(self) -> int:
        return sum(self.reports_excluded.values())

    def check(self) -> None:
        """The identities of the flow; a failure is a bug in the counting, not in the data."""
        assert self.records_identified == sum(s.records for s in self.sources)
        screenable = self.records_identified - self.duplicates_removed - self.already_in_registry
        assert screenable == self.records_screened + self.awaiting_screening
        assert self.records_screened == self.records_excluded + self.reports_sought
        assert self.reports_sought == (self.reports_not_retrieved + self.reports_assessed + self.awaiting_assessment)
        assert self.reports_assessed == self.reports_excluded_total + self.reports_included

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["reports_excluded_total"] = self.reports_excluded_total
        out["reports_excluded"] = [
            {"reason": code, "label": VOCABULARIES["exclusion_reason"].label(code), "reports": n}
            for code, n in self.reports_excluded.items()
        ]
        return out


def _scalar(conn: Connection, query) -> int:
    return int(conn.execute(query).scalar_one() or 0)


def _not_synthetic(col):
    return col.is_(False)


def prisma_counts(conn: Connection) -> PrismaCounts:
    n = PrismaCounts()
    for r in conn.execute(
        select(SE.c.source, func.count(SR.c.id), func.min(SE.c.searched_on), func.max(SE.c.searched_on))
        .select_from(SE.join(SR, SR.c.search_id == SE.c.id)).group_by(SE.c.source).order_by(SE.c.source)
    ):
        low, high = (str(d)[:10] if d is not None else None for d in (r[2], r[3]))
        n.sources.append(SourceCount(r[0], int(r[1]), low, high))
    n.records_identified = sum(s.records for s in n.sources)
    n.duplicates_removed = _scalar(conn, select(func.count()).select_from(SR).where(SR.c.is_duplicate.is_(True)))
    n.already_in_registry = _scalar(conn, select(func.count()).select_from(CA).where(CA.c.in_registry_at_intake.is_(True)))

    current = select(SD.c.candidate_id, SD.c.stage, SD.c.decision, SD.c.reason).where(
        SD.c.id.in_(latest_decisions().scalar_subquery())).subquery()
    tallies: dict[tuple[str, str, str | None], int] = {}
    for stage, decision, reason, count in conn.execute(
        select(current.c.stage, current.c.decision, current.c.reason, func.count())
        .select_from(current.join(CA, CA.c.id == current.c.candidate_id))
        .where(CA.c.in_registry_at_intake.is_(False))
        .group_by(current.c.stage, current.c.decision, current.c.reason)
    ):
        tallies[(stage, decision, reason)] = int(count)

    def tally(stage: str, decision: str) -> int:
        return sum(v for (s, d, _), v in tallies.items() if s == stage and d == decision)

    ta, ft = ScreeningStage.TITLE_ABSTRACT, ScreeningStage.FULL_TEXT
    include, exclude = ScreeningDecisionCode.INCLUDE, ScreeningDecisionCode.EXCLUDE
    screenable = _scalar(conn, select(func.count()).select_from(CA).where(CA.c.in_registry_at_intake.is_(False)))
    n.records_excluded = tally(ta, exclude)
    n.reports_sought = tally(ta, include)
    n.records_screened = n.records_excluded + n.reports_sought
    n.awaiting_screening = screenable - n.records_screened
    n.reports_not_retrieved = tallies.get((ft, exclude, ExclusionReason.NOT_RETRIEVABLE), 0)
    n.reports_excluded = {
        code: tallies[(ft, exclude, code)] for code in VOCABULARIES["exclusion_reason"].codes
        if code != ExclusionReason.NOT_RETRIEVABLE and tallies.get((ft, exclude, code))
    }
    n.reports_included = tally(ft, include)
    n.reports_assessed = n.reports_excluded_total + n.reports_included
    n.awaiting_assessment = n.reports_sought - n.reports_not_retrieved - n.reports_assessed

    included = (select(CA.c.publication_id)
                .join(current, and_(current.c.candidate_id == CA.c.id, current.c.stage == ft, current.c.decision == include))
                .where(CA.c.publication_id.is_not(None), CA.c.in_registry_at_intake.is_(False)))
    n.included_in_registry = _scalar(conn, select(func.count(distinct(included.subquery().c.publication_id))))
    real_cases = CP.join(C, C.c.id == CP.c.case_id)
    n.cases_included = _scalar(conn, select(func.count(distinct(CP.c.case_id))).select_from(real_cases)
                               .where(CP.c.publication_id.in_(included.scalar_subquery()), _not_synthetic(C.c.is_synthetic)))
    n.registry_publications = _scalar(conn, select(func.count()).select_from(P).where(_not_synthetic(P.c.is_synthetic)))
    n.registry_cases = _scalar(conn, select(func.count()).select_from(C).where(_not_synthetic(C.c.is_synthetic)))
    n.previous_publications = n.registry_publications - n.included_in_registry
    n.previous_cases = n.registry_cases - n.cases_included
    n.check()
    return n
