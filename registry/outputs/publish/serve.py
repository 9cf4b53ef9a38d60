"""How the published file is served: datasette settings, paths and the command line.

One place defines the settings, templates and plugins so that
`dress-registry serve` and the tests' in-process Datasette see the same
site. Settings are passed with --setting (datasette 0.65 has no config
file for them); metadata.json is regenerated next to the database on every
serve so descriptions always match the installed code.

datasette runs in the published folder and opens the file by its bare name
(`-i registry.db`): what it shows of the path (/-/databases.json, errors)
then says nothing about the server's folders. (`pragma_database_list`
reads back NULL: registry.outputs.publish.guard.)

Ad-hoc SQL runs in a second datasette process (`start_adhoc_server`): the
same site on a Unix socket, at a lower CPU priority (`ADHOC_NICE`), to which
the public server forwards every `?sql=` request (registry.outputs.publish.web).
A query that runs to the time limit then holds nothing of the process that
serves the pages: measured with 50 readers beside clients sending the slowest
legal queries, it was this, not CPU, that pushed the pages' p99 to 3 s
(bench/RESULTS.md). The ad-hoc process ends when the server does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from registry.core.errors import RegistryError
from registry.outputs.publish.metadata import build_metadata
from registry.outputs.publish.site import (
    ADHOC_PARENT_ENV,
    ADHOC_PID_ENV,
    ADHOC_SOCKET_ENV,
    DATABASE,
    DB_NAME,
    DOWNLOAD_MOUNT,
    FILES_DIR,
    FILES_MOUNT,
    INSPECT_NAME,
    METADATA_NAME,
    STATIC_MOUNT,
)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
PLUGINS_DIR = PACKAGE_DIR / "plugins"
STATIC_DIR = PACKAGE_DIR / "static"

#: Chosen for a small, read-only registry (hundreds of cases):
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 3000,     # generous for ad-hoc SQL, still stops runaway queries
    "max_returned_rows": 2000,     # above the registry's size for any baked table page
    "allow_csv_stream": True,      # _stream=on exports every row, not just max_returned_rows
    # case_summary as CSV is ~0.7 KB per case (~65 MB at 100,000 cases): the cap leaves room for
    # ~300,000 cases and still stops a runaway export of the evidence table (~4 million rows at 100,000
    # cases; `dress-registry export` is the way to take it whole).
    "max_csv_mb": 200,
    "suggest_facets": False,       # only the curated facets from metadata
    "default_facet_size": 15,
    "default_page_size": 50,
    "facet_time_limit_ms": 500,
    "allow_download": True,        # reviewers may take the whole immutable file
    "default_cache_ttl": 3600,     # the data only change with a new publish
    "truncate_cells_html": 120,    # long titles, summaries and notes shortened in table views (full text on the case page, JSON and CSV)
}
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
#: How much lower the ad-hoc SQL process runs than the pages (os.nice increment).
ADHOC_NICE = 10
ADHOC_SOCKET_NAME = "adhoc.sock"


def setting_value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def published_paths(out_dir: Path) -> tuple[Path, Path]:
    db_path = out_dir / DB_NAME
    if not db_path.exists():
        raise RegistryError(f"no published registry at {db_path}: run `dress-registry publish --out {out_dir}` first")
    return db_path, out_dir / METADATA_NAME


def _files_mount(out_dir: Path) -> list[tuple[str, str]]:
    """The build's own files (prisma.svg, prisma.json), served at /registry-files/ when the build has them."""
    folder = out_dir / FILES_DIR
    return [(FILES_MOUNT, str(folder.resolve()))] if folder.is_dir() else []


def refresh_metadata(out_dir: Path) -> dict[str, Any]:
    db_path, metadata_path = published_paths(out_dir)
    meta = build_metadata(db_path)
    metadata_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta


def inspect_file(out_dir: Path) -> Path | None:
    """The row counts publish wrote beside the file, if they are this file's (same size); else None."""
    db_path, path = out_dir / DB_NAME, out_dir / INSPECT_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        ok = data[DATABASE]["size"] == db_path.stat().st_size
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return path if ok else None


