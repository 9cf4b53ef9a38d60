"""All registry models; importing this package registers every table on the MetaData."""

from registry.schema.models.assessment import Assessment, AssessmentItem
from registry.schema.models.case import Case, CasePublication
from registry.schema.models.clinical import Finding, Investigation, LabResult
from registry.schema.models.evidence import Evidence
from registry.schema.models.extraction import ExtractionAgreement, ExtractionDecision, ExtractionReport
from registry.schema.models.exposure import ChallengeEvent, ChallengeStep, DoseRegimen, Drug, DrugExposure
from registry.schema.models.management import CaseOutcome, Treatment
from registry.schema.models.publication import Citation, Publication
from registry.schema.models.screening import Candidate, ScreeningDecision, Search, SearchRecord
from registry.schema.models.vocab import VOCAB_TABLES

__all__ = [
    "Assessment", "AssessmentItem", "Candidate", "Case", "CaseOutcome", "CasePublication", "ChallengeEvent",
    "ChallengeStep", "Citation", "DoseRegimen", "Drug", "DrugExposure", "Evidence", "ExtractionAgreement",
    "ExtractionDecision", "ExtractionReport", "Finding", "Investigation", "LabResult", "Publication",
    "ScreeningDecision", "Search", "SearchRecord", "Treatment", "VOCAB_TABLES",
]
