"""Release notes from the data: what changed between two published files, case by case and record by record.

Each published file is read into records keyed by what a reader would call
them (case key and "exposure 1", "lab 3", "finding fever", ...; ids never
appear: they are not stable between builds), with their fields; the two
sets are compared. Only curated data count: the registry's own computed
scores, derived and baked tables are left out (they follow from the facts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from registry.cases.prisma import prisma_counts as count_prisma
from registry.outputs.prisma import prisma_lines
from registry.schema.vocabulary import Assessor

#: Columns that are not facts of a record: ids, optimistic-lock counters, change times, and columns publish derives.
_NOT_FIELDS = {"id", "row_version", "facts_changed_at", "citation", "doi_url", "pubmed_url"}
#: Longer values are shortened in the notes (the files hold them whole).
VALUE_WIDTH = 100

Fields = dict[str, Any]


@dataclass
class Registry:
    """A published file's curated records: per case, record label -> fields; per publication, fields."""

    cases: dict[str, dict[str, Fields]] = field(default_factory=dict)
    publications: dict[str, dict[str, Fields]] = field(default_factory=dict)


def _rows(conn: sqlite3.Connection, table: str, where: str = "") -> Iterator[dict[str, Any]]:
    cur = conn.execute(f'SELECT * FROM "{table}" {where} ORDER BY id' if table_has_id(conn, table)
                       else f'SELECT * FROM "{table}" {where}')
    names = [d[0] for d in cur.description]
    for r in cur:
        yield dict(zip(names, r))


