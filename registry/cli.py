"""The `dress-registry` command line.

Every command takes the database from --database URL or
$REGISTRY_DATABASE_URL (default: ./registry.db). User mistakes (bad URL,
unreachable server, bad input file) end with one line on stderr and exit
code 2, never a traceback.
"""

from __future__ import annotations

import sys

import click

from registry import __version__
from registry.config import ENV_VAR, database_url
from registry.errors import RegistryError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RegistryError as exc:
            click.echo(f"dress-registry: error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="dress-registry")
@click.option("--database", "database", metavar="URL", default=None,
              help=f"Database URL (sqlite:///FILE or postgresql://HOST/DB); default ${ENV_VAR} or sqlite:///registry.db.")
@click.pass_context
def cli(ctx: click.Context, database: str | None) -> None:
    """DRESS case registry: published drug-induced DRESS cases, every fact traced to its source."""
    ctx.obj = {"database": database}


def engine_from(ctx: click.Context):
    from registry.db import make_engine

    return make_engine(database_url(ctx.obj["database"]))


@cli.group()
def db() -> None:
    """Create and migrate the working database (alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from registry import migrate

    engine = engine_from(ctx)
    migrate.upgrade(engine, revision)
    click.echo(f"database at {migrate.current_revision(engine) or 'base'} ({engine.url.render_as_string()})")


@db.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database down to REVISION ('base' empties it)."""
    from registry import migrate

    engine = engine_from(ctx)
    migrate.downgrade(engine, revision)
    click.echo(f"database at {migrate.current_revision(engine) or 'base'}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's revision and the code's head."""
    from registry import migrate

    engine = engine_from(ctx)
    rev = migrate.ensure_known_revision(engine)
    head = migrate.head_revision()
    click.echo(f"database: {rev or 'base (empty)'}\nhead:     {head}" + ("" if rev == head else "\n(run `dress-registry db upgrade`)"))


@db.command("check")
@click.pass_context
def db_check(ctx: click.Context) -> None:
    """Fail unless the database is at head and matches the models and vocabularies."""
    from registry import migrate

    migrate.check(engine_from(ctx))
    click.echo("database is at head and matches the models")


def _register() -> None:
    from registry.export.command import export_command, import_command
    from registry.publish.cli import publish, serve
    from registry.scoring.cli import score
    from registry.seedfile.command import seed
    from registry.synth import synth

    for command in (seed, score, publish, serve, export_command, import_command, synth):
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="dress-registry")


if __name__ == "__main__":
    main()
