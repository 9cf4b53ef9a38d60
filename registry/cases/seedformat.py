"""The lossless export: the registry written back as seed-format YAML documents.

`dress-registry export --format yaml` writes `seed/<publication key>.yaml`,
one document per publication, in exactly the format of seed/publications/
(registry/cases/seedschema.py) and checked with the same validation before it
is written. `dress-registry import` reads them back with the seed loader, so
export -> import into an empty database -> export gives identical files
(tests/test_export.py checks this).

How the database maps back onto the format:

* evidence rows become the `src` lists of the records they are about;
* the "why missing" rows the loader writes for NULL key facts become
  `missing:` entries, or nothing when they say what `unstated` says (the
  case's most common missing status) with no locator or note;
* core findings with the default status and only the loader's own evidence
  row are left out, because the loader adds them back identically.

What the seed format cannot hold, and this export therefore leaves out:
registry-computed assessments (assessor = registry; `dress-registry score
--store` recomputes them), drug codes other than name and class (ATC, UNII,
RxCUI), drugs no case uses, "unrecorded" key facts (NULL with no reason: the
loader always records one), and evidence rows on records the format has no
place for. Everything else, the whole curated record, round-trips.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, Callable

import yaml
from sqlalchemy import Select, Table, or_, select, true
from sqlalchemy.engine import Connection

from registry.cases.completeness import CASE_FIELDS, CORE_FINDINGS, EXPOSURE_FIELDS, OUTCOME_FIELDS, SUSPECT_ROLES
from registry.cases.documents import Document, cross_check, parse_document
from registry.cases.missing import MISSING_STATUSES
from registry.cases.query import case_ids_select, order_text
from registry.cases.seedschema import PUBLICATION_MISSING_FIELDS
from registry.cases.selection import Selection
from registry.cases.snapshot import load_cases
from registry.core.inputs import add_yaml12_resolvers
from registry.schema.fields import fact_names, record_fields
from registry.schema.models import Citation
from registry.schema.models.tables import CH, CP, DR, GT, INV, LAB, PR, ST, TR, XA, XD, XR, D, E, F, O, P, X
from registry.schema.vocabulary import Assessor, CaseLinkRole, Derivation, EvidenceStatus

CI = Citation.__table__
SEED_SUBDIR = "seed"


def _num(value: Any) -> Any:
    """62.0 -> 62 (reads back as the same float), anything else unchanged."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _num(v) for k, v in d.items() if v is not None and v != [] and v != {}}


def natural_key(key: str) -> list[Any]:
    """'x-2' before 'x-10'."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]


class _Dumper(yaml.SafeDumper):
    pass


add_yaml12_resolvers(_Dumper)  # the importer reads YAML 1.2: a text such as 1e3 is written quoted


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_multi_representer(StrEnum, _str)  # vocabulary constants, written as the codes they are


def dump_yaml(doc: dict[str, Any]) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)


# ---------------------------------------------------------------------------


class _Context:
    """Publication keys and drug names by id, read once per export."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pub_keys = {i: k for i, k in conn.execute(select(P.c.id, P.c.key))}
        self.drugs: dict[int, dict[str, Any]] = {}

    def drug(self, drug_id: int | None) -> dict[str, Any] | None:
        if drug_id is None:
            return None
        if drug_id not in self.drugs:
            row = self.conn.execute(select(D).where(D.c.id == drug_id)).mappings().one()
            self.drugs[drug_id] = dict(row)
        return self.drugs[drug_id]

    def drug_name(self, drug_id: int | None) -> str | None:
        d = self.drug(drug_id)
        return d["name"] if d else None


def _fields(row: dict[str, Any], table: Table, ctx: _Context) -> dict[str, Any]:
    """A leaf record's fields in seed-document order (registry.schema.fields): drug references by name,
    a value equal to the column's default left out (the loader puts it back)."""
    out: dict[str, Any] = {}
    for f in record_fields(table):
        if f.is_reference:
            out[f.name] = ctx.drug_name(row[f.column.name])
        else:
            value = row[f.name]
            out[f.name] = None if f.default is not None and value == f.default else value
    return out


def _src(e: dict[str, Any], primary: str, ctx: _Context) -> dict[str, Any]:
    s: dict[str, Any] = {}
    pub = ctx.pub_keys[e["publication_id"]]
    if pub != primary:
        s["pub"] = pub
    s["at"] = e["locator"]
    if e["field"] is not None:
        s["field"] = e["field"]
    if e["value_as_stated"] is not None:
        s["as"] = e["value_as_stated"]
    if e["status"] == EvidenceStatus.STATED and e["derivation"] not in (None, Derivation.STATED):
        s["how"] = e["derivation"]
    if e["status"] != EvidenceStatus.STATED:
        s["status"] = e["status"]
    if not e["is_curated"]:
        s["curated"] = False
    if e["curation_note"] is not None:
        s["note"] = e["curation_note"]
    return s


