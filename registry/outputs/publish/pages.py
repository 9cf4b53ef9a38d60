"""Data for the landing page, the case page and the methods page, read from the published file inside datasette.

The templates call `registry_home()`, `registry_case(case_key)`, `registry_overview()` and
`registry_choices(source)` (exposed by plugins/registry_pages.py); each runs a few read-only queries on
the immutable database and return plain dicts and chart geometry. Values
are passed through as data, never as markup, so the templates' autoescaping
covers every source string.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from registry.cases.evidence_wording import statement
from registry.cases.identity import identity_paragraphs
from registry.cases.lookups import fmt_number, label
from registry.cases.missing import missing_code_definitions
from registry.cases.scoring import load_instruments
from registry.cases.scoring.definitions import Instrument
from registry.cases.summary import CASE_SUMMARY
from registry.outputs.publish.canned import CHOICE_SOURCES, canned_queries
from registry.outputs.publish.charts import histogram, horizontal_bars, line_chart
from registry.outputs.publish.reading import NOT_REPORTED, SOURCE_NOT_READ
from registry.outputs.publish.site import DATABASE, DOWNLOAD_MOUNT, PACKAGE_INDEX, PACKAGE_NAME
from registry.outputs.publish.stats import REGISTRY_STATS
from registry.schema.vocabulary import VOCABULARIES, Analyte, Assessor, CaseLinkRole, EvidenceStatus, SourceAccess, TimeUnit

#: case_summary columns whose definitions the about page lists.
DEFINED_COLUMNS = (
    "latency_days", "dose_at_onset_value", "peak_eosinophils_per_ul", "rechallenge_result", "suspect_continued",
    "continued_under", "regiscar_disagreement", "completeness",
)
#: Timeline events drawn as markers on the eosinophil chart (None: label with the drug).
MARKER_KINDS = {"onset": "onset", "recurrence": "recurrence", "challenge": None, "treatment_start": None}
CSV_ALL_CASES = f"/{DATABASE}/case_summary.csv?_stream=on&_labels=on&_dl=on&_size=max"


#: What each of a case's publications leaves unknown about itself (read through SITE_INDEXES in layout.py).
PUBLICATION_UNKNOWNS_SQL = f"""
    select ev.subject_id, ev.field, ev.status, ev.locator from evidence ev
    where ev.case_id is null and ev.subject_table = 'publications' and ev.status != '{EvidenceStatus.STATED}'
      and ev.subject_id in (select publication_id from case_publications where case_id = :c)
    order by ev.subject_id, ev.field"""


async def _rows(db: Any, sql: str, params: dict | None = None) -> list[dict[str, Any]]:
    result = await db.execute(sql, params or {})
    return [dict(r) for r in result.rows]


def _labelled(row: dict[str, Any], **vocabs: str) -> dict[str, Any]:
    """Add '<column>_label' for each coded column (column=vocabulary)."""
    return {**row, **{f"{col}_label": label(vocab, row.get(col)) for col, vocab in vocabs.items()}}


def _dose(value: float | None, unit: str | None) -> str | None:
    if value is None:
        return None
    return f"{fmt_number(value)} {label('dose_unit', unit) or ''}".strip()


def _interval(value: float | None, unit: str | None) -> str | None:
    if value is None:
        return None
    if fmt_number(value) == "1" and unit == TimeUnit.DAYS:
        return "daily"
    return f"every {fmt_number(value)} {label('time_unit', unit) or ''}".strip()


def eosinophil_chart(labs: list[dict[str, Any]], timeline: list[dict[str, Any]]):
    """Absolute eosinophil counts in the order of the story (lab seq); undated ones in a strip of their own."""
    series = [
        (l["day"], l["value_per_ul"],
         (f"day {'~' if l.get('day_is_approximate') else ''}{l['day']}" if l["day"] is not None else "day not stated")
         + f": {fmt_number(l['value_per_ul'])}/µL" + (f" ({l['time_point']})" if l.get("time_point") else ""))
        for l in sorted(labs, key=lambda l: l["seq"])
        if l["analyte"] == Analyte.EOSINOPHILS_ABS and l["value_per_ul"] is not None
    ]
    return line_chart(series, _markers(series, timeline), x_label="day (day 1 = first dose of the suspect drug)",
                      y_label="eosinophils /µL")


def _markers(series: list[tuple], timeline: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Onset, recurrences, re-exposures and treatment starts near the counts, one label per day."""
    days = [s[0] for s in series if s[0] is not None]
    if not days:
        return []
    lo, hi = min(days), max(days)
    span = max(hi - lo, 10)
    by_day: dict[int, list[str]] = {}
    for ev in timeline:
        day = ev["day"]
        if ev["kind"] not in MARKER_KINDS or day is None or not lo - span <= day <= hi + span:
            continue
        text = MARKER_KINDS[ev["kind"]] or ev["drug"] or ev["kind"]
        if ev["kind"] == "challenge":
            text = ev["detail"].split(" with ")[0].lower()
        if text not in by_day.setdefault(day, []):
            by_day[day].append(text)
    return [(day, f"{', '.join(texts)} (day {day})") for day, texts in sorted(by_day.items())]


