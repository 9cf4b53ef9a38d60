"""Compute the registry's own scores from stored facts, and store them.

Registry rows (assessor = 'registry') are derived data: they are brought in
line with the freshly computed scores for the cases scored, in one
transaction, so a re-run after facts change can never leave a mix of old
and new items, and a re-run without changes writes nothing. Authors' rows
(assessor = 'authors') are the published record and are never touched.
Writes are Core executemany inserts: one statement per table, not one ORM
flush per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection, Engine

from registry.cases.scoring.definitions import Instrument, load_instruments
from registry.cases.scoring.engine import ScoreResult, score
from registry.cases.scoring.facts import CaseFacts, load_cases_facts
from registry.core.db import not_by_index
from registry.core.sync import SyncStats, gc_paused, sync_table
from registry.schema.models import Assessment, AssessmentItem
from registry.schema.vocabulary import VOCABULARIES, Assessor


@dataclass(frozen=True)
class RegistryScore:
    """One computed assessment: a case-level instrument, or one drug for a per-drug one."""

    case_id: int | None
    case_key: str
    instrument: Instrument
    exposure_id: int | None
    exposure_label: str | None
    result: ScoreResult


def computed_instruments() -> list[Instrument]:
    """Instruments the registry can answer from facts (those naming a deriver),
    case-level ones first so a case reads diagnosis before causality."""
    found = [i for i in load_instruments().values() if i.answers_from]
    return sorted(found, key=lambda i: (i.scope != "case", i.code))


def score_facts(facts: CaseFacts, instruments: Iterable[Instrument] | None = None) -> list[RegistryScore]:
    """Score one case's facts with every computed instrument.

    Case-scope instruments give one result; exposure-scope ones give one per
    suspect, co-suspect or interacting exposure.
    """
    out: list[RegistryScore] = []
    for inst in instruments if instruments is not None else computed_instruments():
        derive = inst.deriver()
        if derive is None:
            continue
        if inst.scope == "case":
            out.append(RegistryScore(facts.case_id, facts.case_key, inst, None, None, score(inst, derive(facts))))
        else:
            for exp in facts.suspect_exposures:
                label = f"{exp.drug} (exposure {exp.seq})"
                out.append(RegistryScore(facts.case_id, facts.case_key, inst, exp.id, label, score(inst, derive(facts, exp))))
    return out


def compute_registry_scores(
    conn: Connection, case_ids: Iterable[int] | None = None, instruments: list[Instrument] | None = None
) -> list[RegistryScore]:
    """Registry scores for the given cases (all cases when None, in id order), not stored.

    The cyclic garbage collector is paused meanwhile: it would otherwise walk
    every live fact and result again and again (hundreds of thousands of
    objects, none in a cycle) and take as long as the scoring itself.
    """
    instruments = computed_instruments() if instruments is None else instruments
    with gc_paused():
        if case_ids is None:
            facts = load_cases_facts(conn)  # every case: whole tables, no id lists
            ids = sorted(facts)
        else:
            ids = sorted(set(case_ids))
            facts = load_cases_facts(conn, ids)
            missing = [i for i in ids if i not in facts]
            if missing:
                raise KeyError(f"no cases with ids {missing}")
        return [s for cid in ids for s in score_facts(facts[cid], instruments)]


@contextmanager
def write_transaction(bind: Connection | Engine) -> Iterator[Connection]:
    """Run in the caller's transaction if there is one, else in our own."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            yield conn
    elif bind.in_transaction():
        yield bind
    else:
        with bind.begin():
            yield bind


def _notes(s: RegistryScore) -> str:
    r = s.result
    text = f"Computed by the registry from stored facts ({r.instrument} {r.version})."
    unsettled = r.unsettled_items
    if unsettled:
        text += f" Not settled by the facts: {', '.join(unsettled)}."
    return text


def _storable_instruments() -> list[Instrument]:
    """Computed instruments, checked to have a term the assessments table accepts."""
    instruments = computed_instruments()
    unknown = [i.code for i in instruments if i.code not in VOCABULARIES["instrument"].codes]
    if unknown:
        raise ValueError(f"instruments {unknown} have no term in the 'instrument' vocabulary")
    return instruments


def store_registry_assessments(bind: Connection | Engine, case_ids: Iterable[int] | None = None) -> list[RegistryScore]:
    """Compute and (re)write the registry's assessments for the given cases.

    Earlier registry rows of the computed instruments for those cases are
    synced (unchanged rows kept, others updated, added or removed) in one transaction (the caller's, when
    `bind` is a connection already in one). Returns what was written.
    """
    instruments = _storable_instruments()
    with write_transaction(bind) as conn, gc_paused():
        scores = compute_registry_scores(conn, case_ids, instruments)
        _write(conn, scores, [i.code for i in instruments], case_ids)
    return scores


def _assessment_row(s: RegistryScore) -> dict[str, Any]:
    r = s.result
    return {
        "case_id": s.case_id,
        "exposure_id": s.exposure_id,
        "instrument": r.instrument,
        "instrument_version": r.version,
        "assessor": Assessor.REGISTRY,
        "total": r.total,
        "total_min": r.total_min,
        "total_max": r.total_max,
        "category": r.category,
        "category_range": r.category_range,
        "notes": _notes(s),
    }


def _write(conn: Connection, scores: list[RegistryScore], codes: list[str], case_ids: Iterable[int] | None) -> None:
    """Sync the registry's rows of instruments `codes` (for `case_ids`, or all
    cases) with `scores`: assessments first, then their items."""
    a, it = Assessment.__table__, AssessmentItem.__table__
    if case_ids is None:
        scope = and_(a.c.assessor == Assessor.REGISTRY, a.c.instrument.in_(codes))
    else:  # the cases' rows, found by case (see not_by_index)
        scope = and_(a.c.case_id.in_(sorted(set(case_ids))), not_by_index(a.c.assessor) == Assessor.REGISTRY,
                     not_by_index(a.c.instrument).in_(codes))
    rows = [_assessment_row(s) for s in scores]
    # Synced by natural key rather than deleted and re-inserted: unchanged
    # scores keep their rows and ids, so a re-run changes nothing and
    # SQLite and PostgreSQL end up with identical rows.
    stats = SyncStats()
    sync_table(conn, a, ("case_id", "instrument", "assessor", "exposure_id"), rows, scope, stats)
    # sync_table has set each row's "id" (the kept row's, or a new one), so
    # the items point at their assessment without reading the ids back.
    items = [
        {
            "assessment_id": row["id"],
            "item_code": i.code,
            "answer": i.answer,
            "points": i.points,
            "points_min": i.points_min,
            "points_max": i.points_max,
            "basis": i.basis,
        }
        for s, row in zip(scores, rows)
        for i in s.result.items
    ]
    sync_table(conn, it, ("assessment_id", "item_code"), items, it.c.assessment_id.in_(select(a.c.id).where(scope)), stats)
