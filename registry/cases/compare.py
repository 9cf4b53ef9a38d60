"""Dual extraction: compare two independent extractions of one publication (two seed documents).

Pure functions of validated documents (registry.cases.seedschema.SeedDocument);
nothing here reads a database. `flatten` lays a document out as records
addressed by what they are, not by their position, so that the two
extractions' records are matched sensibly:

* the publication and the case outcome: one each;
* cases by key; links and citations by publication; drugs by name;
* exposures by drug, treatments by drug (else category), genetic tests by gene and allele,
  procedures by code, challenges by type,
  investigations by test, findings by code, assessments by instrument (and
  drug), assessment items by item, labs by analyte and day; doses and
  protocol steps, which have no identity of their own, by position;
* a second record with the same identity is numbered (`#2`).

Core findings a document does not list are compared as the loader stores
them (status = the case's `unstated`). Each field of a matched record is
compared on three aspects (registry.schema.vocabulary.ExtractionAspect):
its value; its status when neither gives a value (not reported / not
available: the case's `unstated` for key facts, or `missing:`); and its
locator (the `at` of the curated src entries for the field). A record that
only one extraction has is one difference; each of its fields counts as a
disagreement.

Agreement is reported per field kind (AgreementKind, from the field
dictionary): the share of compared fields on which both agree and, for coded
and yes/no fields, Cohen's kappa over the same pairs (a field's category is
its code, or its status when it has none).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from sqlalchemy import Table

from registry.cases.completeness import CASE_FIELDS, CORE_FINDINGS, EXPOSURE_FIELDS, OUTCOME_FIELDS
from registry.cases.documents import DocumentErrors
from registry.cases.seedschema import CaseIn, FindingIn, SeedDocument
from registry.schema.fields import record_fields
from registry.schema.models.tables import AI, CH, DR, GT, INV, LAB, PR, ST, TR, A, C, F, O, P, X
from registry.schema.vocabulary import SUSPECT_ROLES, AgreementKind, EvidenceStatus, ExtractionAspect

#: Kinds on which Cohen's kappa is reported (categorical fields).
KAPPA_KINDS = (AgreementKind.CODE, AgreementKind.BOOLEAN)
#: Field-dictionary kind -> agreement kind (a date compares as text).
_KIND = {"code": AgreementKind.CODE, "boolean": AgreementKind.BOOLEAN, "integer": AgreementKind.INTEGER,
         "number": AgreementKind.NUMBER, "text": AgreementKind.TEXT, "date": AgreementKind.TEXT}
#: Category of a record's field when the other extraction has no such record (for kappa).
NO_RECORD = "(no record)"
#: What a report shows for the extraction that has a record the other lacks.
HAS_RECORD = "record present"
#: Category of a field neither gives a value or status for.
NOT_GIVEN = "(not given)"


# ---------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class _Spec:
    """One kind of record: where it sits in its parent, how it is named, its table, its children."""

    attr: str
    table: Table | None
    identity: Callable[[Any], str] | None  # None: one record (publication, outcome)
    children: tuple["_Spec", ...] = ()
    key_facts: Callable[[Any], tuple[str, ...]] = lambda rec: ()
    #: Fields the records are matched on: equal by construction, so not compared.
    matched_on: tuple[str, ...] = ()


def _position(_rec: Any) -> str:
    return ""  # numbered by occurrence: 1, 2, ...


_STEP = _Spec("steps", ST, _position)
_SPECS = (
    _Spec("publication", P, None, matched_on=("key",)),
    _Spec("cites", None, lambda c: c.pub, matched_on=("pub",)),
    _Spec("drugs", None, lambda d: d.name, matched_on=("name",)),
    _Spec("cases", C, lambda c: c.key, key_facts=lambda c: CASE_FIELDS, matched_on=("key",), children=(
        _Spec("links", None, lambda ln: ln.pub, matched_on=("pub",)),
        _Spec("exposures", X, lambda x: x.drug, matched_on=("drug",),
              key_facts=lambda x: tuple(f for f in EXPOSURE_FIELDS if x.role in SUSPECT_ROLES), children=(
                  _Spec("doses", DR, _position),
                  _Spec("challenges", CH, lambda h: h.challenge_type, key_facts=lambda h: ("result",),
                        matched_on=("challenge_type",), children=(_STEP,)),
              )),
        _Spec("findings", F, lambda f: f.finding, matched_on=("finding",)),
        _Spec("investigations", INV, lambda i: i.test, matched_on=("test",)),
        _Spec("labs", LAB, lambda lab: f"{lab.analyte} day {'?' if lab.day is None else lab.day}",
              matched_on=("analyte", "day")),
        _Spec("treatments", TR, lambda t: t.drug or t.category, matched_on=("drug",)),
        _Spec("genetic_tests", GT, lambda g: g.gene + (f" {g.allele}" if g.allele else ""), matched_on=("gene", "allele")),
        _Spec("procedures", PR, lambda pr: pr.procedure, matched_on=("procedure",)),
        _Spec("outcome", O, None, key_facts=lambda o: OUTCOME_FIELDS),
        _Spec("assessments", A, lambda a: a.instrument + (f" {a.exposure_drug}" if a.exposure_drug else ""),
              matched_on=("instrument", "exposure_drug"), children=(_Spec("items", AI, lambda i: i.item, matched_on=("item",)),)),
    )),
)


@dataclass
class Record:
    """One record of a document, where the comparison and the adjudication find it."""

    label: str
    case_key: str | None
    spec: _Spec
    model: BaseModel
    #: The object whose `spec.attr` holds this record (a list, or the record itself for one).
    parent: BaseModel
    case: CaseIn | None
    #: A core finding the document does not list (the loader stores it with the case's `unstated`).
    virtual: bool = False

    def key_facts(self) -> tuple[str, ...]:
        return self.spec.key_facts(self.model)


def _children(spec: _Spec, parent: BaseModel, prefix: str, case_key: str | None, case: CaseIn | None) -> Iterator[Record]:
    value = getattr(parent, spec.attr)
    if spec.identity is None:
        if value is not None:
            label = f"{prefix}.{spec.attr}" if prefix else spec.attr
            yield from _record(spec, value, label, parent, case_key, case)
        return
    seen: Counter = Counter()
    for rec in value:
        ident = spec.identity(rec)
        seen[ident] += 1
        n = seen[ident]
        name = (ident if n == 1 else f"{ident} #{n}") if ident else str(n)
        label = f"{prefix}.{spec.attr}[{name}]" if prefix else f"{spec.attr}[{name}]"
        yield from _record(spec, rec, label, parent, case_key, case)


def _record(spec: _Spec, rec: BaseModel, label: str, parent: BaseModel, case_key: str | None,
            case: CaseIn | None) -> Iterator[Record]:
    if isinstance(rec, CaseIn):
        case_key, case = rec.key, rec
    yield Record(label, case_key, spec, rec, parent, case)
    for child in spec.children:
        yield from _children(child, rec, label, case_key, case)
    if isinstance(rec, CaseIn):
        listed = {f.finding for f in rec.findings}
        findings = spec.children[[c.attr for c in spec.children].index("findings")]
        for code in CORE_FINDINGS:
            if code not in listed:
                virtual = FindingIn(finding=code, status=rec.unstated, src=[])
                yield Record(f"{label}.findings[{code}]", case_key, findings, virtual, rec, case, virtual=True)


def flatten(doc: SeedDocument) -> dict[str, Record]:
    """Every record of a document by its label (e.g. cases[park2021-1].labs[eosinophils_abs day 29])."""
    out: dict[str, Record] = {}
    for spec in _SPECS:
        for r in _children(spec, doc, "", None, None):
            out[r.label] = r
    return out


# ---------------------------------------------------------------------------
# Fields


def _is_scalar_field(annotation: Any) -> bool:
    def records(a: Any) -> bool:
        return (isinstance(a, type) and issubclass(a, BaseModel)) or any(records(x) for x in get_args(a))
    return not records(annotation) and get_origin(annotation) is not dict


def _python_kind(annotation: Any) -> AgreementKind:
    args = {a for a in (annotation, *get_args(annotation)) if isinstance(a, type)}
    if bool in args:
        return AgreementKind.BOOLEAN
    if int in args:
        return AgreementKind.INTEGER
    if float in args:
        return AgreementKind.NUMBER
    if get_origin(annotation) is not None and str(get_origin(annotation)).endswith("Literal"):
        return AgreementKind.CODE
    return AgreementKind.TEXT


def compared_fields(spec: _Spec, model: type[BaseModel]) -> dict[str, tuple[AgreementKind, bool]]:
    """The fields compared on a record: name -> (agreement kind, is a column of the record's table).

    The seed schema says which fields a record has; the field dictionary gives their kind."""
    columns = {f.name: f for f in record_fields(spec.table)} if spec.table is not None else {}
    out = {}
    for name, info in model.model_fields.items():
        if name in ("src", "missing") or name in spec.matched_on or not _is_scalar_field(info.annotation):
            continue
        col = columns.get(name)
        out[name] = (_KIND[col.kind], True) if col is not None else (_python_kind(info.annotation), False)
    return out


def normalise(value: Any) -> Any:
    """What two extractions are compared on: numbers as floats, text with its spaces collapsed."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return tuple(normalise(v) for v in value)
    return " ".join(str(value).split())


def render(value: Any) -> str | None:
    """A value as a report shows it."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "; ".join(render(v) or "" for v in value)
    return str(value)


def field_status(rec: Record, name: str) -> str | None:
    """Stated (a value), the reason a key fact is unknown (missing: or the case's unstated), or None (not given)."""
    if getattr(rec.model, name, None) is not None:
        return EvidenceStatus.STATED
    missing = getattr(rec.model, "missing", {}) or {}
    if name in missing:
        return missing[name].status
    if name in rec.key_facts() and rec.case is not None:
        return rec.case.unstated
    return None


def _norm_locator(at: str) -> str:
    return " ".join(at.split()).casefold()


def locators(rec: Record, name: str | None) -> tuple[str, ...]:
    """The curated src locators for a field (None: the record's own, field-less entries), in order."""
    return tuple(s.at for s in getattr(rec.model, "src", []) or [] if s.curated and s.field == name)


# ---------------------------------------------------------------------------
# The comparison


def extractors(a: SeedDocument, b: SeedDocument, path_a: str, path_b: str) -> tuple[str, str]:
    """The curators of two single extractions of the same publication; refuses anything else, naming the file."""
    problems = []
    for doc, path in ((a, path_a), (b, path_b)):
        ex = doc.extraction
        if ex is None:
            problems.append(f"{path}: extraction.extractor: missing; each extraction names its curator "
                            "(extraction: {extractor: NAME})")
        elif ex.second_extractor is not None:
            problems.append(f"{path}: extraction.second_extractor: this is already a curated dual extraction; "
                            "compare two single extractions")
    if a.publication.key != b.publication.key:
        problems.append(f"{path_b}: publication.key: {b.publication.key!r}, but {path_a} extracts {a.publication.key!r}")
    if not problems and a.extraction.extractor.casefold() == b.extraction.extractor.casefold():
        problems.append(f"{path_b}: extraction.extractor: {b.extraction.extractor!r} also extracted {path_a}; "
                        "a dual extraction needs two curators")
    if problems:
        raise DocumentErrors("\n".join(problems))
    return a.extraction.extractor, b.extraction.extractor


@dataclass(frozen=True)
class Difference:
    record: str
    case_key: str | None
    field: str | None
    aspect: ExtractionAspect
    kind: AgreementKind | None
    a: str | None
    b: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"record": self.record, "case_key": self.case_key, "field": self.field, "aspect": str(self.aspect),
                "kind": None if self.kind is None else str(self.kind), "a": self.a, "b": self.b}


@dataclass(frozen=True)
class Agreement:
    kind: AgreementKind
    compared: int
    agreed: int
    kappa: float | None

    @property
    def percent(self) -> float | None:
        return round(100 * self.agreed / self.compared, 1) if self.compared else None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "compared": self.compared, "agreed": self.agreed, "percent": self.percent,
                "kappa": self.kappa}


