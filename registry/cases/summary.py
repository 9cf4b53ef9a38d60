"""case_summary: one readable row per case, the table most people browse and facet.

Every derived value is defined here, in one place, with the wording the
published column description uses:

* latency_days = onset_day - start_day(suspect) + 1: the day number of onset
  counted from the first dose of the suspect drug as day 1 (a reaction on
  the day of the first dose has latency 1). The suspect is the first
  exposure with role suspect (else co-suspect, else interacting).
* dose at onset: the suspect's dose row whose start_day <= onset_day <=
  stop_day (open stop = still running); when the exposure has a single dose
  row with no days, that row. NULL otherwise.
* peak eosinophils: the highest absolute eosinophil count, in /µL
  (×10⁹/L values multiplied by 1,000), ignoring upper bounds ('<', '≤').
* completeness: the share of key facts known, counted by
  registry.cases.completeness (the one definition shared with the seed loader).
* regiscar_disagreement: 1 when the authors' RegiSCAR total lies outside the
  range of totals the registry's scoring still allows (or differs from the
  registry total when no range is stored), 0 when it lies inside, NULL when
  either score is missing.
"""

from __future__ import annotations

import json
from typing import Any

from registry.cases import completeness as key_facts
from registry.cases.baked import BakedTable, Col
from registry.cases.lookups import Lookups, doi_url, label, pubmed_url, short_citation
from registry.cases.snapshot import PEAK_ANALYTE, SHOWN_FINDING_STATUS, Row
from registry.schema.vocabulary import (
    AGE_UNIT_YEARS,
    PER_UL_FACTORS,
    Assessor,
    ChallengeResult,
    Comparator,
    InstrumentCode,
)

#: Re-exposure results from worst to best: a case's rechallenge_result is the worst it had.
RESULT_SEVERITY = (ChallengeResult.RECURRENCE, ChallengeResult.INCONCLUSIVE, ChallengeResult.TOLERATED)
UPPER_BOUND_COMPARATORS = (Comparator.LT, Comparator.LE)


def _completeness_text() -> str:
    return (
        "Share of key facts known (0-1), counted by registry/cases/completeness.py: case fields "
        f"{', '.join(key_facts.CASE_FIELDS)}; for each suspect exposure {', '.join(key_facts.EXPOSURE_FIELDS)}; "
        f"outcome fields {', '.join(key_facts.OUTCOME_FIELDS)}; and a status for each of the findings "
        f"{', '.join(key_facts.CORE_FINDINGS)} (present, absent or not done counts as known)."
    )