async def case_page(db: Any, case_key: str) -> dict[str, Any] | None:
    found = await _rows(db, "select * from case_summary where case_key = :k", {"k": case_key})
    if not found:
        return None
    case = _labelled(
        found[0], sex="sex", dechallenge_result="dechallenge_result", rechallenge_result="challenge_result",
        therapy_fate="therapy_fate", reaction_outcome="reaction_outcome", registry_diagnosis="registry_diagnosis",
    )
    for col in ("key_features", "treatments", "suspect_drug_list", "challenge_types"):
        case[col] = json.loads(case[col]) if case.get(col) else []
    case["age_text"] = fmt_number(round(case["age_years"], 1)) if case.get("age_years") is not None else None
    cid = case["case_id"]
    # The case's parts are independent reads: datasette runs them on its SQL threads side by side.
    c = {"c": cid}
    timeline, labs, doses, treatments, genetic_tests, procedures, evidence, reading_rows, publications, unknown, \
        scores = await asyncio.gather(
            _rows(db, "select * from case_timeline where case_id = :c order by id", c),
            _rows(db, "select * from lab_series where case_id = :c order by day is null, day, seq", c),
            _rows(db, """
                select e.seq as exposure_seq, d.name as drug, e.role, dr.seq, dr.dose_value, dr.dose_unit,
                       dr.interval_value, dr.interval_unit, dr.start_day, dr.stop_day, dr.reason, dr.notes
                from dose_regimens dr join drug_exposures e on e.id = dr.exposure_id join drugs d on d.id = e.drug_id
                where e.case_id = :c order by e.seq, dr.seq""", c),
            _rows(db, """
                select t.*, d.name as agent from treatments t left join drugs d on d.id = t.drug_id
                where t.case_id = :c order by t.seq""", c),
            _rows(db, "select * from genetic_tests where case_id = :c order by seq", c),
            _rows(db, "select * from procedures where case_id = :c order by seq", c),
            _rows(db, """
                select ev.*, ef.fact, ef.source_states, ef.stored_value, ef.followed,
                       p.citation, p.title, p.doi, p.doi_url, p.pmid, p.pubmed_url, l.analyte
                from evidence ev join publications p on p.id = ev.publication_id
                left join evidence_facts ef on ef.evidence_id = ev.id
                left join lab_results l on ev.subject_table = 'lab_results' and l.id = ev.subject_id
                where ev.case_id = :c order by ev.subject_table, ev.subject_id, ev.field, ev.is_curated desc, ev.id""",
                  c),
            _rows(db, "select * from case_list where case_key = :k", {"k": case_key}),
            _rows(db, f"""
                select p.*, cp.role from case_publications cp join publications p on p.id = cp.publication_id
                where cp.case_id = :c order by cp.role != '{CaseLinkRole.PRIMARY_REPORT}', p.year""", c),
            _rows(db, PUBLICATION_UNKNOWNS_SQL, c),
            case_scores(db, cid, case),
        )
    for e in evidence:
        e["statement"] = statement(e["fact"], e["source_states"], e["citation"], e["locator"])
    reading = (reading_rows or [{}])[0]
    for p in publications:
        p["unknown"] = [f"{u['field']} {label('evidence_status', u['status']).lower()}"
                        + (f" ({u['locator']})" if u["locator"] else "")
                        for u in unknown if u["subject_id"] == p["id"]]
    # The primary report not read in full (part of the text, abstract or citation only): a missing fact is "source not read", not "none reported".
    not_read = any(p["role"] == CaseLinkRole.PRIMARY_REPORT and p["source_access"] != SourceAccess.FULL_TEXT
                   for p in publications)
    read_part = next((READ_PART.get(p["source_access"], "part") for p in publications
                      if p["role"] == CaseLinkRole.PRIMARY_REPORT and p["source_access"] != SourceAccess.FULL_TEXT), None)
    return {
        "case": case,
        "timeline": timeline,
        "labs": [{**_labelled(l, comparator="comparator"), "value_text": fmt_number(l["value"])} for l in labs],
        "doses": [
            {**_labelled(d, role="exposure_role", reason="dose_change_reason"),
             "dose": _dose(d["dose_value"], d["dose_unit"]), "interval": _interval(d["interval_value"], d["interval_unit"])}
            for d in doses
        ],
        "treatments": [
            {**_labelled(t, category="treatment_category", route="route", response="treatment_response"),
             "dose": _dose(t["dose_value"], t["dose_unit"])}
            for t in treatments
        ],
        "genetic_tests": [_labelled(g, result="genotype_result") for g in genetic_tests],
        "procedures": [_labelled(pr, procedure="procedure") for pr in procedures],
        "evidence": [_labelled(e, status="evidence_status", derivation="derivation") for e in evidence],
        "sources": fact_sources(evidence),
        "reading": reading,
        "source_read": reading.get("source_read"),
        "not_read": not_read,
        "read_part": read_part,
        "missing_words": SOURCE_NOT_READ if not_read else NOT_REPORTED,
        "scores": scores,
        "publications": [_labelled(p, role="case_link_role") for p in publications],
        "eosinophil_chart": eosinophil_chart(labs, timeline),
        "csv_url": CSV_ALL_CASES,
        "package_url": PACKAGE_URL,
    }