def datasette_kwargs(out_dir: Path, *, refresh: bool = True) -> dict[str, Any]:
    """Arguments for datasette.app.Datasette that reproduce `serve` in-process (tests); refresh=False serves
    the metadata.json beside the file as it is (a release: `serve --release`)."""
    db_path, metadata_path = published_paths(out_dir)
    inspect = inspect_file(out_dir)
    return {
        "immutables": [str(db_path)],
        "inspect_data": json.loads(inspect.read_text(encoding="utf-8")) if inspect else None,
        "metadata": refresh_metadata(out_dir) if refresh else json.loads(metadata_path.read_text(encoding="utf-8")),
        "template_dir": str(TEMPLATES_DIR),
        "plugins_dir": str(PLUGINS_DIR),
        "static_mounts": static_mounts(out_dir),
        "settings": dict(SETTINGS),
    }


def static_mounts(out_dir: Path) -> list[tuple[str, str]]:
    """The site's own assets, the build's files (PRISMA), and the review package publish wrote beside the file."""
    mounts = [(STATIC_MOUNT, str(STATIC_DIR)), *_files_mount(out_dir)]
    if (out_dir / DOWNLOAD_MOUNT).is_dir():
        mounts.append((DOWNLOAD_MOUNT, str((out_dir / DOWNLOAD_MOUNT).resolve())))
    return mounts


def serve_argv(out_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
               uds: Path | None = None) -> list[str]:
    """The datasette command line that serves the published file; run it in `out_dir` (exec_datasette does).
    With `uds`, it listens on that Unix socket instead of host and port (the ad-hoc SQL process)."""
    db_path, metadata_path = published_paths(out_dir)
    listen = ["--uds", str(uds)] if uds is not None else ["--host", host, "--port", str(port)]
    argv = [
        sys.executable, "-m", "datasette", "serve",
        "-i", db_path.name,
        "--metadata", str(metadata_path.resolve()),
        "--template-dir", str(TEMPLATES_DIR),
        "--plugins-dir", str(PLUGINS_DIR),
        *[a for mount, folder in static_mounts(out_dir) for a in ("--static", f"{mount}:{folder}")],
        *listen,
    ]
    inspect = inspect_file(out_dir)
    if inspect is not None:
        argv += ["--inspect-file", str(inspect.resolve())]
    for name, value in SETTINGS.items():
        argv += ["--setting", name, setting_value(value)]
    return argv


def _lower_priority() -> None:
    os.nice(ADHOC_NICE)


def start_adhoc_server(out_dir: Path, parent_pid: int) -> tuple[subprocess.Popen, Path]:
    """Start the ad-hoc SQL process for the build in `out_dir` (in that folder, on a socket in a private
    temporary folder); it ends by itself when the process `parent_pid` ends. Returns it and its socket,
    to be given to the public server in ADHOC_SOCKET_ENV."""
    socket_path = Path(tempfile.mkdtemp(prefix="registry-adhoc-")) / ADHOC_SOCKET_NAME
    env = {**os.environ, ADHOC_PARENT_ENV: str(parent_pid), ADHOC_SOCKET_ENV: str(socket_path)}
    proc = subprocess.Popen(serve_argv(out_dir, uds=socket_path), cwd=out_dir, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, preexec_fn=_lower_priority)
    return proc, socket_path


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def exec_datasette(argv: list[str], out_dir: Path) -> None:
    """Start the ad-hoc SQL process, then replace this process with datasette in `out_dir`, so signals
    and the process id are datasette's own (and the ad-hoc process is its child)."""
    adhoc, socket_path = start_adhoc_server(out_dir, os.getpid())
    os.environ[ADHOC_SOCKET_ENV] = str(socket_path)
    os.environ[ADHOC_PID_ENV] = str(adhoc.pid)
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(out_dir)
    os.execv(argv[0], argv)
