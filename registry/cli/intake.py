"""`dress-registry intake`, `screen` and `prisma`: from a literature search to the PRISMA 2020 flow."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import click

from registry.cases.prisma import prisma_counts
from registry.cli.base import command_line, curator_option, engine_from
from registry.core.errors import RegistryError
from registry.ingest.audit import ENV_CURATOR, Curator, resolve_curator
from registry.ingest.intake import intake_files, link
from registry.ingest.screening import DecisionIn, screen, read_sheet, write_sheet
from registry.outputs.prisma import prisma_json, prisma_svg, prisma_text
from registry.schema.migrate import require_head
from registry.schema.vocabulary import VOCABULARIES, ScreeningStage

CURATOR_ENV = ENV_CURATOR


def _curator(value: str | None) -> str | None:
    return (value or os.environ.get(CURATOR_ENV) or "").strip() or None


def _noted(curator: Curator) -> None:
    """After a successful write: say so when the audit log names the OS user (no --curator, no $REGISTRY_CURATOR)."""
    if curator.notice:
        click.echo(curator.notice, err=True)


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RegistryError(f"--searched-on {value!r}: not a date (YYYY-MM-DD)") from None


@click.command("intake")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--source", metavar="NAME", help="The database searched (e.g. PubMed, Embase); needed unless the file names it.")
@click.option("--searched-on", metavar="DATE", help="Date the search was run (YYYY-MM-DD).")
@click.option("--link", "link_only", is_flag=True,
              help="Take in no file: link candidates to registry publications added since (same DOI, PMID, or title + year + first author).")
@curator_option
@click.pass_context
def intake_command(ctx: click.Context, files: tuple[Path, ...], source: str | None, searched_on: str | None,
                   link_only: bool, curator_name: str | None) -> None:
    """Take in search results (PubMed/MEDLINE .nbib/.txt, RIS .ris, BibTeX .bib) as candidates to screen.

    Duplicates, across files and against the registry's publications, are linked to the candidate they
    repeat rather than added again. All files or none are taken in.
    """
    engine = engine_from(ctx)
    if link_only:
        if files:
            raise RegistryError("--link takes no files")
        who = resolve_curator(engine, curator_name)
        links = link(engine, curator=who, command=command_line(ctx))
        _noted(who)
        click.echo("\n".join(f"candidate {cid} linked to publication {key!r} (same {basis})" for cid, key, basis in links)
                   or "no new links")
        return
    if not files:
        raise RegistryError("no files to take in (give search exports, or --link)")
    who = resolve_curator(engine, curator_name)
    result = intake_files(engine, files, source=source, searched_on=_date(searched_on), curator=who,
                          command=command_line(ctx))
    click.echo(result.summary())
    _noted(who)


def _codes(name: str) -> list[str]:
    return list(VOCABULARIES[name].codes)


@click.command("screen")
@click.argument("candidate", required=False, type=int)
@click.option("--stage", type=click.Choice(_codes("screening_stage")), help="Stage of the decision.")
@click.option("--decision", type=click.Choice(_codes("screening_decision")), help="The decision.")
@click.option("--reason", type=click.Choice(_codes("exclusion_reason")), help="Why excluded (with --decision exclude).")
@click.option("--reason-text", metavar="TEXT", help="The reason in words (needed with --reason other).")
@click.option("--file", "sheet", type=click.Path(path_type=Path, dir_okay=False, exists=False), metavar="FILE",
              help="Record the decisions of a filled sheet (.csv or .yaml), all or none.")
@click.option("--export", "export_to", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Write the sheet to fill (.csv or .yaml): one row per candidate and stage awaiting a decision.")
@click.option("--revise", is_flag=True, help="Allow replacing a current include/exclude (the earlier decision is kept in the history).")
@curator_option
@click.pass_context
def screen_command(ctx: click.Context, candidate: int | None, stage: str | None, decision: str | None, reason: str | None,
                   reason_text: str | None, sheet: Path | None, export_to: Path | None, revise: bool,
                   curator_name: str | None) -> None:
    """Record screening decisions: one from the command line, or a sheet; or write the sheet to fill.

    \b
    dress-registry screen 4 --stage title_abstract --decision exclude --reason no_case_data
    dress-registry screen --export to-screen.csv [--stage full_text]
    dress-registry screen --file to-screen.csv
    """
    engine = engine_from(ctx)
    modes = [m for m in (candidate is not None, sheet is not None, export_to is not None) if m]
    if len(modes) != 1:
        raise RegistryError("give one of: CANDIDATE with --stage and --decision, --file FILE, or --export FILE")
    if export_to is not None:
        stages = [stage] if stage else list(ScreeningStage)
        rows = write_sheet(engine, export_to, stages)
        click.echo(f"wrote {rows} row(s) to fill to {export_to}")
        return
    who = _curator(curator_name)
    if sheet is not None:
        decisions = read_sheet(sheet, curator=who)
    else:
        if stage is None or decision is None:
            raise RegistryError("a decision needs --stage and --decision")
        if who is None:
            raise RegistryError(f"who decides? give --curator NAME (or set {CURATOR_ENV})")
        decisions = [DecisionIn(candidate, stage, decision, reason, (reason_text or "").strip() or None, who,
                                datetime.now(timezone.utc), f"candidate {candidate}")]
    # The audit log names who ran the command; each decision keeps the curator who took it.
    audit_curator = resolve_curator(engine, who)
    click.echo(screen(engine, decisions, curator=audit_curator, command=command_line(ctx), revise=revise).summary())
    _noted(audit_curator)


@click.command("prisma")
@click.option("--svg", "svg_to", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE", help="Write the PRISMA 2020 flow diagram (SVG).")
@click.option("--json", "json_to", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE", help="Write the counts (JSON).")
@click.pass_context
def prisma_command(ctx: click.Context, svg_to: Path | None, json_to: Path | None) -> None:
    """The PRISMA 2020 flow counts, computed from the searches and screening decisions."""
    engine = engine_from(ctx)
    require_head(engine)
    with engine.connect() as conn:
        counts = prisma_counts(conn)
    if svg_to:
        svg_to.write_text(prisma_svg(counts), encoding="utf-8")
    if json_to:
        json_to.write_text(prisma_json(counts), encoding="utf-8")
    click.echo(prisma_text(counts))


COMMANDS = (intake_command, screen_command, prisma_command)
