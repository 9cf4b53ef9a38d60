"""Why a value is missing, as a code a reviewer's file can carry.

A NULL with evidence status not_reported becomes ``NR`` in an export cell, one
with not_available ``NA-SRC``; the codes are facts of the evidence_status
terms (registry.schema.vocabulary). When sources disagree on the reason, the
same rule as registry/cases/completeness.py picks one (the smallest status,
i.e. not_available), so the export and the completeness counts never tell
different stories.
"""

from __future__ import annotations

from registry.schema.vocabulary import VOCABULARIES

#: Evidence status -> cell code (the statuses that have one).
MISSING_CODES: dict[str, str] = {
    t.code: t.missing_code for t in VOCABULARIES["evidence_status"].terms if t.missing_code is not None
}
MISSING_STATUSES = tuple(MISSING_CODES)


class MissingCode(str):
    """A cell that stands for a missing value with a known reason (NR / NA-SRC)."""


def missing_code(status: str | None) -> MissingCode | None:
    code = MISSING_CODES.get(status or "")
    return MissingCode(code) if code else None


def missing_code_definitions() -> list[tuple[str, str, str]]:
    """(code, evidence status, meaning) for the README and the codebook, from the vocabulary."""
    v = VOCABULARIES["evidence_status"]
    return [(code, status, f"{v.label(status)}. {v.term(status).definition}") for status, code in MISSING_CODES.items()]


def pick_status(statuses: list[str]) -> str | None:
    """One reason when several sources give one (as registry/cases/completeness.py: MIN(status))."""
    known = [s for s in statuses if s in MISSING_CODES]
    return min(known) if known else None


#: Case-summary column -> the facts whose "why missing" evidence explains a NULL
#: ("case", "suspect" = first suspect exposure, "outcome"; field). The first fact with a reason wins.
SUMMARY_MISSING_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "age_years": (("case", "age_value"),),
    "sex": (("case", "sex"),),
    "country": (("case", "country"),),
    "onset_day": (("case", "onset_day"),),
    "indication": (("suspect", "indication"),),
    "suspect_start_day": (("suspect", "start_day"),),
    "latency_days": (("case", "onset_day"), ("suspect", "start_day")),
    "dose_at_onset_value": (("suspect", "dose"),),
    "dose_at_onset_unit": (("suspect", "dose"),),
    "dose_at_onset": (("suspect", "dose"),),
    "dechallenge_result": (("suspect", "dechallenge_result"),),
    "reaction_outcome": (("outcome", "reaction_outcome"),),
    "therapy_fate": (("outcome", "therapy_fate"),),
    "death": (("outcome", "death"),),
}
SUBJECT_TABLES = {"case": "cases", "suspect": "drug_exposures", "outcome": "case_outcomes"}
