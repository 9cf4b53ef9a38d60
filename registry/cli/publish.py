"""`dress-registry publish` and `dress-registry serve`."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.base import engine_from
from registry import __version__
from registry.core.progress import Progress
from registry.outputs.package import current_package, write_review_package
from registry.outputs.publish.build import PUBLISH_STEPS
from registry.outputs.publish.build import publish as build
from registry.outputs.publish.serve import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    exec_datasette,
    refresh_metadata,
    serve_argv,
    url_for,
)
from registry.outputs.publish.site import DB_NAME
from registry.outputs.release.freeze import DEFAULT_RELEASES_DIR, release_dir

DEFAULT_OUT = "dist"


@click.command("publish")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Folder for registry.db and metadata.json.")
@click.option("--allow-synthetic", is_flag=True,
              help="Include synthetic benchmark data (is_synthetic). Never for the public site.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (none is drawn when stderr is not a terminal anyway).")
@click.option("--timings", is_flag=True, help="Print the wall time of each step.")
@click.option("--no-package", is_flag=True, help="Do not write the review package (download/) beside the file.")
@click.option("--rebuild", is_flag=True,
              help="Build every case afresh, taking nothing from the last build (after changing the working database "
                   "by hand, outside the registry's commands).")
@click.pass_context
def publish(ctx: click.Context, out_dir: Path, allow_synthetic: bool, quiet: bool, timings: bool,
            no_package: bool, rebuild: bool) -> None:
    """Build the read-only SQLite file that `serve` publishes, and the review package the site links to.

    When the working database's rows, the options and the code are those of the build already in --out, that
    build is kept as it is."""
    with Progress("publishing", PUBLISH_STEPS, enabled=False if quiet else None) as progress:
        result = build(engine_from(ctx), out_dir, allow_synthetic=allow_synthetic, progress=progress, rebuild=rebuild)
    if result.evidence_beside_failure:
        click.echo(f"warning: wording the evidence in a second process failed ({result.evidence_beside_failure}); "
                   "this process worded it instead, and the build is complete", err=True)
    if result.unchanged:
        click.echo(f"nothing has changed since the last build: {result.path} is kept as it is (--rebuild to build it afresh)")
    if not no_package:
        package = result.unchanged and current_package(result.path, out_dir)
        package = package or write_review_package(result.path, out_dir, f"DRESS case registry version {__version__}")
        click.echo(f"review package: {package}")
    cases = result.row_counts.get("cases", 0)
    pubs = result.row_counts.get("publications", 0)
    click.echo(f"published {cases} cases from {pubs} publications to {result.path}")
    if result.includes_synthetic:
        click.echo("warning: --allow-synthetic: synthetic benchmark data are included; do not publish this build", err=True)
    elif any(result.excluded.values()):
        click.echo(
            f"left out synthetic data: {result.excluded.get('cases', 0)} cases, "
            f"{result.excluded.get('publications', 0)} publications (use --allow-synthetic for a benchmark build)"
        )
    click.echo(f"metadata: {result.metadata_path}")
    if timings:
        total = sum(result.timings.values())
        click.echo("step timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()) + f"; total {total:.2f} s")


@click.command("serve")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Folder that `publish` wrote.")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--release", "version", metavar="VERSION", default=None,
              help="Serve this release (made by `dress-registry release`) instead of the build in --out.")
@click.option("--releases-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_RELEASES_DIR,
              show_default=True, envvar="REGISTRY_RELEASES_DIR", help="Folder of the releases.")
def serve(out_dir: Path, host: str, port: int, version: str | None, releases_dir: Path) -> None:
    """Serve the published registry with datasette (immutable, read-only)."""
    if version is not None:
        out_dir = release_dir(releases_dir, version)  # served as it was released: its metadata is not rebuilt
    else:
        refresh_metadata(out_dir)
    argv = serve_argv(out_dir, host, port)
    click.echo(f"serving {out_dir / DB_NAME} at {url_for(host, port)} (Ctrl-C to stop)")
    exec_datasette(argv, out_dir)


COMMANDS = (publish, serve)
