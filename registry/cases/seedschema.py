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

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model, model_validator
from sqlalchemy import Column, Table

from registry.cases.missing import MISSING_STATUSES
from registry.cases.scoring.definitions import load_instruments
from registry.core.inputs import CONTROL_CHARACTERS, describe_control
from registry.schema.drug_names import inn_of
from registry.schema.fields import INT32_RANGE
from registry.schema.fields import Field as SchemaField
from registry.schema.fields import record_fields
from registry.schema.models._columns import AGE_MAX_YEARS, DAY_MAX, DAY_MIN
from registry.schema.models.tables import AI, CH, DR, GT, INV, LAB, PR, ST, TR, XA, XD, XR, C, D, E, F, O, P, X
from registry.schema.vocabulary import SUSPECT_ROLES, VOCABULARIES, AgeUnit, Derivation, EvidenceStatus


def _code(vocab: str):
    allowed = VOCABULARIES[vocab].codes

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {vocab} code {value!r}; allowed: {', '.join(allowed)}")
        return value

    return Annotated[str, AfterValidator(check)]


#: Text may hold tab, line feed and carriage return, but no other C0 control character (NUL, form feed,
#: escape, ...) nor DEL (registry.core.inputs.CONTROL_CHARACTERS): checked by pydantic's own regex, fast.
NO_CONTROL_PATTERN = "^[^" + CONTROL_CHARACTERS.pattern[1:-1] + "]*$"

#: Whole numbers within the range both backends store (the columns are 32-bit integers on PostgreSQL).
Int = Annotated[int, Field(ge=INT32_RANGE[0], le=INT32_RANGE[1])]
Day = Annotated[int, Field(ge=DAY_MIN, le=DAY_MAX)]
#: Longest free text a seed file may hold in one field.
TEXT_MAX = 4000
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX, pattern=NO_CONTROL_PATTERN)]
ShortText = Annotated[str, Field(min_length=1, max_length=300, pattern=NO_CONTROL_PATTERN)]
KEY_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"
#: A publication key (publications.key) and a case key (cases.case_key), as long as their columns allow.
Key = Annotated[str, Field(pattern=KEY_PATTERN, max_length=P.c.key.type.length)]
CaseKey = Annotated[str, Field(pattern=KEY_PATTERN, max_length=C.c.case_key.type.length)]


def _length(column: Column) -> int:
    return column.type.length


# A Literal of plain strings (the missing evidence statuses), so that the schema and the errors list the codes.
MissingStatus = Literal[MISSING_STATUSES]  # type: ignore[valid-type]


def describe_error(err: dict[str, Any]) -> str:
    """A pydantic error as the registry words it (the caller adds file, record and field)."""
    kind, value = err.get("type", ""), err.get("input")
    if kind == "string_pattern_mismatch" and (err.get("ctx") or {}).get("pattern") == NO_CONTROL_PATTERN:
        bad = CONTROL_CHARACTERS.search(value) if isinstance(value, str) else None
        if bad:
            return (f"control character {describe_control(bad.group())} at character {bad.start() + 1} is not "
                    "allowed in text (tab and line breaks are)")
    if kind in ("model_type", "dict_type"):
        got = {list: "a list", str: "text", bool: "a boolean", int: "a number", float: "a number"}.get(type(value), type(value).__name__)
        return f"expected a mapping of fields, got {got}"
    if kind == "finite_number":
        return f"must be a finite number (got {value!r})"
    return err["msg"].removeprefix("Value error, ")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class Src(_Strict):
    """Evidence for a value: which publication says it, where, and how we got it."""

    pub: Key | None = Field(None, description="Publication key; default: the file's publication.")
    at: ShortText = Field(description="Locator: section, paragraph, page, figure or table.")
    field: Annotated[str, Field(max_length=_length(E.c.field), pattern=r"^[a-z][a-z0-9_]*$")] | None = Field(
        None, description="Field of the record the evidence is for (one of its fields); omit when it covers the whole record.")
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


def plain_name(value: Any) -> Any:
    """A name compared without case: lower case, surrounding spaces gone, inner runs of spaces as one."""
    return " ".join(value.split()).lower() if isinstance(value, str) else value


#: The note of the evidence that keeps a drug's name as the document gave it.
DRUG_NAME_NOTE = "named {given} in the source; stored as the INN {inn}"


