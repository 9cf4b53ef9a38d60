"""What every command shares: the group class that turns user errors into one line, and the engine.

Command modules import this; nothing outside registry.cli imports anything in it.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy.engine import Engine

from registry.core.config import database_url
from registry.core.db import make_engine
from registry.core.errors import RegistryError


class RegistryGroup(click.Group):
    """A click group whose commands end a RegistryError with one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RegistryError as exc:
            click.echo(f"dress-registry: error: {exc}", err=True)
            sys.exit(exc.exit_code)


def engine_from(ctx: click.Context) -> Engine:
    """The working database named by --database, $REGISTRY_DATABASE_URL or the default."""
    return make_engine(database_url(ctx.find_root().obj["database"]))
