"""Naranjo questions from stored facts, for one suspect drug exposure.

The registry answers only what its facts support and leaves the rest as
"don't know", whose range the engine shows. The rules, question by question:

q1  Previous conclusive reports: not a fact about the case; don't know unless
    the caller passes `previous_reports`.
q2  Event after the drug: yes when the case's onset day is after the
    exposure's start day, no when before; the same day is don't know (the
    order within the day is not recorded), as is a missing day.
q3  Improved on withdrawal: dechallenge positive or partial -> yes (partial
    is still improvement); negative -> no; not done or not recorded -> don't know.
q4  Reappeared on re-administration: any challenge with result recurrence ->
    yes; otherwise any tolerated -> no; otherwise don't know. Continuing
    through the reaction is not a re-administration and is ignored.
q5  Alternative causes: yes when another suspect, co-suspect or interacting
    drug is recorded, or an other-cause investigation (RegiSCAR item-8 tests)
    is positive; negative tests never settle it (they exclude only the causes
    tested), so otherwise don't know unless the caller passes
    `alternative_causes`.
q6-q10  Placebo, drug levels, dose-response, earlier similar reaction and
    objective confirmation are not stored as coded facts: don't know.
"""

from __future__ import annotations

from registry.cases.scoring.engine import Answer
from registry.cases.scoring.facts import CaseFacts, ExposureFact
from registry.schema.vocabulary import ChallengeResult, ChallengeType, DechallengeResult, TestResult

DONT_KNOW = "dont_know"

NOT_STORED = {
    "q6": "placebo challenges are not stored",
    "q7": "drug concentrations are not stored",
    "q8": "dose-response is not derived from the stored facts",
    "q9": "earlier reactions to the same or a similar drug are not stored",
    "q10": "objective confirmation (e.g. patch or lymphocyte transformation test) is not stored",
}


NOT_STORED_ANSWERS = {q: Answer(DONT_KNOW, why) for q, why in NOT_STORED.items()}
"""The same answers for every exposure: built once (answers are immutable)."""


def _given(value: bool | None, what: str) -> Answer:
    if value is None:
        return Answer(DONT_KNOW, f"{what}: not given")
    return Answer("yes" if value else "no", f"{what}: given as {'yes' if value else 'no'}")


def q2_event_after_drug(facts: CaseFacts, exposure: ExposureFact) -> Answer:
    onset, start = facts.onset_day, exposure.start_day
    if onset is None or start is None:
        missing = "cases.onset_day" if onset is None else f"{exposure.describe()} start_day"
        return Answer(DONT_KNOW, f"{missing} not recorded")
    approx = " (approximate)" if facts.onset_is_approximate else ""
    basis = f"cases.onset_day {onset}{approx} vs {exposure.describe()} start_day {start}"
    if onset > start:
        return Answer("yes", basis)
    if onset < start:
        return Answer("no", basis)
    return Answer(DONT_KNOW, basis + ": same day, order not recorded")


def q3_dechallenge(exposure: ExposureFact) -> Answer:
    result = exposure.dechallenge_result
    basis = f"{exposure.describe()} dechallenge_result = {result or 'not recorded'}"
    if result in (DechallengeResult.POSITIVE, DechallengeResult.PARTIAL):
        return Answer("yes", basis)
    if result == DechallengeResult.NEGATIVE:
        return Answer("no", basis)
    return Answer(DONT_KNOW, basis)


def q4_rechallenge(exposure: ExposureFact) -> Answer:
    events = [c for c in exposure.challenges if c.challenge_type != ChallengeType.CONTINUED_THROUGH]
    if not events:
        return Answer(DONT_KNOW, f"no re-administration of {exposure.describe()} recorded")
    basis = "; ".join(c.describe() for c in events)
    if any(c.result == ChallengeResult.RECURRENCE for c in events):
        return Answer("yes", basis)
    if any(c.result == ChallengeResult.TOLERATED for c in events):
        return Answer("no", basis)
    return Answer(DONT_KNOW, basis)


def q5_alternative_causes(facts: CaseFacts, exposure: ExposureFact, given: bool | None) -> Answer:
    if given is not None:
        return _given(given, "alternative causes")
    reasons = [
        f"{e.describe()} also {e.role}" for e in facts.exposures if e.is_suspect and e.id != exposure.id
    ]
    reasons += [f"{i.describe()}" for i in facts.investigations if i.category == "other_cause" and i.result == TestResult.POSITIVE]
    if reasons:
        return Answer("yes", "; ".join(reasons))
    return Answer(DONT_KNOW, "no other suspect drug or positive other-cause test recorded; other causes not otherwise excluded")


def naranjo_answers(
    facts: CaseFacts,
    exposure: ExposureFact,
    *,
    previous_reports: bool | None = None,
    alternative_causes: bool | None = None,
) -> dict[str, Answer]:
    """Every Naranjo question for `exposure`, answered as far as the facts go."""
    answers = {
        "q1": _given(previous_reports, "previous conclusive reports"),
        "q2": q2_event_after_drug(facts, exposure),
        "q3": q3_dechallenge(exposure),
        "q4": q4_rechallenge(exposure),
        "q5": q5_alternative_causes(facts, exposure, alternative_causes),
    }
    answers.update(NOT_STORED_ANSWERS)
    return answers
