"""Search results and study selection: searches, their records, the candidates they name, and screening decisions.

A search export (PubMed/MEDLINE, RIS, BibTeX) loaded by `dress-registry
intake` is a `searches` row; each record in it is a `search_records` row.
Records naming the same work (by DOI, PMID, or title + year + first author)
share one `candidates` row: the first such record makes the candidate, the
later ones point at it as duplicates. A candidate that is already a
registry publication is linked to it. `screening_decisions` holds every
decision taken on a candidate, per stage, never overwritten: the current
decision of a stage is the latest one. The PRISMA 2020 counts are computed
from these four tables (registry.cases.prisma).

Abstracts are not stored: the registry keeps bibliographic identifiers, not
the text of articles (screeners read the abstract at the source).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.core.db import Base
from registry.core.types import intpk
from registry.schema.models._columns import coded, parent
from registry.schema.vocabulary import ExclusionReason, ScreeningDecisionCode, ScreeningStage

#: How a record was found to name a work already seen (search_records.match_basis, candidates.publication_match).
MATCH_BASES = ("doi", "pmid", "title")
#: The file formats `intake` reads (searches.file_format).
FILE_FORMATS = ("medline", "ris", "bibtex")


def _one_of(column: str, values: tuple[str, ...], name: str, *, nullable: bool = True) -> CheckConstraint:
    allowed = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return CheckConstraint(f"{column} IS NULL OR {allowed}" if nullable else allowed, name=name)


class Search(Base):
    __tablename__ = "searches"
    __table_args__ = (
        _one_of("file_format", FILE_FORMATS, "file_format_known", nullable=False),
        CheckConstraint("record_count >= 0", name="record_count_not_negative"),
        {"comment": "One loaded search export: which source was searched, when, and the file its results came in."},
    )

    id: Mapped[intpk]
    source: Mapped[str] = mapped_column(String(100), index=True, comment="The database or register searched (e.g. PubMed, Embase), as the curator names it.")
    searched_on: Mapped[date | None] = mapped_column(Date, comment="Date the search was run. NULL when the curator did not give it.")
    file_name: Mapped[str] = mapped_column(Text, comment="Name of the loaded file (without its folder).")
    file_format: Mapped[str] = mapped_column(String(20), comment="Format of the file: medline, ris or bibtex.")
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the file's bytes: the same export is loaded once.")
    record_count: Mapped[int] = mapped_column(Integer, comment="Number of records in the file.")
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), comment="When the file was loaded (UTC).")
    loaded_by: Mapped[str | None] = mapped_column(Text, comment="Curator who loaded it (--curator or REGISTRY_CURATOR), when given.")


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (
        CheckConstraint("pmid IS NULL OR pmid > 0", name="pmid_positive"),
        CheckConstraint("year IS NULL OR year BETWEEN 1800 AND 2100", name="year_sane"),
        _one_of("publication_match", MATCH_BASES, "publication_match_known"),
        {"comment": "A work named by one or more search records (duplicates merged): what is screened, and linked to "
                    "its registry publication once there."},
    )

    id: Mapped[intpk]
    doi: Mapped[str | None] = mapped_column(String(200), unique=True, comment="DOI, normalised: lower case, without https://doi.org/ or doi:.")
    pmid: Mapped[int | None] = mapped_column(Integer, unique=True, comment="PubMed identifier.")
    title: Mapped[str] = mapped_column(Text, comment="Title as the first record gives it.")
    title_key: Mapped[str] = mapped_column(Text, index=True, comment="Normalised title + year + first author's surname, for matching records without shared identifiers.")
    authors: Mapped[str | None] = mapped_column(Text, comment="Authors as the first record lists them ('Surname AB; Surname CD').")
    first_author: Mapped[str | None] = mapped_column(Text, comment="First author's surname as given.")
    year: Mapped[int | None] = mapped_column(Integer, comment="Year of publication.")
    journal: Mapped[str | None] = mapped_column(Text, comment="Journal as the first record gives it.")
    volume: Mapped[str | None] = mapped_column(Text, comment="Volume.")
    issue: Mapped[str | None] = mapped_column(Text, comment="Issue.")
    pages: Mapped[str | None] = mapped_column(Text, comment="Pages.")
    publication_id: Mapped[int | None] = mapped_column(
        ForeignKey("publications.id", ondelete="SET NULL"), index=True,
        comment="The registry publication this work is, once it is in the registry (set at intake, or by `intake --link`); "
                "NULL again if that publication is removed.")
    publication_match: Mapped[str | None] = mapped_column(String(20), comment="How publication_id was matched: doi, pmid or title.")
    in_registry_at_intake: Mapped[bool] = mapped_column(
        Boolean, default=False,
        comment="True when the work was already a registry publication when first found: not screened, counted as removed before screening.")


class SearchRecord(Base):
    __tablename__ = "search_records"
    __table_args__ = (
        UniqueConstraint("search_id", "position"),
        CheckConstraint("position > 0", name="position_positive"),
        CheckConstraint("pmid IS NULL OR pmid > 0", name="pmid_positive"),
        _one_of("match_basis", MATCH_BASES, "match_basis_known"),
        CheckConstraint("is_duplicate = (match_basis IS NOT NULL)", name="duplicate_has_basis"),
        {"comment": "One record of a search export, with the identifiers as the file gives them; points at its candidate."},
    )

    id: Mapped[intpk]
    search_id: Mapped[int] = parent("searches.id", "The search export the record came in.")
    position: Mapped[int] = mapped_column(Integer, comment="Position of the record in its file (1, 2, ...).")
    source_record_id: Mapped[str | None] = mapped_column(Text, comment="The record's own identifier in the file (MEDLINE PMID, RIS ID, BibTeX key).")
    doi_as_given: Mapped[str | None] = mapped_column(Text, comment="DOI exactly as the file gives it.")
    pmid: Mapped[int | None] = mapped_column(Integer, index=True, comment="PubMed identifier given by the record.")
    title: Mapped[str | None] = mapped_column(Text, comment="Title as the record gives it.")
    first_author: Mapped[str | None] = mapped_column(Text, comment="First author's surname as the record gives it.")
    year: Mapped[int | None] = mapped_column(Integer, comment="Year as the record gives it.")
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id"), index=True, comment="The candidate this record names (the one it made, or the one it duplicates).")
    is_duplicate: Mapped[bool] = mapped_column(
        Boolean, comment="True when an earlier record (or a registry publication) already named this work: removed before screening.")
    match_basis: Mapped[str | None] = mapped_column(String(20), comment="For a duplicate: what matched, doi, pmid or title.")


class ScreeningDecision(Base):
    __tablename__ = "screening_decisions"
    __table_args__ = (
        CheckConstraint(f"(decision = '{ScreeningDecisionCode.EXCLUDE}') = (reason IS NOT NULL)", name="reason_iff_excluded"),
        CheckConstraint(f"reason IS NULL OR reason <> '{ExclusionReason.OTHER}' OR reason_text IS NOT NULL",
                        name="other_reason_has_text"),
        CheckConstraint(f"reason IS NULL OR reason <> '{ExclusionReason.NOT_RETRIEVABLE}' OR stage = '{ScreeningStage.FULL_TEXT}'",
                        name="not_retrievable_at_full_text"),
        {"comment": "Every screening decision, per candidate and stage, with who and when; never overwritten: "
                    "the current decision of a stage is its latest row."},
    )

    id: Mapped[intpk]
    candidate_id: Mapped[int] = parent("candidates.id", "The candidate decided on.")
    stage: Mapped[str] = coded("screening_stage", "Stage of the decision.", nullable=False)
    decision: Mapped[str] = coded("screening_decision", "The decision.", nullable=False)
    reason: Mapped[str | None] = coded("exclusion_reason", "Why excluded (set exactly when the decision is exclude).")
    reason_text: Mapped[str | None] = mapped_column(Text, comment="The reason in words (required for reason 'other'), or a note.")
    curator: Mapped[str] = mapped_column(Text, comment="Who decided (--curator, REGISTRY_CURATOR, or the sheet's curator column).")
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), comment="When the decision was taken (UTC).")