def name_key(value: Any) -> Any:
    """A drug name as drugs.name holds it: `plain_name`, then a brand or salt name as its INN
    (registry.schema.drug_names). `CARBAMAZEPINE`, `carbamazepine ` and `Tegretol` are the one drug
    `carbamazepine`."""
    value = plain_name(value)
    return inn_of(value) if isinstance(value, str) else value


def _annotation(field: SchemaField) -> Any:
    if field.vocabulary:
        return _code(field.vocabulary)
    base = {"boolean": bool, "integer": int, "number": float, "date": date}.get(field.kind, str)
    limits: dict[str, Any] = dict(field.limits)
    extra: list[Any] = []
    if field.kind == "text":
        if field.pattern:
            limits.update(min_length=1, pattern=field.pattern, max_length=field.max_length)
        else:
            limits.update(min_length=1, max_length=field.max_length or TEXT_MAX, pattern=NO_CONTROL_PATTERN)
        if field.lower_case:
            extra.append(BeforeValidator(name_key))
    return Annotated[base, Field(**limits), *extra] if limits or extra else base


def column_annotation(column: Column) -> Any:
    """The type of a seed field that holds `column`'s values (a field the field dictionary does not list)."""
    return _annotation(SchemaField(str(column.name), column, column))


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

    @model_validator(mode="after")
    def _hours_agree_with_days(self):
        """Twin of CHECK recurrence_hours_sane: hours and days, when both are given, are the same time."""
        hours, days = self.time_to_recurrence_hours, self.time_to_recurrence_days
        if hours is not None and days is not None and days != hours // 24:
            raise ValueError(f"time_to_recurrence_hours {hours} is day {hours // 24}, but time_to_recurrence_days is "
                             f"{days} (give days as the whole days of the hours, or only one of them)")
        return self


def _days_ordered(record: Any) -> None:
    """Twin of CHECK stop_after_start (exposures), and the same rule for doses and treatments."""
    if record.start_day is not None and record.stop_day is not None and record.stop_day < record.start_day:
        raise ValueError(f"stop_day {record.stop_day} is before start_day {record.start_day}")


class Dose(_fields_of("_DoseFields", DR)):
    @model_validator(mode="after")
    def _unit_with_value(self):
        if (self.dose_value is None) != (self.dose_unit is None):
            raise ValueError("dose_value and dose_unit go together")
        _days_ordered(self)
        return self


class Exposure(_fields_of("_ExposureFields", X)):
    doses: list[Dose] = Field(default_factory=list)
    challenges: list[Challenge] = Field(default_factory=list)
    @model_validator(mode="wrap")
    @classmethod
    def _keep_name_as_given(cls, data: Any, handler: Any) -> Any:
        """A drug named by a brand or salt is stored as its INN (name_key); the name as the document gave it
        becomes evidence of the exposure (field drug, `as` the name, where its first source is), so every
        reader and writer of the record keeps it."""
        given = data.get("drug") if isinstance(data, dict) else None
        record = handler(data)
        if isinstance(given, str) and isinstance(record, Exposure) and plain_name(given) != record.drug and record.src:
            as_given = " ".join(given.split())
            if not any(s.field == "drug" and s.stated == as_given for s in record.src):
                first = record.src[0]
                record.src.append(Src(pub=first.pub, at=first.at, field="drug", stated=as_given,
                                      note=DRUG_NAME_NOTE.format(given=as_given, inn=record.drug)))
        return record

    @model_validator(mode="after")
    def _ordered_days(self):
        _days_ordered(self)
        return self


FindingIn = _fields_of("FindingIn", F)
InvestigationIn = _fields_of("InvestigationIn", INV)


class Lab(_fields_of("_LabFields", LAB)):
    @model_validator(mode="after")
    def _range_ordered(self):
        if self.ref_low is not None and self.ref_high is not None and self.ref_low > self.ref_high:
            raise ValueError(f"ref_low {self.ref_low} is above ref_high {self.ref_high}")  # twin of CHECK ref_range_ordered
        return self


class TreatmentIn(_fields_of("_TreatmentFields", TR)):
    @model_validator(mode="after")
    def _ordered_days(self):
        _days_ordered(self)
        return self