def _is_generated(e: dict[str, Any]) -> bool:
    """Looks like a row the loader writes for a missing key fact."""
    return (
        e["status"] in MISSING_STATUSES and e["derivation"] is None and e["value_as_stated"] is None
        and bool(e["is_curated"]) and e["field"] is not None
    )


class _Split:
    """A record's evidence, split into `src` entries and generated "why missing" rows."""

    def __init__(self, evs: list[dict[str, Any]], key_fields: tuple[str, ...], unknown: Callable[[str], bool]):
        self.generated: dict[str, dict[str, Any]] = {}
        for e in evs:
            if e["field"] in key_fields and unknown(e["field"]) and _is_generated(e):
                self.generated[e["field"]] = e  # the loader writes it after the record's src: the last one
        chosen = {id(e) for e in self.generated.values()}
        self.sources = [e for e in evs if id(e) not in chosen]

    def src(self, primary: str, ctx: _Context) -> list[dict[str, Any]]:
        return [_src(e, primary, ctx) for e in self.sources]

    def missing(self, unstated: str, primary: str, ctx: _Context) -> dict[str, Any]:
        out = {}
        for f, e in self.generated.items():
            m: dict[str, Any] = {"status": e["status"]}
            pub = ctx.pub_keys[e["publication_id"]]
            if pub != primary:
                m["pub"] = pub
            if e["locator"] is not None:
                m["at"] = e["locator"]
            if e["curation_note"] is not None:
                m["note"] = e["curation_note"]
            if m != {"status": unstated}:
                out[f] = m
        return out


def _rows(conn: Connection, stmt: Select) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _by(rows: list[dict[str, Any]], key: str, order: str | None = None) -> dict[Any, list[dict[str, Any]]]:
    """Rows grouped by `key`; within a group in `order` (a sibling order column), else as read (row id)."""
    out: dict[Any, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: r[order]) if order else rows:
        out.setdefault(r[key], []).append(r)
    return out


def publication_dict(conn: Connection, pub: dict[str, Any], ctx: _Context | None = None) -> dict[str, Any]:
    """A publication row (with its publication-level evidence) as the seed format's `publication:`."""
    ctx = ctx or _Context(conn)
    evs = _rows(conn, select(E).where(E.c.case_id.is_(None), E.c.subject_table == "publications",
                                       E.c.subject_id == pub["id"]).order_by(E.c.id))
    d = {k: pub[k] for k in (
        "key", "authors", "title", "title_english", "journal", "year", "volume", "issue", "pages", "doi", "pmid",
        "pmcid", "language", "article_type", "url", "licence", "source_access",
    )}
    d["accessed_via"] = pub["accessed_via"].split("\n") if pub["accessed_via"] else None
    d["notes"] = pub["notes"]
    split = _Split(evs, PUBLICATION_MISSING_FIELDS, lambda f: pub.get(f) is None)
    d["src"] = split.src(pub["key"], ctx)
    d["missing"] = split.missing(None, pub["key"], ctx)  # no default reason: every one is written
    return _clean(d)


#: What a seed document holds of a case (registry.cases.snapshot.load_cases).
DOCUMENT_TABLES = (
    "cases", "case_publications", "drug_exposures", "dose_regimens", "challenge_events", "challenge_steps", "findings",
    "investigations", "lab_results", "treatments", "genetic_tests", "procedures", "case_outcomes", "assessments",
    "assessment_items", "evidence",
)