CASE_SUMMARY = BakedTable(
    name="case_summary",
    description=(
        "One row per case, baked from the normalised tables for browsing, faceting and export. "
        "Codes link to their vocabulary; JSON array columns can be faceted as arrays. "
        "Literature cases as published: not clinical advice."
    ),
    pk="case_key",
    label_column="case_key",
    columns=(
        Col("case_key", str, "Stable public key of the case (publication key + case number)."),
        Col("case_id", int, "Row id of the case in the cases table.", "cases.id"),
        Col("citation", str, "Primary report, short form: first author year, journal."),
        Col("publication_id", int, "Primary report of the case (else the first linked publication).", "publications.id"),
        Col("title", str, "Title of the primary report, as published."),
        Col("year", int, "Publication year of the primary report."),
        Col("age_years", float, "Age at onset in years (converted from months, weeks or days). NULL when unknown."),
        Col("sex", str, "Sex of the patient. NULL when unknown.", "vocab_sex.code"),
        Col("country", str, "Country of treatment (ISO 3166-1 alpha-2). NULL when unknown."),
        Col("indication", str, "What the suspect drug(s) were given for (distinct values joined by '; ')."),
        Col("suspect_drugs", str, "Suspect, co-suspect and interacting drugs, joined by ', '."),
        Col("suspect_drug_list", str, "Suspect drugs as a JSON array of names (facet with {array: ...}; filter with __arraycontains)."),
        Col("main_suspect_drug", str, "The suspect drug latency and dose at onset refer to: the first exposure with role suspect (else co-suspect, else interacting). Faceted by default; every suspect drug of the case is in suspect_drug_list."),
        Col("day1_anchor", str, "What day 1 is for this case (normally the first dose of the suspect drug), in words."),
        Col("suspect_start_day", int, "First dose of the (first) suspect drug, in relative days (normally 1)."),
        Col("onset_day", int, "Onset of the reaction, in relative days (day 1 = first dose of the suspect drug)."),
        Col("onset_is_approximate", int, "1 when the onset day comes from an approximate statement (e.g. 'two weeks later')."),
        Col("latency_days", int, "Days from the first dose of the suspect to onset, counting the first-dose day as day 1: onset_day - suspect start_day + 1. NULL when either day is unknown."),
        Col("dose_at_onset_value", float, "Suspect dose per administration in force on the onset day, in dose_at_onset_unit (the dose row spanning the onset day; a lone undated dose row counts)."),
        Col("dose_at_onset_unit", str, "Unit of dose_at_onset_value.", "vocab_dose_unit.code"),
        Col("dose_at_onset", str, "Dose at onset as text, with frequency (e.g. '400 mg daily')."),
        Col("key_features", str, "Clinical features and organ involvement recorded as present, as a JSON array of labels."),
        Col("peak_eosinophils_per_ul", float, "Highest absolute eosinophil count, in cells/µL (×10⁹/L values multiplied by 1,000; upper bounds ignored). NULL when no count is recorded."),
        Col("treatments", str, "Treatments of the reaction as a JSON array of agents (drug name, else the category label), in order given."),
        Col("dechallenge_result", str, "Did the reaction abate after the suspect was stopped or reduced?", "vocab_dechallenge_result.code"),
        Col("challenge_types", str, "Kinds of re-exposure to the suspect (rechallenge, desensitisation, ...) as a JSON array of labels."),
        Col("rechallenge_result", str, "Worst result over all re-exposures (recurrence, then inconclusive, then tolerated). NULL when there was none or no result is known.", "vocab_challenge_result.code"),
        Col("challenges", str, "Each re-exposure in words: type, start day, result and days to recurrence, separated by '; '."),
        Col("suspect_continued", int, "1 when the suspect was given again after onset (any re-exposure or a dose row starting after onset), 0 when not, NULL when the onset or the drug's course is unknown."),
        Col("continued_under", str, "What covered the continued suspect: premedication of the re-exposures and treatments running on or after the first re-exposure, joined by '; '."),
        Col("therapy_fate", str, "What became of the suspect therapy.", "vocab_therapy_fate.code"),
        Col("switched_to", str, "Name of the drug that replaced the suspect, if any."),
        Col("switched_to_drug_id", int, "Drug that replaced the suspect, if any.", "drugs.id"),
        Col("reaction_outcome", str, "Outcome of the reaction at last follow-up.", "vocab_reaction_outcome.code"),
        Col("death", int, "1 if the patient died during follow-up (any cause), 0 if not, NULL when unknown."),
        Col("authors_regiscar", int, "RegiSCAR DRESS total (-4..9) as the authors published it. NULL when not given."),
        Col("authors_regiscar_category", str, "The authors' RegiSCAR category (e.g. probable, definite)."),
        Col("registry_regiscar", int, "RegiSCAR DRESS total (-4..9) computed by the registry from the stored facts (unknown items scored by the instrument's rule). NULL until scored."),
        Col("registry_regiscar_min", int, "Lowest RegiSCAR total the registry's facts still allow."),
        Col("registry_regiscar_max", int, "Highest RegiSCAR total the registry's facts still allow."),
        Col("registry_regiscar_category", str, "Registry RegiSCAR category (or the span of categories, e.g. possible-probable)."),
        Col("regiscar_disagreement", int, "1 when the authors' total lies outside the registry's possible range (or differs from the registry total when there is no range), 0 when it lies inside, NULL when either is missing."),
        Col("score_flags", str, "Problems found when the authors' RegiSCAR and Naranjo scores are checked against the instrument and the registry's scoring (their total outside the registry's range, items that do not add up, an answer scored differently from the instrument), one sentence each, separated by ' | '. NULL when none."),
        Col("completeness", float, _completeness_text()),
        Col("facts_known", int, "Number of key facts known (see completeness)."),
        Col("facts_not_reported", int, "Key facts the source was read for and does not report."),
        Col("facts_not_available", int, "Key facts in a part of the source the curators could not read."),
        Col("facts_unrecorded", int, "Key facts with neither a value nor a recorded reason for its absence."),
        Col("registry_diagnosis", str, "The registry's judgement of the diagnosis.", "vocab_registry_diagnosis.code"),
        Col("summary", str, "Curator's short paraphrase of the case."),
        Col("notes", str, "Curator's notes on the case's exposures, re-exposures, treatments and outcome, joined."),
        Col("doi", str, "DOI of the primary report."),
        Col("doi_url", str, "Link to the primary report through doi.org."),
        Col("pmid", int, "PubMed id of the primary report."),
        Col("pubmed_url", str, "Link to the primary report on PubMed."),
        Col("is_synthetic", int, "1 for benchmark data made by `dress-registry synth` (only in builds made with --allow-synthetic)."),
    ),
    # Facets and filters; regiscar_disagreement also orders the score_comparison query. The main suspect
    # drug's index carries the latency too: latency_by_drug reads each drug's latencies in order from it
    # alone (at a million cases the table itself took longer than the site's 3 s limit).
    indexes=(
        "indication", "sex", "country", "reaction_outcome", "rechallenge_result", "year",
        "therapy_fate", "dechallenge_result", "latency_days", "completeness", ("main_suspect_drug", "latency_days"),
        "regiscar_disagreement",
    ),
)


