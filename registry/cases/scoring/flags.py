"""Where the authors' published scores and the registry's facts disagree.

Published scores are often mis-computed (wrong cut-offs, an unknown biopsy
scored -1, items that do not add up), so each authors' assessment is checked
against the registry's interval and against the instrument definition
itself. The registry side is computed afresh from the facts rather than read
from stored registry rows, which may be stale after the facts were edited.

Every flag comes with a sentence a curator can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection, Engine

from registry.cases.scoring.definitions import Instrument, load_instruments
from registry.cases.scoring.engine import points_for
from registry.cases.scoring.store import (
    RegistryScore,
    compute_registry_scores,
    store_registry_assessments,
    write_transaction,
)
from registry.core.db import not_by_index
from registry.core.sync import gc_paused
from registry.schema.models import Assessment, AssessmentItem, Case
from registry.schema.vocabulary import Assessor


def _norm(text: str | None) -> str | None:
    return None if text is None else "_".join(text.strip().lower().replace("-", " ").split())


def _authors_rows(conn: Connection, case_ids: Iterable[int] | None) -> list[dict[str, Any]]:
    """The authors' assessments (of `case_ids`, or of every case), each with its items.

    Items are selected through their assessment rather than by a list of
    assessment ids, which at 100,000 cases would exceed PostgreSQL's
    parameter limit.
    """
    a, it, c = Assessment.__table__, AssessmentItem.__table__, Case.__table__
    ids = None if case_ids is None else list(case_ids)
    if ids is None:
        chosen = a.c.assessor == Assessor.AUTHORS
    else:  # found by case, the assessor checked on their rows (see not_by_index)
        chosen = and_(a.c.case_id.in_(ids), not_by_index(a.c.assessor) == Assessor.AUTHORS)
    q = select(a, c.c.case_key).join(c, c.c.id == a.c.case_id).where(chosen).order_by(
        c.c.case_key, a.c.instrument, a.c.exposure_id, a.c.id)
    items = select(it).join(a, a.c.id == it.c.assessment_id).where(chosen).order_by(it.c.assessment_id, it.c.id)
    rows = [dict(r) for r in conn.execute(q).mappings()]
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r["items"] = []
    if by_id:
        for i in conn.execute(items).mappings():
            by_id[i["assessment_id"]]["items"].append(dict(i))
    return rows


def _by_case_and_instrument(registry: Iterable[RegistryScore]) -> dict[tuple[int | None, str], list[RegistryScore]]:
    """Registry scores grouped by (case id, instrument), in their order, so
    that pairing an authors' row is a lookup rather than a scan of every score."""
    out: dict[tuple[int | None, str], list[RegistryScore]] = {}
    for s in registry:
        out.setdefault((s.case_id, s.result.instrument), []).append(s)
    return out


def _pair(authors: dict[str, Any], same: list[RegistryScore]) -> tuple[RegistryScore | None, str | None]:
    """The registry result an authors' row is compared with, among `same`:
    the registry's scores of the same case and instrument.

    A per-drug authors' row without an exposure (authors often do not say
    which drug they scored) pairs with the registry's only suspect drug; with
    several suspects it cannot be paired.
    """
    if authors["exposure_id"] is not None:
        match = [s for s in same if s.exposure_id == authors["exposure_id"]]
        return (match[0], None) if match else (None, "the drug the authors scored is not a suspect drug in the registry")
    if len(same) == 1:
        return same[0], None
    if not same:
        return None, "the registry has no score for this instrument (no suspect drug recorded?)"
    return None, f"the authors did not name the drug and the registry has {len(same)} suspect drugs"


def _item_checks(inst: Instrument, items: list[dict[str, Any]], messages: list[str]) -> list[dict[str, Any]]:
    """(c) Authors' item points that the instrument would not give their answer."""
    found: list[dict[str, Any]] = []
    for i in items:
        code, answer, given = i["item_code"], i["answer"], i["points"]
        if code not in inst.item_codes:
            found.append({"item_code": code, "kind": "unknown_item", "authors_answer": i["answer"], "authors_points": given, "instrument_points": None})
            messages.append(f"The authors scored an item '{code}' that {inst.name} does not have.")
            continue
        if answer is None:
            continue
        expected = points_for(inst, code, answer)
        if expected is None:
            found.append({"item_code": code, "kind": "unknown_answer", "authors_answer": i["answer"], "authors_points": given, "instrument_points": None})
            messages.append(f"For {code} the authors' answer '{i['answer']}' is not one {inst.name} defines.")
        elif given is not None and given != expected:
            note = inst.item(code).note
            found.append({"item_code": code, "kind": "points", "authors_answer": i["answer"], "authors_points": given, "instrument_points": expected})
            messages.append(
                f"For {code} the authors gave {given:+d} for '{i['answer']}', but {inst.name} {inst.version} scores that answer "
                f"{expected:+d}" + (f" ({note.rstrip('.')})" if note else "") + "."
            )
    return found