class GeneticTestIn(_fields_of("_GeneticTestFields", GT)):
    @model_validator(mode="after")
    def _allele_of_gene(self):
        """Twin of CHECK allele_of_gene: an allele is named in full, starting with its gene (HLA-B*58:01)."""
        if self.allele is not None and not self.allele.startswith(self.gene):
            raise ValueError(f"allele {self.allele!r} does not start with the gene {self.gene!r} "
                             f"(name the allele in full, e.g. {self.gene}*...)")
        return self


ProcedureIn = _fields_of("ProcedureIn", PR)
Outcome = _fields_of("Outcome", O)


class Item(_Strict):
    item: Annotated[str, Field(min_length=1, max_length=_length(AI.c.item_code), pattern=NO_CONTROL_PATTERN)]
    answer: Annotated[str, Field(min_length=1, max_length=_length(AI.c.answer), pattern=NO_CONTROL_PATTERN)] | None = None
    points: Int | None = None
    basis: Text | None = None


class AssessmentIn(_Record):
    instrument: _code("instrument")
    exposure_drug: column_annotation(D.c.name) | None = Field(
        None, description="Drug of the assessed exposure (Naranjo is per drug).")
    total: Int | None = None
    category: ShortText | None = None
    notes: Text | None = None
    items: list[Item] = Field(default_factory=list)

    @model_validator(mode="after")
    def _within_instrument(self):
        """Twins of CHECK regiscar_range / naranjo_range, and the instrument's own items and points."""
        inst = load_instruments().get(self.instrument)
        if inst is None:
            return self
        if self.total is not None and not inst.total_min <= self.total <= inst.total_max:
            raise ValueError(f"total {self.total} is outside {inst.code}'s range {inst.total_min}..{inst.total_max}")
        seen = set()
        for i, it in enumerate(self.items):
            if it.item not in inst.item_code_set:
                raise ValueError(f"items[{i}].item: unknown {inst.code} item {it.item!r}; allowed: {', '.join(inst.item_codes)}")
            if it.item in seen:
                raise ValueError(f"items[{i}].item: {it.item!r} listed twice")
            seen.add(it.item)
            if it.points is not None:
                allowed = sorted({a.points for a in inst.item(it.item).answers} | {inst.item(it.item).unknown_points})
                if it.points not in allowed:
                    raise ValueError(f"items[{i}].points: {it.points} is not a {inst.code} score for {it.item!r}; "
                                     f"allowed: {', '.join(map(str, allowed))}")
        return self


class Link(_Strict):
    pub: Key
    role: _code("case_link_role")
    label: ShortText | None = None


