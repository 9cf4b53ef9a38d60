"""Load validated seed documents (registry.cases.documents) into the working database.

`load_documents` writes them in the caller's transaction with
set-based statements (registry.core.sync), so a load is all or nothing
and a second load of the same files changes nothing.

The same code loads the eight seed files and an import of 100,000 cases:
existing rows are read back only for cases (and publications) that were
already in the database, new rows get their ids before they are written so
children point at them without a read-back, and rows are built from the
validated documents by attribute access (no per-row model_dump, no ORM).
"""

from __future__ import annotations

from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from registry.cases.completeness import CASE_FIELDS, CORE_FINDINGS, EXPOSURE_FIELDS, OUTCOME_FIELDS, SUSPECT_ROLES
from registry.cases.documents import Document, source_pubs
from registry.cases.seedschema import (
    PUBLICATION_MISSING_FIELDS,
    CaseIn,
    Missing,
    PublicationIn,
    Src,
)
from registry.core.errors import RegistryError
from registry.core.sync import (
    CHUNK,
    In,
    Synced,
    SyncRecorder,
    SyncStats,
    allocate_ids,
    gc_paused,
    id_map,
    insert_tuples,
    select_scope,
    sync_table,
)
from registry.ingest.extraction import load_extraction_reports
from registry.schema.fields import fact_names
from registry.schema.models.tables import BY_NAME as T
from registry.schema.models.tables import CASE_RECORD_TABLES
from registry.schema.vocabulary import VOCABULARIES, ArticleType, Assessor, CaseLinkRole, EvidenceStatus, FindingStatus

# --------------------------------------------------------------------------
# Loading


def load_documents(conn: Connection, docs: list[Document], *, prune: bool = True,
                   audit: SyncRecorder | None = None) -> SyncStats:
    """Write documents in the caller's transaction.

    prune=True (the seed): the database ends up holding exactly what the
    files say for their publications and cases, and cases of those
    publications that left the files are deleted. prune=False (import): rows
    are added or updated, never removed. `audit` (registry.ingest.audit.AuditLog)
    is told every change, table by table.
    """
    loader = _Loader(conn, docs, prune, audit)
    try:
        with gc_paused():
            return loader.run()
    except (DBAPIError, OverflowError) as exc:
        # Validation (registry.cases.seedschema) has a twin for every constraint, so this is a gap in it:
        # still one line, naming the files and the table, and the caller's transaction rolls back.
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        files = ", ".join(d.path for d in docs[:3]) + (f" and {len(docs) - 3} more" if len(docs) > 3 else "")
        raise RegistryError(f"{files}: table {loader.table}: the database refused the data ({detail}); "
                            "nothing was written") from None


_PUBLICATION_FIELDS = tuple(f for f in PublicationIn.model_fields if f not in ("src", "missing", "accessed_via"))
_CASE_FIELDS = (
    "label_in_source", "age_value", "age_unit", "age_is_approximate", "sex", "country", "diagnosis_as_reported",
    "registry_diagnosis", "day1_anchor", "onset_day", "onset_is_approximate", "summary",
)
# The fact columns of each leaf table (registry.schema.fields): a seed record field and a column of the same
# name. Drug references (exposure and treatment `drug`, outcome `switched_to`) are resolved to drugs.id below.
_EXPOSURE_FIELDS = fact_names(T["drug_exposures"])
_DOSE_FIELDS = fact_names(T["dose_regimens"])
_CHALLENGE_FIELDS = fact_names(T["challenge_events"])
_STEP_FIELDS = fact_names(T["challenge_steps"])
_FINDING_FIELDS = fact_names(T["findings"])
#: Findings are keyed by their code, not by a place in the file: rows (and so their evidence ids) are
#: written in the vocabulary's order, the order every export shows them in, so a file listing a core
#: finding explicitly and one leaving it to the loader give the same database.
_FINDING_ORDER = {t.code: i for i, t in enumerate(VOCABULARIES["finding"].terms)}
_INVESTIGATION_FIELDS = fact_names(T["investigations"])
_LAB_FIELDS = fact_names(T["lab_results"])
_TREATMENT_FIELDS = fact_names(T["treatments"])
_GENETIC_TEST_FIELDS = fact_names(T["genetic_tests"])
_PROCEDURE_FIELDS = fact_names(T["procedures"])
_OUTCOME_FIELDS = fact_names(T["case_outcomes"])
_EVIDENCE_KEY = ("subject_table", "subject_id", "field", "publication_id", "status", "locator", "value_as_stated")
_EVIDENCE_COLUMNS = ("case_id", "subject_table", "subject_id", "field", "status", "locator", "derivation",
                     "value_as_stated", "is_curated", "curation_note", "publication_id")
