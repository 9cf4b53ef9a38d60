"""`dress-registry seed`: load seed/publications/*.yaml and the seed's curation trail, or report completeness.

The trail (seed/searches/, seed/screening.yaml beside the publications folder; registry.ingest.seedtrail)
is loaded in the same audited transaction as the publications, after them."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cases.completeness import case_completeness
from registry.cases.prisma import prisma_counts
from registry.cases.documents import read_documents
from registry.cli.base import command_line, curator_from, curator_option, engine_from
from registry.core.errors import RegistryError
from registry.core.resources import SEED_PUBLICATIONS_DIR
from registry.ingest.audit import audited
from registry.ingest.seed import load_documents
from registry.ingest.seedtrail import load_trail, read_trail
from registry.outputs.prisma import prisma_text
from registry.schema.migrate import require_head

#: ./seed/publications when the current folder has one (a checkout, a curator's own registry), else the
#: seed files shipped with the package.
LOCAL_SEED_DIR = Path("seed/publications")


def default_seed_dir() -> Path:
    return LOCAL_SEED_DIR if LOCAL_SEED_DIR.is_dir() else SEED_PUBLICATIONS_DIR


def seed_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise RegistryError(f"{directory}: no such seed directory")
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RegistryError(f"{directory}: no *.yaml seed files")
    return files


def format_report(rows) -> str:
    head = f"{'case':<16} {'known':>5} {'not reported':>13} {'not available':>14} {'unrecorded':>10} {'known %':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.case_key:<16} {r.known:>5} {r.not_reported:>13} {r.not_available:>14} {r.unrecorded:>10} {r.share_known:>8.0%}")
    return "\n".join(lines)


@click.command("seed")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None, show_default="./seed/publications, else the seed files shipped with the package",
              help="Folder of seed files (one YAML file per publication). The trail is read from beside it: "
                   "../searches/ and ../screening.yaml, when there.")
@click.option("--report", is_flag=True, help="Only print, per case, how many key facts are known, not reported, not available; "
              "then the PRISMA 2020 counts.")
@click.option("--check", is_flag=True, help="Validate the files without writing anything.")
@curator_option
@click.pass_context
def seed(ctx: click.Context, directory: Path | None, report: bool, check: bool, curator_name: str | None) -> None:
    """Load the seed files and the seed's search and screening trail into the database (idempotent, all or nothing)."""
    directory = directory or default_seed_dir()
    engine = engine_from(ctx)
    if not report:
        docs = read_documents(seed_files(directory))
        trail = read_trail(directory)
        if check:
            click.echo(f"{len(docs)} seed files valid ({sum(len(d.doc.cases) for d in docs)} cases); trail: "
                       f"{len(trail.searches)} search file(s), {trail.records} record(s), "
                       f"{len(trail.decisions)} screening decision(s)")
            return
        require_head(engine)
        curator = curator_from(engine, curator_name)
        with audited(engine, curator, command_line(ctx)) as log:
            stats = load_documents(log.conn, docs, audit=log)
            trail_result = load_trail(log, trail)
        click.echo(f"seeded {len(docs)} publications, {sum(len(d.doc.cases) for d in docs)} cases: {stats.summary()}")
        click.echo(trail_result.summary())
        return
    require_head(engine)
    with engine.connect() as conn:
        rows = case_completeness(conn)
        counts = prisma_counts(conn)
    click.echo(format_report(rows))
    click.echo("")
    click.echo("PRISMA 2020 flow")
    click.echo(prisma_text(counts))


COMMANDS = (seed,)
