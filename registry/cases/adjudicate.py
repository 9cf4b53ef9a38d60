"""Adjudication: the curated document from two independent extractions and the adjudicator's decisions.

Pure functions of validated documents, like the comparison
(registry/cases/compare.py) they follow. The decisions file names, for every
difference `compare` lists, whose extraction to keep (`a` or `b`, or the
curator's name) and why:

    adjudicator: C. Adjudicator
    adjudicated_on: 2026-12-02
    decisions:
      - {record: "cases[park2021-1]", field: age_value, keep: a, reason: "The case text says 62; 65 is the abstract's."}

A decision without `aspect` covers every aspect (value, status, locator) of
its field. A decision on a text field or a locator may say `equivalent:
true`: the two extractions state the same fact in other words or point to
the same place by other names. The kept side is applied as usual, but the
other is not kept as a non-curated src entry (it is not a disagreement, and
the `discrepancies` view stays a list of real ones); the decision, with both
wordings, stays in the extraction report, its reason marked
`EQUIVALENT_MARK`. A difference without a decision, or a decision that matches no
difference, is refused, each named.

The curated document is extraction A with each decision applied. The value
not kept is not dropped: it stays in the record as a non-curated src entry
(`curated: false`, the evidence row the `discrepancies` view lists, as when
two sources disagree) whose note names the curator, what they extracted, the
adjudicator and the reason. A status not kept (not reported vs not available)
is kept the same way, with its status. Fields that are not facts of a table
(the case's `unstated`, a protocol step's or an assessment item's fields) and
whole records kept out have no evidence row to carry them: the decision
itself, in the document's `extraction.decisions`, keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from registry.cases.compare import Comparison, Difference, Record, compared_fields, field_status, flatten, render
from registry.cases.documents import DocumentErrors
from registry.cases.placeholder import UNFILLED, unfilled_fields
from registry.cases.seedschema import (
    AgreementIn,
    DecisionIn,
    ExtractionIn,
    Missing,
    SeedDocument,
    ShortText,
    Src,
    Text,
)
from registry.schema.vocabulary import AgreementKind, EvidenceStatus, ExtractionAspect

#: How a decision names the two extractions (besides the curators' names): the files given as A and B.
A, B = "a", "b"
#: How an equivalent decision's reason begins in the extraction report.
EQUIVALENT_MARK = "Same fact, other wording: "
#: The differences a decision may call equivalent.
_WORDING = (AgreementKind.TEXT, AgreementKind.LOCATOR)

#: The longest value a src entry's `as` holds (registry.cases.seedschema.ShortText).
AS_MAX = 300


class DecisionItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    record: Annotated[str, Field(min_length=1)]
    field: str | None = None
    aspect: ExtractionAspect | None = None
    keep: Annotated[str, Field(min_length=1)]
    reason: Text
    equivalent: bool = False


class DecisionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    adjudicator: ShortText
    adjudicated_on: date | None = None
    decisions: list[DecisionItem] = Field(default_factory=list)


def _where(loc: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "(top level)"


def parse_decisions(path: str, raw: Any) -> DecisionsFile:
    unfilled = unfilled_fields(raw)
    if unfilled:
        raise DocumentErrors("\n".join(f"{path}: {p}: not decided yet (still {UNFILLED})" for p in unfilled))
    try:
        return DecisionsFile.model_validate(raw)
    except ValidationError as exc:
        raise DocumentErrors("\n".join(
            f"{path}: {_where(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )) from None


@dataclass(frozen=True)
class _Chosen:
    difference: Difference
    keep: str  # A or B
    reason: str
    equivalent: bool = False


def _match(path: str, comparison: Comparison, decisions: DecisionsFile) -> list[_Chosen]:
    """Each difference with its decision; every problem at once."""
    names = {A: A, B: B, comparison.extractor_a.casefold(): A, comparison.extractor_b.casefold(): B}
    problems, chosen, used = [], [], set()
    for d in comparison.differences:
        hits = [(i, it) for i, it in enumerate(decisions.decisions)
                if it.record == d.record and it.field == d.field and it.aspect in (None, d.aspect)]
        where = d.record + (f".{d.field}" if d.field else "") + f" [{d.aspect}]"
        if not hits:
            problems.append(f"{path}: no decision for {where} (A: {d.a}; B: {d.b}); add "
                            f"{{record: {d.record!r}, field: {d.field or '~'}, keep: a or b, reason: ...}}")
            continue
        if len(hits) > 1:
            problems.append(f"{path}: decisions[{hits[0][0]}] and decisions[{hits[1][0]}] both decide {where}")
            continue
        i, it = hits[0]
        used.add(i)
        side = names.get(it.keep.casefold())
        if side is None:
            problems.append(f"{path}: decisions[{i}].keep: {it.keep!r} is neither a nor b "
                            f"({comparison.extractor_a} or {comparison.extractor_b})")
            continue
        if it.equivalent and d.aspect != ExtractionAspect.LOCATOR and d.kind not in _WORDING:
            problems.append(f"{path}: decisions[{i}].equivalent: {where} is a {d.kind or d.aspect} difference; "
                            "only wording (text) and locators can be equivalent")
            continue
        chosen.append(_Chosen(d, side, it.reason, it.equivalent))
    for i, it in enumerate(decisions.decisions):
        if i not in used:
            problems.append(f"{path}: decisions[{i}]: {it.record}" + (f".{it.field}" if it.field else "")
                            + (f" [{it.aspect}]" if it.aspect else "") + ": no such difference between the extractions")
    if problems:
        raise DocumentErrors("\n".join(problems))
    return chosen


class _Adjudication:
    def __init__(self, a: SeedDocument, b: SeedDocument, comparison: Comparison, adjudicator: str) -> None:
        self.doc = a.model_copy(deep=True)
        self.cur = flatten(self.doc)
        self.other = flatten(b)
        self.names = {A: comparison.extractor_a, B: comparison.extractor_b}
        self.adjudicator = adjudicator
        #: (record, field) whose src entries a value decision replaced by B's (with A's kept as overruled)
        self.took_b: set[tuple[str, str]] = set()

    # -- evidence of the side not kept ----------------------------------------

    def _note(self, loser: str, what: str, reason: str) -> str:
        return f"{self.names[loser]}'s extraction: {what}; not kept (adjudicated by {self.adjudicator}): {reason}"

    def _overruled_value(self, rec: Record, name: str, loser: str, reason: str) -> list[Src]:
        """Non-curated src entries carrying the losing extraction's value (or status) of a field."""
        value = getattr(rec.model, name, None)
        status = field_status(rec, name)
        if value is None and status is None:
            return []  # the field was left out and is no key fact: nothing to keep as evidence; the decision keeps it
        shown = render(value) if value is not None else f"({status})"
        own = [s for s in rec.model.src if s.curated and s.field == name]
        base = own or [s for s in rec.model.src if s.curated and s.field is None][:1]
        as_text = shown if value is not None and len(shown) <= AS_MAX else None
        what = f"{name} {shown}" if as_text is not None or value is None else f"{name}: {shown}"
        out = []
        for s in base or [None]:
            entry: dict[str, Any] = {"field": name, "curated": False, "note": self._note(loser, what, reason)}
            missing = (rec.model.missing or {}).get(name) if value is None else None
            entry["at"] = (missing.at if missing and missing.at else None) or (s.at if s else None) \
                or f"no locator given by {self.names[loser]}"
            if missing is not None and missing.note:
                entry["note"] += f" ({self.names[loser]}'s note: {missing.note})"
            if s is not None and s.pub:
                entry["pub"] = s.pub
            if value is None:
                entry["status"] = status
            else:
                entry["as"] = as_text
                if s is not None and s.field == name:
                    entry["how"] = s.how
            out.append(Src.model_validate(entry))
        return out

    def _overruled_locators(self, entries: list[Src], loser: str, winner: str, reason: str) -> list[Src]:
        return [s.model_copy(update={"curated": False, "note": self._note(
            loser, f"read at {s.at!r}", f"{self.names[winner]}'s locator is kept: {reason}")}) for s in entries]

    # -- decisions -------------------------------------------------------------

    def field(self, ch: _Chosen) -> None:
        d = ch.difference
        mine, theirs = self.cur[d.record], self.other[d.record]
        has_src = "src" in type(mine.model).model_fields
        is_fact = compared_fields(mine.spec, type(mine.model)).get(d.field, (None, False))[1] and has_src
        if d.aspect == ExtractionAspect.LOCATOR and (d.record, d.field) in self.took_b:
            # The value decision already put B's entries, with B's locators, in place and kept A's as overruled.
            if ch.keep == A:
                raise DocumentErrors(f"{d.record}.{d.field}: the value is kept from {self.names[B]} but the locator "
                                     f"from {self.names[A]}; a locator goes with its value: keep both from one side")
            return
        if d.aspect == ExtractionAspect.LOCATOR:
            ours = [s for s in mine.model.src if s.curated and s.field == d.field]
            other = [s.model_copy(deep=True) for s in theirs.model.src if s.curated and s.field == d.field]
            if ch.keep == B:
                mine.model.src = [s for s in mine.model.src if s not in ours] + other \
                    + ([] if ch.equivalent else self._overruled_locators(ours, A, B, ch.reason))
            elif not ch.equivalent:
                mine.model.src = mine.model.src + self._overruled_locators(other, B, A, ch.reason)
            return
        if ch.equivalent:
            is_fact = False  # the other wording is not a disagreement: no evidence row for it
        if ch.keep == A:
            if is_fact:
                mine.model.src = mine.model.src + self._overruled_value(theirs, d.field, B, ch.reason)
            return
        if mine.virtual:
            # A did not list this core finding (it stands at the case's unstated): B's record, as B wrote it.
            overruled = self._overruled_value(mine, d.field, A, ch.reason)
            finding = theirs.model.model_copy(deep=True)
            finding.src = finding.src + overruled
            mine.parent.findings.append(finding)
            self.cur[d.record] = Record(d.record, mine.case_key, mine.spec, finding, mine.parent, mine.case)
            return
        kept_status = field_status(theirs, d.field)
        overruled = self._overruled_value(mine, d.field, A, ch.reason) if is_fact else []
        setattr(mine.model, d.field, getattr(theirs.model, d.field))
        if has_src:
            theirs_src = [s.model_copy(deep=True) for s in theirs.model.src if s.field == d.field]
            mine.model.src = [s for s in mine.model.src if s.field != d.field] + theirs_src + overruled
            self.took_b.add((d.record, d.field))
        missing = getattr(mine.model, "missing", None)
        if missing is not None:
            missing.pop(d.field, None)
            if d.field in (theirs.model.missing or {}):
                missing[d.field] = theirs.model.missing[d.field].model_copy(deep=True)
            elif kept_status not in (None, EvidenceStatus.STATED) and field_status(mine, d.field) != kept_status:
                missing[d.field] = Missing(status=kept_status)

    def record(self, ch: _Chosen) -> None:
        d = ch.difference
        if ch.keep == A:
            return
        mine, theirs = self.cur.get(d.record), self.other.get(d.record)
        if mine is not None:  # in A only, B's "no such record" kept
            value = getattr(mine.parent, mine.spec.attr)
            if isinstance(value, list):
                value[:] = [r for r in value if r is not mine.model]
            else:
                setattr(mine.parent, mine.spec.attr, None)
            return
        parent_label = d.record.rsplit(".", 1)[0] if "." in d.record else None
        parent = self.doc if parent_label is None else self.cur[parent_label].model
        copy = theirs.model.model_copy(deep=True)
        value = getattr(parent, theirs.spec.attr)
        if isinstance(value, list):
            value.append(copy)
        else:
            setattr(parent, theirs.spec.attr, copy)


