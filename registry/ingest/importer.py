"""`dress-registry import`: add cases from seed-format YAML or the flat case CSV.

All or nothing, in this order:

1. every file is read and checked on its own: encoding (UTF-8), emptiness,
   YAML syntax or CSV structure (header, field counts), and, for YAML, the
   seed schema (registry/cases/seedschema.py);
2. in one write transaction (registry.ingest.audit.audited: the changes are
   written to the audit log as the curator's, in the same transaction): CSV rows become seed
   documents (citation cells of known publications filled from the
   registry) and are validated by the same schema; all documents are
   cross-checked as the seed is (keys, references, evidence); a DOI, PMID or
   PMCID that the registry holds under another key is refused; a probable
   duplicate (a new case of a publication with the same DOI or PMID as a
   registered one, with the same age and sex as a case already linked to it)
   is refused unless allow_duplicate;
3. the documents are written by the seed loader with prune=False (rows are
   added or updated, never removed).

Any problem in 1 or 2 is reported with file, line or record, field and
allowed values, all problems at once, and nothing is written.

A YAML case whose key is already in the registry is an update of that case
(as with the seed), not a duplicate. The flat CSV only adds new cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection, Engine

from registry.cases.documents import Document, DocumentErrors, cross_check, parse_document, read_yaml
from registry.cases.seedformat import _Context, publication_dict
from registry.cases.seedschema import SeedDocument
from registry.core.errors import RegistryError
from registry.core.progress import Progress, quiet
from registry.core.sync import SyncStats
from registry.ingest.audit import Curator, audited
from registry.ingest.csvimport import Problems, build_publications, raise_problems, read_csv
from registry.ingest.seed import load_documents
from registry.schema.migrate import require_head
from registry.schema.models.tables import CP, C, P

YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)


@dataclass
class _Input:
    path: Path
    yaml_doc: Document | None = None
    csv: Any = None


@dataclass
class ImportResult:
    files: int
    publications: int
    cases: int
    new_cases: int
    stats: SyncStats
    duplicates_allowed: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        text = (f"{verb} {self.cases} case(s) ({self.new_cases} new) of {self.publications} publication(s) "
                f"from {self.files} file(s)")
        if not self.dry_run:
            text += f": {self.stats.summary()}"
        if self.duplicates_allowed:
            text += f"; {len(self.duplicates_allowed)} probable duplicate(s) allowed: " + ", ".join(self.duplicates_allowed)
        return text


def _read_inputs(paths: list[Path], problems: Problems) -> list[_Input]:
    """Step 1: each file on its own. Unusable files are left out; their problems are kept for the report."""
    inputs: list[_Input] = []
    for path in paths:
        suffix = path.suffix.lower()
        if suffix in YAML_SUFFIXES:
            try:
                inputs.append(_Input(path, yaml_doc=Document(str(path), parse_document(str(path), read_yaml(path)))))
            except RegistryError as exc:
                problems.add(str(exc))
        elif suffix in CSV_SUFFIXES:
            f = read_csv(path, problems)
            if f is not None:
                inputs.append(_Input(path, csv=f))
        else:
            problems.add(f"{path}: unknown file type {path.suffix or '(none)'!r}; allowed: "
                         f"{', '.join(YAML_SUFFIXES + CSV_SUFFIXES)} (seed-format YAML or the flat case CSV)")
    return inputs


@dataclass
class _Where:
    """How an error names a case: file and CSV line, or file and record path."""

    path: str
    label: str


def _documents(conn: Connection, inputs: list[_Input], problems: Problems
               ) -> tuple[list[Document], dict[tuple[str, str], _Where]]:
    docs: list[Document] = []
    where: dict[tuple[str, str], _Where] = {}
    existing_cases = {k for (k,) in conn.execute(select(C.c.case_key))}
    ctx = None
    for inp in inputs:
        if inp.yaml_doc is not None:
            docs.append(inp.yaml_doc)
            for i, c in enumerate(inp.yaml_doc.doc.cases):
                where[(inp.yaml_doc.path, c.key)] = _Where(inp.yaml_doc.path, f"cases[{i}] ({c.key})")
            continue
        keys = {r.values.get("publication_key", "").strip() for r in inp.csv.rows}
        existing: dict[str, dict[str, Any]] = {}
        for row in conn.execute(select(P).where(P.c.key.in_(sorted(keys)))).mappings():
            ctx = ctx or _Context(conn)
            existing[row["key"]] = publication_dict(conn, dict(row), ctx)
        for pub in build_publications(inp.csv, existing, existing_cases, problems):
            doc = SeedDocument(publication=pub.publication, cases=[c.case for c in pub.cases])
            docs.append(Document(pub.path, doc))
            for c in pub.cases:
                where[(pub.path, c.case.key)] = _Where(pub.path, f"line {c.line} ({c.case.key})")
    raise_problems(problems)
    return docs, where


def _identity_conflicts(conn: Connection, docs: list[Document]) -> list[str]:
    """A DOI / PMID / PMCID is one publication: refuse it under a second key."""
    problems = []
    seen: dict[tuple[str, Any], tuple[str, str]] = {}
    for d in docs:
        p = d.doc.publication
        for name, value, col in (("doi", p.doi.lower() if p.doi else None, func.lower(P.c.doi)),
                                 ("pmid", p.pmid, P.c.pmid), ("pmcid", p.pmcid, P.c.pmcid)):
            if value is None:
                continue
            other = conn.execute(select(P.c.key).where(col == value, P.c.key != p.key)).scalar()
            if other is not None:
                problems.append(f"{d.path}: publication.{name}: {value} is already registered as publication {other!r}; "
                                f"use publication key {other!r} (or correct the {name})")
            prior = seen.get((name, value))
            if prior is not None and prior[0] != p.key:
                problems.append(f"{d.path}: publication.{name}: {value} is also given for publication {prior[0]!r} "
                                f"in {prior[1]}")
            seen.setdefault((name, value), (p.key, d.path))
    return problems


def _fmt_age(value: float | None, unit: str | None) -> str:
    if value is None:
        return "unknown age"
    v = int(value) if float(value).is_integer() else value
    return f"age {v} {unit}"


def _duplicates(conn: Connection, docs: list[Document], where: dict[tuple[str, str], _Where]) -> list[tuple[str, str]]:
    """(message, case key) for new cases that look like a case already in the registry."""
    out = []
    known_cases = {k for (k,) in conn.execute(select(C.c.case_key))}
    for d in docs:
        p = d.doc.publication
        conds = []
        if p.doi:
            conds.append(func.lower(P.c.doi) == p.doi.lower())
        if p.pmid:
            conds.append(P.c.pmid == p.pmid)
        if not conds:
            continue
        pubs = conn.execute(select(P.c.id, P.c.key, P.c.doi, P.c.pmid).where(or_(*conds))).all()
        if not pubs:
            continue
        candidates = conn.execute(
            select(C.c.case_key, C.c.age_value, C.c.age_unit, C.c.sex, P.c.key)
            .select_from(C.join(CP, CP.c.case_id == C.c.id).join(P, P.c.id == CP.c.publication_id))
            .where(CP.c.publication_id.in_([r.id for r in pubs]))
            .order_by(C.c.case_key)
        ).all()
        for case in d.doc.cases:
            if case.key in known_cases:
                continue  # an update of that case, not a new one
            for other in candidates:
                same_age = (other.age_value, other.age_unit) == (case.age_value, case.age_unit)
                if same_age and other.sex == case.sex:
                    by = f"DOI {p.doi}" if p.doi and any((r.doi or "").lower() == p.doi.lower() for r in pubs) else f"PMID {p.pmid}"
                    w = where.get((d.path, case.key), _Where(d.path, case.key))
                    out.append((
                        f"{w.path}: {w.label}: probable duplicate of case {other.case_key!r} of publication {other.key!r} "
                        f"(same {by}, same {_fmt_age(case.age_value, case.age_unit)}, same sex {case.sex or 'unknown'}); "
                        "if it is a different patient, import again with --allow-duplicate",
                        case.key,
                    ))
                    break
    return out


#: Steps of an import, for the progress bar: read, validate, check duplicates, load.
IMPORT_STEPS = 4


def import_files(engine: Engine, paths: list[Path], *, curator: Curator, command: str = "import",
                 allow_duplicate: bool = False, dry_run: bool = False,
                 progress: Progress | None = None) -> ImportResult:
    """Validate every file, then write them all in one transaction (or nothing), logged as `curator`'s change."""

    progress = progress or quiet()
    if not paths:
        raise RegistryError("no files to import")
    problems = Problems()
    with progress.step("read"):
        inputs = _read_inputs(paths, problems)
    if not inputs:
        raise_problems(problems)
    require_head(engine)
    with audited(engine, curator, command) as log:
        conn = log.conn
        with progress.step("validate"):
            docs, where = _documents(conn, inputs, problems)
            known = {k for (k,) in conn.execute(select(P.c.key))}
            cross_check(docs, known_publications=known)
            problems = _identity_conflicts(conn, docs)
        if problems:
            raise DocumentErrors("\n".join(problems))
        with progress.step("duplicates"):
            dups = _duplicates(conn, docs, where)
        if dups and not allow_duplicate:
            raise DocumentErrors("\n".join(m for m, _ in dups) + "\nnothing was written")
        known_cases = {k for (k,) in conn.execute(select(C.c.case_key))}
        cases = [c.key for d in docs for c in d.doc.cases]
        with progress.step("load"):
            stats = SyncStats() if dry_run else load_documents(conn, docs, prune=False, audit=log)
        return ImportResult(
            files=len(inputs),
            publications=len(docs),
            cases=len(cases),
            new_cases=len([c for c in cases if c not in known_cases]),
            stats=stats,
            duplicates_allowed=[k for _, k in dups],
            dry_run=dry_run,
        )
