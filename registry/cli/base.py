"""What every command shares: the group class that turns user errors into one line, and the engine.

Command modules import this; nothing outside registry.cli imports anything in it.
"""

from __future__ import annotations

import sys

import click
from click.core import ParameterSource
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from registry.core.config import database_url
from registry.core.db import make_engine
from registry.core.errors import RegistryError
from registry.ingest.audit import ENV_CURATOR, Curator, resolve_curator


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


def curator_option(command):
    """--curator NAME, for every command that writes curated data (the audit log records who)."""
    return click.option(
        "--curator", "curator_name", metavar="NAME", default=None,
        help=f"Who is curating, for the audit log (default ${ENV_CURATOR}; on SQLite, else the OS user; "
             "required on PostgreSQL).")(command)


def curator_from(engine: Engine, name: str | None) -> Curator:
    """The curator for the audit log; says so on stderr when it falls back to the OS user."""
    curator = resolve_curator(engine, name)
    if curator.notice:
        click.echo(curator.notice, err=True)
    return curator


def command_line(ctx: click.Context) -> str:
    """How the audit log names the command: its name and the arguments and options given on the command line
    (the database URL, which may hold a password, and --curator, logged on its own, are left out)."""
    parts = [ctx.info_name or ""]
    for param in ctx.command.params:
        if param.name in ("curator_name",) or ctx.get_parameter_source(param.name) != ParameterSource.COMMANDLINE:
            continue
        value = ctx.params.get(param.name)
        values = value if isinstance(value, (tuple, list)) else (value,)
        if isinstance(param, click.Argument):
            parts += [str(v) for v in values]
        elif getattr(param, "is_flag", False):
            parts.append(param.opts[0])
        else:
            parts += [f"{param.opts[0]} {v}" for v in values]
    return " ".join(parts)