def _has_table(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def table_has_id(conn: sqlite3.Connection, table: str) -> bool:
    return any(r[1] == "id" for r in conn.execute(f'PRAGMA table_info("{table}")'))


def _fields(row: dict[str, Any], *drop: str) -> Fields:
    return {k: v for k, v in row.items() if k not in _NOT_FIELDS and k not in drop}


def read_registry(path: Path) -> Registry:
    """Every curated record of a published file (opened read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _read(conn)
    finally:
        conn.close()


def _read(conn: sqlite3.Connection) -> Registry:
    reg = Registry()
    drugs = {r["id"]: r["name"] for r in _rows(conn, "drugs")}
    pubs = {}
    for r in _rows(conn, "publications"):
        pubs[r["id"]] = r["key"]
        reg.publications[r["key"]] = {"publication": _fields(r)}
    cites = reg.publications
    for r in _rows(conn, "citations"):
        cites[pubs[r["citing_publication_id"]]][f"cites {pubs[r['cited_publication_id']]}"] = \
            _fields(r, "citing_publication_id", "cited_publication_id")
    #: (table, id) -> (case key or None, publication key or None, label): where each record sits.
    where: dict[tuple[str, int], tuple[str | None, str | None, str]] = {}
    cases = {}
    for r in _rows(conn, "cases"):
        cases[r["id"]] = r["case_key"]
        reg.cases[r["case_key"]] = {"case": _fields(r)}
        where[("cases", r["id"])] = (r["case_key"], None, "case")
    for pid, key in pubs.items():
        where[("publications", pid)] = (None, key, "publication")

    def put(table: str, row: dict[str, Any], case_key: str, label: str, fields: Fields) -> None:
        reg.cases[case_key][label] = fields
        if "id" in row:
            where[(table, row["id"])] = (case_key, None, label)

    for r in _rows(conn, "case_publications"):
        put("case_publications", r, cases[r["case_id"]], f"publication {pubs[r['publication_id']]}",
            _fields(r, "case_id", "publication_id"))
    for r in _rows(conn, "drug_exposures"):
        put("drug_exposures", r, cases[r["case_id"]], f"exposure {r['seq']}",
            {"drug": drugs[r["drug_id"]], **_fields(r, "case_id", "drug_id", "seq")})
    for table, parent_col, parent, word, seq in (("dose_regimens", "exposure_id", "drug_exposures", "dose", "seq"),
                                                 ("challenge_events", "exposure_id", "drug_exposures", "challenge", "seq"),
                                                 ("challenge_steps", "challenge_id", "challenge_events", "step", "step_number")):
        for r in _rows(conn, table):
            case_key, _, up = where[(parent, r[parent_col])]
            put(table, r, case_key, f"{up} {word} {r[seq]}", _fields(r, parent_col, seq))
    for table, word, key in (("findings", "finding", "finding"), ("investigations", "investigation", "seq"),
                             ("lab_results", "lab", "seq"), ("treatments", "treatment", "seq"),
                             ("genetic_tests", "genetic test", "seq"), ("procedures", "procedure", "seq")):
        if not _has_table(conn, table):
            continue  # a release frozen before the table existed
        for r in _rows(conn, table):
            fields = _fields(r, "case_id", key)
            if "drug_id" in fields:
                fields["drug"] = drugs.get(fields.pop("drug_id"))
            put(table, r, cases[r["case_id"]], f"{word} {r[key]}", fields)
    for r in _rows(conn, "case_outcomes"):
        fields = _fields(r, "case_id", "switched_to_drug_id")
        fields["switched_to"] = drugs.get(r["switched_to_drug_id"])
        put("case_outcomes", r, cases[r["case_id"]], "outcome", fields)
    for r in _rows(conn, "assessments", f"WHERE assessor = '{Assessor.AUTHORS}'"):
        on = f" of {where[('drug_exposures', r['exposure_id'])][2]}" if r["exposure_id"] else ""
        put("assessments", r, cases[r["case_id"]], f"{r['instrument']} by {r['assessor']}{on}",
            _fields(r, "case_id", "exposure_id", "instrument", "assessor"))
    for r in _rows(conn, "assessment_items"):
        if ("assessments", r["assessment_id"]) in where:
            case_key, _, up = where[("assessments", r["assessment_id"])]
            put("assessment_items", r, case_key, f"{up} item {r['item_code']}", _fields(r, "assessment_id", "item_code"))
    for r in _rows(conn, "evidence"):
        at = where.get((r["subject_table"], r["subject_id"]))
        if at is None:
            continue  # evidence of a record the notes do not list (e.g. a registry-computed score)
        case_key, pub_key, subject = at
        label = (f"evidence {subject}" + (f".{r['field']}" if r["field"] else "")
                 + f" ({r['status']}, {pubs[r['publication_id']]}"
                 + (f", {r['locator']}" if r["locator"] else "") + ")")
        target = reg.cases[case_key] if case_key else reg.publications[pub_key]
        n, base = 2, label
        while label in target:
            label, n = f"{base} #{n}", n + 1
        target[label] = _fields(r, "case_id", "subject_table", "subject_id", "field", "status", "locator",
                                "publication_id")
    return reg


# -- comparing ---------------------------------------------------------------------------------


@dataclass
class Changes:
    """What changed in one kind of thing (cases or publications) between two releases."""

    added: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    #: key -> lines such as "case.onset_day: 15 → 14", "lab 17: added".
    changed: dict[str, list[str]] = field(default_factory=dict)


def _value(v: Any) -> str:
    text = "NULL" if v is None else str(v)
    text = " ".join(text.split())
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def _record_changes(before: dict[str, Fields], after: dict[str, Fields]) -> list[str]:
    lines = []
    for label in sorted(set(before) | set(after), key=_natural):
        if label not in before:
            lines.append(f"{label}: added")
        elif label not in after:
            lines.append(f"{label}: removed")
        else:
            old, new = before[label], after[label]
            for name in sorted(set(old) | set(new)):
                if old.get(name) != new.get(name):
                    lines.append(f"{label}.{name}: {_value(old.get(name))} → {_value(new.get(name))}")
    return lines


def _natural(label: str) -> list:
    """'lab 10' after 'lab 9'."""
    return [int(p) if p.isdigit() else p for p in label.replace(".", " ").split(" ")]


def compare(before: dict[str, dict[str, Fields]], after: dict[str, dict[str, Fields]]) -> Changes:
    out = Changes(added=sorted(set(after) - set(before)), withdrawn=sorted(set(before) - set(after)))
    for key in sorted(set(before) & set(after)):
        lines = _record_changes(before[key], after[key])
        if lines:
            out.changed[key] = lines
    return out


# -- PRISMA ------------------------------------------------------------------------------------


def prisma_counts(path: Path) -> list[str]:
    """The PRISMA 2020 flow of the release, counted from the screening tables the published file carries
    (registry.cases.prisma), as the diagram's boxes in Markdown."""
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return prisma_lines(count_prisma(conn))
    finally:
        engine.dispose()


# -- the notes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseInfo:
    version: str
    released: str
    previous: str | None
    cases: int
    publications: int


def _section(title: str, changes: Changes) -> list[str]:
    head = (f"## {title}: {len(changes.added)} added, {len(changes.changed)} changed, "
            f"{len(changes.withdrawn)} withdrawn")
    lines = [head, ""]
    lines += [f"- added: {k}" for k in changes.added]
    lines += [f"- withdrawn: {k}" for k in changes.withdrawn]
    for key, items in changes.changed.items():
        lines.append(f"- changed: {key}")
        lines += [f"  - {item}" for item in items]
    if lines[-1] != "":
        lines.append("")
    return lines


def release_notes(info: ReleaseInfo, current: Path, previous: Path | None) -> str:
    """The release notes (Markdown) of `current` against the `previous` release's file (None: the first)."""
    now = read_registry(current)
    before = read_registry(previous) if previous is not None else Registry()
    since = f"since release {info.previous}" if info.previous else "first release: everything is new"
    lines = [
        f"# DRESS case registry {info.version}",
        "",
        f"Released {info.released}; {info.cases} cases from {info.publications} publications; changes {since}.",
        "",
        *_section("Cases", compare(before.cases, now.cases)),
        *_section("Publications", compare(before.publications, now.publications)),
        "## PRISMA 2020 counts",
        "",
    ]
    lines += prisma_counts(current)
    return "\n".join(lines) + "\n"