@dataclass
class Comparison:
    publication: str
    extractor_a: str
    extractor_b: str
    differences: list[Difference] = field(default_factory=list)
    agreement: list[Agreement] = field(default_factory=list)
    fields_compared: int = 0

    @property
    def fields_differing(self) -> int:
        return len({(d.record, d.field) for d in self.differences})

    def as_dict(self) -> dict[str, Any]:
        return {"publication": self.publication, "extractor_a": self.extractor_a, "extractor_b": self.extractor_b,
                "fields_compared": self.fields_compared, "fields_differing": self.fields_differing,
                "agreement": [a.as_dict() for a in self.agreement],
                "differences": [d.as_dict() for d in self.differences]}


def cohen_kappa(pairs: list[tuple[Any, Any]]) -> float | None:
    """Cohen's kappa of two raters' categories, (p_o - p_e) / (1 - p_e); None when undefined (no pairs, or
    both raters always used the same single category, p_e = 1)."""
    n = len(pairs)
    if not n:
        return None
    observed = sum(a == b for a, b in pairs) / n
    count_a = Counter(a for a, _ in pairs)
    count_b = Counter(b for _, b in pairs)
    expected = sum(count_a[k] * count_b[k] for k in count_a) / (n * n)
    if expected == 1:
        return None
    return round((observed - expected) / (1 - expected), 4)


