"""`dress-registry release VERSION`: freeze the published build as a citable release."""

from __future__ import annotations

from pathlib import Path

import click

from registry.core.errors import RegistryError
from registry.outputs.release.freeze import DEFAULT_RELEASES_DIR, make_release

DEFAULT_OUT = "dist"


@click.command("release")
@click.argument("version")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Folder that `publish` wrote (the build to release).")
@click.option("--releases-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_RELEASES_DIR,
              show_default=True, envvar="REGISTRY_RELEASES_DIR",
              help="Folder of the releases (one read-only folder per version); also $REGISTRY_RELEASES_DIR.")
@click.option("--notes-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the release notes to this file.")
@click.option("--citation", "citation", type=click.Path(dir_okay=False, path_type=Path), default=Path("CITATION.cff"),
              show_default=True, help="The project's CITATION.cff, whose authors the release's CITATION.cff takes "
                                      "(when the file exists).")
def release(version: str, out_dir: Path, releases_dir: Path, notes_out: Path | None, citation: Path) -> None:
    """Freeze the current published build as RELEASES_DIR/VERSION/: the file (recording its release), release
    notes computed from the data, a CITATION.cff and SHA-256 checksums; read-only from then on."""
    if notes_out is not None and notes_out.is_dir():
        raise RegistryError(f"--notes-out {notes_out}: is a folder")
    result = make_release(version, build_dir=out_dir, releases_dir=releases_dir, citation_template=citation)
    if notes_out is not None:
        try:
            notes_out.write_text(result.notes, encoding="utf-8")
        except OSError as exc:
            raise RegistryError(f"--notes-out {notes_out}: cannot write ({exc.strerror}); the release is made") from None
    since = f"changes since {result.previous}" if result.previous else "the first release"
    click.echo(f"released {version} to {result.path}/ ({', '.join(result.files)}); {since}")


COMMANDS = (release,)