class _CaseData:
    """Every row of a set of cases (registry.cases.snapshot.load_cases), grouped for writing documents."""

    def __init__(self, conn: Connection, case_ids: list[int]) -> None:
        snap = load_cases(conn, case_ids, DOCUMENT_TABLES)
        self.cases = snap["cases"]
        self.links = _by(snap["case_publications"], "case_id")
        self.exposures = _by(snap["drug_exposures"], "case_id", "seq")
        self.doses = _by(snap["dose_regimens"], "exposure_id", "seq")
        self.challenges = _by(snap["challenge_events"], "exposure_id", "seq")
        self.steps = _by(snap["challenge_steps"], "challenge_id", "step_number")
        self.findings = _by(snap["findings"], "case_id")
        self.investigations = _by(snap["investigations"], "case_id", "seq")
        self.labs = _by(snap["lab_results"], "case_id", "seq")
        self.treatments = _by(snap["treatments"], "case_id", "seq")
        self.genetic_tests = _by(snap["genetic_tests"], "case_id", "seq")
        self.procedures = _by(snap["procedures"], "case_id", "seq")
        self.outcomes = {o["case_id"]: o for o in snap["case_outcomes"]}
        authors = [a for a in snap["assessments"] if a["assessor"] == Assessor.AUTHORS]
        self.assessments = _by(authors, "case_id")
        ids = {a["id"] for a in authors}
        self.items = _by([i for i in snap["assessment_items"] if i["assessment_id"] in ids], "assessment_id")
        self.evidence: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for e in snap["evidence"]:
            self.evidence.setdefault((e["subject_table"], e["subject_id"]), []).append(e)

    def ev(self, table: str, subject_id: int) -> list[dict[str, Any]]:
        return self.evidence.get((table, subject_id), [])


def _auto_finding_row(f: dict[str, Any], e: dict[str, Any], primary_id: int) -> bool:
    """The evidence row the loader adds to a not-reported / not-available finding without src."""
    return (
        e["field"] == "status" and e["status"] == f["status"] and e["locator"] is None and e["derivation"] is None
        and e["value_as_stated"] is None and e["curation_note"] is None and bool(e["is_curated"])
        and e["publication_id"] == primary_id
    )


