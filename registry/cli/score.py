"""`dress-registry score`: the registry's scores beside the authors'.

Prints, per case and instrument, each item's answer, points (or the range
still possible) and basis, then the registry's total or interval beside the
authors' published score and any disagreement. Read-only unless --store.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.engine import Connection

from registry.cases.scoring.flags import score_disagreements
from registry.cases.scoring.store import RegistryScore, compute_registry_scores, store_registry_assessments
from registry.cli.base import engine_from
from registry.core.errors import RegistryError
from registry.schema import migrate
from registry.schema.models import Case


def _case_ids(conn: Connection, case_key: str | None) -> list[int] | None:
    if case_key is None:
        return None
    c = Case.__table__
    cid = conn.execute(select(c.c.id).where(c.c.case_key == case_key)).scalar_one_or_none()
    if cid is None:
        raise RegistryError(f"no case with key {case_key!r}")
    return [cid]


def _authors_for(s: RegistryScore, flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        f for f in flags
        if f["case_id"] == s.case_id and f["instrument"] == s.result.instrument and f["exposure_id"] == s.exposure_id
    ]


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in rows]


def _render(s: RegistryScore, authors: list[dict[str, Any]]) -> list[str]:
    r = s.result
    title = f"{s.instrument.name} ({r.instrument} {r.version})" + (f" - {s.exposure_label}" if s.exposure_label else "")
    theirs = {i["item_code"]: i for a in authors[:1] for i in a["authors_items"]}
    rows = [("item", "answer", "points", "authors", "basis")]
    for it in r.items:
        a = theirs.get(it.code)
        a_text = "" if a is None else f"{a['answer'] or '?'} {'' if a['points'] is None else format(a['points'], '+d')}".strip()
        pts = f"{it.points:+d}" if it.settled else f"{it.points:+d} ({it.points_min:+d}..{it.points_max:+d})"
        rows.append((it.code, it.answer, pts, a_text, it.basis))
    lines = [title, *_table(rows), f"  registry: total {r.total_text()}"]
    for a in authors:
        total = "not given" if a["authors_total"] is None else str(a["authors_total"])
        lines.append(f"  authors:  total {total}" + (f" ({a['authors_category']})" if a["authors_category"] else ""))
        lines += [f"  ! {m}" for m in a["messages"]]
    if not authors:
        lines.append("  authors:  no published score recorded")
    return lines


@click.command("score")
@click.option("--case", "case_key", metavar="KEY", default=None, help="Score only this case (its case_key); default: every case.")
@click.option("--store/--no-store", default=False, show_default=True,
              help="Write the registry's assessments (assessor 'registry'), replacing earlier ones; authors' rows are never changed.")
@click.pass_context
def score(ctx: click.Context, case_key: str | None, store: bool) -> None:
    """Compute RegiSCAR and Naranjo from the stored facts and show them beside the authors' scores."""
    engine = engine_from(ctx)
    migrate.require_head(engine)
    with engine.connect() as conn:
        ids = _case_ids(conn, case_key)
    if store:
        with engine.begin() as conn:
            scores = store_registry_assessments(conn, ids)
    else:
        with engine.connect() as conn:
            scores = compute_registry_scores(conn, ids)
    with engine.connect() as conn:
        flags = score_disagreements(conn, ids)
    if not scores:
        click.echo("no cases to score")
        return
    current = None
    for s in scores:
        if s.case_key != current:
            current = s.case_key
            click.echo(f"\n== {s.case_key} ==")
        click.echo("\n".join(_render(s, _authors_for(s, flags))))
    unpaired = [f for f in flags if f["registry_total"] is None]
    for f in unpaired:
        click.echo(f"\n{f['case_key']} {f['instrument']}: authors' total {f['authors_total']}; " + " ".join(f["messages"]))
    if store:
        click.echo(f"\nstored {len(scores)} registry assessment(s)")


COMMANDS = (score,)
