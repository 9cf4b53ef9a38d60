"""Publications and the citations between them."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.core.db import Base
from registry.core.types import intpk
from registry.schema.models._columns import coded


class Publication(Base):
    __tablename__ = "publications"
    __table_args__ = (
        CheckConstraint("year BETWEEN 1900 AND 2100", name="year_sane"),
        CheckConstraint("pmid IS NULL OR pmid > 0", name="pmid_positive"),
        {"comment": "Publications that report or summarise cases, with full citation and what the registry could read of each."},
    )

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(60), unique=True, comment="Stable public key, e.g. park2021; names the seed file.")
    authors: Mapped[str | None] = mapped_column(Text, comment="Authors as listed (Vancouver style, 'Surname AB, Surname CD'). NULL when they could not be read (see evidence for why).")
    title: Mapped[str] = mapped_column(Text, comment="Title as published (original language).")
    title_english: Mapped[str | None] = mapped_column(Text, comment="English title where the original is in another language.")
    journal: Mapped[str | None] = mapped_column(Text, index=True, comment="Journal (abbreviated NLM title). NULL when it could not be read (see evidence for why).")
    year: Mapped[int | None] = mapped_column(Integer, index=True, comment="Year of publication. NULL when it could not be read (see evidence for why).")
    volume: Mapped[str | None] = mapped_column(Text, comment="Volume.")
    issue: Mapped[str | None] = mapped_column(Text, comment="Issue (or supplement).")
    pages: Mapped[str | None] = mapped_column(Text, comment="Page range.")
    doi: Mapped[str | None] = mapped_column(String(200), unique=True, comment="DOI, lower case, without https://doi.org/.")
    pmid: Mapped[int | None] = mapped_column(Integer, unique=True, comment="PubMed identifier.")
    pmcid: Mapped[str | None] = mapped_column(String(20), unique=True, comment="PubMed Central identifier (PMC...).")
    language: Mapped[str | None] = mapped_column(String(8), comment="Language of the full text (ISO 639-1).")
    article_type: Mapped[str] = coded("article_type", "Kind of publication.", nullable=False)
    url: Mapped[str | None] = mapped_column(Text, comment="Publisher or archive address of the article.")
    licence: Mapped[str | None] = mapped_column(Text, comment="Licence of the article, where stated (e.g. CC BY-NC 4.0).")
    source_access: Mapped[str] = coded("source_access", "How much of the publication the curators could read.", nullable=False)
    accessed_via: Mapped[str | None] = mapped_column(Text, comment="Addresses of the pages the curators actually read (one per line).")
    notes: Mapped[str | None] = mapped_column(Text, comment="Curator's notes on this publication (paraphrased).")
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False, comment="True for benchmark data made by `dress-registry synth`.")

    cites: Mapped[list["Citation"]] = relationship(
        foreign_keys="Citation.citing_publication_id", back_populates="citing", cascade="all, delete-orphan",
        order_by="Citation.reference_number",
    )


class Citation(Base):
    __tablename__ = "citations"
    __table_args__ = (
        UniqueConstraint("citing_publication_id", "reference_number"),
        CheckConstraint("reference_number > 0", name="reference_number_positive"),
        CheckConstraint("citing_publication_id <> cited_publication_id", name="not_self"),
        {"comment": "Citation graph: which publication cites which, with the reference number in the citing paper."},
    )

    citing_publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True, comment="The citing publication."
    )
    cited_publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True, index=True, comment="The cited publication."
    )
    reference_number: Mapped[int] = mapped_column(Integer, comment="Number of the reference in the citing publication's list.")
    context: Mapped[str | None] = mapped_column(Text, comment="Where and why it is cited (paraphrased).")

    citing: Mapped[Publication] = relationship(foreign_keys=[citing_publication_id], back_populates="cites")
    cited: Mapped[Publication] = relationship(foreign_keys=[cited_publication_id])
