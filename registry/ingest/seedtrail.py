"""The seed's curation trail: the searches its publications were found by, and how each record was screened.

Beside the publications folder of a seed (`seed/publications/`) sit:

* `searches/`: one search export per search as it was run (PubMed/MEDLINE, RIS or BibTeX, the formats
  `intake` reads), and `searches/searches.yaml`, which says for each file the source searched, the date,
  who ran it and how (a query, or which reference list was read):

      searches:
        - file: park2021-references.bib
          source: "Citation search: Park 2021 references"
          searched_on: "2026-11-25"
          curator: registry seed curators
          how: "Reference list of Park 2021 (refs 14-20), read in the full text."

* `screening.yaml`: every decision, in the order taken, each naming its record by file and the record's
  own identifier in it (RIS ID, BibTeX key, MEDLINE PMID): `record: park2021-references.bib#kumar2014`,
  with the columns of a `dress-registry screen --file` sheet (stage, decision, reason, reason_text,
  curator, decided_on). A decision taken again later (a revision) is a later entry; entries are never
  edited once seeded.

`read_trail` reads and checks it all (one line naming the file, the entry or record and the field); the
seed loads it with `load_trail` in the seed's own transaction, after the publications: the exports are
saved as intake saves them, but matched against candidates only (a seeded search was run before its
publications entered the registry, so its records are screened, not "already in the registry"); the
decisions are recorded by the screening rules; candidates are then linked to the seeded publications
by the intake's matching (DOI, PMID, title + year + first author). Everything is audited.

A record that repeats a candidate this database already held as "in the registry when found" (an intake
run here before the seed had a trail) is a duplicate of it, and its decisions are left out (that
candidate is not screened; the summary says how many).

Idempotent: an export already loaded (same bytes) is left as it is, and a decision already recorded
(same record, stage, decision, reason, curator and time) is not recorded again. An export that was
seeded and has since been edited is refused: a search is the record of what was found on a day;
records found later are a new search file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from registry.core.errors import RegistryError
from registry.core.inputs import read_yaml_file
from registry.ingest.audit import AuditLog
from registry.ingest.intake import FileResult, link_candidates, save_searches
from registry.ingest.screening import DecisionIn, ScreeningResult, check_fields, record_decisions
from registry.ingest.searchfiles import SUFFIXES, SearchFile, read_search_file
from registry.schema.models.tables import CA, SD, SE, SR

SEARCHES_DIR = "searches"
MANIFEST = "searches.yaml"
SCREENING = "screening.yaml"

MANIFEST_FIELDS = ("file", "source", "searched_on", "curator", "how")
MANIFEST_REQUIRED = ("file", "source", "searched_on", "curator")
DECISION_FIELDS = ("record", "stage", "decision", "reason", "reason_text", "curator", "decided_on")
DECISION_REQUIRED = ("record", "stage", "decision", "curator", "decided_on")
_SOURCE_MAX = SE.c.source.type.length


@dataclass(frozen=True)
class SeedSearch:
    file: SearchFile
    source: str
    searched_on: date
    curator: str
    #: Record identifier in the file -> its position.
    records: dict[str, int]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.file.data).hexdigest()


@dataclass(frozen=True)
class SeedDecision:
    file_name: str
    record_id: str
    stage: str
    decision: str
    reason: str | None
    reason_text: str | None
    curator: str
    decided_at: datetime
    where: str


@dataclass
class Trail:
    root: Path
    searches: list[SeedSearch] = field(default_factory=list)
    decisions: list[SeedDecision] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(len(s.file.records) for s in self.searches)


@dataclass
class TrailResult:
    files: list[FileResult] = field(default_factory=list)
    screening: ScreeningResult = field(default_factory=ScreeningResult)
    linked: list[tuple[int, str, str]] = field(default_factory=list)
    #: Decisions on records that duplicate a candidate already in the registry when it was first found (an
    #: intake run in this database before its seed had a trail): such a candidate is not screened.
    not_screened: int = 0

    def summary(self) -> str:
        note = (f"; {self.not_screened} decision(s) left out: their records repeat candidates that were already "
                "in the registry when first found (not screened)") if self.not_screened else ""
        if not self.files and not self.screening.recorded and not self.linked:
            return "trail: no changes" + note
        records = sum(f.records for f in self.files)
        return (f"trail: {len(self.files)} search file(s) with {records} record(s) taken in, "
                f"{self.screening.recorded} screening decision(s) recorded, {len(self.linked)} candidate(s) linked"
                + note)


def trail_root(publications_dir: Path) -> Path:
    """The folder that holds searches/ and screening.yaml: the publications folder's parent."""
    return publications_dir.resolve().parent


