"""The seed/import file format: one YAML document per publication.

The document holds the publication's citation, what it cites, and the cases
it is the primary report of, each with its exposures, doses, challenges,
findings, labs, treatments, outcome and the authors' assessments. Every
value carries its evidence (`src`): publication, locator, derivation. An
optional `extraction` block names the curator who extracted the file and,
for a file curated from two independent extractions, the comparison and the
adjudication (registry/cases/compare.py, adjudicate.py).

Field names match the database columns, so a reviewer reading a YAML file
and one reading the SQL see the same words. Validation happens here, before
anything touches the database; pydantic reports the exact path of a bad
field (cases[0].exposures[0].doses[1].dose_value).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator
from sqlalchemy import Table

from registry.cases.missing import MISSING_STATUSES
from registry.schema.fields import Field as SchemaField
from registry.schema.fields import record_fields
from registry.schema.models._columns import AGE_MAX_YEARS, DAY_MAX, DAY_MIN
from registry.schema.models.tables import CH, DR, INV, LAB, ST, TR, XA, XD, XR, F, O, X
from registry.schema.vocabulary import VOCABULARIES, AgeUnit, Derivation, EvidenceStatus


def _code(vocab: str):
    allowed = VOCABULARIES[vocab].codes

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {vocab} code {value!r}; allowed: {', '.join(allowed)}")
        return value

    return Annotated[str, AfterValidator(check)]


Day = Annotated[int, Field(ge=DAY_MIN, le=DAY_MAX)]
Positive = Annotated[float, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
#: Longest free text a seed file may hold in one field.
TEXT_MAX = 4000
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", max_length=80)]
# A Literal of plain strings (the missing evidence statuses), so that the schema and the errors list the codes.
MissingStatus = Literal[MISSING_STATUSES]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class Src(_Strict):
    """Evidence for a value: which publication says it, where, and how we got it."""

    pub: Key | None = Field(None, description="Publication key; default: the file's publication.")
    at: ShortText = Field(description="Locator: section, paragraph, page, figure or table.")
    field: str | None = Field(None, description="Column the evidence is for; omit when it covers the whole record.")
    stated: ShortText | None = Field(None, alias="as", description="The value as the source gives it (short).")
    how: _code("derivation") = Derivation.STATED
    status: _code("evidence_status") = EvidenceStatus.STATED
    curated: bool = Field(True, description="False when the stored value does not follow this source.")
    note: Text | None = Field(None, description="Why the stored value follows (or not) this source; derivation details.")


class Missing(_Strict):
    """Why a value is unknown."""

    status: MissingStatus
    pub: Key | None = None
    at: ShortText | None = None
    note: Text | None = None


class _Record(_Strict):
    src: list[Src] = Field(default_factory=list)
    missing: dict[str, Missing] = Field(default_factory=dict, description="Why a key field of this record is unknown.")


# Records of the leaf tables: their fields, types, bounds, defaults and required-ness come from the
# models (registry.schema.fields), so a new column is validated here without being written here. The
# classes add only what a table cannot say: nested lists and checks across fields.


def _annotation(field: SchemaField) -> Any:
    if field.vocabulary:
        return _code(field.vocabulary)
    base = {"boolean": bool, "integer": int, "number": float, "date": date}.get(field.kind, str)
    limits: dict[str, Any] = dict(field.bounds)
    if field.kind == "text":
        if field.pattern:
            limits.update(pattern=field.pattern, max_length=field.max_length)
        else:
            limits.update(min_length=1, max_length=field.max_length or TEXT_MAX)
    return Annotated[base, Field(**limits)] if limits else base


def table_fields(table: Table) -> dict[str, Any]:
    """pydantic field definitions for a table's record fields (registry.schema.fields.record_fields)."""
    out: dict[str, Any] = {}
    for field in record_fields(table):
        annotation = _annotation(field)
        if field.required:
            out[field.name] = (annotation, ...)
        elif field.default is not None:
            out[field.name] = (annotation, field.default)
        else:
            out[field.name] = (annotation | None, None)
    return out


def _fields_of(name: str, table: Table, base: type[BaseModel] = None) -> type[BaseModel]:
    return create_model(name, __base__=base or _Record, __module__=__name__, **table_fields(table))


Step = _fields_of("Step", ST, _Strict)


class Challenge(_fields_of("_ChallengeFields", CH)):
    steps: list[Step] = Field(default_factory=list)


class Dose(_fields_of("_DoseFields", DR)):
    @model_validator(mode="after")
    def _unit_with_value(self):
        if (self.dose_value is None) != (self.dose_unit is None):
            raise ValueError("dose_value and dose_unit go together")
        return self


class Exposure(_fields_of("_ExposureFields", X)):
    doses: list[Dose] = Field(default_factory=list)
    challenges: list[Challenge] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered_days(self):
        if self.start_day is not None and self.stop_day is not None and self.stop_day < self.start_day:
            raise ValueError(f"stop_day {self.stop_day} is before start_day {self.start_day}")
        return self


FindingIn = _fields_of("FindingIn", F)
InvestigationIn = _fields_of("InvestigationIn", INV)
Lab = _fields_of("Lab", LAB)
TreatmentIn = _fields_of("TreatmentIn", TR)
Outcome = _fields_of("Outcome", O)


