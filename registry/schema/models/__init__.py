"""All registry models; importing this package registers every table on the MetaData."""

from sqlalchemy import Table

from registry.core.db import metadata as _metadata
from registry.schema.models.assessment import Assessment, AssessmentItem
from registry.schema.models.audit import AuditChange, AuditEntry
from registry.schema.models.case import Case, CasePublication
from registry.schema.models.clinical import Finding, GeneticTest, Investigation, LabResult
from registry.schema.models.evidence import Evidence
from registry.schema.models.extraction import ExtractionAgreement, ExtractionDecision, ExtractionReport
from registry.schema.models.exposure import ChallengeEvent, ChallengeStep, DoseRegimen, Drug, DrugExposure
from registry.schema.models.management import CaseOutcome, Procedure, Treatment
from registry.schema.models.publication import Citation, Publication
from registry.schema.models.screening import Candidate, ScreeningDecision, Search, SearchRecord
from registry.schema.models.vocab import VOCAB_TABLES


def published_model_tables() -> list[Table]:
    """The model tables the published file holds (parents first): all but the working database's own
    records, such as the audit log (table info published=False)."""
    return [t for t in _metadata.sorted_tables if t.info.get("published", True)]


__all__ = [
    "Assessment", "AssessmentItem", "AuditChange", "AuditEntry", "Candidate", "Case", "CaseOutcome",
    "CasePublication", "ChallengeEvent", "ChallengeStep", "Citation", "DoseRegimen", "Drug", "DrugExposure",
    "Evidence", "ExtractionAgreement", "ExtractionDecision", "ExtractionReport", "Finding", "GeneticTest", "Investigation",
    "LabResult", "Procedure", "Publication", "ScreeningDecision", "Search", "SearchRecord", "Treatment", "VOCAB_TABLES",
    "published_model_tables",
]
