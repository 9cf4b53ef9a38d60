"""Read, validate and load seed documents into the working database.

`read_documents` parses and validates every file first (nothing is written
if any file is wrong: the error names the file and the path of the bad
field). `load_documents` writes them in the caller's transaction with
set-based statements (registry.seedfile.sync), so a load is all or nothing
and a second load of the same files changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import ValidationError
from sqlalchemy import and_, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from registry.completeness import CASE_FIELDS, CORE_FINDINGS, EXPOSURE_FIELDS, OUTCOME_FIELDS, SUSPECT_ROLES
from registry.errors import RegistryError
from registry.models import (
    Assessment, AssessmentItem, Case, CaseOutcome, CasePublication, ChallengeEvent, ChallengeStep, Citation,
    DoseRegimen, Drug, DrugExposure, Evidence, Finding, Investigation, LabResult, Publication, Treatment,
)
from registry.seedfile.schema import CaseIn, Missing, SeedDocument, Src
from registry.seedfile.sync import SyncStats, id_map, sync_table

T = {m.__tablename__: m.__table__ for m in (
    Assessment, AssessmentItem, Case, CaseOutcome, CasePublication, ChallengeEvent, ChallengeStep, Citation,
    DoseRegimen, Drug, DrugExposure, Evidence, Finding, Investigation, LabResult, Publication, Treatment,
)}

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
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
    if not text.strip():
        raise RegistryError(f"{path}: file is empty")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise RegistryError(f"{path}:{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None


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
            for path, src in _all_sources(case):
                if src.pub is not None and src.pub not in all_pubs:
                    problems.append(f"{where}.{path}.pub: unknown publication {src.pub!r}")
            for li, link in enumerate(case.links):
                if link.pub not in all_pubs:
                    problems.append(f"{where}.links[{li}].pub: unknown publication {link.pub!r}")
            sourced = {s.field for s in case.src if s.status == "stated"}
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
        if f.status in ("present", "absent", "not_done"):
            yield f"findings[{fi}]", f
    for name in ("investigations", "labs", "treatments", "assessments"):
        for i, r in enumerate(getattr(case, name)):
            yield f"{name}[{i}]", r
    if case.outcome is not None:
        yield "outcome", case.outcome


def _all_sources(case: CaseIn):
    for i, s in enumerate(case.src):
        yield f"src[{i}]", s
    for path, rec in _sourced_records(case):
        for i, s in enumerate(rec.src):
            yield f"{path}.src[{i}]", s


# --------------------------------------------------------------------------
# Loading


def load_documents(conn: Connection, docs: list[Document], *, prune: bool = True) -> SyncStats:
    """Write documents in the caller's transaction.

    prune=True (the seed): the database ends up holding exactly what the
    files say for their publications and cases, and cases of those
    publications that left the files are deleted. prune=False (import): rows
    are added or updated, never removed.
    """
    try:
        return _Loader(conn, docs, prune).run()
    except IntegrityError as exc:
        detail = str(exc.orig).strip().splitlines()[0]
        raise RegistryError(f"the database refused the data ({detail}); nothing was written") from None


class _Loader:
    def __init__(self, conn: Connection, docs: list[Document], prune: bool):
        self.conn, self.docs, self.prune = conn, docs, prune
        self.stats = SyncStats()
        self.evidence: list[dict[str, Any]] = []
        self.all_findings: dict[int, list] = {}

    def run(self) -> SyncStats:
        pub_ids = self._publications()
        drug_ids = self._drugs()
        self._citations(pub_ids)
        case_ids = self._cases(pub_ids)
        self._children(case_ids, pub_ids, drug_ids)
        self._evidence(case_ids, pub_ids)
        return self.stats

    # -- publications, drugs, citations ------------------------------------

    def _publications(self) -> dict[str, int]:
        t = T["publications"]
        rows = []
        for d in self.docs:
            p = d.doc.publication
            row = p.model_dump(exclude={"src", "accessed_via"})
            row["accessed_via"] = "\n".join(p.accessed_via) or None
            row["doi"] = p.doi.lower() if p.doi else None
            row["is_synthetic"] = p.article_type == "synthetic"
            rows.append(row)
        keys = [r["key"] for r in rows]
        sync_table(self.conn, t, ("key",), rows, t.c.key.in_(keys), self.stats, prune=False)
        wanted = {s.pub for d in self.docs for c in d.doc.cases for _, s in _all_sources(c) if s.pub}
        wanted |= {ln.pub for d in self.docs for c in d.doc.cases for ln in c.links}
        wanted |= {c.pub for d in self.docs for c in d.doc.cites}
        ids = {k: i for (k,), i in id_map(self.conn, t, ("key",), t.c.key.in_(set(keys) | wanted)).items()}
        missing = wanted - set(ids)
        if missing:
            raise RegistryError(f"unknown publication(s) referenced: {', '.join(sorted(missing))}")
        return ids

    def _drugs(self) -> dict[str, int]:
        t = T["drugs"]
        names: dict[str, dict[str, Any]] = {}
        for d in self.docs:
            for drug in d.doc.drugs:
                names[drug.name] = {"name": drug.name, "drug_class": drug.drug_class}
            for c in d.doc.cases:
                used = [x.drug for x in c.exposures] + [tr.drug for tr in c.treatments if tr.drug]
                if c.outcome and c.outcome.switched_to:
                    used.append(c.outcome.switched_to)
                for n in used:
                    names.setdefault(n, {"name": n})
        # Drugs are shared between publications and imports: add and update, never prune.
        rows = list(names.values())
        sync_table(self.conn, t, ("name",), rows, None, self.stats, prune=False)
        return {k: i for (k,), i in id_map(self.conn, t, ("name",), t.c.name.in_(list(names))).items()}

    def _citations(self, pub_ids: dict[str, int]) -> None:
        t = T["citations"]
        rows, citing = [], []
        for d in self.docs:
            me = pub_ids[d.doc.publication.key]
            citing.append(me)
            rows += [
                {"citing_publication_id": me, "cited_publication_id": pub_ids[c.pub],
                 "reference_number": c.reference_number, "context": c.context}
                for c in d.doc.cites
            ]
        sync_table(self.conn, t, ("citing_publication_id", "cited_publication_id"), rows,
                   t.c.citing_publication_id.in_(citing), self.stats, prune=self.prune)

    # -- cases ---------------------------------------------------------------

    def _cases(self, pub_ids: dict[str, int]) -> dict[str, int]:
        t = T["cases"]
        rows = []
        for d in self.docs:
            for c in d.doc.cases:
                row = c.model_dump(include={
                    "label_in_source", "age_value", "age_unit", "age_is_approximate", "sex", "country",
                    "diagnosis_as_reported", "registry_diagnosis", "day1_anchor", "onset_day",
                    "onset_is_approximate", "summary",
                })
                row["case_key"] = c.key
                row["is_synthetic"] = d.doc.publication.article_type == "synthetic"
                rows.append(row)
        keys = [r["case_key"] for r in rows]
        if self.prune:
            # Cases whose primary report is one of these publications, even if a file dropped them.
            own = select(T["case_publications"].c.case_id).where(
                T["case_publications"].c.role == "primary_report",
                T["case_publications"].c.publication_id.in_([pub_ids[d.doc.publication.key] for d in self.docs]),
            )
            scope = or_(t.c.case_key.in_(keys), t.c.id.in_(own))
        else:
            scope = t.c.case_key.in_(keys)
        sync_table(self.conn, t, ("case_key",), rows, scope, self.stats, prune=self.prune,
                   on_update={"row_version": t.c.row_version + 1})
        return {k: i for (k,), i in id_map(self.conn, t, ("case_key",), t.c.case_key.in_(keys)).items()}

    def _children(self, case_ids: dict[str, int], pub_ids: dict[str, int], drug_ids: dict[str, int]) -> None:
        ids = list(case_ids.values())
        links, exposures, findings, investigations, labs, treatments, outcomes = [], [], [], [], [], [], []
        assessments = []

        for d in self.docs:
            primary = d.doc.publication.key
            for c in d.doc.cases:
                cid = case_ids[c.key]
                links.append({"case_id": cid, "publication_id": pub_ids[primary], "role": "primary_report",
                              "label_in_publication": c.label_in_source})
                links += [{"case_id": cid, "publication_id": pub_ids[ln.pub], "role": ln.role,
                           "label_in_publication": ln.label} for ln in c.links]
                self._case_evidence(c, cid, primary)
                for seq, x in enumerate(c.exposures, start=1):
                    exposures.append({"case_id": cid, "seq": seq, "drug_id": drug_ids[x.drug], "role": x.role,
                                      "indication": x.indication, "route": x.route, "start_day": x.start_day,
                                      "stop_day": x.stop_day, "action_taken": x.action_taken,
                                      "dechallenge_result": x.dechallenge_result, "notes": x.notes})
                existing_findings = {f.finding for f in c.findings}
                all_findings = list(c.findings) + [
                    _Absent(f, c.unstated) for f in CORE_FINDINGS if f not in existing_findings
                ]
                self.all_findings[cid] = all_findings
                for f in all_findings:
                    findings.append({"case_id": cid, "finding": f.finding, "status": f.status,
                                     "day": f.day, "detail": f.detail})
                for seq, inv in enumerate(c.investigations, start=1):
                    investigations.append({"case_id": cid, "seq": seq, "test": inv.test, "result": inv.result,
                                           "day": inv.day, "detail": inv.detail})
                for seq, lab in enumerate(c.labs, start=1):
                    labs.append({"case_id": cid, "seq": seq, **lab.model_dump(exclude={"src", "missing"})})
                for seq, tr in enumerate(c.treatments, start=1):
                    row = tr.model_dump(exclude={"src", "missing", "drug"})
                    treatments.append({"case_id": cid, "seq": seq, "drug_id": drug_ids[tr.drug] if tr.drug else None, **row})
                o = c.outcome
                outcomes.append({
                    "case_id": cid,
                    **({k: getattr(o, k) for k in ("reaction_outcome", "resolution_day", "time_to_resolution_days",
                                                   "follow_up_days", "death", "therapy_fate", "notes")} if o else
                       dict.fromkeys(("reaction_outcome", "resolution_day", "time_to_resolution_days",
                                      "follow_up_days", "death", "therapy_fate", "notes"))),
                    "switched_to_drug_id": drug_ids[o.switched_to] if o and o.switched_to else None,
                })
                for a in c.assessments:
                    assessments.append((cid, c, a))

        cp = T["case_publications"]
        sync_table(self.conn, cp, ("case_id", "publication_id"), links, cp.c.case_id.in_(ids), self.stats, prune=self.prune)
        x = T["drug_exposures"]
        sync_table(self.conn, x, ("case_id", "seq"), exposures, x.c.case_id.in_(ids), self.stats, prune=True)
        x_ids = id_map(self.conn, x, ("case_id", "seq"), x.c.case_id.in_(ids))
        self._exposure_children(case_ids, x_ids)

        for name, rows, key in (
            ("findings", findings, ("case_id", "finding")),
            ("investigations", investigations, ("case_id", "seq")),
            ("lab_results", labs, ("case_id", "seq")),
            ("treatments", treatments, ("case_id", "seq")),
        ):
            t = T[name]
            sync_table(self.conn, t, key, rows, t.c.case_id.in_(ids), self.stats, prune=True)
        o = T["case_outcomes"]
        sync_table(self.conn, o, ("case_id",), outcomes, o.c.case_id.in_(ids), self.stats, prune=True)
        self._assessments(ids, assessments, x_ids)
        self._record_evidence(case_ids, x_ids)

    def _exposure_children(self, case_ids: dict[str, int], x_ids: dict[tuple, int]) -> None:
        doses, challenges = [], []
        for d in self.docs:
            for c in d.doc.cases:
                cid = case_ids[c.key]
                for xs, x in enumerate(c.exposures, start=1):
                    xid = x_ids[(cid, xs)]
                    for seq, dose in enumerate(x.doses, start=1):
                        doses.append({"exposure_id": xid, "seq": seq, **dose.model_dump(exclude={"src", "missing"})})
                    for seq, h in enumerate(x.challenges, start=1):
                        challenges.append({"exposure_id": xid, "seq": seq, **h.model_dump(exclude={"src", "missing", "steps"})})
        xids = list(x_ids.values())
        dt, ct, st = T["dose_regimens"], T["challenge_events"], T["challenge_steps"]
        sync_table(self.conn, dt, ("exposure_id", "seq"), doses, dt.c.exposure_id.in_(xids), self.stats)
        sync_table(self.conn, ct, ("exposure_id", "seq"), challenges, ct.c.exposure_id.in_(xids), self.stats)
        c_ids = id_map(self.conn, ct, ("exposure_id", "seq"), ct.c.exposure_id.in_(xids))
        steps = []
        for d in self.docs:
            for c in d.doc.cases:
                cid = case_ids[c.key]
                for xs, x in enumerate(c.exposures, start=1):
                    for hs, h in enumerate(x.challenges, start=1):
                        chid = c_ids[(x_ids[(cid, xs)], hs)]
                        steps += [{"challenge_id": chid, "step_number": n, **s.model_dump()} for n, s in enumerate(h.steps, start=1)]
        sync_table(self.conn, st, ("challenge_id", "step_number"), steps, st.c.challenge_id.in_(list(c_ids.values())), self.stats)
        self.dose_ids = id_map(self.conn, dt, ("exposure_id", "seq"), dt.c.exposure_id.in_(xids))
        self.challenge_ids = c_ids

    def _assessments(self, ids: list[int], assessments: list, x_ids: dict[tuple, int]) -> None:
        t, it = T["assessments"], T["assessment_items"]
        rows, placed = [], []
        for cid, c, a in assessments:
            xid = None
            if a.exposure_drug:
                seqs = [i for i, x in enumerate(c.exposures, start=1) if x.drug == a.exposure_drug]
                if not seqs:
                    raise RegistryError(f"case {c.key}: assessment names drug {a.exposure_drug!r}, which has no exposure")
                xid = x_ids[(cid, seqs[0])]
            placed.append((cid, a, xid))
            rows.append({"case_id": cid, "exposure_id": xid, "instrument": a.instrument, "assessor": "authors",
                         "total": a.total, "category": a.category, "notes": a.notes})
        # Only the authors' assessments belong to the seed; registry-computed ones are left alone.
        scope = and_(t.c.case_id.in_(ids), t.c.assessor == "authors")
        sync_table(self.conn, t, ("case_id", "instrument", "assessor", "exposure_id"), rows, scope, self.stats)
        a_ids = id_map(self.conn, t, ("case_id", "instrument", "exposure_id"), scope)
        items = []
        self.assessment_ids: dict[tuple[int, int], int] = {}
        for cid, a, xid in placed:
            aid = a_ids[(cid, a.instrument, xid)]
            self.assessment_ids[(cid, id(a))] = aid
            items += [{"assessment_id": aid, "item_code": i.item, "answer": i.answer, "points": i.points,
                       "basis": i.basis} for i in a.items]
        sync_table(self.conn, it, ("assessment_id", "item_code"), items, it.c.assessment_id.in_(list(a_ids.values())), self.stats)

    # -- evidence -------------------------------------------------------------

    def _ev(self, case_id: int | None, table: str, subject_id: int, src: Src, default_pub: str) -> None:
        self.evidence.append({
            "case_id": case_id, "subject_table": table, "subject_id": subject_id, "field": src.field,
            "publication": src.pub or default_pub, "status": src.status, "locator": src.at,
            "derivation": src.how if src.status == "stated" else None, "value_as_stated": src.stated,
            "is_curated": src.curated, "curation_note": src.note,
        })

    def _missing(self, case_id: int, table: str, subject_id: int, field: str, why: Missing | None,
                 default_status: str, default_pub: str) -> None:
        self.evidence.append({
            "case_id": case_id, "subject_table": table, "subject_id": subject_id, "field": field,
            "publication": (why.pub if why and why.pub else default_pub),
            "status": why.status if why else default_status,
            "locator": why.at if why else None, "derivation": None, "value_as_stated": None,
            "is_curated": True, "curation_note": why.note if why else None,
        })

    def _case_evidence(self, c: CaseIn, cid: int, primary: str) -> None:
        for s in c.src:
            self._ev(cid, "cases", cid, s, primary)
        for f in CASE_FIELDS:
            if getattr(c, f) is None:
                self._missing(cid, "cases", cid, f, c.missing.get(f), c.unstated, primary)

    def _record_evidence(self, case_ids: dict[str, int], x_ids: dict[tuple, int]) -> None:
        simple = {"findings": ("case_id", "finding"), "investigations": ("case_id", "seq"),
                  "lab_results": ("case_id", "seq"), "treatments": ("case_id", "seq")}
        maps = {n: id_map(self.conn, T[n], k, T[n].c.case_id.in_(list(case_ids.values()))) for n, k in simple.items()}
        for d in self.docs:
            primary = d.doc.publication.key
            for c in d.doc.cases:
                cid = case_ids[c.key]
                for xs, x in enumerate(c.exposures, start=1):
                    xid = x_ids[(cid, xs)]
                    for s in x.src:
                        self._ev(cid, "drug_exposures", xid, s, primary)
                    if x.role in SUSPECT_ROLES:
                        for f in EXPOSURE_FIELDS:
                            unknown = (not any(dd.dose_value for dd in x.doses)) if f == "dose" else getattr(x, f) is None
                            if unknown:
                                self._missing(cid, "drug_exposures", xid, f, x.missing.get(f), c.unstated, primary)
                    for ds, dose in enumerate(x.doses, start=1):
                        for s in dose.src:
                            self._ev(cid, "dose_regimens", self.dose_ids[(xid, ds)], s, primary)
                    for hs, h in enumerate(x.challenges, start=1):
                        for s in h.src:
                            self._ev(cid, "challenge_events", self.challenge_ids[(xid, hs)], s, primary)
                        if h.result is None:
                            self._missing(cid, "challenge_events", self.challenge_ids[(xid, hs)], "result",
                                          h.missing.get("result"), c.unstated, primary)
                for f in self.all_findings[cid]:
                    fid = maps["findings"][(cid, f.finding)]
                    for s in f.src:
                        self._ev(cid, "findings", fid, s, primary)
                    if f.status in ("not_reported", "not_available") and not f.src:
                        self._missing(cid, "findings", fid, "status", None, f.status, primary)
                for name, coll in (("investigations", c.investigations), ("lab_results", c.labs), ("treatments", c.treatments)):
                    for seq, rec in enumerate(coll, start=1):
                        for s in rec.src:
                            self._ev(cid, name, maps[name][(cid, seq)], s, primary)
                if c.outcome:
                    for s in c.outcome.src:
                        self._ev(cid, "case_outcomes", cid, s, primary)
                for f in OUTCOME_FIELDS:
                    if c.outcome is None or getattr(c.outcome, f) is None:
                        why = c.outcome.missing.get(f) if c.outcome else None
                        self._missing(cid, "case_outcomes", cid, f, why, c.unstated, primary)
                for a in c.assessments:
                    for s in a.src:
                        self._ev(cid, "assessments", self.assessment_ids[(cid, id(a))], s, primary)

    def _evidence(self, case_ids: dict[str, int], pub_ids: dict[str, int]) -> None:
        t = T["evidence"]
        for d in self.docs:
            p = d.doc.publication
            for s in p.src:
                self._ev(None, "publications", pub_ids[p.key], s, p.key)
        rows = []
        for e in self.evidence:
            pub = e.pop("publication")
            rows.append({**e, "publication_id": pub_ids[pub]})
        key = ("subject_table", "subject_id", "field", "publication_id", "status", "locator", "value_as_stated")
        own_pubs = [pub_ids[d.doc.publication.key] for d in self.docs]
        scope = or_(
            t.c.case_id.in_(list(case_ids.values())),
            and_(t.c.case_id.is_(None), t.c.subject_table == literal("publications"), t.c.subject_id.in_(own_pubs)),
        )
        sync_table(self.conn, t, key, _dedupe(rows, key), scope, self.stats)


class _Absent:
    """A core finding the file does not mention: its status is the case's `unstated`."""

    def __init__(self, finding: str, status: str):
        self.finding, self.status, self.day, self.detail, self.src = finding, status, None, None, []


def _dedupe(rows: list[dict], key: tuple[str, ...]) -> list[dict]:
    seen, out = set(), []
    for r in rows:
        k = tuple(r[c] for c in key)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out
