"""Extraction templates: a seed-format skeleton of one new patient, every key fact listed and still to extract.

`dress-registry new-case PUBLICATION` writes a seed document (registry/cases/
seedschema.py) for one new case: every field of the case, of one suspect
exposure and its dose, and of the outcome, and the status of every core
finding, each set to the placeholder UNFILLED (registry/cases/placeholder.py).
The records and their fields come from the seed schema (which records a
document has and which fields each takes) and the field dictionary
(registry.schema.fields: the definition and vocabulary of each column, shown
as a comment on its line); the key facts are those of
registry/cases/completeness.py. A field the format gives a default shows that
default instead of the placeholder.

A placeholder is not a value: `parse_document` (registry/cases/documents.py)
refuses any document that still holds one and names every such field, so a
skeleton cannot be seeded or imported until each key fact is either given
with its source or left out with the reason (`unstated:` / `missing:`).
seed/README.md ("Filling a new-case skeleton") says how.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel
from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from registry.cases.completeness import CASE_FIELDS, CORE_FINDINGS, EXPOSURE_FIELDS, OUTCOME_FIELDS
from registry.cases.documents import SOURCED_CASE_FIELDS
from registry.cases.placeholder import UNFILLED
from registry.cases.seedschema import CaseIn, Dose, Exposure, Outcome, PublicationIn
from registry.schema.fields import Field as SchemaField
from registry.schema.fields import record_fields
from registry.schema.models.tables import CP, DR, C, F, O, P, X
from registry.schema.vocabulary import VOCABULARIES, CaseLinkRole

#: Vocabularies with at most this many codes have them listed in the field's comment.
MAX_LISTED_CODES = 14


def _record_model(annotation: Any) -> type[BaseModel] | None:
    """The record class of a field holding a record or a list of records, else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for a in get_args(annotation):
        inner = _record_model(a)
        if inner is not None:
            return inner
    return None


def codes_note(vocab: str) -> str:
    v = VOCABULARIES[vocab]
    if len(v.codes) <= MAX_LISTED_CODES:
        return "one of: " + ", ".join(v.codes)
    return f"a code from {v.table} ({len(v.codes)} codes)"


def _comment(field: SchemaField | None, description: str | None, key_fact: bool) -> str:
    parts = ["KEY FACT."] if key_fact else []
    if field is not None:
        parts.append(field.column.comment.split(" Code from ")[0])
        if field.vocabulary:
            parts.append(codes_note(field.vocabulary))
    elif description:
        parts.append(description)
    return " ".join(parts)


