"""Seed documents as files: read, parse and validate them, before anything touches a database.

`read_documents` parses and validates every file first (nothing is written
if any file is wrong: the error names the file and the path of the bad
field); `cross_check` runs the checks that need every document at once.
Ingest (registry.ingest) loads the documents; the YAML export
(registry.cases.seedformat) validates what it writes with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import ValidationError

from registry.cases.completeness import CASE_FIELDS, EXPOSURE_FIELDS, OUTCOME_FIELDS
from registry.cases.placeholder import UNFILLED, unfilled_fields
from registry.cases.seedschema import (
    PUBLICATION_MISSING_FIELDS,
    AssessmentIn,
    CaseIn,
    Challenge,
    Dose,
    Exposure,
    FindingIn,
    GeneticTestIn,
    InvestigationIn,
    Lab,
    Outcome,
    ProcedureIn,
    PublicationIn,
    SeedDocument,
    TreatmentIn,
    describe_error,
)
from registry.core.errors import RegistryError
from registry.core.inputs import read_yaml_file
from registry.core.sync import gc_paused
from registry.schema.fields import record_fields
from registry.schema.models.tables import CH, DR, GT, INV, LAB, PR, TR, A, C, F, O, P, X
from registry.schema.vocabulary import EvidenceStatus, FindingStatus

#: Case-row fields that need evidence naming their source when set.
SOURCED_CASE_FIELDS = ("age_value", "sex", "country", "onset_day", "diagnosis_as_reported")


def _columns_of(model, table) -> frozenset[str]:
    return frozenset(set(model.model_fields) & {str(c.name) for c in table.columns})


#: The fields a record's `src.field` may name: its own fields (as a seed document names them), and the
#: key facts a record's `missing` may explain (an exposure's `dose` is its dose rows).
_KEY_FIELDS: dict[type, frozenset[str]] = {
    CaseIn: frozenset(CASE_FIELDS), Exposure: frozenset(EXPOSURE_FIELDS), Challenge: frozenset({"result"}),
    Outcome: frozenset(OUTCOME_FIELDS), PublicationIn: frozenset(PUBLICATION_MISSING_FIELDS),
}
_SRC_FIELDS: dict[type, frozenset[str]] = {
    **{model: frozenset(f.name for f in record_fields(table)) | _KEY_FIELDS.get(model, frozenset())
       for model, table in ((Exposure, X), (Dose, DR), (Challenge, CH), (FindingIn, F), (InvestigationIn, INV),
                            (Lab, LAB), (TreatmentIn, TR), (GeneticTestIn, GT), (ProcedureIn, PR),
                            (Outcome, O))},
    CaseIn: _columns_of(CaseIn, C), PublicationIn: _columns_of(PublicationIn, P), AssessmentIn: _columns_of(AssessmentIn, A),
}


def _record_problems(rec: Any) -> Iterator[str]:
    """What is wrong with a record's `src` fields and `missing` keys ("src[0].field: ...")."""
    allowed = _SRC_FIELDS[type(rec)]
    for i, s in enumerate(rec.src):
        if s.field is not None and s.field not in allowed:
            yield f"src[{i}].field: {s.field!r} is not a field of this record; allowed: {', '.join(sorted(allowed))}"
    keys = _KEY_FIELDS.get(type(rec), frozenset())
    for f in getattr(rec, "missing", ()):
        if f not in keys:
            yield (f"missing.{f}: not a key fact of this record"
                   + (f" ({', '.join(sorted(keys))})" if keys else " (this record has none)"))


def _record_ok(rec: Any) -> bool:
    allowed = _SRC_FIELDS[type(rec)]
    for s in rec.src:
        if s.field is not None and s.field not in allowed:
            return False
    return not rec.missing or rec.missing.keys() <= _KEY_FIELDS.get(type(rec), frozenset())


@dataclass(frozen=True)
class Document:
    path: str
    doc: SeedDocument


