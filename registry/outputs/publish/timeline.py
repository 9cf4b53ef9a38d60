"""case_timeline and lab_series: what happened to each patient, on one relative-day axis.

Every event of a case is placed on the case's own day axis (day 1 = first
dose of the suspect drug): exposure starts and stops, what was done with the
drug because of the reaction, dose changes, onset, re-exposures and each desensitisation step (challenge start_day +
protocol_day - 1), recurrences, treatments and the outcome. Events whose day
is unknown keep a NULL day and sort after the dated ones. Row ids follow
(case, day, event order), so the table's natural order reads as a timeline.
"""

from __future__ import annotations

from typing import Any

from registry.cases.baked import BakedTable, Col
from registry.cases.lookups import Lookups, fmt_number, label
from registry.cases.snapshot import Row
from registry.schema.models.vocab import VOCAB_TABLES
from registry.schema.vocabulary import PER_UL_FACTORS, ActionTaken, ChallengeResult, TherapyFate

#: Event kinds in the order they are listed when they fall on the same day.
EVENT_KINDS = (
    "exposure_start", "onset", "recurrence", "drug_action", "challenge", "challenge_step", "dose_change",
    "treatment_start", "treatment_stop", "procedure", "exposure_stop", "outcome",
)
#: Actions that end (or cut) the dose in force at onset.
STOPPING_ACTIONS = (ActionTaken.WITHDRAWN, ActionTaken.DOSE_REDUCED)

CASE_TIMELINE = BakedTable(
    name="case_timeline",
    description=(
        "Every dated event of each case on one relative-day axis (day 1 = first dose of the suspect drug): "
        "exposure start and stop, dose changes, onset, re-exposures and their steps, recurrences, treatments, procedures, "
        "outcome. "
        "Rows are in timeline order; undated events come last."
    ),
    pk="id",
    columns=(
        Col("id", int, "Row number, in timeline order (case, day, event kind)."),
        Col("case_key", str, "Public key of the case.", "case_summary.case_key"),
        Col("case_id", int, "Row id of the case.", "cases.id"),
        Col("day", int, "Relative day of the event (day 1 = first dose of the suspect drug). NULL when unknown."),
        Col("kind", str, "Kind of event: " + ", ".join(EVENT_KINDS) + " (drug_action = what was done with the drug because of the reaction)."),
        Col("drug", str, "Drug involved (exposure, re-exposure or treatment agent), if any."),
        Col("dose_value", float, "Dose of the event (dose row, step or treatment), in dose_unit."),
        Col("dose_unit", str, "Unit of dose_value.", "vocab_dose_unit.code"),
        Col("detail", str, "The event in words (labels, not codes)."),
        Col("source_table", str, "Table the event comes from (drug_exposures, dose_regimens, challenge_events, challenge_steps, cases, treatments, procedures, case_outcomes)."),
        Col("source_id", int, "Row id in source_table (case_id for cases and case_outcomes)."),
    ),
    indexes=("kind", "day"),
)

LAB_SERIES = BakedTable(
    name="lab_series",
    description=(
        "Laboratory values in long form with labels: one row per analyte per time point, "
        "on the case's relative-day axis, with cell counts also converted to cells/µL."
    ),
    pk="id",
    columns=(
        Col("id", int, "Row id of the lab result.", "lab_results.id"),
        Col("case_key", str, "Public key of the case.", "case_summary.case_key"),
        Col("case_id", int, "Row id of the case.", "cases.id"),
        Col("seq", int, "Order of the measurement within the case."),
        Col("day", int, "Relative day the sample was taken (day 1 = first dose of the suspect drug). NULL when unknown."),
        Col("day_is_approximate", int, "1 when the day comes from an approximate statement."),
        Col("time_point", str, "Labelled time point in words."),
        Col("analyte", str, "What was measured.", "vocab_analyte.code"),
        Col("analyte_label", str, "Label of the analyte."),
        Col("comparator", str, "Qualifier of the value (=, <, >, ≤, ≥).", "vocab_comparator.code"),
        Col("value", float, "Value as recorded, in unit."),
        Col("unit", str, "Unit of value (ASCII UCUM code).", "vocab_lab_unit.code"),
        Col("unit_label", str, "Unit of value as displayed (e.g. /µL, ×10⁹/L)."),
        Col("value_per_ul", float, "Cell counts converted to cells/µL (×10⁹/L × 1,000); NULL for other units."),
        Col("ref_low", float, "Lower limit of the reference range, in unit."),
        Col("ref_high", float, "Upper limit of the reference range, in unit."),
    ),
    indexes=("analyte", "day"),
)


