"""Shared fixtures: real databases, migrated by the real migrations.

The migrations run once per test session on each backend, into a template
that every test then gets a copy of (the way pypi/warehouse does it):

- SQLite: a template file migrated to head, closed with its WAL checkpointed
  away, copied to a fresh file per test.
- PostgreSQL: a template database migrated to head, copied per test with
  `CREATE DATABASE ... TEMPLATE` into a fresh database; the copies are
  dropped together when the session ends (see `DatabaseTemplates.drop`).

A test module whose tests all start from the same data (the seed, say) builds
it once per module on top of the migrated template and clones that instead
(`DatabaseTemplates.module_template`, `clone_database`); every test still gets
its own copy, so a test that writes changes nothing for the next one. Only
PostgreSQL tests marked `read_only` share one copy per template, which
refuses writes.

`sqlite_url`, `postgres_url` and `backend_url` stay empty and unmigrated (a new
file; a fresh, empty schema), for the tests of the migrations and the tests
that migrate for themselves. `engine` and `sqlite_engine` are migrated (head).

PostgreSQL runs on the server named by $REGISTRY_TEST_POSTGRES_URL (default:
the local server at 127.0.0.1:5432, database test); where no server answers
those tests skip with the reason, unless $REGISTRY_REQUIRE_POSTGRES=1 (CI),
where they fail.
"""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from registry.core.config import database_url
from registry.core.db import make_engine, temporary_postgres_schema
from registry.schema import migrate

from tests.helpers import BACKENDS

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Property tests draw the same examples on every run (reproducible CI);
# explore new ones locally with --hypothesis-seed=N.
hypothesis_settings.register_profile("registry", derandomize=True, deadline=None)
hypothesis_settings.load_profile("registry")


def _pg_server_url() -> str:
    return database_url(os.environ.get("REGISTRY_TEST_POSTGRES_URL", DEFAULT_PG))


def _pg_unavailable_reason() -> str | None:
    engine = make_engine(_pg_server_url())
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"no PostgreSQL server at {_pg_server_url()}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()


_PG_REASON: str | None | bool = False


def require_postgres() -> None:
    global _PG_REASON
    if _PG_REASON is False:
        _PG_REASON = _pg_unavailable_reason()
    if _PG_REASON:
        if os.environ.get("REGISTRY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here (REGISTRY_REQUIRE_POSTGRES=1): {_PG_REASON}")
        pytest.skip(_PG_REASON)


# -- templates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A database nobody writes to any more, to copy per test: a SQLite file or a PostgreSQL database name."""

    backend: str
    location: str
    #: Whatever the function that filled it returned (ids, say).
    info: Any = None


def _freeze_sqlite(path: Path) -> None:
    """Make `path` a self-contained file: every page in it, no -wal or -shm beside it, and read-only."""
    gc.collect()  # engines nobody disposed (the CLI's) close their connections
    conn = sqlite3.connect(path)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    assert busy == 0, f"{path} is still in use"
    for suffix in ("-wal", "-shm", "-journal"):
        assert not Path(f"{path}{suffix}").exists(), f"{path}{suffix} is left: a connection is still open"
    path.chmod(0o444)


