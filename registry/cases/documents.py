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

from registry.cases.completeness import CASE_FIELDS
from registry.cases.seedschema import CaseIn, SeedDocument
from registry.core.errors import RegistryError
from registry.core.inputs import read_yaml_file
from registry.core.sync import gc_paused
from registry.schema.vocabulary import EvidenceStatus, FindingStatus

#: Case-row fields that need evidence naming their source when set.
SOURCED_CASE_FIELDS = ("age_value", "sex", "country", "onset_day", "diagnosis_as_reported")


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
    try:
        return SeedDocument.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{path}: {_format_loc(err['loc'])}: {msg}")
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
    for d in docs:
        k = d.doc.publication.key
        if k in pubs:
            problems.append(f"{d.path}: publication.key: {k!r} is also used in {pubs[k]}")
        pubs[k] = d.path
    all_pubs = set(pubs) | set(known_publications)
    cases: dict[str, str] = {}
    for d in docs:
        for i, c in enumerate(d.doc.cites):
            if c.pub not in all_pubs:
                problems.append(f"{d.path}: cites[{i}].pub: unknown publication {c.pub!r}")
        for ci, case in enumerate(d.doc.cases):
            where = f"{d.path}: cases[{ci}]"
            if case.key in cases:
                problems.append(f"{where}.key: {case.key!r} is also used in {cases[case.key]}")
            cases[case.key] = d.path
            if _case_refs_ok(case, all_pubs):
                continue  # the common case: nothing to report, no paths to format
            for path, src in _all_sources(case):
                if src.pub is not None and src.pub not in all_pubs:
                    problems.append(f"{where}.{path}.pub: unknown publication {src.pub!r}")
            for li, link in enumerate(case.links):
                if link.pub not in all_pubs:
                    problems.append(f"{where}.links[{li}].pub: unknown publication {link.pub!r}")
            sourced = {s.field for s in case.src if s.status == EvidenceStatus.STATED}
            for f in SOURCED_CASE_FIELDS:
                if getattr(case, f) is not None and f not in sourced:
                    problems.append(f"{where}.{f}: value has no source (add a src entry with field: {f})")
            for path, rec in _sourced_records(case):
                if not rec.src:
                    problems.append(f"{where}.{path}: no src (every record names its source)")
            for f in case.missing:
                if f not in CASE_FIELDS:
                    problems.append(f"{where}.missing.{f}: not a key field of the case ({', '.join(CASE_FIELDS)})")
    if problems:
        raise DocumentErrors("\n".join(problems))


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
    for name in ("investigations", "labs", "treatments", "assessments"):
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


def _case_refs_ok(case: CaseIn, all_pubs: set[str]) -> bool:
    """True when cross_check has nothing to say about this case (same rules, fast)."""
    for rec in _records(case):
        if not rec.src:
            return False
    for p in source_pubs(case):
        if p not in all_pubs:
            return False
    for link in case.links:
        if link.pub not in all_pubs:
            return False
    sourced = {s.field for s in case.src if s.status == EvidenceStatus.STATED}
    for f in SOURCED_CASE_FIELDS:
        if getattr(case, f) is not None and f not in sourced:
            return False
    return all(f in CASE_FIELDS for f in case.missing)


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