def _event(case: Row, day: int | None, kind: str, detail: str, source: str, source_id: int, *,
           drug: str | None = None, dose: float | None = None, unit: str | None = None) -> dict[str, Any]:
    return {
        "case_key": case["case_key"], "case_id": case["id"], "day": day, "kind": kind, "drug": drug,
        "dose_value": dose, "dose_unit": unit, "detail": detail, "source_table": source, "source_id": source_id,
    }


def _exposure_events(lk: Lookups, case: Row) -> list[dict[str, Any]]:
    events = []
    for e in lk.exposures_by_case.get(case["id"], []):
        drug = lk.drug_name(e["drug_id"])
        role = label("exposure_role", e["role"])
        doses = lk.doses_by_exposure.get(e["id"], [])
        first_dose = doses[0] if doses else None
        start = f"{drug} ({role}) started"
        if first_dose and first_dose.get("dose_value") is not None:
            start += f": {lk.dose_text(first_dose)}"
        if e.get("route"):
            start += f", {label('route', e['route']).lower()}"
        if e.get("indication"):
            start += f", for {e['indication']}"
        events.append(_event(case, e["start_day"], "exposure_start", start, "drug_exposures", e["id"], drug=drug,
                             dose=first_dose["dose_value"] if first_dose else None,
                             unit=first_dose["dose_unit"] if first_dose else None))
        for d in doses[1:]:
            why = label("dose_change_reason", d.get("reason"))
            text = f"{drug} {lk.dose_text(d)}" + (f" ({why})" if why else "")
            events.append(_event(case, d["start_day"], "dose_change", text, "dose_regimens", d["id"], drug=drug,
                                 dose=d["dose_value"], unit=d["dose_unit"]))
        if e.get("action_taken"):
            action = label("action_taken", e["action_taken"])
            text = f"{drug}: {action.lower()} because of the reaction"
            if e.get("dechallenge_result"):
                text += f"; dechallenge: {label('dechallenge_result', e['dechallenge_result']).lower()}"
            events.append(_event(case, _action_day(case, e, doses), "drug_action", text, "drug_exposures", e["id"],
                                 drug=drug))
        if e.get("stop_day") is not None:
            events.append(_event(case, e["stop_day"], "exposure_stop", f"{drug}: last dose of this exposure",
                                 "drug_exposures", e["id"], drug=drug))
        events += _challenge_events(lk, case, e, drug)
    return events


def _action_day(case: Row, exposure: Row, doses: list[Row]) -> int | None:
    """When the action because of the reaction took effect, as far as the rows tell.

    Withdrawal or reduction ends the dose row in force at onset; without
    dated dose rows it is the exposure's stop day, unless the drug was given
    again later (then the day is not known). Other actions date from onset.
    """
    onset = case.get("onset_day")
    if exposure["action_taken"] not in STOPPING_ACTIONS:
        return onset
    if onset is not None:
        for d in doses:
            if d["start_day"] is not None and d["stop_day"] is not None and d["start_day"] <= onset <= d["stop_day"]:
                return d["stop_day"]
    later = any(d["start_day"] is not None and onset is not None and d["start_day"] > onset for d in doses)
    return None if later else exposure.get("stop_day")


def _challenge_events(lk: Lookups, case: Row, exposure: Row, drug: str | None) -> list[dict[str, Any]]:
    events = []
    for c in lk.challenges_by_exposure.get(exposure["id"], []):
        kind = label("challenge_type", c["challenge_type"])
        result = label("challenge_result", c.get("result")) or "result not reported"
        text = f"{kind} with {drug}: {result}"
        if c.get("premedication"):
            text += f"; premedication: {c['premedication']}"
        start = c.get("start_day")
        events.append(_event(case, start, "challenge", text, "challenge_events", c["id"], drug=drug))
        for s in lk.steps_by_challenge.get(c["id"], []):
            day = start + s["protocol_day"] - 1 if start is not None else None
            text = f"{kind} step {s['step_number']}: {fmt_number(s['dose_value'])} {label('dose_unit', s['dose_unit'])}" \
                   f" (protocol day {s['protocol_day']}"
            text += f", {s['interval_minutes']} min after the previous step)" if s.get("interval_minutes") else ")"
            events.append(_event(case, day, "challenge_step", text, "challenge_steps", s["id"], drug=drug,
                                 dose=s["dose_value"], unit=s["dose_unit"]))
        if c.get("result") == ChallengeResult.RECURRENCE:
            t, hours = c.get("time_to_recurrence_days"), c.get("time_to_recurrence_hours")
            if t is None and hours is not None:
                t = hours // 24  # the day it fell on
            day = start + t if start is not None and t is not None else None
            after = f"{hours} hours" if hours is not None else (f"{t} days" if t is not None else None)
            text = f"Reaction recurred on {drug}" + (f", {after} after the {kind.lower()} began" if after else "")
            events.append(_event(case, day, "recurrence", text, "challenge_events", c["id"], drug=drug))
    return events


