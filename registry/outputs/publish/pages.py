"""Data for the case page and the about page, read from the published file inside datasette.

The templates call `registry_case(case_key)` and `registry_overview()`
(exposed by plugins/registry_pages.py); both run a few read-only queries on
the immutable database and return plain dicts and chart geometry. Values
are passed through as data, never as markup, so the templates' autoescaping
covers every source string.
"""

from __future__ import annotations

import json
from typing import Any

from registry.cases.lookups import fmt_number, label
from registry.cases.summary import CASE_SUMMARY
from registry.outputs.publish.charts import histogram, horizontal_bars, line_chart
from registry.outputs.publish.site import DATABASE
from registry.outputs.publish.stats import REGISTRY_STATS
from registry.schema.vocabulary import Analyte, CaseLinkRole, TimeUnit

#: case_summary columns whose definitions the about page lists.
DEFINED_COLUMNS = (
    "latency_days", "dose_at_onset_value", "peak_eosinophils_per_ul", "rechallenge_result", "suspect_continued",
    "continued_under", "regiscar_disagreement", "completeness",
)
#: Timeline events drawn as markers on the eosinophil chart (None: label with the drug).
MARKER_KINDS = {"onset": "onset", "recurrence": "recurrence", "challenge": None, "treatment_start": None}
CSV_ALL_CASES = f"/{DATABASE}/case_summary.csv?_stream=on&_labels=on&_dl=on&_size=max"


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
    series = [
        (l["day"], l["value_per_ul"], f"day {l['day']}: {fmt_number(l['value_per_ul'])}/µL"
         + (f" ({l['time_point']})" if l.get("time_point") else ""))
        for l in labs
        if l["analyte"] == Analyte.EOSINOPHILS_ABS and l["day"] is not None and l["value_per_ul"] is not None
    ]
    return line_chart(series, _markers(series, timeline), x_label="day (day 1 = first dose of the suspect drug)",
                      y_label="eosinophils /µL")


def _markers(series: list[tuple], timeline: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Onset, recurrences, re-exposures and treatment starts near the counts, one label per day."""
    if not series:
        return []
    lo, hi = min(s[0] for s in series), max(s[0] for s in series)
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
    timeline = await _rows(db, "select * from case_timeline where case_id = :c order by id", {"c": cid})
    labs = await _rows(db, "select * from lab_series where case_id = :c order by day is null, day, seq", {"c": cid})
    doses = await _rows(db, """
        select e.seq as exposure_seq, d.name as drug, e.role, dr.seq, dr.dose_value, dr.dose_unit,
               dr.interval_value, dr.interval_unit, dr.start_day, dr.stop_day, dr.reason, dr.notes
        from dose_regimens dr join drug_exposures e on e.id = dr.exposure_id join drugs d on d.id = e.drug_id
        where e.case_id = :c order by e.seq, dr.seq""", {"c": cid})
    treatments = await _rows(db, """
        select t.*, d.name as agent from treatments t left join drugs d on d.id = t.drug_id
        where t.case_id = :c order by t.seq""", {"c": cid})
    evidence = await _rows(db, """
        select ev.*, p.citation, p.title, p.doi, p.doi_url, p.pmid, p.pubmed_url
        from evidence ev join publications p on p.id = ev.publication_id
        where ev.case_id = :c order by ev.subject_table, ev.subject_id, ev.field, ev.is_curated desc, ev.id""",
        {"c": cid})
    publications = await _rows(db, f"""
        select p.*, cp.role from case_publications cp join publications p on p.id = cp.publication_id
        where cp.case_id = :c order by cp.role != '{CaseLinkRole.PRIMARY_REPORT}', p.year""", {"c": cid})
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
        "evidence": [_labelled(e, status="evidence_status", derivation="derivation") for e in evidence],
        "publications": [_labelled(p, role="case_link_role") for p in publications],
        "eosinophil_chart": eosinophil_chart(labs, timeline),
        "csv_url": CSV_ALL_CASES,
    }


async def overview(db: Any) -> dict[str, Any]:
    """The about page's figures, read from registry_stats (counted once by publish, not on every request)."""
    stats: dict[str, list[tuple[str | None, int]]] = {}
    for r in await _rows(db, f"select figure, value, n from {REGISTRY_STATS.name} where figure in "
                             "('cases', 'latency_days', 'indication', 'reaction_outcome') order by id"):
        stats.setdefault(r["figure"], []).append((r["value"], r["n"]))
    known = [(int(v), n) for v, n in stats.get("latency_days", []) if v is not None and int(v) >= 1]
    cases = stats["cases"][0][1]
    descriptions = CASE_SUMMARY.descriptions
    return {
        "cases": cases,
        "latency_unknown": cases - sum(n for _, n in known),
        "latency_chart": histogram(known),
        "indication_chart": horizontal_bars([(v or "not known", n) for v, n in stats.get("indication", [])]),
        "outcome_chart": horizontal_bars([(label("reaction_outcome", v) or "not known", n)
                                          for v, n in stats.get("reaction_outcome", [])]),
        "definitions": [(col, descriptions[col]) for col in DEFINED_COLUMNS],
        "csv_url": CSV_ALL_CASES,
    }