class DocumentErrors(RegistryError):
    """All validation problems of a set of files, one per line."""


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after[check(), str]",) or str(part).startswith("function-"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def parse_document(path: str, raw: Any) -> SeedDocument:
    unfilled = unfilled_fields(raw)
    if unfilled:  # a new-case skeleton (registry/cases/template.py) not filled in yet
        raise DocumentErrors("\n".join(
            [f"{path}: {p}: not extracted yet (still {UNFILLED})" for p in unfilled]
            + [f"{path}: {len(unfilled)} field(s) still {UNFILLED}: give each value with its src, or delete the line "
               "and say why it is unknown (unstated / missing); see seed/README.md"]
        ))
    try:
        return SeedDocument.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = describe_error(err)
            # A check on the whole document names its own path (drugs[1].name: ...).
            lines.append(f"{path}: {_format_loc(err['loc'])}: {msg}" if err["loc"] else f"{path}: {msg}")
        raise DocumentErrors("\n".join(lines)) from None


def read_yaml(path: Path) -> Any:
    """A seed-format file as plain data, through the guarded reader (registry.core.inputs): size limit,
    UTF-8, no control characters, YAML 1.2 scalars, no duplicate keys, bounded depth and aliases."""
    return read_yaml_file(path)


def read_documents(paths: Iterable[Path]) -> list[Document]:
    """Parse and validate files; raise one error listing every problem."""
    docs, problems = [], []
    for path in sorted(paths):
        try:
            docs.append(Document(str(path), parse_document(str(path), read_yaml(path))))
        except RegistryError as exc:
            problems.append(str(exc))
    if problems:
        raise DocumentErrors("\n".join(problems))
    cross_check(docs)
    return docs


def cross_check(docs: list[Document], known_publications: set[str] = frozenset()) -> None:
    """Checks that need all files at once: keys unique, references resolvable, evidence present."""
    with gc_paused():
        _cross_check(docs, known_publications)


def _cross_check(docs: list[Document], known_publications: set[str]) -> None:
    problems: list[str] = []
    pubs: dict[str, str] = {}
    identities: dict[tuple[str, Any], str] = {}
    for d in docs:
        p = d.doc.publication
        if p.key in pubs:
            problems.append(f"{d.path}: publication.key: {p.key!r} is also used in {pubs[p.key]}")
        pubs[p.key] = d.path
        for name, value in (("doi", p.doi.lower() if p.doi else None), ("pmid", p.pmid), ("pmcid", p.pmcid)):
            if value is not None and (name, value) in identities:
                problems.append(f"{d.path}: publication.{name}: {value} is also given in {identities[(name, value)]}")
            identities.setdefault((name, value), d.path)
        problems += [f"{d.path}: publication.{m}" for m in _record_problems(p)]
    all_pubs = set(pubs) | set(known_publications)
    cases: dict[str, str] = {}
    for d in docs:
        primary = d.doc.publication.key
        for i, c in enumerate(d.doc.cites):
            if c.pub not in all_pubs:
                problems.append(f"{d.path}: cites[{i}].pub: unknown publication {c.pub!r}")
        for ci, case in enumerate(d.doc.cases):
            where = f"{d.path}: cases[{ci}]"
            if case.key in cases:
                problems.append(f"{where}.key: {case.key!r} is also used in {cases[case.key]}")
            cases[case.key] = d.path
            if _case_refs_ok(case, all_pubs, primary):
                continue  # the common case: nothing to report, no paths to format
            for path, src in _all_sources(case):
                if src.pub is not None and src.pub not in all_pubs:
                    problems.append(f"{where}.{path}.pub: unknown publication {src.pub!r}")
            linked: dict[str, int] = {}
            for li, link in enumerate(case.links):
                if link.pub not in all_pubs:
                    problems.append(f"{where}.links[{li}].pub: unknown publication {link.pub!r}")
                elif link.pub == primary:
                    problems.append(f"{where}.links[{li}].pub: {link.pub!r} is the case's own publication "
                                    "(the file's publication is its primary report)")
                elif link.pub in linked:
                    problems.append(f"{where}.links[{li}].pub: {link.pub!r} is also links[{linked[link.pub]}]")
                linked.setdefault(link.pub, li)
            sourced = {s.field for s in case.src if s.status == EvidenceStatus.STATED}
            for f in SOURCED_CASE_FIELDS:
                if getattr(case, f) is not None and f not in sourced:
                    problems.append(f"{where}.{f}: value has no source (add a src entry with field: {f})")
            for path, rec in _sourced_records(case):
                if not rec.src:
                    problems.append(f"{where}.{path}: no src (every record names its source)")
            problems += [f"{where}.{m}" for m in _record_problems(case)]
            for path, rec in _all_records(case):
                problems += [f"{where}.{path}.{m}" for m in _record_problems(rec)]
    if problems:
        raise DocumentErrors("\n".join(problems))


