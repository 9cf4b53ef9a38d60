"""The `dress-registry` command line.

The group lives here; every other module of this package holds commands
and lists them in `COMMANDS`, and the group picks them up (adding a command
means adding a module). Every command takes the database from --database
URL or $REGISTRY_DATABASE_URL (default: ./registry.db). User mistakes (bad
URL, unreachable server, bad input file) end with one line on stderr and
exit code 2, never a traceback.

This package is the top of the layers: it imports the ingest and output
layers and nothing imports it.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from registry import __version__
from registry.cli.base import RegistryGroup
from registry.core.config import ENV_VAR


@click.group(cls=RegistryGroup)
@click.version_option(__version__, prog_name="dress-registry")
@click.option("--database", "database", metavar="URL", default=None,
              help=f"Database URL (sqlite:///FILE or postgresql://HOST/DB); default ${ENV_VAR} or sqlite:///registry.db.")
@click.pass_context
def cli(ctx: click.Context, database: str | None) -> None:
    """DRESS case registry: published drug-induced DRESS cases, every fact traced to its source."""
    ctx.obj = {"database": database}


for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("_"):
        continue  # __main__
    for _command in getattr(importlib.import_module(f"{__name__}.{_module.name}"), "COMMANDS", ()):
        cli.add_command(_command)


def main() -> None:
    cli(prog_name="dress-registry")
