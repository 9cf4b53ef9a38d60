"""All registry models; importing this package registers every table on the MetaData."""

from registry.models.assessment import Assessment, AssessmentItem
from registry.models.case import Case, CasePublication
from registry.models.clinical import Finding, Investigation, LabResult
from registry.models.evidence import Evidence
from registry.models.exposure import ChallengeEvent, ChallengeStep, DoseRegimen, Drug, DrugExposure
from registry.models.management import CaseOutcome, Treatment
from registry.models.publication import Citation, Publication
from registry.models.vocab import VOCAB_TABLES

__all__ = [
    "Assessment", "AssessmentItem", "Case", "CaseOutcome", "CasePublication", "ChallengeEvent",
    "ChallengeStep", "Citation", "DoseRegimen", "Drug", "DrugExposure", "Evidence", "Finding",
    "Investigation", "LabResult", "Publication", "Treatment", "VOCAB_TABLES",
]