def _treatment_events(lk: Lookups, case: Row) -> list[dict[str, Any]]:
    events = []
    for t in lk.treatments_by_case.get(case["id"], []):
        agent = lk.drug_name(t.get("drug_id"))
        category = label("treatment_category", t["category"])
        text = f"{agent or category}"
        if t.get("dose_value") is not None:
            text += f" {fmt_number(t['dose_value'])} {label('dose_unit', t.get('dose_unit')) or ''}".rstrip()
        if t.get("route"):
            text += f" {label('route', t['route']).lower()}"
        if agent:
            text += f" ({category})"
        if t.get("response"):
            text += f"; response: {label('treatment_response', t['response']).lower()}"
        events.append(_event(case, t.get("start_day"), "treatment_start", text, "treatments", t["id"], drug=agent,
                             dose=t.get("dose_value"), unit=t.get("dose_unit")))
        if t.get("stop_day") is not None:
            events.append(_event(case, t["stop_day"], "treatment_stop", f"{agent or category} stopped", "treatments",
                                 t["id"], drug=agent))
    return events


def _procedure_events(lk: Lookups, case: Row) -> list[dict[str, Any]]:
    events = []
    for p in lk.procedures_by_case.get(case["id"], []):
        text = label("procedure", p["procedure"])
        if p.get("duration_days") is not None:
            text += f" ({p['duration_days']} days)"
        if p.get("detail"):
            text += f": {p['detail']}"
        day = p.get("start_day")
        if day is not None and p.get("start_is_approximate"):
            text += f" (about day {day})"
        events.append(_event(case, day, "procedure", text, "procedures", p["id"]))
    return events


def _outcome_event(lk: Lookups, case: Row) -> list[dict[str, Any]]:
    o = lk.outcomes.get(case["id"])
    if not o:
        return []
    parts = [f"Outcome: {label('reaction_outcome', o.get('reaction_outcome')) or 'not known'}"]
    if o.get("therapy_fate"):
        fate = label("therapy_fate", o["therapy_fate"])
        switched = lk.drug_name(o.get("switched_to_drug_id"))
        parts.append(f"suspect therapy: {fate}" + (_replaced_by(o["therapy_fate"], switched) if switched else ""))
    if o.get("death"):
        parts.append("patient died during follow-up")
    return [_event(case, o.get("resolution_day"), "outcome", "; ".join(parts), "case_outcomes", case["id"])]


def _replaced_by(fate: str, drug: str) -> str:
    return f" to {drug}" if fate == TherapyFate.SWITCHED else f"; later replaced by {drug}"


def timeline_rows(lk: Lookups, first_id: int = 1) -> list[dict[str, Any]]:
    """The events of the snapshot's cases in timeline order, numbered from `first_id`."""
    rows: list[dict[str, Any]] = []
    for case in sorted(lk.cases.values(), key=lambda c: c["case_key"]):
        events = (_exposure_events(lk, case) + _treatment_events(lk, case) + _procedure_events(lk, case)
                  + _outcome_event(lk, case))
        if case.get("onset_day") is not None:
            about = "about " if case.get("onset_is_approximate") else ""
            events.append(_event(case, case["onset_day"], "onset", f"Onset of the reaction ({about}day {case['onset_day']})",
                                 "cases", case["id"]))
        events.sort(key=lambda ev: (ev["day"] is None, ev["day"] or 0, EVENT_KINDS.index(ev["kind"])))
        rows += events
    for i, row in enumerate(rows, start=first_id):
        row["id"] = i
    return rows


def lab_series_sql() -> str:
    """SELECT of every lab_series row, run inside the file being published (one statement, no Python per row).

    Labels come from the file's vocabulary tables (the same rows the code
    defines); cell counts are converted with vocabulary.PER_UL_FACTORS and
    rounded to 3 decimals like summary.per_ul, which absorbs float noise.
    """
    per_ul_cases = " ".join(
        f"WHEN '{unit}' THEN round(l.value * {factor!r}, 3)" for unit, factor in PER_UL_FACTORS.items()
    )
    return f"""
        SELECT l.id, c.case_key, c.id, l.seq, l.day, l.day_is_approximate, l.time_point,
               l.analyte, coalesce(va.label, l.analyte), l.comparator, l.value,
               l.unit, coalesce(vu.label, l.unit), CASE l.unit {per_ul_cases} END, l.ref_low, l.ref_high
        FROM lab_results l
        JOIN cases c ON c.id = l.case_id
        LEFT JOIN {VOCAB_TABLES["analyte"].name} va ON va.code = l.analyte
        LEFT JOIN {VOCAB_TABLES["lab_unit"].name} vu ON vu.code = l.unit
        ORDER BY c.case_key, l.seq
    """