def _json(values: list[str]) -> str:
    return json.dumps(values, ensure_ascii=False)


def _distinct(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for v in values:
        if v is not None and v not in seen:
            seen.append(v)
    return seen


def age_in_years(case: Row) -> float | None:
    if case.get("age_value") is None or case.get("age_unit") not in AGE_UNIT_YEARS:
        return None
    return round(case["age_value"] * AGE_UNIT_YEARS[case["age_unit"]], 2)


def latency_days(onset_day: int | None, start_day: int | None) -> int | None:
    if onset_day is None or start_day is None:
        return None
    return onset_day - start_day + 1


def dose_at_onset(doses: list[Row], onset_day: int | None) -> Row | None:
    if len(doses) == 1 and doses[0]["start_day"] is None and doses[0]["stop_day"] is None:
        return doses[0]
    if onset_day is None:
        return None
    for d in doses:
        if d["start_day"] is not None and d["start_day"] <= onset_day and (d["stop_day"] is None or onset_day <= d["stop_day"]):
            return d
    return None


def per_ul(value: float, unit: str) -> float | None:
    factor = PER_UL_FACTORS.get(unit)
    return round(value * factor, 3) if factor is not None else None


def peak_eosinophils(labs: list[Row]) -> float | None:
    counts = [
        per_ul(l["value"], l["unit"])
        for l in labs
        if l["analyte"] == PEAK_ANALYTE and l["comparator"] not in UPPER_BOUND_COMPARATORS
    ]
    counts = [c for c in counts if c is not None]
    return max(counts) if counts else None


def worst_result(results: list[str | None]) -> str | None:
    known = [r for r in results if r in RESULT_SEVERITY]
    return min(known, key=RESULT_SEVERITY.index) if known else None


def regiscar_disagreement(authors: Row | None, registry: Row | None) -> int | None:
    if not authors or not registry or authors.get("total") is None:
        return None
    lo, hi = registry.get("total_min"), registry.get("total_max")
    if lo is not None and hi is not None:
        return int(not lo <= authors["total"] <= hi)
    if registry.get("total") is None:
        return None
    return int(authors["total"] != registry["total"])


def _regiscar(assessments: list[Row], assessor: str) -> Row | None:
    rows = [a for a in assessments if a["instrument"] == InstrumentCode.REGISCAR_DRESS and a["assessor"] == assessor]
    # Prefer the case-level score (exposure_id NULL), then the earliest.
    return min(rows, key=lambda a: (a["exposure_id"] is not None, a["id"])) if rows else None


def _challenge_text(ch: Row) -> str:
    parts = [label("challenge_type", ch["challenge_type"]) or ch["challenge_type"]]
    if ch.get("start_day") is not None:
        parts.append(f"from day {ch['start_day']}")
    parts.append(f"result: {label('challenge_result', ch.get('result')) or 'not reported'}")
    if ch.get("time_to_recurrence_days") is not None:
        parts.append(f"recurrence after {ch['time_to_recurrence_days']} days")
    return ", ".join(parts)


def _treatment_agent(lk: Lookups, t: Row) -> str:
    return lk.drug_name(t.get("drug_id")) or label("treatment_category", t["category"]) or t["category"]


def _continuation(lk: Lookups, case: Row, exposures: list[Row]) -> tuple[int | None, list[str], list[Row]]:
    """(suspect_continued, cover agents, re-exposure events) for the case's suspects."""
    challenges = [c for e in exposures for c in lk.challenges_by_exposure.get(e["id"], [])]
    onset = case.get("onset_day")
    later_doses = [
        d for e in exposures for d in lk.doses_by_exposure.get(e["id"], [])
        if onset is not None and d["start_day"] is not None and d["start_day"] > onset
    ]
    if challenges or later_doses:
        continued: int | None = 1
    elif exposures and onset is not None and any(e.get("action_taken") for e in exposures):
        continued = 0
    else:
        continued = None
    cover: list[str] = [c["premedication"] for c in challenges if c.get("premedication")]
    starts = [c["start_day"] for c in challenges if c.get("start_day") is not None]
    starts += [d["start_day"] for d in later_doses]
    if starts:
        first = min(starts)
        for t in lk.treatments_by_case.get(case["id"], []):
            running = t.get("start_day") is not None and (
                t["start_day"] >= first or (t.get("stop_day") is not None and t["stop_day"] >= first)
            )
            if running:
                cover.append(_treatment_agent(lk, t))
    return continued, _distinct(cover), challenges


def _notes(lk: Lookups, case: Row, exposures: list[Row], challenges: list[Row]) -> str | None:
    notes = [e.get("notes") for e in lk.exposures_by_case.get(case["id"], [])]
    notes += [c.get("notes") for c in challenges]
    notes += [t.get("notes") for t in lk.treatments_by_case.get(case["id"], [])]
    outcome = lk.outcomes.get(case["id"])
    notes.append(outcome.get("notes") if outcome else None)
    joined = " ".join(_distinct(notes))
    return joined or None


def case_summary_rows(lk: Lookups, completeness: dict[str, Any], score_flags: dict[str, list[str]] | None = None) -> list[Row]:
    """Build case_summary; `completeness` maps case_key to a registry.cases.completeness.Completeness,
    `score_flags` maps case_key to the sentences of registry.cases.scoring.flags."""
    score_flags = score_flags or {}
    rows = []
    for case in sorted(lk.cases.values(), key=lambda c: c["case_key"]):
        cid = case["id"]
        pub = lk.primary_publication(cid)
        exposures = lk.suspect_exposures(cid)
        first = exposures[0] if exposures else None
        doses = lk.doses_by_exposure.get(first["id"], []) if first else []
        onset_dose = dose_at_onset(doses, case.get("onset_day"))
        outcome = lk.outcomes.get(cid) or {}
        assessments = lk.assessments_by_case.get(cid, [])
        authors, registry = _regiscar(assessments, Assessor.AUTHORS), _regiscar(assessments, Assessor.REGISTRY)
        continued, cover, challenges = _continuation(lk, case, exposures)
        drugs = _distinct([lk.drug_name(e["drug_id"]) for e in exposures])
        comp = completeness.get(case["case_key"])
        rows.append({
            "case_key": case["case_key"],
            "case_id": cid,
            "citation": short_citation(pub) if pub else None,
            "publication_id": pub["id"] if pub else None,
            "title": pub["title"] if pub else None,
            "year": pub["year"] if pub else None,
            "age_years": age_in_years(case),
            "sex": case.get("sex"),
            "country": case.get("country"),
            "indication": "; ".join(_distinct([e.get("indication") for e in exposures])) or None,
            "suspect_drugs": ", ".join(drugs) or None,
            "suspect_drug_list": _json(drugs),
            "main_suspect_drug": lk.drug_name(first["drug_id"]) if first else None,
            "day1_anchor": case.get("day1_anchor"),
            "suspect_start_day": first["start_day"] if first else None,
            "onset_day": case.get("onset_day"),
            "onset_is_approximate": int(bool(case.get("onset_is_approximate"))),
            "latency_days": latency_days(case.get("onset_day"), first["start_day"] if first else None),
            "dose_at_onset_value": onset_dose["dose_value"] if onset_dose else None,
            "dose_at_onset_unit": onset_dose["dose_unit"] if onset_dose else None,
            "dose_at_onset": lk.dose_text(onset_dose) if onset_dose and onset_dose["dose_value"] is not None else None,
            "key_features": _json([
                label("finding", f["finding"]) for f in sorted(lk.findings_by_case.get(cid, []), key=lambda f: f["id"])
                if f["status"] == SHOWN_FINDING_STATUS
            ]),
            "peak_eosinophils_per_ul": peak_eosinophils(lk.labs_by_case.get(cid, [])),
            "treatments": _json(_distinct([_treatment_agent(lk, t) for t in lk.treatments_by_case.get(cid, [])])),
            "dechallenge_result": first.get("dechallenge_result") if first else None,
            "challenge_types": _json(_distinct([label("challenge_type", c["challenge_type"]) for c in challenges])),
            "rechallenge_result": worst_result([c.get("result") for c in challenges]),
            "challenges": "; ".join(_challenge_text(c) for c in challenges) or None,
            "suspect_continued": continued,
            "continued_under": "; ".join(cover) or None,
            "therapy_fate": outcome.get("therapy_fate"),
            "switched_to": lk.drug_name(outcome.get("switched_to_drug_id")),
            "switched_to_drug_id": outcome.get("switched_to_drug_id"),
            "reaction_outcome": outcome.get("reaction_outcome"),
            "death": None if outcome.get("death") is None else int(outcome["death"]),
            "authors_regiscar": authors.get("total") if authors else None,
            "authors_regiscar_category": authors.get("category") if authors else None,
            "registry_regiscar": registry.get("total") if registry else None,
            "registry_regiscar_min": registry.get("total_min") if registry else None,
            "registry_regiscar_max": registry.get("total_max") if registry else None,
            "registry_regiscar_category": (registry.get("category_range") or registry.get("category")) if registry else None,
            "regiscar_disagreement": regiscar_disagreement(authors, registry),
            "score_flags": " | ".join(score_flags.get(case["case_key"], [])) or None,
            "completeness": comp.share_known if comp else None,
            "facts_known": comp.known if comp else None,
            "facts_not_reported": comp.not_reported if comp else None,
            "facts_not_available": comp.not_available if comp else None,
            "facts_unrecorded": comp.unrecorded if comp else None,
            "registry_diagnosis": case.get("registry_diagnosis"),
            "summary": case.get("summary"),
            "notes": _notes(lk, case, exposures, challenges),
            "doi": pub.get("doi") if pub else None,
            "doi_url": doi_url(pub.get("doi")) if pub else None,
            "pmid": pub.get("pmid") if pub else None,
            "pubmed_url": pubmed_url(pub.get("pmid")) if pub else None,
            "is_synthetic": int(bool(case.get("is_synthetic"))),
        })
    return rows