class CaseIn(_Record):
    key: CaseKey
    label_in_source: ShortText | None = None
    unstated: MissingStatus = Field(
        description="Status of every key fact this file leaves out: not_reported (the source was read) "
        "or not_available (we could not read it)."
    )
    links: list[Link] = Field(default_factory=list, description="Other publications that report or summarise this case.")
    age_value: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    age_unit: _code("age_unit") | None = None
    age_is_approximate: bool = False
    sex: _code("sex") | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = Field(
        None, description="ISO 3166-1 alpha-2 (NO is Norway: the YAML reader takes only true/false as booleans).")
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
    genetic_tests: list[GeneticTestIn] = Field(
        default_factory=list, description="Pharmacogenetic typing (HLA and other genes); none listed: none reported.")
    procedures: list[ProcedureIn] = Field(
        default_factory=list, description="Transplant, dialysis, intensive care and other procedures.")
    outcome: Outcome | None = None
    assessments: list[AssessmentIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _age(self):
        if (self.age_value is None) != (self.age_unit is None):
            raise ValueError("age_value and age_unit go together")
        if self.age_unit == AgeUnit.YEARS and self.age_value is not None and self.age_value > AGE_MAX_YEARS:
            raise ValueError(f"age_value {self.age_value} years is over {AGE_MAX_YEARS}")
        seen = set()
        for i, f in enumerate(self.findings):
            if f.finding in seen:
                raise ValueError(f"findings[{i}].finding: {f.finding!r} listed twice")
            seen.add(f.finding)
        return self

    @model_validator(mode="after")
    def _onset_after_first_dose(self):
        """Days count from the first dose of the suspect drug: the reaction cannot start before every suspect
        drug was started (the flat CSV's rule, for any number of drugs)."""
        if self.onset_day is None:
            return self
        starts = [(x.start_day, x.drug) for x in self.exposures if x.role in SUSPECT_ROLES and x.start_day is not None]
        if starts:
            first, drug = min(starts)
            if self.onset_day < first:
                raise ValueError(f"onset_day {self.onset_day} is before the start_day {first} of the suspect drug {drug} "
                                 "(days count from day 1 = first dose; a reaction cannot start before the drug)")
        return self

    @model_validator(mode="after")
    def _assessments_name_exposures(self):
        drugs = {x.drug for x in self.exposures}
        seen = set()
        for i, a in enumerate(self.assessments):
            if a.exposure_drug is not None and a.exposure_drug not in drugs:
                raise ValueError(f"assessments[{i}].exposure_drug: {a.exposure_drug!r} is not a drug of this case's exposures")
            if (a.instrument, a.exposure_drug) in seen:
                raise ValueError(f"assessments[{i}]: a second {a.instrument} assessment"
                                 + (f" of {a.exposure_drug}" if a.exposure_drug else ""))
            seen.add((a.instrument, a.exposure_drug))
        return self


#: Publication fields that may be unknown; the publication's `missing:` then says why.
PUBLICATION_MISSING_FIELDS = ("authors", "journal", "year")


class PublicationIn(_Strict):
    key: Key
    authors: Text | None = Field(
        None, description="Authors, Vancouver style; leave them out only when they could not be read (missing.authors says why).")
    title: Text
    title_english: Text | None = None
    journal: ShortText | None = Field(None, description="Journal; leave it out only when it could not be read (missing.journal says why).")
    year: Annotated[int, Field(ge=1900, le=2100)] | None = Field(
        None, description="Year of publication; leave it out only when it could not be read (missing.year says why).")
    volume: ShortText | None = None
    issue: ShortText | None = None
    pages: ShortText | None = None
    doi: Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$", max_length=_length(P.c.doi))] | None = None
    pmid: Annotated[int, Field(gt=0, le=INT32_RANGE[1])] | None = None
    pmcid: Annotated[str, Field(pattern=r"^PMC\d+$", max_length=_length(P.c.pmcid))] | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = Field(
        None, description="ISO 639-1 (no is Norwegian: the YAML reader takes only true/false as booleans).")
    article_type: _code("article_type")
    url: ShortText | None = None
    licence: ShortText | None = None
    source_access: _code("source_access")
    accessed_via: list[ShortText] = Field(default_factory=list)
    notes: Text | None = None
    src: list[Src] = Field(default_factory=list, description="Where the citation details were confirmed.")
    missing: dict[str, Missing] = Field(
        default_factory=dict, description="Why the authors, the journal or the year are unknown (not_available: not read; not_reported).")

    @model_validator(mode="after")
    def _unknown_has_reason(self):
        for f in PUBLICATION_MISSING_FIELDS:
            if getattr(self, f) is None and f not in self.missing:
                raise ValueError(f"{f}: give it, or say why it is unknown under missing.{f} "
                                 "(status: not_available or not_reported)")
            if getattr(self, f) is not None and f in self.missing:
                raise ValueError(f"missing.{f}: {f} is given ({getattr(self, f)!r}); a known value has no missing reason")
        return self


class CitationIn(_Strict):
    pub: Key
    reference_number: Annotated[int, Field(gt=0, le=INT32_RANGE[1])]
    context: Text | None = None


class DrugIn(_Strict):
    name: column_annotation(D.c.name)
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

    @model_validator(mode="after")
    def _unique(self):
        """Twins of the citations' keys (citing, cited) and (citing, reference number), of CHECK not_self, and
        of drugs.name being unique."""
        pubs, numbers = {}, {}
        for i, c in enumerate(self.cites):
            if c.pub == self.publication.key:
                raise ValueError(f"cites[{i}].pub: the publication cannot cite itself")
            if c.pub in pubs:
                raise ValueError(f"cites[{i}].pub: {c.pub!r} is also cites[{pubs[c.pub]}]")
            if c.reference_number in numbers:
                raise ValueError(f"cites[{i}].reference_number: {c.reference_number} is also cites[{numbers[c.reference_number]}]")
            pubs[c.pub], numbers[c.reference_number] = i, i
        names = {}
        for i, d in enumerate(self.drugs):
            if d.name in names:
                raise ValueError(f"drugs[{i}].name: {d.name!r} is also drugs[{names[d.name]}] (names are compared without case)")
            names[d.name] = i
        return self