def _text(where: str, name: str, value: Any, *, limit: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RegistryError(f"{where}: {name} must be text, not {value!r}")
    value = " ".join(value.split())
    if limit and len(value) > limit:
        raise RegistryError(f"{where}: {name} is longer than {limit} characters")
    return value


def _date(where: str, name: str, value: Any) -> date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise RegistryError(f"{where}: {name} {value!r} is not a date (YYYY-MM-DD)")


def _mapping(where: str, item: Any, allowed: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RegistryError(f"{where}: expected a mapping with keys {', '.join(allowed)}")
    unknown = [k for k in item if k not in allowed]
    if unknown:
        raise RegistryError(f"{where}: unknown field {unknown[0]!r}; allowed: {', '.join(allowed)}")
    missing = [k for k in required if item.get(k) is None]
    if missing:
        raise RegistryError(f"{where}: {missing[0]} is missing")
    return item


def _list_of(path: Path, key: str) -> list[Any]:
    data = read_yaml_file(path)
    if not isinstance(data, dict) or set(data) != {key} or not isinstance(data[key], list):
        raise RegistryError(f"{path}: expected one key, {key!r}, holding a list")
    return data[key]


def _read_searches(folder: Path) -> list[SeedSearch]:
    manifest = folder / MANIFEST
    exports = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not manifest.is_file():
        if exports:
            raise RegistryError(f"{manifest}: missing: it names the source and date of each search file "
                                f"({', '.join(p.name for p in exports)})")
        return []
    out: list[SeedSearch] = []
    listed: set[str] = set()
    for i, item in enumerate(_list_of(manifest, "searches")):
        where = f"{manifest}: searches[{i}]"
        if isinstance(item, dict) and isinstance(item.get("file"), str):
            where = f"{where} ({item['file'].strip()})"  # every message names the file
        item = _mapping(where, item, MANIFEST_FIELDS, MANIFEST_REQUIRED)
        name = _text(where, "file", item["file"])
        if "/" in name or "\\" in name or "#" in name or name.startswith("."):
            raise RegistryError(f"{where}: file must be a file name in {folder} (no folders, no '#')")
        if name in listed:
            raise RegistryError(f"{where}: file is listed twice")
        listed.add(name)
        path = folder / name
        if path.suffix.lower() not in SUFFIXES:
            raise RegistryError(f"{where}: file: unknown type {path.suffix or '(none)'!r}; allowed: {', '.join(SUFFIXES)}")
        if not path.is_file():
            raise RegistryError(f"{where}: file: no such file in {folder}")
        source = _text(where, "source", item["source"], limit=_SOURCE_MAX)
        searched_on = _date(where, "searched_on", item["searched_on"])
        curator = _text(where, "curator", item["curator"], limit=200)
        if item.get("how") is not None:
            _text(where, "how", item["how"])
        sf = read_search_file(path)
        records: dict[str, int] = {}
        for rec in sf.records:
            if not rec.source_record_id:
                raise RegistryError(f"{path}: record {rec.position}: no record identifier (RIS ID, BibTeX key, "
                                    "MEDLINE PMID): screening.yaml names records by it")
            if rec.source_record_id in records:
                raise RegistryError(f"{path}: record {rec.position}: identifier {rec.source_record_id!r} "
                                    f"is also record {records[rec.source_record_id]}'s")
            records[rec.source_record_id] = rec.position
        out.append(SeedSearch(sf, source, searched_on, curator, records))
    unlisted = [p.name for p in exports if p.name not in listed]
    if unlisted:
        raise RegistryError(f"{folder / unlisted[0]}: not listed in {manifest} (give its source, date and curator there)")
    hashes: dict[str, str] = {}
    for s in out:
        if s.sha256 in hashes:
            raise RegistryError(f"{s.file.path}: the same export as {hashes[s.sha256]}")
        hashes[s.sha256] = s.file.path.name
    return out


def _read_decisions(path: Path, searches: list[SeedSearch]) -> list[SeedDecision]:
    if not path.is_file():
        return []
    by_file = {s.file.path.name: s for s in searches}
    out = []
    for i, item in enumerate(_list_of(path, "decisions")):
        where = f"{path}: decisions[{i}]"
        if isinstance(item, dict) and isinstance(item.get("record"), str):
            where = f"{where} ({item['record'].strip()})"  # every message names the record
        item = _mapping(where, item, DECISION_FIELDS, DECISION_REQUIRED)
        record = _text(where, "record", item["record"])
        file_name, sep, record_id = record.partition("#")
        if not sep or not file_name or not record_id:
            raise RegistryError(f"{where}: record must be FILE#ID (a search file and the record's identifier in it)")
        search = by_file.get(file_name)
        if search is None:
            raise RegistryError(f"{where}: record: no search file {file_name!r} in {SEARCHES_DIR}/{MANIFEST}")
        if record_id not in search.records:
            raise RegistryError(f"{where}: record: {file_name} has no record {record_id!r}")
        values = {k: None if item.get(k) is None else _text(where, k, item[k]) for k in ("stage", "decision", "reason", "reason_text")}
        problems = check_fields(where, values["stage"], values["decision"], values["reason"], values["reason_text"])
        if problems:
            raise RegistryError(problems[0])
        decided_on = _date(where, "decided_on", item["decided_on"])
        out.append(SeedDecision(file_name, record_id, values["stage"], values["decision"], values["reason"],
                                values["reason_text"], _text(where, "curator", item["curator"], limit=200),
                                datetime(decided_on.year, decided_on.month, decided_on.day, tzinfo=UTC), where))
    return out


def read_trail(publications_dir: Path) -> Trail:
    """The trail beside `publications_dir`, read and checked (empty when the seed has none)."""
    root = trail_root(publications_dir)
    trail = Trail(root)
    folder = root / SEARCHES_DIR
    if folder.is_dir():
        trail.searches = _read_searches(folder)
    screening = root / SCREENING
    if screening.exists() and not folder.is_dir():
        raise RegistryError(f"{screening}: decisions without a {SEARCHES_DIR}/ folder of the searches they screen")
    trail.decisions = _read_decisions(screening, trail.searches)
    return trail


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_trail(log: AuditLog, trail: Trail) -> TrailResult:
    """Write the trail in the seed's transaction (`log`: its audit log); see the module's docstring."""
    conn = log.conn
    result = TrailResult()
    loaded = {r.file_sha256: r for r in conn.execute(select(SE.c.id, SE.c.file_sha256, SE.c.file_name, SE.c.source))}
    by_name = {(r.file_name, r.source): r for r in loaded.values()}
    search_ids: dict[str, int] = {}
    for s in trail.searches:
        name = s.file.path.name
        if s.sha256 in loaded:
            search_ids[name] = loaded[s.sha256].id
            continue
        if (name, s.source) in by_name:
            raise RegistryError(f"{s.file.path}: changed since it was seeded (a search export is not edited once "
                                "loaded: put records found later in a new search file, with its own entry in "
                                f"{MANIFEST}); nothing was written")
        result.files += save_searches(conn, [s.file], source=s.source, searched_on=s.searched_on, curator=s.curator,
                                      audit=log, match_publications=False)
        search_ids[name] = conn.execute(select(SE.c.id).where(SE.c.file_sha256 == s.sha256)).scalar_one()
    decisions, result.not_screened = _new_decisions(conn, trail, search_ids)
    result.screening = record_decisions(conn, decisions, revise=True, audit=log)
    result.linked = link_candidates(conn, audit=log)
    return result


def _new_decisions(conn: Connection, trail: Trail, search_ids: dict[str, int]) -> tuple[list[DecisionIn], int]:
    """The trail's decisions as DecisionIn, less those already recorded; and how many were left out because
    their candidate was already in the registry when first found."""
    by_search = {s.file.path.name: s for s in trail.searches}
    candidate_of: dict[tuple[int, int], int] = {}
    if search_ids:
        candidate_of = {(r.search_id, r.position): r.candidate_id for r in conn.execute(
            select(SR.c.search_id, SR.c.position, SR.c.candidate_id).where(SR.c.search_id.in_(sorted(set(search_ids.values())))))}
    decisions = []
    for d in trail.decisions:
        cid = candidate_of[(search_ids[d.file_name], by_search[d.file_name].records[d.record_id])]
        decisions.append(DecisionIn(cid, d.stage, d.decision, d.reason, d.reason_text, d.curator, d.decided_at, d.where))
    ids = sorted({d.candidate_id for d in decisions})
    recorded = {(r.candidate_id, r.stage, r.decision, r.reason, r.reason_text, r.curator, _utc(r.decided_at))
                for r in conn.execute(select(SD).where(SD.c.candidate_id.in_(ids)))} if ids else set()
    already_in = set(conn.execute(select(CA.c.id).where(CA.c.id.in_(ids), CA.c.in_registry_at_intake.is_(True)))
                     .scalars()) if ids else set()
    new = [d for d in decisions
           if (d.candidate_id, d.stage, d.decision, d.reason, d.reason_text, d.curator, d.decided_at) not in recorded]
    return [d for d in new if d.candidate_id not in already_in], sum(1 for d in new if d.candidate_id in already_in)
