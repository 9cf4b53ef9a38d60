"""Alembic environment for the registry.

The connection normally comes from registry.schema.migrate (config.attributes);
when alembic is run by hand, the URL comes from the same place the CLI
takes it from (registry.core.config.database_url).
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

import registry.schema.models  # noqa: F401  (registers every table on the MetaData)
from registry.core.config import database_url
from registry.core.db import make_engine, metadata

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# Tables that live in a database but are not ours to migrate: SQLite's
# internals, alembic's leftovers after a failed batch operation, FTS indexes.
_FOREIGN_PREFIXES = ("sqlite_", "_alembic_tmp_")


def include_name(name, type_, parent_names):
    if type_ == "table" and name is not None:
        return not name.startswith(_FOREIGN_PREFIXES) and "_fts" not in name
    return True


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        include_name=include_name,
        transaction_per_migration=False,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or database_url()
    engine = make_engine(url)
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