_evidence_key = itemgetter(*(_EVIDENCE_COLUMNS.index(c) for c in _EVIDENCE_KEY))


class _Built:
    """One case's rows, kept beside its record so child rows and evidence can use the ids."""

    __slots__ = ("case", "primary", "row", "exposures", "doses", "challenges", "findings", "investigations",
                 "labs", "treatments", "genetic_tests", "procedures", "assessments")

    def __init__(self, case: CaseIn, primary: str, row: dict[str, Any]):
        self.case, self.primary, self.row = case, primary, row


class _Loader:
    def __init__(self, conn: Connection, docs: list[Document], prune: bool, audit: SyncRecorder | None):
        self.conn, self.docs, self.prune, self.audit = conn, docs, prune, audit
        self.stats = SyncStats()
        #: The table being written (for an error the database raises).
        self.table = "publications"
        # The time every case this load changes is marked with (cases.facts_changed_at): new cases get it
        # as they are inserted, changed ones in one UPDATE per chunk at the end.
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self.case_existed: list[int] = []
        self.changed_cases: set[int] = set()
        #: Parent row id -> case id, for the child tables whose rows name a parent row, not the case.
        self.case_of: dict[str, dict[int, int]] = {"exposure_id": {}, "challenge_id": {}, "assessment_id": {}}

    def run(self) -> SyncStats:
        self._publications()
        load_extraction_reports(self.conn, self.docs, self.pub_ids, self.stats, prune=self.prune, audit=self.audit)
        self._drugs()
        self._citations()
        built = self._cases()
        self._children(built)
        self._mark_changed_cases()
        return self.stats

    def _sync(self, name: str, key: tuple[str, ...], rows: list[dict[str, Any]], scope, **kw) -> Synced:
        self.table = name
        synced = sync_table(self.conn, T[name], key, rows, scope, self.stats, audit=self.audit, **kw)
        column = CASE_RECORD_TABLES.get(name)
        if column and self.case_existed:  # new cases are marked as they are inserted
            owner = self.case_of.get(column)
            for r in (*synced.written, *synced.removed):
                cid = r[column] if owner is None else owner.get(r[column])
                if cid is not None:
                    self.changed_cases.add(cid)
        return synced

    def _mark_changed_cases(self) -> None:
        """Existing cases whose record this load changed get the load's time, one UPDATE per chunk of ids."""
        t = T["cases"]
        ids = sorted(self.changed_cases.intersection(self.case_existed))
        self.table = "cases"
        for start in range(0, len(ids), CHUNK):
            self.conn.execute(t.update().where(t.c.id.in_(ids[start:start + CHUNK])).values(facts_changed_at=self.now))

    # -- publications, drugs, citations ------------------------------------

    def _publications(self) -> None:
        t = T["publications"]
        rows = []
        for d in self.docs:
            p = d.doc.publication
            row = {f: getattr(p, f) for f in _PUBLICATION_FIELDS}
            row["accessed_via"] = "\n".join(p.accessed_via) or None
            row["doi"] = p.doi.lower() if p.doi else None
            row["is_synthetic"] = p.article_type == ArticleType.SYNTHETIC
            rows.append(row)
        synced = self._sync("publications", ("key",), rows, None, prune=False)
        self.pub_existed = synced.existed
        ids = {r["key"]: r["id"] for r in rows}
        wanted = {c.pub for d in self.docs for c in d.doc.cites}
        wanted.update(m.pub for d in self.docs for m in d.doc.publication.missing.values() if m.pub)
        for d in self.docs:
            for c in d.doc.cases:
                wanted.update(source_pubs(c))
                wanted.update(ln.pub for ln in c.links)
        outside = wanted - set(ids)
        if outside:
            ids.update((k, i) for (k,), i in id_map(self.conn, t, ("key",), In.column(t.c.key, sorted(outside))).items())
        missing = wanted - set(ids)
        if missing:
            raise RegistryError(f"unknown publication(s) referenced: {', '.join(sorted(missing))}")
        self.pub_ids = ids

    def _drugs(self) -> None:
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
        # Two curators importing at the same time may both bring a new drug: insert with
        # ON CONFLICT DO NOTHING (the second waits for the first and then finds its row),
        # then compare and update as usual.
        rows = list(names.values())
        t = T["drugs"]
        # Only names not seen yet are tried: on PostgreSQL a conflicting insert still uses up a
        # sequence value, and ids should not depend on how documents were batched.
        known = {r["name"] for r in select_scope(self.conn, t, In.column(t.c.name, list(names)), [t.c.name])}
        new = [{"name": r["name"], "drug_class": r.get("drug_class")} for r in rows if r["name"] not in known]
        if new:
            if self.conn.dialect.name == "postgresql":
                # ids in first-appearance order, but rows written in name order: two curators
                # bringing the same new drugs then lock them in the same order (no deadlock);
                # the second waits for the first to commit and then finds its rows.
                for r, i in zip(new, allocate_ids(self.conn, t, len(new))):
                    r["id"] = i
                new.sort(key=lambda r: r["name"])
                stmt = pg_insert(t).on_conflict_do_nothing(index_elements=["name"])
            else:
                stmt = sqlite_insert(t).on_conflict_do_nothing(index_elements=["name"])
            self.table = "drugs"
            result = self.conn.execute(stmt, new)
        self._sync("drugs", ("name",), rows, None, prune=False)
        self.drug_ids = {r["name"]: r["id"] for r in rows}
        if new:
            if self.conn.dialect.name == "postgresql":  # executemany reports no rowcount there
                mine = [r for r in new if self.drug_ids[r["name"]] == r["id"]]
                self.stats.inserted["drugs"] += len(mine)
            else:  # under SQLite's write lock every name not seen above was inserted by this load
                mine = new
                if result.rowcount and result.rowcount > 0:
                    self.stats.inserted["drugs"] += result.rowcount
            if self.audit is not None:
                added = sorted(({**r, "id": self.drug_ids[r["name"]]} for r in mine), key=itemgetter("id"))
                self.audit.synced(t, ("name",), added, [], [])

    def _citations(self) -> None:
        t = T["citations"]
        pub_ids, rows = self.pub_ids, []
        for d in self.docs:
            me = pub_ids[d.doc.publication.key]
            rows += [
                {"citing_publication_id": me, "cited_publication_id": pub_ids[c.pub],
                 "reference_number": c.reference_number, "context": c.context}
                for c in d.doc.cites
            ]
        # Only publications already in the database can have citations to compare with.
        self._sync("citations", ("citing_publication_id", "cited_publication_id"), rows,
                   In.column(t.c.citing_publication_id, self.pub_existed), prune=self.prune)

    # -- cases ---------------------------------------------------------------

    def _cases(self) -> list[_Built]:
        t, cp = T["cases"], T["case_publications"]
        built: list[_Built] = []
        for d in self.docs:
            synthetic = d.doc.publication.article_type == ArticleType.SYNTHETIC
            primary = d.doc.publication.key
            for c in d.doc.cases:
                row = {f: getattr(c, f) for f in _CASE_FIELDS}
                row["case_key"] = c.key
                row["is_synthetic"] = synthetic
                built.append(_Built(c, primary, row))
        rows = [b.row for b in built]
        scope: list = [In.column(t.c.case_key, [r["case_key"] for r in rows])]
        if self.prune:
            # Cases whose primary report is one of these publications, even if a file dropped them.
            scope.append(In(lambda chunk: t.c.id.in_(
                select(cp.c.case_id).where(cp.c.role == CaseLinkRole.PRIMARY_REPORT, cp.c.publication_id.in_(chunk))
            ), self.pub_existed))
        synced = self._sync("cases", ("case_key",), rows, scope, prune=self.prune,
                            on_update={"row_version": t.c.row_version + 1, "facts_changed_at": self.now},
                            on_insert={"facts_changed_at": self.now})
        # Only cases that were already there can have child rows to compare with or prune.
        self.case_existed = synced.existed
        return built

    def _children(self, built: list[_Built]) -> None:
        pub_ids, drug_ids = self.pub_ids, self.drug_ids
        links, exposures, findings, investigations, labs, treatments, outcomes = [], [], [], [], [], [], []
        genetic_tests, procedures = [], []
        for b in built:
            c, cid = b.case, b.row["id"]
            links.append({"case_id": cid, "publication_id": pub_ids[b.primary], "role": CaseLinkRole.PRIMARY_REPORT,
                          "label_in_publication": c.label_in_source})
            links += [{"case_id": cid, "publication_id": pub_ids[ln.pub], "role": ln.role,
                       "label_in_publication": ln.label} for ln in c.links]
            b.exposures = [{"case_id": cid, "seq": seq, "drug_id": drug_ids[x.drug], **{f: getattr(x, f) for f in _EXPOSURE_FIELDS}}
                           for seq, x in enumerate(c.exposures, start=1)]
            exposures += b.exposures
            named = {f.finding for f in c.findings}
            b.findings = [(f, {"case_id": cid, **{n: getattr(f, n) for n in _FINDING_FIELDS}})
                          for f in sorted([*c.findings, *(_Absent(f, c.unstated) for f in CORE_FINDINGS if f not in named)],
                                          key=lambda f: _FINDING_ORDER[f.finding])]
            findings += [r for _, r in b.findings]
            b.investigations = [{"case_id": cid, "seq": seq, **{f: getattr(inv, f) for f in _INVESTIGATION_FIELDS}}
                                for seq, inv in enumerate(c.investigations, start=1)]
            investigations += b.investigations
            b.labs = [{"case_id": cid, "seq": seq, **{f: getattr(lab, f) for f in _LAB_FIELDS}}
                      for seq, lab in enumerate(c.labs, start=1)]
            labs += b.labs
            b.treatments = [{"case_id": cid, "seq": seq, "drug_id": drug_ids[tr.drug] if tr.drug else None,
                             **{f: getattr(tr, f) for f in _TREATMENT_FIELDS}}
                            for seq, tr in enumerate(c.treatments, start=1)]
            treatments += b.treatments
            b.genetic_tests = [{"case_id": cid, "seq": seq, **{f: getattr(g, f) for f in _GENETIC_TEST_FIELDS}}
                               for seq, g in enumerate(c.genetic_tests, start=1)]
            genetic_tests += b.genetic_tests
            b.procedures = [{"case_id": cid, "seq": seq, **{f: getattr(pr, f) for f in _PROCEDURE_FIELDS}}
                            for seq, pr in enumerate(c.procedures, start=1)]
            procedures += b.procedures
            o = c.outcome
            outcomes.append({
                "case_id": cid,
                **{f: (getattr(o, f) if o else None) for f in _OUTCOME_FIELDS},
                "switched_to_drug_id": drug_ids[o.switched_to] if o and o.switched_to else None,
            })

        old = self.case_existed
        cp, x = T["case_publications"], T["drug_exposures"]
        self._sync("case_publications", ("case_id", "publication_id"), links, In.column(cp.c.case_id, old), prune=self.prune)
        synced_x = self._sync("drug_exposures", ("case_id", "seq"), exposures, In.column(x.c.case_id, old), prune=True)
        if old:
            self.case_of["exposure_id"] = {r["id"]: r["case_id"] for r in exposures}
        self._exposure_children(built, synced_x.existed)
        for name, rows, key in (
            ("findings", findings, ("case_id", "finding")),
            ("investigations", investigations, ("case_id", "seq")),
            ("lab_results", labs, ("case_id", "seq")),
            ("treatments", treatments, ("case_id", "seq")),
            ("genetic_tests", genetic_tests, ("case_id", "seq")),
            ("procedures", procedures, ("case_id", "seq")),
            ("case_outcomes", outcomes, ("case_id",)),
        ):
            self._sync(name, key, rows, In.column(T[name].c.case_id, old), prune=True)
        self._assessments(built)
        self._evidence(built)

    def _exposure_children(self, built: list[_Built], old_x: list[int]) -> None:
        doses, challenges = [], []
        for b in built:
            b.doses, b.challenges = [], []
            for xrow, x in zip(b.exposures, b.case.exposures):
                xid = xrow["id"]
                ds = [{"exposure_id": xid, "seq": seq, **{f: getattr(dose, f) for f in _DOSE_FIELDS}}
                      for seq, dose in enumerate(x.doses, start=1)]
                hs = [{"exposure_id": xid, "seq": seq, **{f: getattr(h, f) for f in _CHALLENGE_FIELDS}}
                      for seq, h in enumerate(x.challenges, start=1)]
                b.doses.append(ds)
                b.challenges.append(hs)
                doses += ds
                challenges += hs
        dt, ct, st = T["dose_regimens"], T["challenge_events"], T["challenge_steps"]
        self._sync("dose_regimens", ("exposure_id", "seq"), doses, In.column(dt.c.exposure_id, old_x))
        synced_c = self._sync("challenge_events", ("exposure_id", "seq"), challenges, In.column(ct.c.exposure_id, old_x))
        if old_x:
            self.case_of["challenge_id"] = {r["id"]: self.case_of["exposure_id"][r["exposure_id"]] for r in challenges}
        steps = []
        for b in built:
            for hs, x in zip(b.challenges, b.case.exposures):
                for hrow, h in zip(hs, x.challenges):
                    steps += [{"challenge_id": hrow["id"], "step_number": n, **{f: getattr(s, f) for f in _STEP_FIELDS}}
                              for n, s in enumerate(h.steps, start=1)]
        self._sync("challenge_steps", ("challenge_id", "step_number"), steps, In.column(st.c.challenge_id, synced_c.existed))

    def _assessments(self, built: list[_Built]) -> None:
        t, it = T["assessments"], T["assessment_items"]
        rows = []
        for b in built:
            c, cid = b.case, b.row["id"]
            b.assessments = []
            for a in c.assessments:
                xid = None
                if a.exposure_drug:  # the schema checked that the case has an exposure to it
                    xid = b.exposures[next(i for i, x in enumerate(c.exposures) if x.drug == a.exposure_drug)]["id"]
                row = {"case_id": cid, "exposure_id": xid, "instrument": a.instrument, "assessor": Assessor.AUTHORS,
                       "total": a.total, "category": a.category, "notes": a.notes}
                b.assessments.append(row)
                rows.append(row)
        # Only the authors' assessments belong to the seed; registry-computed ones are left alone.
        synced = self._sync("assessments", ("case_id", "instrument", "assessor", "exposure_id"), rows,
                            In.column(t.c.case_id, self.case_existed, t.c.assessor == Assessor.AUTHORS))
        if self.case_existed:
            self.case_of["assessment_id"] = {r["id"]: r["case_id"] for r in rows}
        items = []
        for b in built:
            for row, a in zip(b.assessments, b.case.assessments):
                items += [{"assessment_id": row["id"], "item_code": i.item, "answer": i.answer, "points": i.points,
                           "basis": i.basis} for i in a.items]
        self._sync("assessment_items", ("assessment_id", "item_code"), items, In.column(it.c.assessment_id, synced.existed))

    # -- evidence -------------------------------------------------------------

    def _evidence(self, built: list[_Built]) -> None:
        t = T["evidence"]
        rows: list[tuple] = []
        by_doc: dict[str, list[_Built]] = {}
        for b in built:
            by_doc.setdefault(b.primary, []).append(b)
        # Document by document (case-level, then record-level, then the publication's own),
        # so ids come out the same whether documents are loaded together or one at a time.
        for d in self.docs:
            p = d.doc.publication
            for b in by_doc.get(p.key, ()):
                # Evidence of different cases (or of the publication) never shares a subject,
                # so duplicates can only be within one case: dedupe there (small sets).
                mine: list[tuple] = []
                self._case_evidence(mine, b)
                self._record_evidence(mine, b)
                rows += _dedupe_evidence(mine)
            pid = self.pub_ids[p.key]
            rows += _dedupe_evidence([self._ev(None, "publications", pid, s, p.key) for s in p.src]
                                     + [self._missing(None, "publications", pid, f, p.missing[f], EvidenceStatus.NOT_AVAILABLE, p.key)
                                        for f in PUBLICATION_MISSING_FIELDS if getattr(p, f) is None])
        if not self.case_existed and not self.pub_existed:
            # Only new cases and publications: no evidence of theirs can exist yet, nothing to
            # compare; write the tuples as they are (ids follow in order, as sync_table's would).
            self.table = "evidence"
            if rows:
                insert_tuples(self.conn, t, _EVIDENCE_COLUMNS, rows)
            self.stats.inserted["evidence"] += len(rows)
            return
        scope = [
            In.column(t.c.case_id, self.case_existed),
            In.column(t.c.subject_id, self.pub_existed, t.c.case_id.is_(None), t.c.subject_table == literal("publications")),
        ]
        self._sync("evidence", _EVIDENCE_KEY, [dict(zip(_EVIDENCE_COLUMNS, r)) for r in rows], scope)

    # Evidence rows are built as tuples in _EVIDENCE_COLUMNS order (a large import makes
    # ~40 per case; dicts would cost more than the insert).

    def _ev(self, case_id: int | None, table: str, subject_id: int, src: Src, default_pub: str) -> tuple:
        return (case_id, table, subject_id, src.field, src.status, src.at,
                src.how if src.status == EvidenceStatus.STATED else None, src.stated, src.curated, src.note,
                self.pub_ids[src.pub or default_pub])

    def _missing(self, case_id: int, table: str, subject_id: int, field: str, why: Missing | None,
                 default_status: str, default_pub: str) -> tuple:
        if why is None:
            return (case_id, table, subject_id, field, default_status, None, None, None, True, None,
                    self.pub_ids[default_pub])
        return (case_id, table, subject_id, field, why.status, why.at, None, None, True, why.note,
                self.pub_ids[why.pub or default_pub])

    def _case_evidence(self, out: list, b: _Built) -> None:
        c, cid, primary = b.case, b.row["id"], b.primary
        for s in c.src:
            out.append(self._ev(cid, "cases", cid, s, primary))
        for f in CASE_FIELDS:
            if getattr(c, f) is None:
                out.append(self._missing(cid, "cases", cid, f, c.missing.get(f), c.unstated, primary))

    def _record_evidence(self, out: list, b: _Built) -> None:
        c, cid, primary = b.case, b.row["id"], b.primary
        ev, missing = self._ev, self._missing
        for xrow, x, drows, hrows in zip(b.exposures, c.exposures, b.doses, b.challenges):
            xid = xrow["id"]
            for s in x.src:
                out.append(ev(cid, "drug_exposures", xid, s, primary))
            if x.role in SUSPECT_ROLES:
                for f in EXPOSURE_FIELDS:
                    unknown = (not any(dd.dose_value for dd in x.doses)) if f == "dose" else getattr(x, f) is None
                    if unknown:
                        out.append(missing(cid, "drug_exposures", xid, f, x.missing.get(f), c.unstated, primary))
            for drow, dose in zip(drows, x.doses):
                for s in dose.src:
                    out.append(ev(cid, "dose_regimens", drow["id"], s, primary))
            for hrow, h in zip(hrows, x.challenges):
                for s in h.src:
                    out.append(ev(cid, "challenge_events", hrow["id"], s, primary))
                if h.result is None:
                    out.append(missing(cid, "challenge_events", hrow["id"], "result", h.missing.get("result"), c.unstated, primary))
        for f, frow in b.findings:
            for s in f.src:
                out.append(ev(cid, "findings", frow["id"], s, primary))
            if f.status in (FindingStatus.NOT_REPORTED, FindingStatus.NOT_AVAILABLE) and not f.src:
                out.append(missing(cid, "findings", frow["id"], "status", None, f.status, primary))
        for name, coll, rws in (("investigations", c.investigations, b.investigations), ("lab_results", c.labs, b.labs),
                                ("treatments", c.treatments, b.treatments),
                                ("genetic_tests", c.genetic_tests, b.genetic_tests), ("procedures", c.procedures, b.procedures)):
            for rec, r in zip(coll, rws):
                for s in rec.src:
                    out.append(ev(cid, name, r["id"], s, primary))
        if c.outcome:
            for s in c.outcome.src:
                out.append(ev(cid, "case_outcomes", cid, s, primary))
        for f in OUTCOME_FIELDS:
            if c.outcome is None or getattr(c.outcome, f) is None:
                why = c.outcome.missing.get(f) if c.outcome else None
                out.append(missing(cid, "case_outcomes", cid, f, why, c.unstated, primary))
        for row, a in zip(b.assessments, c.assessments):
            for s in a.src:
                out.append(ev(cid, "assessments", row["id"], s, primary))


def _dedupe_evidence(rows: list[tuple]) -> list[tuple]:
    if len(rows) < 2:
        return rows
    seen: set = set()
    out = []
    for r in rows:
        k = _evidence_key(r)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


class _Absent:
    """A core finding the file does not mention: its status is the case's `unstated`, every other field empty."""

    __slots__ = ("finding", "status", "src")

    def __init__(self, finding: str, status: str):
        self.finding, self.status, self.src = finding, status, ()

    def __getattr__(self, name: str) -> None:
        if name in _FINDING_FIELDS:
            return None
        raise AttributeError(name)
