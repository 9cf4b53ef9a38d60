"""Short names for the model tables, for SQL Core queries (one set, shared by every module that writes SQL).

    from registry.schema.models.tables import C, X
    select(C.c.case_key).join(X, X.c.case_id == C.c.id)
"""

from __future__ import annotations

from registry.schema.models import (
    Assessment,
    AssessmentItem,
    Candidate,
    Case,
    CaseOutcome,
    CasePublication,
    ChallengeEvent,
    ChallengeStep,
    Citation,
    DoseRegimen,
    Drug,
    DrugExposure,
    Evidence,
    ExtractionAgreement,
    ExtractionDecision,
    ExtractionReport,
    Finding,
    GeneticTest,
    Investigation,
    LabResult,
    Procedure,
    Publication,
    ScreeningDecision,
    Search,
    SearchRecord,
    Treatment,
)

C = Case.__table__
CP = CasePublication.__table__
P = Publication.__table__
CI = Citation.__table__
X = DrugExposure.__table__
D = Drug.__table__
DR = DoseRegimen.__table__
CH = ChallengeEvent.__table__
ST = ChallengeStep.__table__
F = Finding.__table__
INV = Investigation.__table__
LAB = LabResult.__table__
TR = Treatment.__table__
GT = GeneticTest.__table__
PR = Procedure.__table__
O = CaseOutcome.__table__
A = Assessment.__table__
AI = AssessmentItem.__table__
E = Evidence.__table__
XR = ExtractionReport.__table__
XA = ExtractionAgreement.__table__
XD = ExtractionDecision.__table__
SE = Search.__table__
SR = SearchRecord.__table__
CA = Candidate.__table__
SD = ScreeningDecision.__table__

#: Every model table by name.
BY_NAME = {t.name: t for t in (C, CP, P, CI, X, D, DR, CH, ST, F, INV, LAB, GT, TR, PR, O, A, AI, E, XR, XA, XD, SE, SR, CA, SD)}

#: Tables of a case's record, with the column that leads to the case: a case id, or the id of a parent row.
#: Every write path that writes or removes one of their rows sets the case's cases.facts_changed_at
#: (registry.ingest); publish trusts that time to tell which cases changed. Rows of evidence whose case_id
#: is NULL are about a publication, not a case's record.
CASE_RECORD_TABLES = {
    **{name: "case_id" for name in ("case_publications", "drug_exposures", "findings", "investigations",
                                    "lab_results", "treatments", "genetic_tests", "procedures", "case_outcomes",
                                    "assessments", "evidence")},
    "dose_regimens": "exposure_id", "challenge_events": "exposure_id", "challenge_steps": "challenge_id",
    "assessment_items": "assessment_id",
}
