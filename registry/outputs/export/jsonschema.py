"""The JSON export: one nested object per case, and its JSON Schema.

The objects are assembled from the same table declarations as the CSV
(registry/outputs/export/tables.py), so a JSON key and a CSV column with the same
name always hold the same value. A case object holds its own fields, then
`publications`, `exposures` (each with `doses` and `challenges`, each
challenge with `steps`), `findings`, `investigations`, `labs`,
`treatments`, `genetic_tests`, `procedures`, `outcome`, `assessments` (each
with `items`) and `evidence`.

JSON keeps nulls as nulls: there are no NR / NA-SRC codes. Instead every
record has `missing`, mapping a field that is null (or a fact with no field
of its own, such as an exposure's `dose`) to the evidence status that says
why: `not_reported` or `not_available`. Codes are vocabulary codes (labels
are in the codebook). Keys that the nesting already implies (case_key in a
child, exposure_seq in a dose) are left out.

The pydantic models below are built from the table declarations too, and
give `cases.schema.json`; descriptions are the codebook's definitions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model
from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from registry.cases.missing import MISSING_STATUSES
from registry.outputs.export.tables import (
    CASE_CHUNK,
    TABLES_BY_NAME,
    C,
    Column,
    ExportTable,
    OutRow,
    order_text,
    read_partitions,
)
from registry.schema.vocabulary import VOCABULARIES

#: JSON key of a list of child records -> export table.
CASE_CHILDREN: dict[str, str] = {
    "publications": "publications",
    "exposures": "exposures",
    "findings": "findings",
    "investigations": "investigations",
    "labs": "lab_results",
    "treatments": "treatments",
    "genetic_tests": "genetic_tests",
    "procedures": "procedures",
    "assessments": "assessments",
    "evidence": "evidence",
}
CHILD_DESCRIPTIONS = {
    "publications": "Publications that report or summarise the case (primary report first).",
    "exposures": "Drug exposures, in order (seq), each with its dose rows and re-exposures.",
    "doses": "Dose rows of the exposure, in order.",
    "challenges": "Re-exposures to the drug, in order, each with its protocol steps.",
    "steps": "Steps of a desensitisation or graded challenge, in order.",
    "findings": "Clinical findings with their status.",
    "investigations": "Tests for other causes and viral reactivation.",
    "labs": "Laboratory values, one per analyte per time point.",
    "treatments": "Treatments of the reaction, in order.",
    "genetic_tests": "Pharmacogenetic typing (HLA and other genes), in order.",
    "procedures": "Transplant, dialysis, intensive care and other procedures, in order.",
    "outcome": "Outcome of the reaction; null when none is recorded.",
    "assessments": "Scores from diagnostic and causality instruments, each with its items.",
    "items": "Item-level answers of the assessment.",
    "evidence": "Where each fact (and each missing one) comes from.",
    "missing": "Why a null field (or a fact without a field of its own, e.g. 'dose') is missing: "
               "not_reported (the source was read and does not say) or not_available (the source could not be read).",
}

# A Literal of the missing evidence statuses (plain strings, so that the schema lists them as an enum).
MissingMap = dict[str, Literal[MISSING_STATUSES]]  # type: ignore[valid-type]


def json_columns(table: ExportTable, *, top: bool = False) -> list[Column]:
    """The columns a JSON object of this table carries."""
    return [
        c for c in table.columns
        if not c.label_of and not c.nested_key and (top or c.name != "case_key")
    ]


def _record(table: ExportTable, row: OutRow, *, top: bool = False, with_missing: bool = True) -> dict[str, Any]:
    obj = {c.name: row.values.get(c.name) for c in json_columns(table, top=top)}
    if with_missing:
        obj["missing"] = dict(sorted(row.missing.items()))
    return obj


# ---------------------------------------------------------------------------
# Building the objects


def _group(rows: list[OutRow], *keys: str) -> dict[tuple, list[OutRow]]:
    out: dict[tuple, list[OutRow]] = {}
    for r in rows:
        out.setdefault(tuple(r.values[k] for k in keys), []).append(r)
    return out


def _all_rows(conn: Connection, name: str, ids: Select) -> list[OutRow]:
    rows: list[OutRow] = []
    for part in read_partitions(conn, TABLES_BY_NAME[name], ids, stream=False):
        rows.extend(part)
    return rows


def case_objects(conn: Connection, case_ids: Select, *, chunk: int = CASE_CHUNK) -> Iterator[dict[str, Any]]:
    """One nested object per case, in case_key order, CASE_CHUNK cases read at a time."""
    t = TABLES_BY_NAME
    stmt = select(C.c.id).where(C.c.id.in_(case_ids)).order_by(order_text(C.c.case_key, conn.dialect.name))
    result = conn.execute(stmt, execution_options={"stream_results": True, "yield_per": chunk})
    for part in result.partitions():
        ids = select(C.c.id).where(C.c.id.in_([r.id for r in part]))
        data = {name: _all_rows(conn, name, ids) for name in t}
        by_case = {name: _group(rows, "case_key") for name, rows in data.items()}
        doses = _group(data["dose_regimens"], "case_key", "exposure_seq")
        challenges = _group(data["challenge_events"], "case_key", "exposure_seq")
        steps = _group(data["challenge_steps"], "case_key", "exposure_seq", "challenge_seq")
        items = _group(data["assessment_items"], "case_key", "instrument", "assessor", "exposure_seq")
        for case in data["case_details"]:
            key = case.values["case_key"]
            obj = _record(t["case_details"], case, top=True)
            for json_key, name in CASE_CHILDREN.items():
                rows = by_case[name].get((key,), [])
                if name == "exposures":
                    obj[json_key] = [_exposure(x, doses, challenges, steps) for x in rows]
                elif name == "assessments":
                    obj[json_key] = [_assessment(a, items) for a in rows]
                elif name == "evidence":
                    obj[json_key] = [_record(t[name], r, with_missing=False) for r in rows]
                else:
                    obj[json_key] = [_record(t[name], r) for r in rows]
                if json_key == "procedures":
                    outcome = by_case["outcomes"].get((key,), [])
                    obj["outcome"] = _record(t["outcomes"], outcome[0]) if outcome else None
            yield _ordered(obj)


def _ordered(obj: dict[str, Any]) -> dict[str, Any]:
    """Case fields, missing, then the children in the documented order."""
    order = [k for k in obj if k not in CASE_CHILDREN and k not in ("outcome", "missing")]
    order += ["missing", "publications", "exposures", "findings", "investigations", "labs", "treatments",
              "genetic_tests", "procedures", "outcome", "assessments", "evidence"]
    return {k: obj[k] for k in order}


def _exposure(x: OutRow, doses, challenges, steps) -> dict[str, Any]:
    t = TABLES_BY_NAME
    k = (x.values["case_key"], x.values["exposure_seq"])
    obj = _record(t["exposures"], x)
    obj["doses"] = [_record(t["dose_regimens"], d) for d in doses.get(k, [])]
    obj["challenges"] = []
    for h in challenges.get(k, []):
        ch = _record(t["challenge_events"], h)
        ch["steps"] = [_record(t["challenge_steps"], s) for s in steps.get((*k, h.values["challenge_seq"]), [])]
        obj["challenges"].append(ch)
    return obj


def _assessment(a: OutRow, items) -> dict[str, Any]:
    t = TABLES_BY_NAME
    obj = _record(t["assessments"], a)
    k = (a.values["case_key"], a.values["instrument"], a.values["assessor"], a.values["exposure_seq"])
    obj["items"] = [_record(t["assessment_items"], i) for i in items.get(k, [])]
    return obj


def write_json(conn: Connection, case_ids: Select, path: Path) -> int:
    """Write the cases as one JSON array, streamed case by case; returns the number of cases."""
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("[")
        for obj in case_objects(conn, case_ids):
            fh.write(",\n" if n else "\n")
            fh.write(json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False))
            n += 1
        fh.write("\n]\n" if n else "]\n")
    return n


# ---------------------------------------------------------------------------
# The schema


_PY_TYPES: dict[str, type] = {"integer": int, "number": float, "boolean": bool}


def _py_type(col: Column) -> Any:
    if col.kind == "code":
        codes = VOCABULARIES[col.vocabulary].codes
        return Optional[Literal[codes]]  # type: ignore[valid-type]
    return Optional[_PY_TYPES.get(col.kind, str)]


def _fields(table: ExportTable, *, top: bool = False) -> dict[str, Any]:
    return {c.name: (_py_type(c), Field(description=c.description)) for c in json_columns(table, top=top)}


_CONFIG = ConfigDict(extra="forbid")


def _model(name: str, table: ExportTable, *, top: bool = False, missing: bool = True, **extra: Any) -> type[BaseModel]:
    fields = _fields(table, top=top)
    if missing:
        fields["missing"] = (MissingMap, Field(description=CHILD_DESCRIPTIONS["missing"]))
    fields.update(extra)
    return create_model(name, __config__=_CONFIG, __doc__=table.description, **fields)


def _list(model: type[BaseModel], key: str) -> tuple[Any, Any]:
    return list[model], Field(description=CHILD_DESCRIPTIONS[key])


@lru_cache(maxsize=1)
def case_model() -> type[BaseModel]:
    """The pydantic model of one exported case object."""
    t = TABLES_BY_NAME
    step = _model("ChallengeStep", t["challenge_steps"])
    challenge = _model("ChallengeEvent", t["challenge_events"], steps=_list(step, "steps"))
    dose = _model("DoseRegimen", t["dose_regimens"])
    exposure = _model("Exposure", t["exposures"], doses=_list(dose, "doses"), challenges=_list(challenge, "challenges"))
    item = _model("AssessmentItem", t["assessment_items"])
    assessment = _model("Assessment", t["assessments"], items=_list(item, "items"))
    outcome = _model("Outcome", t["outcomes"])
    children = {
        "publications": _list(_model("CasePublication", t["publications"]), "publications"),
        "exposures": _list(exposure, "exposures"),
        "findings": _list(_model("Finding", t["findings"]), "findings"),
        "investigations": _list(_model("Investigation", t["investigations"]), "investigations"),
        "labs": _list(_model("LabResult", t["lab_results"]), "labs"),
        "treatments": _list(_model("Treatment", t["treatments"]), "treatments"),
        "genetic_tests": _list(_model("GeneticTest", t["genetic_tests"]), "genetic_tests"),
        "procedures": _list(_model("Procedure", t["procedures"]), "procedures"),
        "outcome": (Optional[outcome], Field(description=CHILD_DESCRIPTIONS["outcome"])),
        "assessments": _list(assessment, "assessments"),
        "evidence": _list(_model("Evidence", t["evidence"], missing=False), "evidence"),
    }
    return _model("Case", t["case_details"], top=True, **children)


def json_schema() -> dict[str, Any]:
    schema = TypeAdapter(list[case_model()]).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "DRESS case registry export (cases.json)",
        "description": (
            "A JSON array with one object per case. Nulls are unknown or not applicable; each record's "
            "'missing' says why a null is unknown (" + ", ".join(MISSING_STATUSES) + "). "
            "Codes are defined in codebook.csv / codebook.md."
        ),
        **schema,
    }


def write_schema(path: Path) -> None:
    path.write_text(json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
