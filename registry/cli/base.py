"""What every command shares: the group class that turns user errors into one line, and the engine.

Command modules import this; nothing outside registry.cli imports anything in it.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from registry.core.config import database_url
from registry.core.db import make_engine
from registry.core.errors import RegistryError


#: Most problem lines one error prints (a file with a million bad rows still gets a readable report).
MAX_PROBLEM_LINES = 100


def problem_text(message: str) -> str:
    lines = message.splitlines() or [""]
    if len(lines) <= MAX_PROBLEM_LINES:
        return "\n".join(lines)
    return "\n".join(lines[:MAX_PROBLEM_LINES]) + f"\n... and {len(lines) - MAX_PROBLEM_LINES:,} more problems"


class RegistryGroup(click.Group):
    """A click group whose commands end a RegistryError with one line on stderr and its exit code.

    A database error no check caught first (a constraint, a value out of range) ends the same way, with
    exit code 2: the command's transaction has rolled back, so nothing was written."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RegistryError as exc:
            click.echo(f"dress-registry: error: {problem_text(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except DBAPIError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
            click.echo(f"dress-registry: error: the database refused the operation ({detail}); nothing was written",
                       err=True)
            sys.exit(RegistryError.exit_code)


def engine_from(ctx: click.Context) -> Engine:
    """The working database named by --database, $REGISTRY_DATABASE_URL or the default."""
    return make_engine(database_url(ctx.find_root().obj["database"]))
