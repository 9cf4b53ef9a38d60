"""`dress-registry db`: create, migrate and check the working database (alembic)."""

from __future__ import annotations

import click

from registry.cli.base import engine_from
from registry.schema import migrate


@click.group("db")
def db() -> None:
    """Create and migrate the working database (alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    engine = engine_from(ctx)
    migrate.upgrade(engine, revision)
    click.echo(f"database at {migrate.current_revision(engine) or 'base'} ({engine.url.render_as_string()})")


@db.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database down to REVISION ('base' empties it)."""
    engine = engine_from(ctx)
    migrate.downgrade(engine, revision)
    click.echo(f"database at {migrate.current_revision(engine) or 'base'}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's revision and the code's head."""
    engine = engine_from(ctx)
    rev = migrate.ensure_known_revision(engine)
    head = migrate.head_revision()
    click.echo(f"database: {rev or 'base (empty)'}\nhead:     {head}" + ("" if rev == head else "\n(run `dress-registry db upgrade`)"))


@db.command("check")
@click.pass_context
def db_check(ctx: click.Context) -> None:
    """Fail unless the database is at head and matches the models and vocabularies."""
    migrate.check(engine_from(ctx))
    click.echo("database is at head and matches the models")


COMMANDS = (db,)