def _check(authors: dict[str, Any], same: list[RegistryScore]) -> dict[str, Any]:
    """Compare one authors' row with `same`, the registry's scores of its case and instrument."""
    inst = load_instruments().get(authors["instrument"])
    messages: list[str] = []
    if inst is None or not inst.answers_from:
        reg, why_unpaired = None, f"the registry does not compute {authors['instrument']}"
    else:
        reg, why_unpaired = _pair(authors, same)
    total = authors["total"]
    row: dict[str, Any] = {
        "case_id": authors["case_id"],
        "case_key": authors["case_key"],
        "instrument": authors["instrument"],
        "exposure_id": authors["exposure_id"] if authors["exposure_id"] is not None else (reg.exposure_id if reg else None),
        "drug": reg.exposure_label if reg else None,
        "authors_assessment_id": authors["id"],
        "authors_total": total,
        "authors_category": authors["category"],
        "registry_total": reg.result.total if reg else None,
        "registry_total_min": reg.result.total_min if reg else None,
        "registry_total_max": reg.result.total_max if reg else None,
        "registry_category": reg.result.category if reg else None,
        "registry_category_range": reg.result.category_range if reg else None,
        "outside_interval": None,
        "authors_items_sum": None,
        "items_do_not_add_up": None,
        "authors_items": [
            {"item_code": i["item_code"], "answer": i["answer"], "points": i["points"], "basis": i["basis"]} for i in authors["items"]
        ],
        "item_mismatches": [],
        "category_mismatch": None,
        "messages": messages,
    }
    if why_unpaired:
        messages.append(f"Not compared with the registry: {why_unpaired}.")
    if reg is not None and total is not None:
        r = reg.result
        row["outside_interval"] = not (r.total_min <= total <= r.total_max)
        if row["outside_interval"]:
            messages.append(
                f"The authors' total {total} lies outside {r.total_min}..{r.total_max}, the totals the registry's facts allow "
                f"(registry total {r.total}, {r.category})."
            )
    items = authors["items"]
    if items and total is not None:
        s = sum(i["points"] for i in items if i["points"] is not None)
        row["authors_items_sum"] = s
        row["items_do_not_add_up"] = s != total
        if s != total:
            messages.append(f"The authors' item points add up to {s}, not to their total {total}.")
    impossible = inst is not None and total is not None and not inst.total_min <= total <= inst.total_max
    if impossible:
        messages.append(f"The authors' total {total} is outside the instrument's range {inst.total_min}..{inst.total_max}.")
    if inst is not None:
        row["item_mismatches"] = _item_checks(inst, items, messages)
        if total is not None and authors["category"] and not impossible:
            expected = inst.category(total)
            row["category_mismatch"] = _norm(authors["category"]) not in (expected.code, _norm(expected.label))
            if row["category_mismatch"]:
                messages.append(
                    f"The authors call their total {total} '{authors['category']}', but {inst.name} puts {total} in '{expected.label}'."
                )
    row["flagged"] = bool(
        impossible or row["outside_interval"] or row["items_do_not_add_up"] or row["item_mismatches"] or row["category_mismatch"]
    )
    return row


def score_disagreements(
    conn: Connection, case_ids: Iterable[int] | None = None, *, registry: Iterable[RegistryScore] | None = None
) -> list[dict[str, Any]]:
    """One row per authors' assessment: their total beside the registry's
    total and interval, with flags and a sentence for each problem found.

    Flags: `outside_interval` (a), `items_do_not_add_up` (b), `item_mismatches`
    (c: an answer scored differently from the instrument definition, or an
    item or answer the instrument does not define), and `category_mismatch`
    (the authors' category is not the instrument's category for their own
    total). `flagged` is True when any of them is.

    `registry`: the registry's scores when the caller has just computed them
    from the current facts (they must cover every case compared); computed
    here otherwise.
    """
    ids = None if case_ids is None else sorted(set(case_ids))
    authors = _authors_rows(conn, ids)
    if not authors:
        return []
    if registry is None:
        registry = compute_registry_scores(conn, sorted({r["case_id"] for r in authors}))
    by_key = _by_case_and_instrument(registry)
    return [_check(r, by_key.get((r["case_id"], r["instrument"]), [])) for r in authors]


def flagged_messages(rows: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """The messages of the flagged rows of `score_disagreements`, by case key
    (cases in row order): what the published case summary shows."""
    flags: dict[str, list[str]] = {}
    for row in rows:
        if row["flagged"]:
            flags.setdefault(row["case_key"], []).extend(row["messages"])
    return flags


def refresh_registry_scores(bind: Connection | Engine, case_ids: Iterable[int] | None = None) -> dict[str, list[str]]:
    """Publish's scoring step: store the registry scores of `case_ids` (every case when None) and return
    the flags on those cases' authors' scores, from one computation.

    Same rows as `store_registry_assessments(bind, case_ids)` (in the caller's
    transaction when there is one); the result maps each flagged case's key to
    its messages, as `flagged_messages(score_disagreements(conn, case_ids))` would give
    them. The flags are checked against the scores just stored rather than
    computed a second time from the same facts.
    """
    ids = None if case_ids is None else list(case_ids)
    with write_transaction(bind) as conn, gc_paused():
        scores = store_registry_assessments(conn, ids)
        return flagged_messages(score_disagreements(conn, ids, registry=scores))