def adjudicate(a: SeedDocument, b: SeedDocument, comparison: Comparison, decisions: DecisionsFile,
               decisions_path: str, today: date) -> dict[str, Any]:
    """The curated document (plain data, seed format) with its extraction report."""
    chosen = _match(decisions_path, comparison, decisions)
    run = _Adjudication(a, b, comparison, decisions.adjudicator)
    # values and statuses first: a locator decision on the same field follows what they kept
    for ch in chosen:
        if ch.difference.aspect not in (ExtractionAspect.RECORD, ExtractionAspect.LOCATOR):
            run.field(ch)
    for ch in chosen:
        if ch.difference.aspect == ExtractionAspect.LOCATOR:
            run.field(ch)
    for ch in chosen:
        if ch.difference.aspect == ExtractionAspect.RECORD:
            run.record(ch)
    names = run.names
    run.doc.extraction = ExtractionIn(
        extractor=names["a"], second_extractor=names["b"], adjudicator=decisions.adjudicator,
        adjudicated_on=decisions.adjudicated_on or today,
        fields_compared=comparison.fields_compared, fields_differing=comparison.fields_differing,
        agreement=[AgreementIn(kind=ag.kind, compared=ag.compared, agreed=ag.agreed, kappa=ag.kappa)
                   for ag in comparison.agreement],
        decisions=[DecisionIn(
            case_key=ch.difference.case_key, record=ch.difference.record, field=ch.difference.field,
            aspect=ch.difference.aspect, kept_from=names[ch.keep],
            kept=ch.difference.a if ch.keep == A else ch.difference.b,
            overruled=ch.difference.b if ch.keep == A else ch.difference.a,
            reason=(EQUIVALENT_MARK if ch.equivalent else "") + ch.reason,
        ) for ch in chosen],
    )
    out = run.doc.model_dump(by_alias=True, exclude_defaults=True)
    order = ["extraction", *(k for k in SeedDocument.model_fields if k != "extraction")]
    return {k: tidy(out[k]) for k in order if k in out}


def tidy(node: Any) -> Any:
    """A record laid out as the seed files are: its own fields, then src and missing, then its records."""
    if isinstance(node, list):
        return [tidy(v) for v in node]
    if isinstance(node, float) and node.is_integer() and abs(node) < 1e15:
        return int(node)  # 62.0 -> 62, as the seed files write it (reads back as the same number)
    if not isinstance(node, dict):
        return node
    own = {k: tidy(v) for k, v in node.items() if not isinstance(v, (list, dict)) and k not in ("src", "missing")}
    evidence = {k: node[k] for k in ("src", "missing") if k in node}
    rest = {k: tidy(v) for k, v in node.items() if k not in own and k not in evidence}
    return own | {k: tidy(v) for k, v in evidence.items()} | rest
