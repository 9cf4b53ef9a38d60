"""Where the working database is: one URL shared by the CLI, alembic and the tests."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from registry.core.errors import RegistryError

ENV_VAR = "REGISTRY_DATABASE_URL"
DEFAULT_URL = "sqlite:///registry.db"


def database_url(cli_value: str | None = None) -> str:
    """The database URL: --database, else $REGISTRY_DATABASE_URL, else ./registry.db.

    A plain file path (no '://') is taken as a SQLite file.
    """
    raw = cli_value or os.environ.get(ENV_VAR) or DEFAULT_URL
    if "://" not in raw:
        raw = f"sqlite:///{raw}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise RegistryError(f"not a database URL: {raw!r} (expected sqlite:///FILE or postgresql://HOST/DB)") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise RegistryError(f"unsupported database {url.get_backend_name()!r} in {raw!r}: use sqlite or postgresql")
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)
