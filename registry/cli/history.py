"""`dress-registry history CASE_KEY`: what the audit log holds about one case."""

from __future__ import annotations

import json
from typing import Any

import click

from registry.cli.base import engine_from
from registry.core.errors import RegistryError
from registry.ingest.audit import AuditAction, HistoryLine, case_history
from registry.schema.migrate import require_head

_ARROW = {AuditAction.INSERT: "added", AuditAction.UPDATE: "changed", AuditAction.DELETE: "deleted"}


def _value(v: Any) -> str:
    return "NULL" if v is None else (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))


def format_line(h: HistoryLine) -> str:
    # A case's own fields need no record key: the case is the one asked for.
    where = f"{h.table_name}.{h.field}" if h.table_name == "cases" or not h.record_key else \
        f"{h.table_name}[{h.record_key}].{h.field}"
    if h.action == AuditAction.INSERT:
        change = f"→ {_value(h.new)}"
    elif h.action == AuditAction.DELETE:
        change = f"{_value(h.old)} → (deleted)"
    else:
        change = f"{_value(h.old)} → {_value(h.new)}"
    return f"{h.at:%Y-%m-%d %H:%M:%S} UTC  {h.curator}  {h.command}  {_ARROW[h.action]} {where}: {change}"


@click.command("history")
@click.argument("case_key")
@click.pass_context
def history(ctx: click.Context, case_key: str) -> None:
    """Print a case's history from the audit log: field, old → new, who, when, which command."""
    engine = engine_from(ctx)
    require_head(engine)
    with engine.connect() as conn:
        lines = case_history(conn, case_key)
    if not lines:
        raise RegistryError(f"no history for case {case_key!r} (no such case, or no logged change)")
    for h in lines:
        click.echo(format_line(h))


COMMANDS = (history,)
