"""`dress-registry history CASE_KEY`: what the audit log holds about one case."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select

from registry.cli.base import engine_from
from registry.core.errors import RegistryError
from registry.ingest.audit import AuditAction, HistoryLine, candidate_history, case_history, publication_history
from registry.schema.migrate import require_head
from registry.schema.models.tables import CA, P

_ARROW = {AuditAction.INSERT: "added", AuditAction.UPDATE: "changed", AuditAction.DELETE: "deleted"}


def _value(v: Any) -> str:
    return "NULL" if v is None else (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))


def format_line(h: HistoryLine) -> str:
    # A case's own fields need no record key: the case is the one asked for.
    where = f"{h.table_name}.{h.field}" if h.table_name in ("cases", "publications") or not h.record_key else \
        f"{h.table_name}[{h.record_key}].{h.field}"
    if h.action == AuditAction.INSERT:
        change = f"→ {_value(h.new)}"
    elif h.action == AuditAction.DELETE:
        change = f"{_value(h.old)} → (deleted)"
    else:
        change = f"{_value(h.old)} → {_value(h.new)}"
    return f"{h.at:%Y-%m-%d %H:%M:%S} UTC  {h.curator}  {h.command}  {_ARROW[h.action]} {where}: {change}"


@click.command("history")
@click.argument("case_key", required=False)
@click.option("--candidate", "candidate_id", type=int, metavar="N",
              help="A search candidate's history instead: intake, identifiers learnt, link, screening decisions.")
@click.option("--publication", "publication_key", metavar="KEY",
              help="A publication's history instead: its own fields, and how it was found and screened.")
@click.pass_context
def history(ctx: click.Context, case_key: str | None, candidate_id: int | None, publication_key: str | None) -> None:
    """Print a case's history from the audit log: field, old → new, who, when, which command.

    \b
    dress-registry history park2021-1
    dress-registry history --candidate 4
    dress-registry history --publication park2021
    """
    if sum(x is not None for x in (case_key, candidate_id, publication_key)) != 1:
        raise RegistryError("give one of: CASE_KEY, --candidate N, --publication KEY")
    engine = engine_from(ctx)
    require_head(engine)
    with engine.connect() as conn:
        if case_key is not None:
            lines, what = case_history(conn, case_key), f"case {case_key!r}"
        elif candidate_id is not None:
            lines, what = candidate_history(conn, candidate_id), f"candidate {candidate_id}"
        else:
            pid = conn.execute(select(P.c.id).where(P.c.key == publication_key)).scalar()
            if pid is None:
                raise RegistryError(f"no publication {publication_key!r} in the registry")
            cids = conn.execute(select(CA.c.id).where(CA.c.publication_id == pid)).scalars().all()
            lines, what = publication_history(conn, pid, cids), f"publication {publication_key!r}"
    if not lines:
        raise RegistryError(f"no history for {what} (no such {what.split()[0]}, or no logged change)")
    for h in lines:
        click.echo(format_line(h))


COMMANDS = (history,)