class Item(_Strict):
    item: Annotated[str, Field(min_length=1, max_length=60)]
    answer: str | None = None
    points: int | None = None
    basis: Text | None = None


class AssessmentIn(_Record):
    instrument: _code("instrument")
    exposure_drug: str | None = Field(None, description="Drug of the assessed exposure (Naranjo is per drug).")
    total: int | None = None
    category: str | None = None
    notes: Text | None = None
    items: list[Item] = Field(default_factory=list)


class Link(_Strict):
    pub: Key
    role: _code("case_link_role")
    label: ShortText | None = None


class CaseIn(_Record):
    key: Key
    label_in_source: ShortText | None = None
    unstated: MissingStatus = Field(
        description="Status of every key fact this file leaves out: not_reported (the source was read) "
        "or not_available (we could not read it)."
    )
    links: list[Link] = Field(default_factory=list, description="Other publications that report or summarise this case.")
    age_value: Annotated[float, Field(ge=0)] | None = None
    age_unit: _code("age_unit") | None = None
    age_is_approximate: bool = False
    sex: _code("sex") | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    diagnosis_as_reported: Text | None = None
    registry_diagnosis: _code("registry_diagnosis") | None = None
    day1_anchor: Text
    onset_day: Day | None = None
    onset_is_approximate: bool = False
    summary: Text | None = None
    exposures: list[Exposure] = Field(default_factory=list)
    findings: list[FindingIn] = Field(default_factory=list)
    investigations: list[InvestigationIn] = Field(default_factory=list)
    labs: list[Lab] = Field(default_factory=list)
    treatments: list[TreatmentIn] = Field(default_factory=list)
    outcome: Outcome | None = None
    assessments: list[AssessmentIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _age(self):
        if (self.age_value is None) != (self.age_unit is None):
            raise ValueError("age_value and age_unit go together")
        if self.age_unit == AgeUnit.YEARS and self.age_value is not None and self.age_value > AGE_MAX_YEARS:
            raise ValueError(f"age_value {self.age_value} years is over {AGE_MAX_YEARS}")
        seen = set()
        for f in self.findings:
            if f.finding in seen:
                raise ValueError(f"finding {f.finding!r} listed twice")
            seen.add(f.finding)
        return self


class PublicationIn(_Strict):
    key: Key
    authors: Text
    title: Text
    title_english: Text | None = None
    journal: ShortText
    year: Annotated[int, Field(ge=1900, le=2100)]
    volume: ShortText | None = None
    issue: ShortText | None = None
    pages: ShortText | None = None
    doi: Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$")] | None = None
    pmid: Annotated[int, Field(gt=0)] | None = None
    pmcid: Annotated[str, Field(pattern=r"^PMC\d+$")] | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None
    article_type: _code("article_type")
    url: ShortText | None = None
    licence: ShortText | None = None
    source_access: _code("source_access")
    accessed_via: list[ShortText] = Field(default_factory=list)
    notes: Text | None = None
    src: list[Src] = Field(default_factory=list, description="Where the citation details were confirmed.")


class CitationIn(_Strict):
    pub: Key
    reference_number: Annotated[int, Field(gt=0)]
    context: Text | None = None


class DrugIn(_Strict):
    name: str
    drug_class: Text | None = None


class AgreementIn(_fields_of("_AgreementFields", XA, _Strict)):
    @model_validator(mode="after")
    def _agreed_within_compared(self):
        if self.agreed > self.compared:
            raise ValueError(f"agreed {self.agreed} is more than compared {self.compared}")
        return self


DecisionIn = _fields_of("DecisionIn", XD, _Strict)


class ExtractionIn(_fields_of("_ExtractionFields", XR, _Strict)):
    """Who extracted the file and, for a curated file from two extractions, how they compared and were adjudicated."""

    agreement: list[AgreementIn] = Field(default_factory=list, description="Agreement per field kind (dress-registry compare).")
    decisions: list[DecisionIn] = Field(default_factory=list, description="Every difference and how it was adjudicated.")

    @model_validator(mode="after")
    def _dual(self):
        if self.second_extractor is None:
            given = [f for f in ("adjudicator", "adjudicated_on", "fields_compared", "fields_differing")
                     if getattr(self, f) is not None] + [f for f in ("agreement", "decisions") if getattr(self, f)]
            if given:
                raise ValueError(f"{', '.join(given)}: only for a dual extraction (give second_extractor)")
        elif self.second_extractor == self.extractor:
            raise ValueError(f"second_extractor is extractor ({self.extractor!r}): two extractions need two curators")
        kinds = [a.kind for a in self.agreement]
        if len(set(kinds)) != len(kinds):
            raise ValueError("agreement lists a kind twice")
        return self


class SeedDocument(_Strict):
    """One file: who extracted it, a publication, what it cites, and the cases it first reports."""

    extraction: ExtractionIn | None = Field(None, description="Who extracted the file; for a curated dual extraction, the comparison and adjudication.")
    publication: PublicationIn
    cites: list[CitationIn] = Field(default_factory=list)
    drugs: list[DrugIn] = Field(default_factory=list)
    cases: list[CaseIn] = Field(default_factory=list)
