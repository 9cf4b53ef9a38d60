"""Screening decisions: from the command line, or from a sheet a team filled in (CSV or YAML).

Two stages (ScreeningStage): title/abstract screening, then full-text eligibility. Each decision is
include, exclude with a reason (ExclusionReason; `other` needs the reason in words; `not_retrievable`
only at full text, where it counts as "reports not retrieved"), or pending; with who (the curator) and
when.

Rules, checked for all decisions before any is written (all or nothing, every problem reported):

* a candidate already in the registry when it was found is not screened;
* a full-text decision needs the candidate's current title/abstract decision to be include;
* history is kept: a decision is never overwritten; the current decision of a stage is the one recorded
  last. Recording the decision a stage already has changes nothing (loading the same sheet twice adds
  nothing). Replacing an include or exclude by a different decision is a revision and must be asked for
  (`--revise`): a stale sheet never silently flips a decision. A pending decision may be followed by any
  other without it;
* a title/abstract include cannot be revised while the candidate has a full-text include or exclude
  (revise that one to pending first).

`record_decisions(conn, decisions, revise=..., audit=log)` is the one write, inside the caller's
transaction; each decision it records is one audit-log entry (table screening_decisions, record_key
'candidate N, STAGE', so `history --candidate N` finds it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine

from registry.cases.prisma import latest_decisions
from registry.core.errors import RegistryError
from registry.ingest.audit import AuditAction, AuditLog, Curator, audited
from registry.schema.migrate import require_head
from registry.schema.models.tables import CA, SD, P
from registry.schema.vocabulary import VOCABULARIES, ExclusionReason, ScreeningDecisionCode, ScreeningStage

#: Largest decisions sheet read (bytes).
MAX_SHEET_BYTES = 16 * 1024 * 1024

#: Columns of the sheet: the ones read back, then the ones that only help the screener (ignored on load).
DECISION_COLUMNS = ("candidate", "stage", "decision", "reason", "reason_text", "curator", "decided_on")
CONTEXT_COLUMNS = ("pmid", "doi", "first_author", "year", "title", "journal", "current")
SHEET_COLUMNS = DECISION_COLUMNS + CONTEXT_COLUMNS
REQUIRED_COLUMNS = ("candidate", "stage", "decision")


class ScreeningErrors(RegistryError):
    """Every problem of a set of decisions, one per line."""


@dataclass(frozen=True)
class DecisionIn:
    candidate_id: int
    stage: str
    decision: str
    reason: str | None
    reason_text: str | None
    curator: str
    decided_at: datetime
    #: How an error names the decision: 'decisions.csv: row 3' or 'candidate 4'.
    where: str


@dataclass(frozen=True)
class Current:
    decision: str
    reason: str | None
    reason_text: str | None
    curator: str
    decided_at: datetime


@dataclass
class ScreeningResult:
    recorded: int = 0
    unchanged: int = 0
    revised: int = 0

    def summary(self) -> str:
        text = f"recorded {self.recorded} decision(s)"
        if self.revised:
            text += f" ({self.revised} revising an earlier one, kept in the history)"
        if self.unchanged:
            text += f"; {self.unchanged} already recorded, left as they were"
        return text


def _nothing_written(problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{problems[0]}; nothing was written"
    return "\n".join(problems) + f"\n{len(problems)} problems; nothing was written"


def _codes(name: str) -> str:
    return ", ".join(VOCABULARIES[name].codes)


def check_fields(where: str, stage: str, decision: str, reason: str | None, reason_text: str | None) -> list[str]:
    """What is wrong with one decision on its own (vocabulary codes and the reason rules)."""
    problems = []
    if stage not in VOCABULARIES["screening_stage"].codes:
        problems.append(f"{where}: stage {stage!r} is not one of {_codes('screening_stage')}")
    if decision not in VOCABULARIES["screening_decision"].codes:
        problems.append(f"{where}: decision {decision!r} is not one of {_codes('screening_decision')}")
    if reason is not None and reason not in VOCABULARIES["exclusion_reason"].codes:
        problems.append(f"{where}: reason {reason!r} is not one of {_codes('exclusion_reason')}")
    if problems:
        return problems
    if decision == ScreeningDecisionCode.EXCLUDE and reason is None:
        problems.append(f"{where}: an exclusion needs a reason: one of {_codes('exclusion_reason')}")
    if decision != ScreeningDecisionCode.EXCLUDE and reason is not None:
        problems.append(f"{where}: reason {reason!r} given for decision {decision!r}; a reason goes with exclude only")
    if reason == ExclusionReason.OTHER and not reason_text:
        problems.append(f"{where}: reason 'other' needs the reason in words (reason_text / --reason-text)")
    if reason == ExclusionReason.NOT_RETRIEVABLE and stage != ScreeningStage.FULL_TEXT:
        problems.append(f"{where}: reason 'not_retrievable' belongs to the full_text stage (a report sought but not obtained)")
    return problems


def current_decisions(conn: Connection, candidate_ids: Iterable[int] | None = None) -> dict[tuple[int, str], Current]:
    """(candidate id, stage) -> the decision recorded last."""
    last = latest_decisions()
    if candidate_ids is not None:
        last = last.where(SD.c.candidate_id.in_(sorted(set(candidate_ids))))
    rows = conn.execute(select(SD).where(SD.c.id.in_(last.scalar_subquery())))
    return {(r.candidate_id, r.stage): Current(r.decision, r.reason, r.reason_text, r.curator, r.decided_at) for r in rows}


def _describe(c: Current) -> str:
    what = c.decision + (f" ({c.reason})" if c.reason else "")
    return f"{what} by {c.curator} on {c.decided_at:%Y-%m-%d}"


def decision_key(candidate_id: int, stage: str) -> str:
    """How the audit log names a decision (record_key)."""
    return f"candidate {candidate_id}, {stage}"


def record_decisions(conn: Connection, decisions: Sequence[DecisionIn], *, revise: bool = False,
                     audit: AuditLog | None = None) -> ScreeningResult:
    """Check every decision against the rules, then write them (or nothing: ScreeningErrors lists every problem)."""
    problems: list[str] = []
    valid = []
    for d in decisions:
        found = check_fields(d.where, d.stage, d.decision, d.reason, d.reason_text)
        problems += found
        if not found:
            valid.append(d)
    ids = {d.candidate_id for d in decisions}
    known = {r.id: r for r in conn.execute(
        select(CA.c.id, CA.c.in_registry_at_intake, P.c.key).select_from(CA.outerjoin(P, P.c.id == CA.c.publication_id))
        .where(CA.c.id.in_(sorted(ids))))}
    state = current_decisions(conn, ids)
    result = ScreeningResult()
    rows = []
    for d in valid:
        cand = known.get(d.candidate_id)
        if cand is None:
            problems.append(f"{d.where}: no such candidate")
            continue
        if cand.in_registry_at_intake:
            problems.append(f"{d.where}: already in the registry when found "
                            f"(publication {cand.key or '(since removed)'}); it is not screened")
            continue
        if d.stage == ScreeningStage.FULL_TEXT:
            ta = state.get((d.candidate_id, ScreeningStage.TITLE_ABSTRACT))
            if ta is None or ta.decision != ScreeningDecisionCode.INCLUDE:
                now = _describe(ta) if ta else "none"
                problems.append(f"{d.where}: a full-text decision needs a title/abstract "
                                f"include first (title/abstract decision: {now})")
                continue
        before = state.get((d.candidate_id, d.stage))
        if before and (before.decision, before.reason, before.reason_text) == (d.decision, d.reason, d.reason_text):
            result.unchanged += 1
            continue
        revising = before is not None and before.decision != ScreeningDecisionCode.PENDING
        if revising and not revise:
            problems.append(f"{d.where}: {d.stage}: already decided {_describe(before)}; "
                            "give --revise to record the new decision (the earlier one stays in the history)")
            continue
        if d.stage == ScreeningStage.TITLE_ABSTRACT and d.decision != ScreeningDecisionCode.INCLUDE:
            ft = state.get((d.candidate_id, ScreeningStage.FULL_TEXT))
            if ft and ft.decision != ScreeningDecisionCode.PENDING:
                problems.append(f"{d.where}: has a full-text decision ({_describe(ft)}); "
                                "revise that to pending before changing the title/abstract include")
                continue
        result.revised += revising
        state[(d.candidate_id, d.stage)] = Current(d.decision, d.reason, d.reason_text, d.curator, d.decided_at)
        rows.append({"candidate_id": d.candidate_id, "stage": d.stage, "decision": d.decision, "reason": d.reason,
                     "reason_text": d.reason_text, "curator": d.curator, "decided_at": d.decided_at})
    if problems:
        raise ScreeningErrors(_nothing_written(problems))
    if rows:
        ids = conn.execute(insert(SD).returning(SD.c.id, sort_by_parameter_order=True), rows).scalars().all()
        if audit is not None:
            for row, did in zip(rows, ids, strict=True):
                audit.record("screening_decisions", AuditAction.INSERT, record_id=did,
                             record_key=decision_key(row["candidate_id"], row["stage"]), new=row)
    result.recorded = len(rows)
    return result


def screen(engine: Engine, decisions: Sequence[DecisionIn], *, curator: Curator, command: str = "screen",
           revise: bool = False) -> ScreeningResult:
    require_head(engine)
    with audited(engine, curator, command) as log:
        return record_decisions(log.conn, decisions, revise=revise, audit=log)


# -- the sheet ---------------------------------------------------------------------------------------


def _blank(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _decided_at(raw: str | None, where: str, now: datetime) -> datetime:
    if raw is None:
        return now
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise RegistryError(f"{where}: decided_on {raw!r} is not a date (YYYY-MM-DD) or date and time (ISO 8601)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def decision_from(values: dict[str, Any], where: str, *, curator: str | None, now: datetime) -> DecisionIn | None:
    """One decision from a sheet row (None for a row left blank: not screened yet)."""
    v = {k: _blank(values.get(k)) for k in DECISION_COLUMNS}
    if v["decision"] is None:
        return None
    if v["candidate"] is None or not v["candidate"].isdigit():
        raise RegistryError(f"{where}: candidate {v['candidate']!r} is not a candidate number")
    where = f"{where}, candidate {v['candidate']}"
    if v["stage"] is None:
        raise RegistryError(f"{where}: no stage (one of {_codes('screening_stage')})")
    who = v["curator"] or curator
    if not who:
        raise RegistryError(f"{where}: no curator: fill the curator column, or give --curator NAME (or set REGISTRY_CURATOR)")
    return DecisionIn(int(v["candidate"]), v["stage"], v["decision"], v["reason"], v["reason_text"], who,
                      _decided_at(v["decided_on"], where, now), where)


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SHEET_BYTES + 1)
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_SHEET_BYTES:
        raise RegistryError(f"{path}: larger than {MAX_SHEET_BYTES // (1024 * 1024)} MB, the limit for a decisions sheet")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not UTF-8 (byte {exc.start}); save the sheet as UTF-8 CSV") from None
    if not text.strip():
        raise RegistryError(f"{path}: file is empty")
    return text


def _check_columns(path: Path, columns: Iterable[str], where: str = "header") -> None:
    columns = list(columns)
    unknown = [c for c in columns if c not in SHEET_COLUMNS]
    if unknown:
        raise RegistryError(f"{path}: {where}: unknown column(s) {', '.join(map(repr, unknown))}; "
                            f"allowed: {', '.join(SHEET_COLUMNS)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise RegistryError(f"{path}: {where}: missing column(s) {', '.join(missing)}")


def read_sheet(path: Path, *, curator: str | None) -> list[DecisionIn]:
    """The decisions of a filled sheet (.csv, or .yaml/.yml: a list of mappings with the same keys)."""
    text = _read_text(path)
    now = datetime.now(timezone.utc)
    out = []
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            _check_columns(path, reader.fieldnames or [])
            for row in reader:
                where = f"{path}: row {reader.line_num}"
                if None in row:
                    raise RegistryError(f"{where}: more cells than columns")
                d = decision_from(row, where, curator=curator, now=now)
                if d:
                    out.append(d)
        except csv.Error as exc:
            raise RegistryError(f"{path}: row {reader.line_num}: not valid CSV: {exc}") from None
    elif suffix in (".yaml", ".yml"):
        try:
            items = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise RegistryError(f"{path}:{f' line {mark.line + 1}:' if mark else ''} not valid YAML") from None
        if not isinstance(items, list):
            raise RegistryError(f"{path}: expected a list of decisions (one mapping per candidate and stage)")
        for i, item in enumerate(items):
            where = f"{path}: [{i}]"
            if not isinstance(item, dict):
                raise RegistryError(f"{where}: expected a mapping with keys {', '.join(DECISION_COLUMNS)}")
            _check_columns(path, item.keys(), where)
            d = decision_from({k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in item.items()},
                              where, curator=curator, now=now)
            if d:
                out.append(d)
    else:
        raise RegistryError(f"{path}: unknown sheet type {path.suffix or '(none)'!r}; allowed: .csv, .yaml, .yml")
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula (titles come from outside)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def sheet_rows(conn: Connection, stages: Sequence[str]) -> list[dict[str, Any]]:
    """One row per candidate and stage awaiting a decision (none yet, or pending), in candidate order."""
    state = current_decisions(conn)
    out = []
    for c in conn.execute(select(CA).where(CA.c.in_registry_at_intake.is_(False)).order_by(CA.c.id)):
        for stage in stages:
            now = state.get((c.id, stage))
            if now is not None and now.decision != ScreeningDecisionCode.PENDING:
                continue
            if stage == ScreeningStage.FULL_TEXT:
                ta = state.get((c.id, ScreeningStage.TITLE_ABSTRACT))
                if ta is None or ta.decision != ScreeningDecisionCode.INCLUDE:
                    continue
            out.append({
                "candidate": c.id, "stage": str(stage), "decision": None, "reason": None, "reason_text": None,
                "curator": None, "decided_on": None, "pmid": c.pmid, "doi": c.doi, "first_author": _cell(c.first_author),
                "year": c.year, "title": _cell(c.title), "journal": _cell(c.journal),
                "current": _describe(now) if now else None,
            })
    return out


def write_sheet(engine: Engine, path: Path, stages: Sequence[str]) -> int:
    """Write the sheet to fill (CSV with a byte-order mark, for spreadsheets; or YAML); returns its row count."""
    require_head(engine)
    with engine.connect() as conn:
        rows = sheet_rows(conn, stages)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, SHEET_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    elif suffix in (".yaml", ".yml"):
        path.write_text(yaml.safe_dump(rows, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    else:
        raise RegistryError(f"{path}: unknown sheet type {path.suffix or '(none)'!r}; allowed: .csv, .yaml, .yml")
    return len(rows)