class _Skeleton:
    """Builds the document (plain data with placeholders) and a comment per path for the writer."""

    def __init__(self) -> None:
        self.comments: dict[tuple, str] = {}

    def record(self, model: type[BaseModel], table: Table | None, path: tuple, *, key_facts: tuple[str, ...] = (),
               given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Every field of a seed record: as given, else its default, else UNFILLED; lists of records empty."""
        given = given or {}
        columns = {f.name: f for f in record_fields(table)} if table is not None else {}
        out: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            if name in ("src", "missing"):
                continue
            alias = info.alias or name
            sub = _record_model(info.annotation)
            comment = _comment(columns.get(name), info.description, name in key_facts)
            if name in given:
                out[alias] = given[name]
            elif sub is not None:
                if get_origin(info.annotation) is not list:
                    continue  # a nested record (outcome): built by the caller
                names = [n for n in sub.model_fields if n not in ("src", "missing")]
                comment = (comment + " " if comment else "") + f"Records with: {', '.join(names)} (and src)."
                out[alias] = []
            elif get_origin(info.annotation) is list:
                out[alias] = [UNFILLED]
            elif not info.is_required() and info.default is not None:
                out[alias] = str(info.default) if isinstance(info.default, str) else info.default
            else:
                out[alias] = UNFILLED
            self.comments[(*path, alias)] = comment
        return out

    def src(self, path: tuple, fields: tuple[str | None, ...] = (None,)) -> list[dict[str, Any]]:
        self.comments[(*path, "src")] = (
            "Evidence: at (where in the publication; required), field (the field it is for; omit for the whole "
            "record), as (the value as the source gives it, a few words), how (default stated; "
            + ", ".join(VOCABULARIES["derivation"].codes[1:]) + ")."
        )
        return [({"field": f} if f else {}) | {"at": UNFILLED, "as": UNFILLED} for f in fields]


def skeleton(pub_key: str, case_key: str, publication: dict[str, Any] | None,
             curator: str | None) -> tuple[dict[str, Any], dict[tuple, str]]:
    """The new-case document and its comments.

    `publication`: the registry's seed-format publication block
    (registry.cases.seedformat.publication_dict) when it is registered; None
    gives a block to fill in as well.
    """
    sk = _Skeleton()
    doc: dict[str, Any] = {"extraction": {"extractor": curator or UNFILLED}}
    sk.comments[("extraction", "extractor")] = "Your name: the curator who extracts this file."
    if publication is None:
        pub = sk.record(PublicationIn, P, ("publication",), given={"key": pub_key})
        pub["src"] = sk.src(("publication",))
        doc["publication"] = pub
    else:
        doc["publication"] = publication
        sk.comments[("publication",)] = "As registered: change it only to correct the citation."

    cp = ("cases", 0)
    case = sk.record(CaseIn, C, cp, key_facts=CASE_FIELDS, given={"key": case_key})
    sk.comments[(*cp, "unstated")] = (
        "Why the key facts you leave out are unknown: not_reported (you read the source and it does not say) "
        "or not_available (you could not read the source, or the part that would say)."
    )
    case["src"] = sk.src(cp, SOURCED_CASE_FIELDS)

    xp = (*cp, "exposures", 0)
    exposure = sk.record(Exposure, X, xp, key_facts=EXPOSURE_FIELDS)
    exposure["src"] = sk.src(xp)
    dp = (*xp, "doses", 0)
    dose = sk.record(Dose, DR, dp)
    dose["src"] = sk.src(dp)
    exposure["doses"] = [dose]
    sk.comments[(*xp, "doses")] = "KEY FACT: the dose, one record per regimen in order. " + sk.comments[(*xp, "doses")]
    case["exposures"] = [exposure]
    sk.comments[(*cp, "exposures")] = "The suspect drug first; then every other drug the case names. " + sk.comments[(*cp, "exposures")]

    status = {f.name: f for f in record_fields(F)}["status"]
    case["findings"] = [{"finding": str(code), "status": UNFILLED} for code in CORE_FINDINGS]
    sk.comments[(*cp, "findings")] = (
        "KEY FACTS: the status of each core finding, " + codes_note(status.vocabulary)
        + ". Add day and detail where the source gives them, and src for present, absent and not_done; "
        "add other findings the same way."
    )
    op = (*cp, "outcome")
    outcome = sk.record(Outcome, O, op, key_facts=OUTCOME_FIELDS)
    outcome["src"] = sk.src(op)
    case["outcome"] = outcome
    # The schema's order, but the case's own evidence after its own fields, before its records.
    order = [n for n in CaseIn.model_fields if n != "src"]
    order.insert(order.index("exposures"), "src")
    doc["cases"] = [{k: case[k] for k in order if k in case}]
    return doc, sk.comments


def next_case_key(conn: Connection, pub_key: str) -> str:
    """`<publication key>-<n>`: one more than the highest number of the cases the publication first reports."""
    keys = [k for (k,) in conn.execute(
        select(C.c.case_key).join(CP, CP.c.case_id == C.c.id).join(P, P.c.id == CP.c.publication_id)
        .where(P.c.key == pub_key, CP.c.role == CaseLinkRole.PRIMARY_REPORT))]
    numbers = [int(k.rsplit("-", 1)[1]) for k in keys if k.startswith(f"{pub_key}-") and k.rsplit("-", 1)[1].isdigit()]
    return f"{pub_key}-{max(numbers, default=0) + 1}"


# ---------------------------------------------------------------------------
# Writing: YAML with a comment on each line (PyYAML writes no comments)


def _scalar(value: Any) -> str:
    return yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=10**6).strip()[1:-1]


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6, sort_keys=False).strip()


def _is_flat(value: Any) -> bool:
    return isinstance(value, dict) and all(not isinstance(v, (dict, list)) for v in value.values())


def _lines(node: Any, comments: dict[tuple, str], path: tuple, pad: str) -> list[str]:
    out: list[str] = []
    for k, v in node.items():
        p, c = (*path, k), comments.get((*path, k))
        if isinstance(v, dict):
            out += [f"{pad}# {c}"] if c else []
            out.append(f"{pad}{k}:")
            out += _lines(v, comments, p, pad + "  ")
        elif isinstance(v, list) and v:
            out += [f"{pad}# {c}"] if c else []
            out.append(f"{pad}{k}:")
            for i, item in enumerate(v):
                if not isinstance(item, dict):
                    out.append(f"{pad}  - {_scalar(item)}")
                elif _is_flat(item) and len(item) <= 3:
                    out.append(f"{pad}  - {_flow(item)}")
                else:
                    sub = _lines(item, comments, (*p, i), pad + "    ")
                    first = next(n for n, line in enumerate(sub) if not line.lstrip().startswith("#"))
                    sub[first] = f"{pad}  - {sub[first].lstrip()}"
                    out += sub
        else:
            line = f"{pad}{k}: {_flow(v) if isinstance(v, list) else _scalar(v)}"
            out.append(f"{line}  # {c}" if c else line)
    return out


def skeleton_yaml(doc: dict[str, Any], comments: dict[tuple, str]) -> str:
    case = doc["cases"][0]["key"]
    head = [
        f"# New case {case}: a seed-format skeleton written by `dress-registry new-case`.",
        f"# Replace every {UNFILLED}: give the value and a src entry saying where you read it, or delete the",
        "# line (the case's `unstated` then says why the fact is unknown; `missing:` gives another reason for",
        "# one field). Delete records the source does not have. The file is refused while any",
        f"# {UNFILLED} is left. Then `dress-registry import` it, or move the case into the publication's",
        "# seed file. See seed/README.md, 'Filling a new-case skeleton'.",
    ]
    return "\n".join(head + _lines(doc, comments, (), "")) + "\n"
