"""`dress-registry export` and `dress-registry import`."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import Engine, make_url

from registry.cases.selection import Selection
from registry.cli.base import command_line, curator_from, curator_option, engine_from
from registry.core.config import database_url
from registry.core.progress import Progress
from registry.ingest.importer import IMPORT_STEPS, import_files
from registry.outputs.export.folder import FORMATS, export_steps, write_export
from registry.outputs.export.published import is_published


def _source(ctx: click.Context, published: Path | None) -> Engine | Path:
    """--published FILE; else the --database URL: a published file when it names one (recognised by its
    case_summary table; opened read-only, never through make_engine, whose WAL pragma would change the
    file), else the working database."""
    if published is not None:
        return published
    url = make_url(database_url(ctx.obj["database"]))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") and is_published(Path(url.database)):
        return Path(url.database)
    return engine_from(ctx)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="csv: one file per table; xlsx: one workbook; json: cases.json (nested, one object per case) and "
                   "its schema; yaml: the lossless seed format (re-importable).")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), default=Path("export"), show_default=True,
              help="Folder to write (must be new or empty, or an earlier export with --overwrite).")
@click.option("--drug", metavar="NAME", help="Only cases with this suspect drug (case-insensitive name).")
@click.option("--indication", metavar="TEXT", help="Only cases whose suspect drug's indication contains TEXT.")
@click.option("--year-from", type=int, metavar="YEAR", help="Only cases whose primary report is from YEAR or later.")
@click.option("--year-to", type=int, metavar="YEAR", help="Only cases whose primary report is from YEAR or earlier.")
@click.option("--case", "cases", multiple=True, metavar="KEY", help="Only this case (repeatable).")
@click.option("--excel", is_flag=True, help="Start CSV files with a UTF-8 byte-order mark (for Excel).")
@click.option("--raw", is_flag=True, help="Do not neutralise formula-like text cells (for machine use).")
@click.option("--include-synthetic", is_flag=True, help="Include synthetic benchmark cases.")
@click.option("--overwrite", is_flag=True, help="Replace an earlier export in --out.")
@click.option("--published", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Export from this published file (dist/registry.db, built by `publish`) instead of the working "
                   "database: the same files, and the case table 20-30x faster (read from its baked "
                   "case_summary). A --database URL naming a published file does the same.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (none is drawn when stderr is not a terminal anyway).")
@click.pass_context
def export_command(ctx: click.Context, fmt: str, out: Path, drug: str | None, indication: str | None,
                   year_from: int | None, year_to: int | None, cases: tuple[str, ...], excel: bool, raw: bool,
                   include_synthetic: bool, overwrite: bool, published: Path | None, quiet: bool) -> None:
    """Export cases for review and analysis: tables, codebook, citations.

    Reads the working database, or with --published a file built by `dress-registry publish` (which holds
    only what was published: synthetic cases only if it was built with --allow-synthetic).
    """
    sel = Selection(drug=drug, indication=indication, year_from=year_from, year_to=year_to, case_keys=tuple(cases),
                    include_synthetic=include_synthetic)
    source = _source(ctx, published)
    with Progress("exporting", export_steps(fmt), enabled=False if quiet else None) as progress:
        result = write_export(source, out, fmt=fmt, sel=sel, excel=excel, raw=raw, overwrite=overwrite,
                              progress=progress)
    click.echo(f"exported {result.cases} case(s) as {fmt} to {result.out}/ ({', '.join(result.files)})")


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--allow-duplicate", is_flag=True,
              help="Import cases flagged as probable duplicates (same DOI/PMID, age and sex as a registered case).")
@click.option("--dry-run", is_flag=True, help="Validate everything, write nothing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (none is drawn when stderr is not a terminal anyway).")
@curator_option
@click.pass_context
def import_command(ctx: click.Context, files: tuple[Path, ...], allow_duplicate: bool, dry_run: bool,
                   quiet: bool, curator_name: str | None) -> None:
    """Import cases from seed-format YAML files or the flat case CSV (all or nothing)."""
    engine = engine_from(ctx)
    curator = curator_from(engine, curator_name)
    with Progress("importing", IMPORT_STEPS, enabled=False if quiet else None) as progress:
        result = import_files(engine, list(files), curator=curator, command=command_line(ctx),
                              allow_duplicate=allow_duplicate, dry_run=dry_run, progress=progress)
    click.echo(result.summary())


COMMANDS = (export_command, import_command)
