"""`dress-registry intake`: search exports become candidates, duplicates linked rather than repeated.

All or nothing: every file is read and checked first (registry.ingest.searchfiles); then, in one write
transaction, each record is matched, in file order, against the candidates the registry already holds
(and those this intake made so far), then against the registry's publications:

1. same DOI (normalised: lower case, no https://doi.org/ or doi: prefix);
2. else same PMID;
3. else same normalised title + year + first author's surname, unless the two carry different DOIs or
   different PMIDs (two reports with one title, e.g. an abstract and the paper, stay apart).

A record that matches a candidate is stored as a duplicate pointing at it (search_records.is_duplicate,
match_basis); it gives the candidate a DOI or PMID the candidate lacked. A record that matches only a
publication makes a candidate linked to that publication and marked in_registry_at_intake (removed
before screening: it is already in). Any other record makes a new candidate, to screen.

The writes are `save_searches` (the files' records) and `link_candidates` (candidates to publications
added since); each is one function taking a connection inside the caller's transaction and the audit log
(registry.ingest.audit.AuditLog) of that transaction: a loaded export is one entry (its records are part
of it), each new candidate one, a DOI or PMID a candidate learns and a link to a publication one per
field.

The seed's trail (registry.ingest.seedtrail) replays searches that were run before their publications
entered the registry: it saves them with `match_publications=False`, so a record of a seeded
publication makes a candidate to screen, linked afterwards by `link_candidates`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from registry.core.errors import RegistryError
from registry.ingest.audit import AuditAction, AuditLog, Curator, audited
from registry.ingest.searchfiles import SearchFile, SearchRecordIn, first_author_of_list, read_search_file, title_key
from registry.schema.migrate import require_head
from registry.schema.models.screening import MATCH_BASES
from registry.schema.models.tables import CA, SE, SR, P

#: What matched (search_records.match_basis, candidates.publication_match).
DOI, PMID, TITLE = MATCH_BASES


@dataclass
class _Work:
    """A candidate (stored, or made by this intake) or a publication, as the matcher sees it."""

    doi: str | None
    pmid: int | None
    title_keys: tuple[str, ...]
    id: int | None = None
    row: dict[str, Any] | None = None  # the row to insert, for a new candidate
    key: str | None = None  # a publication's key
    changed: dict[str, Any] = field(default_factory=dict)  # identifiers learnt from a duplicate


def _title_year(key: str) -> str | None:
    """'imatinib induced dress|2021|park' -> 'imatinib induced dress|2021'; None without a title or a year."""
    title, year, _ = key.rsplit("|", 2)
    return f"{title}|{year}" if title and year else None


class _Index:
    def __init__(self, *, authorless_by_title_year: bool = False) -> None:
        self.authorless_by_title_year = authorless_by_title_year
        self.by_doi: dict[str, _Work] = {}
        self.by_pmid: dict[int, _Work] = {}
        self.by_title: dict[str, list[_Work]] = {}
        #: Publications without a first author (their authors could not be read), by title and year alone:
        #: they match a record of any first author on title and year, never on title alone.
        self.by_title_year: dict[str, list[_Work]] = {}

    def add(self, work: _Work) -> None:
        if work.doi:
            self.by_doi.setdefault(work.doi, work)
        if work.pmid:
            self.by_pmid.setdefault(work.pmid, work)
        for key in work.title_keys:
            self.by_title.setdefault(key, []).append(work)
            if self.authorless_by_title_year and key.endswith("|") and (title_year := _title_year(key)):
                self.by_title_year.setdefault(title_year, []).append(work)

    def match(self, doi: str | None, pmid: int | None, key: str) -> tuple[_Work, str] | None:
        if doi and doi in self.by_doi:
            return self.by_doi[doi], DOI
        if pmid and pmid in self.by_pmid:
            return self.by_pmid[pmid], PMID
        if key.startswith("|"):
            return None
        title_year = _title_year(key)
        authorless = self.by_title_year.get(title_year, []) if title_year else []
        for work in [*self.by_title.get(key, ()), *(w for w in authorless if not key.endswith("|"))]:
            if doi and work.doi and work.doi != doi:
                continue
            if pmid and work.pmid and work.pmid != pmid:
                continue
            return work, TITLE
        return None


def _candidate_index(conn: Connection) -> _Index:
    index = _Index()
    for r in conn.execute(select(CA.c.id, CA.c.doi, CA.c.pmid, CA.c.title_key)):
        index.add(_Work(r.doi, r.pmid, (r.title_key,), id=r.id))
    return index


def _publication_index(conn: Connection, *, unlinked_only: bool = False) -> _Index:
    index = _Index(authorless_by_title_year=True)
    for r in conn.execute(select(P.c.id, P.c.key, P.c.doi, P.c.pmid, P.c.title, P.c.title_english, P.c.year, P.c.authors)
                          .where(P.c.is_synthetic.is_(False)).order_by(P.c.id)):
        first = first_author_of_list(r.authors)
        keys = tuple(dict.fromkeys(title_key(t, r.year, first) for t in (r.title, r.title_english) if t))
        index.add(_Work(r.doi.lower() if r.doi else None, r.pmid, keys, id=r.id, key=r.key))
    return index


@dataclass
class FileResult:
    path: Path
    source: str
    records: int
    new_candidates: int
    duplicates: int
    in_registry: int


@dataclass
class IntakeResult:
    files: list[FileResult]
    linked: list[tuple[int, str, str]]

    def summary(self) -> str:
        lines = [f"{f.path.name} ({f.source}): {f.records} record(s): {f.new_candidates} new candidate(s), "
                 f"{f.duplicates} duplicate(s), {f.in_registry} already in the registry" for f in self.files]
        lines += [f"candidate {cid} linked to publication {key!r} (same {basis})" for cid, key, basis in self.linked]
        return "\n".join(lines)


def _source_of(sf: SearchFile, source: str | None) -> str:
    if source:
        return source.strip()
    named = {r.database for r in sf.records}
    if len(named) == 1 and None not in named:
        return named.pop()
    raise RegistryError(f"{sf.path}: the file does not name the database it came from: give --source NAME "
                        "(e.g. --source PubMed)")


def _candidate_row(rec: SearchRecordIn, key: str) -> dict[str, Any]:
    return {
        "doi": rec.doi, "pmid": rec.pmid, "title": rec.title, "title_key": key,
        "authors": "; ".join(rec.authors) or None, "first_author": rec.first_author, "year": rec.year,
        "journal": rec.journal, "volume": rec.volume, "issue": rec.issue, "pages": rec.pages,
        "publication_id": None, "publication_match": None, "in_registry_at_intake": False,
    }


def _learn(work: _Work, rec: SearchRecordIn, index: _Index) -> None:
    """A duplicate record may carry the DOI or PMID its candidate lacks: note it (unless another work has it)."""
    for name, value, by in ((DOI, rec.doi, index.by_doi), (PMID, rec.pmid, index.by_pmid)):
        if value and getattr(work, name) is None and value not in by:
            setattr(work, name, value)
            by[value] = work
            if work.row is not None:
                work.row[name] = value
            else:
                work.changed[name] = value


def candidate_key(row: dict[str, Any]) -> str:
    """How the audit log names a candidate (record_key): first author and year, and its PMID or DOI."""
    name = " ".join(str(v) for v in (row.get("first_author"), row.get("year")) if v) or "(no author or year)"
    if row.get("pmid"):
        return f"{name}, pmid {row['pmid']}"
    if row.get("doi"):
        return f"{name}, doi {row['doi']}"
    return name


def save_searches(conn: Connection, files: list[SearchFile], *, source: str | None, searched_on: date | None,
                  curator: str | None, audit: AuditLog | None = None, match_publications: bool = True) -> list[FileResult]:
    """Write the records of `files` (read and checked) as searches, candidates and search records.

    `match_publications=False`: records are matched against candidates only (duplicates), never against the
    registry's publications (the seed's trail: its searches were run before the publications were in)."""
    now = datetime.now(timezone.utc)
    candidates = _candidate_index(conn)
    publications = _publication_index(conn) if match_publications else _Index()
    loaded = {r.file_sha256: (r.file_name, r.loaded_at) for r in conn.execute(select(SE.c.file_sha256, SE.c.file_name, SE.c.loaded_at))}
    results: list[FileResult] = []
    pending_records: list[tuple[dict[str, Any], _Work]] = []
    new_works: list[_Work] = []
    for sf in files:
        digest = hashlib.sha256(sf.data).hexdigest()
        if digest in loaded:
            file_name, loaded_at = loaded[digest]
            raise RegistryError(f"{sf.path}: this export was already loaded (as {file_name}, "
                                f"{loaded_at:%Y-%m-%d}); nothing was written")
        loaded[digest] = (sf.path.name, now)
        name = _source_of(sf, source)
        search = {
            "source": name, "searched_on": searched_on, "file_name": sf.path.name, "file_format": sf.file_format,
            "file_sha256": digest, "record_count": len(sf.records), "loaded_at": now, "loaded_by": curator,
        }
        search_id = conn.execute(insert(SE).returning(SE.c.id), search).scalar_one()
        if audit is not None:  # the file's records are part of the search's entry
            audit.record("searches", AuditAction.INSERT, record_id=search_id, record_key=f"{name}: {sf.path.name}",
                         new={k: v for k, v in search.items() if k != "loaded_at"})  # loaded_at: the change's time
        result = FileResult(sf.path, name, len(sf.records), 0, 0, 0)
        for rec in sf.records:
            key = title_key(rec.title, rec.year, rec.first_author)
            record = {
                "search_id": search_id, "position": rec.position, "source_record_id": rec.source_record_id,
                "doi_as_given": rec.doi_as_given, "pmid": rec.pmid, "title": rec.title,
                "first_author": rec.first_author, "year": rec.year, "is_duplicate": False, "match_basis": None,
            }
            found = candidates.match(rec.doi, rec.pmid, key)
            if found:
                work, basis = found
                record.update(is_duplicate=True, match_basis=basis)
                _learn(work, rec, candidates)
                result.duplicates += 1
            else:
                work = _Work(rec.doi, rec.pmid, (key,), row=_candidate_row(rec, key))
                known = publications.match(rec.doi, rec.pmid, key)
                if known:
                    publication, basis = known
                    work.row.update(publication_id=publication.id, publication_match=basis, in_registry_at_intake=True)
                    result.in_registry += 1
                else:
                    result.new_candidates += 1
                candidates.add(work)
                new_works.append(work)
            pending_records.append((record, work))
        results.append(result)
    if new_works:
        ids = conn.execute(insert(CA).returning(CA.c.id, sort_by_parameter_order=True),
                           [w.row for w in new_works]).scalars().all()
        for work, cid in zip(new_works, ids, strict=True):
            work.id = cid
            if audit is not None:
                audit.record("candidates", AuditAction.INSERT, record_id=cid, record_key=candidate_key(work.row),
                             new=work.row)
    learnt = [w for w in {id(w): w for w in (*candidates.by_doi.values(), *candidates.by_pmid.values())}.values() if w.changed]
    if learnt and audit is not None:
        before = {r.id: r for r in conn.execute(select(CA).where(CA.c.id.in_([w.id for w in learnt])))}
        for work in learnt:
            old = before[work.id]._mapping
            for name, value in work.changed.items():
                audit.record("candidates", AuditAction.UPDATE, record_id=work.id, record_key=candidate_key(dict(old)),
                             field=name, old=old[name], new=value)
    for work in learnt:
        conn.execute(update(CA).where(CA.c.id == work.id).values(**work.changed))
    if pending_records:
        conn.execute(insert(SR), [{**record, "candidate_id": work.id} for record, work in pending_records])
    return results


def link_candidates(conn: Connection, audit: AuditLog | None = None) -> list[tuple[int, str, str]]:
    """Link candidates not yet linked to the registry publication they are (by the same rules);
    returns (candidate id, publication key, what matched) per new link."""
    publications = _publication_index(conn)
    linked_to = {pid for (pid,) in conn.execute(select(CA.c.publication_id).where(CA.c.publication_id.is_not(None)))}
    links = []
    for r in conn.execute(select(CA.c.id, CA.c.doi, CA.c.pmid, CA.c.title_key, CA.c.publication_match, CA.c.first_author, CA.c.year)
                          .where(CA.c.publication_id.is_(None)).order_by(CA.c.id)).all():
        found = publications.match(r.doi, r.pmid, r.title_key)
        if found and found[0].id not in linked_to:
            publication, basis = found
            linked_to.add(publication.id)
            links.append({"cid": r.id, "pid": publication.id, "basis": basis, "key": publication.key,
                          "rk": candidate_key(r._mapping), "old_basis": r.publication_match})
    for link in links:
        conn.execute(update(CA).where(CA.c.id == link["cid"]).values(publication_id=link["pid"], publication_match=link["basis"]))
        if audit is not None:
            for name, old, new in (("publication_id", None, link["pid"]), ("publication_match", link["old_basis"], link["basis"])):
                audit.record("candidates", AuditAction.UPDATE, record_id=link["cid"], record_key=link["rk"],
                             field=name, old=old, new=new)
    return [(link["cid"], link["key"], link["basis"]) for link in links]


def intake_files(engine: Engine, paths: Iterable[Path], *, curator: Curator, command: str = "intake",
                 source: str | None = None, searched_on: date | None = None) -> IntakeResult:
    """Read every file, then write them all in one audited transaction (or nothing)."""
    paths = list(paths)
    if not paths:
        raise RegistryError("no files to take in")
    files = [read_search_file(p) for p in paths]
    require_head(engine)
    with audited(engine, curator, command) as log:
        results = save_searches(log.conn, files, source=source, searched_on=searched_on, curator=curator.name, audit=log)
        linked = link_candidates(log.conn, audit=log)
    return IntakeResult(results, linked)


def link(engine: Engine, *, curator: Curator, command: str = "intake --link") -> list[tuple[int, str, str]]:
    require_head(engine)
    with audited(engine, curator, command) as log:
        return link_candidates(log.conn, audit=log)
