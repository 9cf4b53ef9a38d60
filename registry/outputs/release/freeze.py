"""`dress-registry release VERSION`: freeze the current published build as releases/VERSION/.

The folder holds:

* registry.db: a copy of dist/registry.db with a `registry_release` table
  (version, date, previous release, counts and the notes) recording which
  release it is;
* metadata.json: the build's datasette metadata, describing that table too,
  so `dress-registry serve --release VERSION` serves the release as it was;
* RELEASE-NOTES.md: cases and publications added, changed (field by field)
  and withdrawn since the previous release (registry.outputs.release.notes);
* CITATION.cff: how to cite this version;
* SHA256SUMS: the SHA-256 of every other file (`sha256sum -c SHA256SUMS`).

It is written under a temporary name and renamed into place when complete;
then every file and the folder are made read-only. A release is never
rewritten: a version that exists is refused, and so is one not above the
latest release.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from registry.core.errors import RegistryError
from registry.outputs.publish.site import DATABASE, DB_NAME, METADATA_NAME
from registry.outputs.release.notes import ReleaseInfo, release_notes

RELEASE_TABLE = "registry_release"
NOTES_NAME = "RELEASE-NOTES.md"
CITATION_NAME = "CITATION.cff"
CHECKSUMS_NAME = "SHA256SUMS"
DEFAULT_RELEASES_DIR = Path("releases")

#: MAJOR.MINOR.PATCH, optionally with a pre-release tag (semantic versioning): 1.0.0, 1.1.0-rc.1.
_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$")

_RELEASE_COLUMNS = {
    "version": "This file's release of the registry (semantic version).",
    "released": "Date of the release (UTC, YYYY-MM-DD).",
    "previous_version": "The release before it (NULL for the first); the notes list the changes since.",
    "cases": "Cases in this release.",
    "publications": "Publications in this release.",
    "notes": "The release notes (Markdown): cases and publications added, changed and withdrawn.",
}


def version_key(version: str) -> tuple:
    """Order of versions: numbers compared as numbers; a pre-release before its release."""
    m = _VERSION.match(version)
    if m is None:
        raise RegistryError(f"not a release version: {version!r} (expected MAJOR.MINOR.PATCH, e.g. 1.0.0 or 1.1.0-rc.1)")
    major, minor, patch, pre = m.groups()
    pre_key = () if pre is None else tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), pre is None, pre_key)


def releases(releases_dir: Path) -> list[str]:
    """The versions released in `releases_dir`, oldest first."""
    if not releases_dir.is_dir():
        return []
    found = [p.name for p in releases_dir.iterdir() if p.is_dir() and _VERSION.match(p.name) and (p / DB_NAME).exists()]
    return sorted(found, key=version_key)


def release_dir(releases_dir: Path, version: str) -> Path:
    """The folder of an existing release (for `serve --release`)."""
    version_key(version)
    path = releases_dir / version
    if not (path / DB_NAME).exists():
        known = ", ".join(releases(releases_dir)) or "none"
        raise RegistryError(f"no release {version} in {releases_dir}/ (releases: {known})")
    return path


@dataclass
class Release:
    version: str
    path: Path
    previous: str | None
    notes: str
    files: list[str]


def _check_build(build: Path) -> tuple[int, int]:
    if not build.exists():
        raise RegistryError(f"no published build at {build}: run `dress-registry publish` first")
    try:
        conn = sqlite3.connect(f"file:{build}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"case_summary", "cases", "publications"} <= tables:
                raise RegistryError(f"{build} is not a published registry file (no case_summary): "
                                    "build it with `dress-registry publish`")
            if RELEASE_TABLE in tables:
                raise RegistryError(f"{build} is already a release's file: release the build in dist/ instead")
            synthetic = conn.execute("SELECT count(*) FROM cases WHERE is_synthetic").fetchone()[0]
            if synthetic:
                raise RegistryError(f"{build} holds {synthetic} synthetic cases (built with --allow-synthetic); "
                                    "publish without it before releasing")
            return (conn.execute("SELECT count(*) FROM cases").fetchone()[0],
                    conn.execute("SELECT count(*) FROM publications").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RegistryError(f"{build}: not a readable SQLite file ({exc})") from None


def _citation(version: str, released: str, template: Path | None) -> str:
    base: dict[str, Any] = {}
    if template is not None and template.exists():
        try:
            loaded = yaml.safe_load(template.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise RegistryError(f"{template}: not a readable CITATION.cff ({exc})") from None
        if isinstance(loaded, dict):
            base = {k: loaded[k] for k in ("authors", "repository-code", "url", "keywords", "contact") if k in loaded}
    cff = {
        "cff-version": "1.2.0",
        "message": "If you use these data, please cite this release of the registry.",
        "type": "dataset",
        "title": "DRESS case registry: published cases of drug reaction with eosinophilia and systemic symptoms",
        "version": version,
        "date-released": released,
        "license": "CC-BY-4.0",
        "authors": base.pop("authors", [{"name": "DRESS case registry curators"}]),
        **base,
        "abstract": ("Published case reports of drug-induced DRESS, curated into structured facts (drugs, doses, "
                     "latency, re-exposure, treatment, outcome), each traced to its place in the source."),
    }
    return yaml.safe_dump(cff, allow_unicode=True, sort_keys=False)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _record_release(db: Path, info: ReleaseInfo, notes: str) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute(f"CREATE TABLE {RELEASE_TABLE} (version TEXT PRIMARY KEY, released TEXT NOT NULL, "
                     "previous_version TEXT, cases INTEGER NOT NULL, publications INTEGER NOT NULL, notes TEXT NOT NULL)")
        conn.execute(f"INSERT INTO {RELEASE_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
                     (info.version, info.released, info.previous, info.cases, info.publications, notes))
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()


def _metadata(build_dir: Path, info: ReleaseInfo) -> dict[str, Any]:
    path = build_dir / METADATA_NAME
    if not path.exists():
        raise RegistryError(f"no {METADATA_NAME} beside the build in {build_dir}: run `dress-registry publish` again")
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["title"] = f"{meta.get('title', 'DRESS case registry')}, release {info.version}"
    tables = meta.setdefault("databases", {}).setdefault(DATABASE, {}).setdefault("tables", {})
    tables[RELEASE_TABLE] = {"description": f"Which release of the registry this file is ({info.version}, "
                                            f"{info.released}), with its release notes.",
                             "columns": dict(_RELEASE_COLUMNS)}
    return meta


def _read_only(folder: Path) -> None:
    for p in folder.iterdir():
        p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


def make_release(version: str, *, build_dir: Path, releases_dir: Path = DEFAULT_RELEASES_DIR,
                 citation_template: Path | None = None, released: str | None = None) -> Release:
    """Freeze `build_dir`/registry.db as `releases_dir`/`version`/ (see the module's docstring)."""
    key = version_key(version)
    target = releases_dir / version
    if target.exists():
        raise RegistryError(f"release {version} exists already ({target}); releases are never rewritten: "
                            "choose a new version")
    build = build_dir / DB_NAME
    n_cases, n_pubs = _check_build(build)
    earlier = releases(releases_dir)
    if earlier and version_key(earlier[-1]) >= key:
        raise RegistryError(f"release {version} is not above the latest release, {earlier[-1]}")
    previous = earlier[-1] if earlier else None
    released = released or datetime.now(UTC).date().isoformat()
    info = ReleaseInfo(version, released, previous, n_cases, n_pubs)
    meta = _metadata(build_dir, info)

    releases_dir.mkdir(parents=True, exist_ok=True)
    partial = releases_dir / f".{version}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    try:
        db = partial / DB_NAME
        shutil.copyfile(build, db)
        notes = release_notes(info, build, releases_dir / previous / DB_NAME if previous else None)
        _record_release(db, info, notes)
        (partial / METADATA_NAME).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (partial / NOTES_NAME).write_text(notes, encoding="utf-8")
        (partial / CITATION_NAME).write_text(_citation(version, released, citation_template), encoding="utf-8")
        files = [DB_NAME, METADATA_NAME, NOTES_NAME, CITATION_NAME]
        (partial / CHECKSUMS_NAME).write_text("".join(f"{_sha256(partial / f)}  {f}\n" for f in files), encoding="utf-8")
        _read_only(partial)
        os.rename(partial, target)
    except BaseException:
        if partial.exists():
            partial.chmod(stat.S_IRWXU)
            shutil.rmtree(partial, ignore_errors=True)
        raise
    return Release(version, target, previous, notes, [*files, CHECKSUMS_NAME])