def _case_dict(data: _CaseData, case: dict[str, Any], primary: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    cid, pkey = case["id"], primary["key"]
    exposures = data.exposures.get(cid, [])
    outcome = data.outcomes.get(cid)

    case_split = _Split(data.ev("cases", cid), CASE_FIELDS, lambda f: case.get(f) is None)
    x_splits = []
    for x in exposures:
        doses = data.doses.get(x["id"], [])
        keys = EXPOSURE_FIELDS if x["role"] in SUSPECT_ROLES else ()

        def unknown(f: str, x=x, doses=doses) -> bool:
            return not any(d["dose_value"] for d in doses) if f == "dose" else x.get(f) is None

        x_splits.append(_Split(data.ev("drug_exposures", x["id"]), keys, unknown))
    h_splits = {
        h["id"]: _Split(data.ev("challenge_events", h["id"]), ("result",), lambda f, h=h: h.get(f) is None)
        for x in exposures for h in data.challenges.get(x["id"], [])
    }
    o_split = _Split(data.ev("case_outcomes", cid), OUTCOME_FIELDS,
                     lambda f: outcome is None or outcome.get(f) is None)

    findings = data.findings.get(cid, [])
    auto_findings = {
        f["id"] for f in findings
        if f["status"] in MISSING_STATUSES and (evs := data.ev("findings", f["id"]))
        and all(_auto_finding_row(f, e, primary["id"]) for e in evs)
    }

    statuses = Counter(
        e["status"] for s in (case_split, *x_splits, *h_splits.values(), o_split) for e in s.generated.values()
    )
    statuses.update(f["status"] for f in findings if f["id"] in auto_findings)
    unstated = EvidenceStatus.NOT_AVAILABLE if statuses[EvidenceStatus.NOT_AVAILABLE] > statuses[EvidenceStatus.NOT_REPORTED] else EvidenceStatus.NOT_REPORTED

    d: dict[str, Any] = {
        "key": case["case_key"],
        "label_in_source": case["label_in_source"],
        "unstated": unstated,
        "links": [
            _clean({"pub": ctx.pub_keys[ln["publication_id"]], "role": ln["role"], "label": ln["label_in_publication"]})
            for ln in sorted(data.links.get(cid, []), key=lambda ln: ctx.pub_keys[ln["publication_id"]])
            if not (ln["role"] == CaseLinkRole.PRIMARY_REPORT and ln["publication_id"] == primary["id"])
        ],
        "age_value": case["age_value"],
        "age_unit": case["age_unit"],
        "age_is_approximate": True if case["age_is_approximate"] else None,
        "sex": case["sex"],
        "country": case["country"],
        "diagnosis_as_reported": case["diagnosis_as_reported"],
        "registry_diagnosis": case["registry_diagnosis"],
        "day1_anchor": case["day1_anchor"],
        "onset_day": case["onset_day"],
        "onset_is_approximate": True if case["onset_is_approximate"] else None,
        "summary": case["summary"],
        "src": case_split.src(pkey, ctx),
        "missing": case_split.missing(unstated, pkey, ctx),
    }

    out_x = []
    for x, split in zip(exposures, x_splits):
        challenges = []
        for h in data.challenges.get(x["id"], []):
            hs = h_splits[h["id"]]
            challenges.append(_clean({
                **_fields(h, CH, ctx),
                "src": hs.src(pkey, ctx),
                "missing": hs.missing(unstated, pkey, ctx),
                "steps": [_clean(_fields(s, ST, ctx)) for s in data.steps.get(h["id"], [])],
            }))
        out_x.append(_clean({
            **_fields(x, X, ctx),
            "src": split.src(pkey, ctx),
            "missing": split.missing(unstated, pkey, ctx),
            "doses": [
                _clean({
                    **_fields(dose, DR, ctx),
                    "src": [_src(e, pkey, ctx) for e in data.ev("dose_regimens", dose["id"])],
                })
                for dose in data.doses.get(x["id"], [])
            ],
            "challenges": challenges,
        }))
    d["exposures"] = out_x

    out_f = []
    for f in findings:
        evs = data.ev("findings", f["id"])
        if f["id"] in auto_findings:
            if f["finding"] in CORE_FINDINGS and f["status"] == unstated and all(
                    f[n] is None for n in fact_names(F) if n not in ("finding", "status")):
                continue  # the loader adds it back as it is
            evs = []
        evs = [e for e in evs if not _auto_finding_row(f, e, primary["id"])]
        out_f.append(_clean({**_fields(f, F, ctx),
                             "src": [_src(e, pkey, ctx) for e in evs]}))
    d["findings"] = out_f

    d["investigations"] = [
        _clean({**_fields(i, INV, ctx),
                "src": [_src(e, pkey, ctx) for e in data.ev("investigations", i["id"])]})
        for i in data.investigations.get(cid, [])
    ]
    d["labs"] = [
        _clean({
            **_fields(lab, LAB, ctx),
            "src": [_src(e, pkey, ctx) for e in data.ev("lab_results", lab["id"])],
        })
        for lab in data.labs.get(cid, [])
    ]
    d["treatments"] = [
        _clean({
            **_fields(t, TR, ctx),
            "src": [_src(e, pkey, ctx) for e in data.ev("treatments", t["id"])],
        })
        for t in data.treatments.get(cid, [])
    ]
    for key, table, rows in (("genetic_tests", GT, data.genetic_tests), ("procedures", PR, data.procedures)):
        d[key] = [
            _clean({**_fields(r, table, ctx), "src": [_src(e, pkey, ctx) for e in data.ev(table.name, r["id"])]})
            for r in rows.get(cid, [])
        ]
    if outcome is not None:
        o = _clean({
            **_fields(outcome, O, ctx),
            "src": o_split.src(pkey, ctx),
            "missing": o_split.missing(unstated, pkey, ctx),
        })
        if set(o) - {"missing"}:
            d["outcome"] = o
    exposure_drug = {x["id"]: ctx.drug_name(x["drug_id"]) for x in exposures}
    d["assessments"] = [
        _clean({
            "instrument": a["instrument"],
            "exposure_drug": exposure_drug.get(a["exposure_id"]),
            **{k: a[k] for k in ("total", "category", "notes")},
            "src": [_src(e, pkey, ctx) for e in data.ev("assessments", a["id"])],
            "items": [_clean({"item": i["item_code"], "answer": i["answer"], "points": i["points"], "basis": i["basis"]})
                      for i in data.items.get(a["id"], [])],
        })
        for a in data.assessments.get(cid, [])
    ]
    clean = _clean(d)
    clean.setdefault("unstated", unstated)
    return clean


def _drugs_used(data: _CaseData, ctx: _Context) -> list[dict[str, Any]]:
    ids = {x["drug_id"] for xs in data.exposures.values() for x in xs}
    ids |= {t["drug_id"] for ts in data.treatments.values() for t in ts if t["drug_id"] is not None}
    ids |= {o["switched_to_drug_id"] for o in data.outcomes.values() if o["switched_to_drug_id"] is not None}
    drugs = [ctx.drug(i) for i in ids]
    return [{"name": d["name"], "drug_class": d["drug_class"]} for d in sorted(drugs, key=lambda d: d["name"]) if d["drug_class"]]


def extraction_dict(conn: Connection, publication_id: int) -> dict[str, Any] | None:
    """The publication's extraction report (registry.ingest.extraction) as the seed format's `extraction:`."""
    report = conn.execute(select(XR).where(XR.c.publication_id == publication_id)).mappings().one_or_none()
    if report is None:
        return None
    d = {f: report[f] for f in fact_names(XR)}
    d["agreement"] = [_clean({f: r[f] for f in fact_names(XA)}) for r in conn.execute(
        select(XA).where(XA.c.report_id == report["id"]).order_by(XA.c.id)).mappings()]
    d["decisions"] = [_clean({f: r[f] for f in fact_names(XD)}) for r in conn.execute(
        select(XD).where(XD.c.report_id == report["id"]).order_by(XD.c.seq)).mappings()]
    return _clean(d)


def publication_document(conn: Connection, pub: dict[str, Any], case_ids: list[int] | None, ctx: _Context,
                         *, stub: bool = False) -> dict[str, Any]:
    """One seed document: who extracted it, the publication, what it cites, its drugs and the cases it first reports."""
    doc: dict[str, Any] = {"publication": publication_dict(conn, pub, ctx)}
    if stub:
        return doc
    extraction = extraction_dict(conn, pub["id"])
    if extraction is not None:
        doc = {"extraction": extraction, **doc}
    cites = _rows(conn, select(CI).where(CI.c.citing_publication_id == pub["id"]).order_by(CI.c.reference_number))
    doc["cites"] = [_clean({"pub": ctx.pub_keys[c["cited_publication_id"]], "reference_number": c["reference_number"],
                            "context": c["context"]}) for c in cites]
    if case_ids:
        data = _CaseData(conn, case_ids)
        doc["drugs"] = _drugs_used(data, ctx)
        cases = sorted(data.cases, key=lambda c: natural_key(c["case_key"]))
        doc["cases"] = [_case_dict(data, c, pub, ctx) for c in cases]
    return {k: v for k, v in doc.items() if v}


def iter_documents(conn: Connection, sel: Selection) -> Iterator[tuple[str, dict[str, Any]]]:
    """(publication key, document) for the selection, in key order.

    Unfiltered: every publication (with or without cases). Filtered: the
    primary reports of the chosen cases with those cases, plus every other
    publication they refer to as a publication-only document, so the files
    import into an empty database on their own.
    """
    ctx = _Context(conn)
    chosen = case_ids_select(sel)
    primary = {}
    for cid, pid in conn.execute(select(CP.c.case_id, CP.c.publication_id).where(
            CP.c.role == CaseLinkRole.PRIMARY_REPORT, CP.c.case_id.in_(chosen))):
        primary.setdefault(pid, []).append(cid)
    if sel.filtered:
        wanted = set(primary)
        refs = set()
        ids = [c for cs in primary.values() for c in cs]
        if ids:
            refs |= {r[0] for r in conn.execute(select(CP.c.publication_id).where(CP.c.case_id.in_(ids)))}
            refs |= {r[0] for r in conn.execute(select(E.c.publication_id).where(E.c.case_id.in_(ids)))}
            refs |= {r[0] for r in conn.execute(select(CI.c.cited_publication_id).where(CI.c.citing_publication_id.in_(list(wanted))))}
        stubs = refs - wanted
        pub_filter = P.c.id.in_(list(wanted | stubs))
    else:
        stubs = set()
        pub_filter = or_(P.c.is_synthetic.is_(None), P.c.is_synthetic == False) if not sel.include_synthetic else true()  # noqa: E712
    stmt = select(P).where(pub_filter).order_by(order_text(P.c.key, conn.dialect.name))
    result = conn.execute(stmt, execution_options={"stream_results": True, "yield_per": 100})
    for part in result.mappings().partitions():
        for row in part:
            pub = dict(row)
            yield pub["key"], publication_document(conn, pub, primary.get(pub["id"]), ctx, stub=pub["id"] in stubs)


def write_documents(conn: Connection, sel: Selection, folder: Path) -> tuple[int, int]:
    """Write and check every document; returns (documents, cases)."""
    folder.mkdir(parents=True, exist_ok=True)
    known = set(_Context(conn).pub_keys.values())
    n_docs = n_cases = 0
    for key, doc in iter_documents(conn, sel):
        path = folder / f"{key}.yaml"
        # The same validation as the seed and the importer: a document that would not load is never written.
        checked = parse_document(str(path), doc)
        cross_check([Document(str(path), checked)], known_publications=known)
        head = f"# {key}: exported by `dress-registry export --format yaml` (seed format; import with `dress-registry import`).\n"
        path.write_text(head + dump_yaml(doc), encoding="utf-8", newline="\n")
        n_docs += 1
        n_cases += len(doc.get("cases", []))
    return n_docs, n_cases