class _Tally:
    def __init__(self) -> None:
        self.compared: Counter = Counter()
        self.agreed: Counter = Counter()
        self.pairs: dict[AgreementKind, list[tuple[Any, Any]]] = {k: [] for k in KAPPA_KINDS}

    def add(self, kind: AgreementKind, a: Any, b: Any) -> bool:
        self.compared[kind] += 1
        same = a == b
        self.agreed[kind] += same
        if kind in self.pairs:
            self.pairs[kind].append((a, b))
        return same

    def agreement(self) -> list[Agreement]:
        return [Agreement(k, self.compared[k], self.agreed[k], cohen_kappa(self.pairs[k]) if k in self.pairs else None)
                for k in AgreementKind if self.compared[k]]


def _category(rec: Record, name: str) -> tuple[Any, str | None]:
    """(what the field is compared on, the status): its value, else its status, else NOT_GIVEN."""
    status = field_status(rec, name)
    value = getattr(rec.model, name, None)
    if value is not None:
        return normalise(value), status
    return (f"({status})" if status else NOT_GIVEN), status


def _shown(rec: Record, name: str) -> str | None:
    value = getattr(rec.model, name, None)
    if value is not None:
        return render(value)
    status = field_status(rec, name)
    return f"({status})" if status else None


def compare(a: SeedDocument, b: SeedDocument, name_a: str, name_b: str) -> Comparison:
    """Every difference between two extractions of one publication, and their agreement per field kind."""
    ra, rb = flatten(a), flatten(b)
    result = Comparison(a.publication.key, name_a, name_b)
    tally = _Tally()
    only_parent: set[str] = set()
    labels = list(ra) + [k for k in rb if k not in ra]
    for label in labels:
        x, y = ra.get(label), rb.get(label)
        rec = x or y
        fields = compared_fields(rec.spec, type(rec.model))
        if x is None or y is None:
            # One difference for the outermost missing record; every field it holds counts as a disagreement.
            if not any(label.startswith(p + ".") for p in only_parent):
                only_parent.add(label)
                result.differences.append(Difference(
                    label, rec.case_key, None, ExtractionAspect.RECORD, None,
                    HAS_RECORD if x else None, HAS_RECORD if y else None))
            for name, (kind, _) in fields.items():
                cat, status = _category(rec, name)
                if status is None:
                    continue
                tally.add(kind, cat, NO_RECORD) if x else tally.add(kind, NO_RECORD, cat)
            continue
        for name, (kind, _) in fields.items():
            (ca, sa), (cb, sb) = _category(x, name), _category(y, name)
            if sa is None and sb is None:
                continue  # neither says anything about it
            if not tally.add(kind, ca, cb):
                aspect = ExtractionAspect.STATUS if EvidenceStatus.STATED not in (sa, sb) else ExtractionAspect.VALUE
                result.differences.append(Difference(label, rec.case_key, name, aspect, kind, _shown(x, name), _shown(y, name)))
        for name in [] if x.virtual or y.virtual else [None, *fields]:  # a finding left out has no locator
            la, lb = locators(x, name), locators(y, name)
            if name is not None and not (la or lb):
                continue
            if name is None and not (la or lb):
                continue
            if name is not None and (not la or not lb):
                # One side names the place for this field, the other only for the whole record: compare with that.
                la, lb = la or locators(x, None), lb or locators(y, None)
            if not tally.add(AgreementKind.LOCATOR, frozenset(map(_norm_locator, la)), frozenset(map(_norm_locator, lb))):
                result.differences.append(Difference(label, rec.case_key, name, ExtractionAspect.LOCATOR,
                                                     AgreementKind.LOCATOR, "; ".join(la) or None, "; ".join(lb) or None))
    result.agreement = tally.agreement()
    result.fields_compared = sum(tally.compared[k] for k in AgreementKind if k != AgreementKind.LOCATOR)
    return result


