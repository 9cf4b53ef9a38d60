"""discrepancies: where sources disagree about a fact, side by side.

Evidence rows address a fact by (subject_table, subject_id, field). Every
evidence row the registry does not follow (is_curated false) is published
next to the curated row the stored value follows (empty when there is none),
with both values, publications, locators and curation notes, so a reader can
see what the registry chose and why. A side that gives no value says why in
its status ("not reported" when a source read says nothing, "source not read"
when it could not be read): an adjudicated disagreement between a value and
a status (one curator read the age, the other could not) is listed as well
as one between two values. The working database's `discrepancies` view
(migration 0002) pairs stated values only.
"""

from __future__ import annotations

from typing import Any

from registry.cases.baked import BakedTable, Col
from registry.cases.evidence_wording import stated_words
from registry.cases.lookups import Lookups
from registry.schema.vocabulary import EvidenceStatus

DISCREPANCIES = BakedTable(
    name="discrepancies",
    description=(
        "Facts on which sources (or parts of one source) disagree: each non-curated evidence row next to the "
        "curated row the stored value follows, with both values, publications, locators and curation notes."
    ),
    pk="id",
    columns=(
        Col("id", int, "Row number."),
        Col("case_key", str, "Public key of the case (NULL for publication-level facts).", "case_summary.case_key"),
        Col("case_id", int, "Row id of the case.", "cases.id"),
        Col("subject_table", str, "Table holding the fact."),
        Col("subject_id", int, "Row id of the fact's row in subject_table."),
        Col("field", str, "Column of the fact (NULL = the whole row)."),
        Col("curated_value", str, "Value as stated by the source the registry follows."),
        Col("curated_publication_id", int, "Publication the registry follows.", "publications.id"),
        Col("curated_citation", str, "That publication, short form."),
        Col("curated_locator", str, "Where in that publication."),
        Col("curated_note", str, "Curation note on the followed source: why it was followed."),
        Col("other_value", str, "Value as stated by the source not followed."),
        Col("other_publication_id", int, "Publication not followed.", "publications.id"),
        Col("other_citation", str, "That publication, short form."),
        Col("other_locator", str, "Where in that publication."),
        Col("other_note", str, "Curation note on the source not followed."),
        Col("curated_evidence_id", int, "Evidence row followed.", "evidence.id"),
        Col("other_evidence_id", int, "Evidence row not followed.", "evidence.id"),
        Col("curated_status", str, "What the followed source gives: stated, not_reported or not_available."),
        Col("other_status", str, "What the source not followed gives: stated, not_reported or not_available."),
    ),
    indexes=("subject_table", "field"),
)


def _shown(ev: dict[str, Any]) -> str | None:
    """The value as stated; for a row that states none, why ('not reported', 'source not read')."""
    if ev["status"] is None or ev["status"] == EvidenceStatus.STATED:
        return ev["value_as_stated"]
    return stated_words(ev)


def discrepancy_rows(lk: Lookups) -> list[dict[str, Any]]:
    facts: dict[tuple, list[dict]] = {}
    for ev in sorted(lk.snap["evidence"], key=lambda e: e["id"]):
        facts.setdefault((ev["subject_table"], ev["subject_id"], ev["field"]), []).append(ev)
    rows = []
    for (table, subject_id, field), evidence in facts.items():
        followed = [e for e in evidence if e["is_curated"]]
        # the followed row that states the stored value, else the one saying why there is none
        curated: list[dict | None] = [e for e in followed if e["status"] == EvidenceStatus.STATED] or followed or [None]
        for other in (e for e in evidence if not e["is_curated"]):
            for cur in curated:
                cur = cur or {k: None for k in other}
                case = lk.cases.get(other["case_id"])
                rows.append({
                    "id": len(rows) + 1,
                    "case_key": case["case_key"] if case else None,
                    "case_id": case["id"] if case else None,
                    "subject_table": table, "subject_id": subject_id, "field": field,
                    "curated_value": _shown(cur),
                    "curated_publication_id": cur["publication_id"],
                    "curated_citation": lk.citation(cur["publication_id"]),
                    "curated_locator": cur["locator"], "curated_note": cur["curation_note"],
                    "other_value": _shown(other),
                    "other_publication_id": other["publication_id"],
                    "other_citation": lk.citation(other["publication_id"]),
                    "other_locator": other["locator"], "other_note": other["curation_note"],
                    "curated_evidence_id": cur["id"], "other_evidence_id": other["id"],
                    "curated_status": cur["status"], "other_status": other["status"],
                })
    return rows