class DatabaseTemplates:
    """The session's templates: made once, copied per test, dropped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._migrated: dict[str, Template] = {}
        self._admin: Engine | None = None
        self._names = itertools.count(1)
        self._token = uuid.uuid4().hex[:8]
        self._to_drop: list[str] = []
        self._next: dict[str, Future[str]] = {}
        self._background = ThreadPoolExecutor(1, thread_name_prefix="copy-test-databases")
        self._shared: dict[str, str] = {}

    # PostgreSQL: CREATE/DROP DATABASE cannot run in a transaction block.
    def admin(self) -> Engine:
        if self._admin is None:
            self._admin = make_engine(_pg_server_url(), isolation_level="AUTOCOMMIT")
        return self._admin

    def _pg_url(self, name: str) -> str:
        return make_url(_pg_server_url()).set(database=name).render_as_string(hide_password=False)

    def _new_name(self, kind: str) -> str:
        return f"registry_{kind}_{self._token}_{next(self._names)}"

    def url(self, template: Template) -> str:
        if template.backend == "sqlite":
            return f"sqlite:///{template.location}"
        return self._pg_url(template.location)

    def copy(self, template: Template, sqlite_path: Path | None = None, kind: str = "test") -> str:
        """A new database holding what `template` holds; its URL."""
        if template.backend == "sqlite":
            dest = sqlite_path or self.folder / f"{self._new_name(kind)}.db"
            assert not dest.exists(), dest
            shutil.copyfile(template.location, dest)  # content only: the copy is writable
            return f"sqlite:///{dest}"
        self.admin()
        if kind != "test":
            return self._create(template, kind)
        # The next test most likely wants a copy of the same template: made while this one runs.
        ready = self._next.pop(template.location, None)
        url = ready.result() if ready is not None else self._create(template, kind)
        self._next[template.location] = self._background.submit(self._create, template, kind)
        return url

    def _create(self, template: Template, kind: str) -> str:
        name = self._new_name(kind)
        with self.admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.location}"'))
        return self._pg_url(name)

    def drop(self, url: str) -> None:
        """Drop a copy when the session ends (SQLite files stay in pytest's temporary folders)."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "postgresql":
            self._to_drop.append(parsed.database)

    #: DROP DATABASE makes the server checkpoint, which takes a second or more while other clients
    #: write, and a checkpoint while the tests run slows every CREATE DATABASE down. So the copies
    #: are dropped when the session ends, all at once as far as the server's connection limit
    #: allows (leaving others room): drops that wait together share a checkpoint.
    MAX_DROP_THREADS = 48
    SPARE_CONNECTIONS = 20

    def _drop_all(self) -> None:
        names, self._to_drop = self._to_drop, []
        if not names:
            return
        with self.admin().connect() as conn:
            free = conn.execute(
                text("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
            ).scalar_one()
        # Under pytest-xdist every worker drops its own copies at about the same time: share the room.
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        threads = max(1, min(len(names), self.MAX_DROP_THREADS // workers, (free - self.SPARE_CONNECTIONS) // workers))
        engine = make_engine(_pg_server_url(), isolation_level="AUTOCOMMIT", pool_size=threads)

        def drop_now(name: str) -> str | None:
            try:
                with engine.connect() as conn:
                    # FORCE: engines that were never disposed (the CLI's) may still hold idle connections.
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return None
            except Exception as exc:  # noqa: BLE001 - reported below, after the others are dropped
                return f"{name}: {exc}"

        try:
            with ThreadPoolExecutor(threads) as pool:
                errors = [e for e in pool.map(drop_now, names) if e]
        finally:
            engine.dispose()
        assert not errors, f"could not drop test databases: {errors}"

    def freeze(self, url: str, info: Any = None) -> Template:
        """Make the database at `url` a template: nobody connected, nothing left in a WAL."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            path = Path(parsed.database)
            _freeze_sqlite(path)
            return Template("sqlite", str(path), info)
        name = parsed.database
        gc.collect()
        with self.admin().connect() as conn:
            for _ in range(100):
                others = conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
                ).all()
                if not others:
                    break
                time.sleep(0.05)
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        return Template("postgresql", name, info)

    def migrated(self, backend: str) -> Template:
        """The session's database at head on `backend`, migrated on first use."""
        if backend not in self._migrated:
            if backend == "sqlite":
                url = f"sqlite:///{self.folder / 'migrated.db'}"
            else:
                name = self._new_name("head")
                with self.admin().connect() as conn:
                    # The encoding and locale of the database the tests were pointed at.
                    encoding, collate, ctype = conn.execute(text(
                        "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database"
                        " WHERE datname = current_database()"
                    )).one()
                    conn.execute(text(
                        f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'{encoding}\''
                        f" LC_COLLATE '{collate}' LC_CTYPE '{ctype}'"
                    ))
                url = self._pg_url(name)
            engine = make_engine(url)
            try:
                migrate.upgrade(engine)
            except BaseException:
                engine.dispose()
                self.drop(url)
                raise
            engine.dispose()
            self._migrated[backend] = self.freeze(url)
        return self._migrated[backend]

    def derive(self, backend: str, fill: Callable[[Engine], Any]) -> Template:
        """A template holding the migrated database plus what `fill(engine)` writes into it."""
        url = self.copy(self.migrated(backend), kind="data")
        engine = make_engine(url)
        try:
            info = fill(engine)
        except BaseException:
            engine.dispose()
            self.drop(url)
            raise
        engine.dispose()
        return self.freeze(url, info)

    def module_template(self, request: pytest.FixtureRequest, fill: Callable[[Engine], Any]) -> Template:
        """For a module-scoped fixture parametrized with BACKENDS: `derive` on the fixture's backend."""
        if request.param == "postgresql":
            require_postgres()
        template = self.derive(request.param, fill)
        request.addfinalizer(lambda: self.drop_template(template))
        return template

    def shared_read_only(self, template: Template) -> str:
        """One copy of a PostgreSQL template for every test that only reads it; it refuses writes."""
        if template.location not in self._shared:
            url = self.copy(template, kind="shared")
            with self.admin().connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{make_url(url).database}" SET default_transaction_read_only = on'))
            self._shared[template.location] = url
        return self._shared[template.location]

    def drop_template(self, template: Template) -> None:
        if template.location in self._shared:
            self.drop(self._shared.pop(template.location))
        self.drop(self.url(template))

    def close(self) -> None:
        self._background.shutdown()
        for ready in self._next.values():
            if ready.exception() is None:  # a copy that could not be made needs no dropping
                self.drop(ready.result())
        for template in self._migrated.values():
            self.drop_template(template)
        try:
            self._drop_all()
        finally:
            if self._admin is not None:
                self._admin.dispose()


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory) -> Iterator[DatabaseTemplates]:
    templates = DatabaseTemplates(tmp_path_factory.mktemp("db-templates"))
    yield templates
    templates.close()


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "read_only: the test only reads its database; on PostgreSQL such tests share one copy of the "
        "template per module, which refuses writes (SQLite copies are cheap and stay one per test)",
    )
    # Commands that write curated data name their curator in the audit log; on PostgreSQL they refuse to run
    # without one. The suite's commands write as "test-suite" unless a test says otherwise (tests/test_audit.py
    # takes it away to see the refusal and the OS-user fallback).
    os.environ.setdefault("REGISTRY_CURATOR", "test-suite")


@pytest.fixture
def clone_database(request, db_templates) -> Iterator[Callable[[Template], Engine]]:
    """clone_database(template) -> an engine on this test's own copy of `template`.

    The first SQLite copy of a test is the file of `sqlite_url`. A PostgreSQL
    test marked read_only gets the template's shared read-only copy instead.
    The engines are disposed when the test ends (the PostgreSQL copies are
    dropped when the session ends)."""
    made: list[tuple[Engine, str | None]] = []

    def clone(template: Template) -> Engine:
        path = None
        if template.backend == "sqlite":
            path = Path(request.getfixturevalue("sqlite_url").removeprefix("sqlite:///"))
            if path.exists():
                path = None
        else:
            require_postgres()
            if request.node.get_closest_marker("read_only"):
                engine = make_engine(db_templates.shared_read_only(template))
                made.append((engine, None))
                return engine
        url = db_templates.copy(template, path)
        engine = make_engine(url)
        made.append((engine, url))
        return engine

    yield clone
    for engine, url in made:
        engine.dispose()
        if url is not None:
            db_templates.drop(url)


# -- the fixtures tests use ---------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A new, empty SQLite file (not created yet)."""
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema, dropped afterwards."""
    require_postgres()
    with temporary_postgres_schema(_pg_server_url(), "t") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend_url(request) -> str:
    """Runs the test once on SQLite and once on PostgreSQL, on an empty, unmigrated database."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(params=BACKENDS)
def engine(request, db_templates, clone_database) -> Engine:
    """A migrated (head) database on each backend (SQLite: the file of `sqlite_url`)."""
    if request.param == "postgresql":
        require_postgres()
    return clone_database(db_templates.migrated(request.param))


@pytest.fixture
def sqlite_engine(db_templates, clone_database) -> Engine:
    """A migrated (head) SQLite database only, the file of `sqlite_url`."""
    return clone_database(db_templates.migrated("sqlite"))