#: Case-page facts -> the evidence that backs them: (subject_table, fields; None = any field, "" = whole row).
FACT_EVIDENCE: dict[str, tuple[tuple[str, tuple[str, ...] | None], ...]] = {
    "patient": (("cases", ("age_value", "age_unit", "sex", "country")),),
    "suspect_drugs": (("drug_exposures", ("", "role")),),
    "indication": (("drug_exposures", ("indication",)),),
    "dose": (("dose_regimens", None), ("drug_exposures", ("dose",))),
    "latency": (("cases", ("onset_day",)), ("drug_exposures", ("start_day",))),
    "features": (("findings", None),),
    "eosinophils": (("lab_results", None),),
    "treatments": (("treatments", None),),
    "genetic_tests": (("genetic_tests", None),),
    "procedures": (("procedures", None),),
    "dechallenge": (("drug_exposures", ("dechallenge_result", "action_taken")),),
    "re_exposure": (("challenge_events", None),),
    "outcome": (("case_outcomes", None),),
    "regiscar": (("assessments", None), ("cases", ("diagnosis_as_reported",))),
}


def fact_sources(evidence: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The evidence rows behind each fact of the case page (a small marker there opens them)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, subjects in FACT_EVIDENCE.items():
        rows = []
        for e in evidence:
            for table, fields in subjects:
                if e["subject_table"] != table or (fields is not None and (e["field"] or "") not in fields):
                    continue
                if key == "eosinophils" and e.get("analyte") != Analyte.EOSINOPHILS_ABS:
                    continue
                rows.append(e)
                break
        out[key] = rows
    return out


def _answer_words(instrument: Instrument, item_code: str, answer: str | None) -> str:
    if answer is None:
        return "not given"
    try:
        item = instrument.item(item_code)
    except KeyError:
        return answer
    code = item.resolve(answer)
    if code is None:
        return answer
    if item.is_unknown(code):
        return "not known"
    return item.option(code).label


def _points_words(item: dict[str, Any] | None) -> str:
    if item is None or item.get("points") is None:
        return ""
    lo, hi = item.get("points_min"), item.get("points_max")
    if lo is not None and hi is not None and lo != hi:
        return f"{item['points']} (could be {lo} to {hi})"
    return str(item["points"])


def range_words(lo: int | None, hi: int | None) -> str | None:
    if lo is None or hi is None:
        return None
    return f"range {lo} to {hi}" if lo != hi else None


def _category_words(instrument: Instrument, code: str | None) -> str | None:
    if not code:
        return None
    labels = {c.code: c.label.lower() for c in instrument.categories}
    return " to ".join(labels.get(part, part) for part in code.split("-"))


def comparison_words(authors: int | None, lo: int | None, hi: int | None, registry: int | None) -> str:
    """How the authors' total relates to the registry's: the words a clinician reads."""
    if authors is None or registry is None:
        return "cannot compare: " + ("the authors give no total" if authors is None else "the registry has not scored it")
    if lo is not None and hi is not None:
        if lo <= authors <= hi:
            return (f"consistent with the authors: their total {authors} lies within the range {lo} to {hi} that the "
                    "registry's facts still allow" + ("" if authors == registry else
                                                      f" (the registry's own total, scoring unknown items by the instrument's rule, is {registry})"))
        return f"disagrees with the authors: their total {authors} lies outside the range {lo} to {hi} the registry's facts allow"
    return "agrees with the authors" if authors == registry else f"disagrees with the authors ({authors} against {registry})"


async def case_scores(db: Any, case_id: int, case: dict[str, Any]) -> list[dict[str, Any]]:
    """Per instrument (and suspect): each item's answer and points by the authors and by the registry."""
    instruments = load_instruments()
    assessments = await _rows(db, """
        select a.*, d.name as drug from assessments a
        left join drug_exposures x on x.id = a.exposure_id left join drugs d on d.id = x.drug_id
        where a.case_id = :c order by a.instrument, a.exposure_id, a.assessor, a.id""", {"c": case_id})
    items = await _rows(db, """
        select ai.* from assessment_items ai join assessments a on a.id = ai.assessment_id
        where a.case_id = :c order by ai.id""", {"c": case_id})
    by_assessment: dict[int, dict[str, dict[str, Any]]] = {}
    for it in items:
        by_assessment.setdefault(it["assessment_id"], {})[it["item_code"]] = it
    groups: dict[tuple[str, Any], dict[str, dict[str, Any]]] = {}
    for a in assessments:
        if a["instrument"] not in instruments:
            continue
        groups.setdefault((a["instrument"], a["exposure_id"]), {}).setdefault(a["assessor"], a)
    out = []
    for (code, _), by_who in groups.items():
        inst = instruments[code]
        authors, registry = by_who.get(Assessor.AUTHORS), by_who.get(Assessor.REGISTRY)
        a_items = by_assessment.get(authors["id"], {}) if authors else {}
        r_items = by_assessment.get(registry["id"], {}) if registry else {}
        rows = []
        for item in inst.items:
            ai, ri = a_items.get(item.code), r_items.get(item.code)
            rows.append({
                "label": item.label,
                "authors_answer": _answer_words(inst, item.code, ai["answer"]) if ai else "not given",
                "authors_points": _points_words(ai),
                "registry_answer": _answer_words(inst, item.code, ri["answer"]) if ri else "not scored",
                "registry_points": _points_words(ri),
                "basis": "; ".join(b for b in ((ri or {}).get("basis"), (ai or {}).get("basis") and f"authors: {ai['basis']}") if b),
            })
        drug = (registry or authors or {}).get("drug")
        out.append({
            "name": inst.name + (f" for {drug}" if drug else ""),
            "instrument": code,
            "authors_total": authors.get("total") if authors else None,
            "authors_category": _category_words(inst, authors.get("category")) if authors else None,
            "authors_notes": authors.get("notes") if authors else None,
            "registry_total": registry.get("total") if registry else None,
            "registry_range": range_words(registry.get("total_min"), registry.get("total_max")) if registry else None,
            "registry_category": _category_words(inst, registry.get("category_range") or registry.get("category"))
            if registry else None,
            "comparison": comparison_words(authors.get("total") if authors else None,
                                           registry.get("total_min") if registry else None,
                                           registry.get("total_max") if registry else None,
                                           registry.get("total") if registry else None),
            "items": rows,
        })
    return out


PACKAGE_URL = PACKAGE_INDEX
PACKAGE_ZIP_URL = f"/{DOWNLOAD_MOUNT}/{PACKAGE_NAME}.zip"


def cutoffs() -> list[dict[str, Any]]:
    """Each instrument's categories with their totals, for the methods page."""
    out = []
    for inst in load_instruments().values():
        cats = []
        for c in inst.categories:
            if c.min is None:
                span = f"{c.max} or less"
            elif c.max is None:
                span = f"{c.min} or more"
            else:
                span = f"{c.min} to {c.max}" if c.min != c.max else str(c.min)
            cats.append((c.label, span))
        out.append({"name": inst.name, "total": f"{inst.total_min} to {inst.total_max}", "categories": cats,
                    "unknown_rule": inst.unknown_rule, "source": inst.source})
    return out


def _bin_href(measure: str, start: int, end: int) -> str:
    upper = "lte" if measure == "latency_days" else "lt"
    return f"/{DATABASE}/case_list?" + urlencode({f"{measure}__gte": start, f"{measure}__{upper}": end})


def _num(v: float | None) -> str | None:
    return None if v is None else fmt_number(round(v, 1))


async def statistics(db: Any) -> list[dict[str, Any]]:
    stats = await _rows(db, "select * from case_statistics order by measure desc")
    bins = await _rows(db, "select * from case_distribution order by measure, bin_start")
    out = []
    for st in stats:
        measure = st["measure"]
        unit = "days" if measure == "latency_days" else "years"
        mine = [b for b in bins if b["measure"] == measure]
        chart_bins = [
            ((f"{b['bin_start']}-{b['bin_end']}" if measure == "latency_days" else f"{b['bin_start']}s"), b["n"],
             f"{b['bin_start']} to {b['bin_end'] if measure == 'latency_days' else b['bin_end'] - 1} {unit}: {b['n']} case(s)"
             + (f", {b['approximate']} approximate" if b["approximate"] else "") + " (opens the cases)",
             _bin_href(measure, b["bin_start"], b["bin_end"]))
            for b in mine
        ]
        out.append({
            **{k: _num(st[k]) for k in ("minimum", "q1", "median", "q3", "maximum")},
            "measure": measure, "label": st["label"], "n": st["n"], "excluded": st["excluded"],
            "approximate": st["approximate"], "unit": unit,
            "chart": histogram(chart_bins, x_label=(
                "latency in days (first-dose day = 1), weekly bins" if measure == "latency_days" else "age in years, by decade")),
        })
    return out


async def build_and_release(db: Any) -> dict[str, Any]:
    """The build's version, date and citation (registry_build); in a frozen release, also its version and date
    (the registry_release table `dress-registry release` adds to the release's copy)."""
    info = dict((await _rows(db, "select * from registry_build") or [{}])[0])
    if await db.table_exists("registry_release"):
        row = (await _rows(db, "select version, released from registry_release") or [{}])[0]
        info.update(release=row.get("version"), released=row.get("released"))
    return info


#: What the curators could read of a report not read in full ("could read only the abstract of this report").
READ_PART = {
    SourceAccess.PARTIAL_TEXT: "part of the text (more than the abstract)", SourceAccess.ABSTRACT_ONLY: "the abstract",
    SourceAccess.CITATION_ONLY: "the citation",
}

#: How the landing page words each source access after its count ("3 in full, 1 in part, ...").
ACCESS_WORDS = {
    SourceAccess.FULL_TEXT: "in full", SourceAccess.PARTIAL_TEXT: "in part (more than the abstract, not the whole text)",
    SourceAccess.ABSTRACT_ONLY: "abstract only", SourceAccess.CITATION_ONLY: "citation only",
}


async def home(db: Any) -> dict[str, Any]:
    """The landing page: counts and release from the baked tables (nothing counted over the case tables here)."""
    counts = {r["name"]: r["n"] for r in await _rows(db, "select name, n from registry_counts")}
    release = await build_and_release(db)
    queries = [{"name": q.name, "title": q.title, "question": q.question} for q in canned_queries()]
    access = [{"n": counts.get(f"sources_{t.code}") or 0, "words": ACCESS_WORDS.get(t.code, t.label.lower())}
              for t in VOCABULARIES["source_access"].terms]
    return {"counts": counts, "access": access, "release": release, "queries": queries, "package_url": PACKAGE_URL,
            "package_zip_url": PACKAGE_ZIP_URL}


async def overview(db: Any) -> dict[str, Any]:
    """The about page: statistics from case_statistics/case_distribution, distributions from registry_stats
    (all counted once by publish, not on every request)."""
    stats: dict[str, list[tuple[str | None, int]]] = {}
    for r in await _rows(db, f"select figure, value, n from {REGISTRY_STATS.name} where figure in "
                             "('indication', 'reaction_outcome') order by id"):
        stats.setdefault(r["figure"], []).append((r["value"], r["n"]))
    descriptions = CASE_SUMMARY.descriptions
    return {
        "statistics": await statistics(db),
        "cutoffs": cutoffs(),
        "missing_codes": missing_code_definitions(),
        "source_access": [(t.label, t.definition) for t in VOCABULARIES["source_access"].terms],
        "identity": identity_paragraphs(),
        "release": await build_and_release(db),
        "package_url": PACKAGE_URL,
        "indication_chart": horizontal_bars([(v or "not known", n) for v, n in stats.get("indication", [])]),
        "outcome_chart": horizontal_bars([(label("reaction_outcome", v) or "not known", n)
                                          for v, n in stats.get("reaction_outcome", [])]),
        "definitions": [(col, descriptions[col]) for col in DEFINED_COLUMNS],
        "csv_url": CSV_ALL_CASES,
    }


#: A parameter offers at most this many choices as a list; beyond it, a text box.
CHOICE_LIMIT = 500


async def choices(db: Any, source: str) -> list[str] | None:
    """The values a saved question's parameter can take (None when there are too many to list)."""
    result = await db.execute(f"{CHOICE_SOURCES[source]} limit {CHOICE_LIMIT + 1}")
    values = [r[0] for r in result.rows]
    return values if len(values) <= CHOICE_LIMIT else None