# ---------------------------------------------------------------------------
# The report


def format_comparison(c: Comparison) -> str:
    lines = [
        f"publication {c.publication}: extraction A by {c.extractor_a}, extraction B by {c.extractor_b}",
        f"fields compared: {c.fields_compared}; differing: {c.fields_differing} ({len(c.differences)} difference(s))",
        "",
        "agreement by field kind",
        f"  {'kind':<10} {'compared':>8} {'agreed':>7} {'agreement':>10} {'kappa':>7}",
    ]
    for ag in c.agreement:
        kappa = "" if ag.kappa is None else f"{ag.kappa:.3f}"
        if ag.kind in KAPPA_KINDS and ag.kappa is None:
            kappa = "n/a"
        lines.append(f"  {ag.kind:<10} {ag.compared:>8} {ag.agreed:>7} {ag.percent:>9.1f}% {kappa:>7}")
    if not c.differences:
        lines += ["", "no differences"]
        return "\n".join(lines)
    lines += ["", "differences (A | B)"]
    for d in c.differences:
        where = d.record + (f".{d.field}" if d.field else "")
        lines.append(f"  {where}  [{d.aspect}]")
        lines.append(f"      A ({c.extractor_a}): {d.a if d.a is not None else '(none)'}")
        lines.append(f"      B ({c.extractor_b}): {d.b if d.b is not None else '(none)'}")
    return "\n".join(lines)