def _all_records(case: CaseIn):
    """Every record of a case with its path (findings of any status)."""
    for xi, x in enumerate(case.exposures):
        yield f"exposures[{xi}]", x
        for di, d in enumerate(x.doses):
            yield f"exposures[{xi}].doses[{di}]", d
        for hi, h in enumerate(x.challenges):
            yield f"exposures[{xi}].challenges[{hi}]", h
    for name in ("findings", "investigations", "labs", "treatments", "genetic_tests", "procedures", "assessments"):
        for i, r in enumerate(getattr(case, name)):
            yield f"{name}[{i}]", r
    if case.outcome is not None:
        yield "outcome", case.outcome


def _sourced_records(case: CaseIn):
    for xi, x in enumerate(case.exposures):
        yield f"exposures[{xi}]", x
        for di, d in enumerate(x.doses):
            yield f"exposures[{xi}].doses[{di}]", d
        for hi, h in enumerate(x.challenges):
            yield f"exposures[{xi}].challenges[{hi}]", h
    for fi, f in enumerate(case.findings):
        if f.status in (FindingStatus.PRESENT, FindingStatus.ABSENT, FindingStatus.NOT_DONE):
            yield f"findings[{fi}]", f
    for name in ("investigations", "labs", "treatments", "genetic_tests", "procedures", "assessments"):
        for i, r in enumerate(getattr(case, name)):
            yield f"{name}[{i}]", r
    if case.outcome is not None:
        yield "outcome", case.outcome


def _records(case: CaseIn):
    """The records of _sourced_records, without formatting their paths (hot path of large loads)."""
    for x in case.exposures:
        yield x
        yield from x.doses
        yield from x.challenges
    for f in case.findings:
        if f.status in (FindingStatus.PRESENT, FindingStatus.ABSENT, FindingStatus.NOT_DONE):
            yield f
    yield from case.investigations
    yield from case.labs
    yield from case.treatments
    yield from case.genetic_tests
    yield from case.procedures
    yield from case.assessments
    if case.outcome is not None:
        yield case.outcome


def source_pubs(case: CaseIn) -> Iterator[str]:
    """Publications named by the case's evidence (those of _all_sources)."""
    for s in case.src:
        if s.pub:
            yield s.pub
    for rec in _records(case):
        for s in rec.src:
            if s.pub:
                yield s.pub


def _case_refs_ok(case: CaseIn, all_pubs: set[str], primary: str) -> bool:
    """True when cross_check has nothing to say about this case (same rules, fast)."""
    for rec in _records(case):
        if not rec.src:
            return False
    for p in source_pubs(case):
        if p not in all_pubs:
            return False
    linked = set()
    for link in case.links:
        if link.pub not in all_pubs or link.pub == primary or link.pub in linked:
            return False
        linked.add(link.pub)
    sourced = {s.field for s in case.src if s.status == EvidenceStatus.STATED}
    for f in SOURCED_CASE_FIELDS:
        if getattr(case, f) is not None and f not in sourced:
            return False
    if not _record_ok(case):
        return False
    for _, rec in _all_records(case):
        if not _record_ok(rec):
            return False
    return True


def _all_sources(case: CaseIn):
    for i, s in enumerate(case.src):
        yield f"src[{i}]", s
    for path, rec in _sourced_records(case):
        for i, s in enumerate(rec.src):
            yield f"{path}.src[{i}]", s


def validate_documents(items: Iterable[tuple[str, Any]], known_publications: set[str] = frozenset()) -> list[Document]:
    """Validate already-parsed documents (path or label, raw data), e.g. an import file; one error lists every problem."""
    docs, problems = [], []
    with gc_paused():
        for path, raw in items:
            try:
                docs.append(Document(path, parse_document(path, raw)))
            except RegistryError as exc:
                problems.append(str(exc))
    if problems:
        raise DocumentErrors("\n".join(problems))
    cross_check(docs, known_publications)
    return docs
