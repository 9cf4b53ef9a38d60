"""What was observed: clinical findings, investigations, lab values and pharmacogenetic typing."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.core.db import Base
from registry.core.types import intpk
from registry.schema.models._columns import coded, day, day_checks, order, parent
from registry.schema.vocabulary import Comparator


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("case_id", "finding"),
        *day_checks("findings", "day"),
        {"comment": "Clinical features and organ involvement of the reaction, each with a status that keeps present, absent, not reported and source-not-available apart."},
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = parent("cases.id", "The case.")
    finding: Mapped[str] = coded("finding", "The feature or organ.", nullable=False)
    status: Mapped[str] = coded("finding_status", "Present, absent, not done, not reported, or source not available.", nullable=False)
    day: Mapped[int | None] = day("When the finding was first noted.")
    detail: Mapped[str | None] = mapped_column(Text, comment="Short paraphrase of what the source says (e.g. extent, morphology).")


class Investigation(Base):
    __tablename__ = "investigations"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        *day_checks("investigations", "day"),
        {"comment": "Tests for other causes (serology, cultures, ANA) and for viral reactivation, with their qualitative result (E2B F.r.3.1)."},
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = parent("cases.id", "The case.")
    seq: Mapped[int] = order("Order of the investigation within the case.")
    test: Mapped[str] = coded("investigation", "What was tested.", nullable=False)
    result: Mapped[str | None] = coded("test_result", "Qualitative result.")
    day: Mapped[int | None] = day("When the test was done.")
    detail: Mapped[str | None] = mapped_column(Text, comment="Short paraphrase (method, specimen).")


class LabResult(Base):
    __tablename__ = "lab_results"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        CheckConstraint("value >= 0", name="value_nonnegative"),
        CheckConstraint("ref_low IS NULL OR ref_high IS NULL OR ref_low <= ref_high", name="ref_range_ordered"),
        *day_checks("lab_results", "day"),
        {"comment": "Laboratory values in long form: one row per analyte per time point, with unit, comparator and reference range."},
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = parent("cases.id", "The case.")
    seq: Mapped[int] = order("Order of the measurement within the case (chronological where known).")
    analyte: Mapped[str] = coded("analyte", "What was measured.", nullable=False)
    value: Mapped[float] = mapped_column(Float, comment="Numeric value, in unit.", info={"ge": 0})
    comparator: Mapped[str] = coded("comparator", "Qualifier of the value (E2B F.r.3.2).", nullable=False, default=Comparator.EQ)
    unit: Mapped[str] = coded("lab_unit", "Unit of value.", nullable=False)
    ref_low: Mapped[float | None] = mapped_column(Float, comment="Lower limit of the reference range, in unit.")
    ref_high: Mapped[float | None] = mapped_column(Float, comment="Upper limit of the reference range, in unit.")
    day: Mapped[int | None] = day("When the sample was taken.")
    day_is_approximate: Mapped[bool | None] = mapped_column(comment="True when the day comes from an approximate statement.")
    time_point: Mapped[str | None] = mapped_column(Text, comment="Labelled time point in words (e.g. 'admission for second flare').")


#: A gene's HGNC symbol (HLA-B, HLA-DRB1, CYP2C9, ...).
GENE_PATTERN = r"^[A-Z0-9][A-Za-z0-9-]*$"


class GeneticTest(Base):
    __tablename__ = "genetic_tests"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        CheckConstraint("allele IS NULL OR substr(allele, 1, length(gene)) = gene", name="allele_of_gene"),
        *day_checks("genetic_tests", "day"),
        {"comment": "Pharmacogenetic typing of the patient (HLA and other genes): the gene, the allele or variant "
                    "tested or found, whether the patient carries it, the genotype and method as reported."},
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = parent("cases.id", "The case.")
    seq: Mapped[int] = order("Order of the typing within the case.")
    gene: Mapped[str] = mapped_column(String(40), comment="Gene typed, by its HGNC symbol (e.g. HLA-B, HLA-A, CYP2C9).",
                                      info={"pattern": GENE_PATTERN})
    allele: Mapped[str | None] = mapped_column(String(80), comment="Allele or variant tested or found, by its full name, "
                                                                    "starting with the gene (e.g. HLA-B*58:01).")
    result: Mapped[str] = coded("genotype_result", "Whether the patient carries the allele or variant.", nullable=False)
    genotype: Mapped[str | None] = mapped_column(Text, comment="Genotype as reported (e.g. HLA-B*58:01/*15:02).")
    method: Mapped[str | None] = mapped_column(Text, comment="Typing method as reported (e.g. PCR-SSO, sequencing).")
    day: Mapped[int | None] = day("When the sample was typed (or taken).")
    notes: Mapped[str | None] = mapped_column(Text, comment="Curator's notes (paraphrased).")
