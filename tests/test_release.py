"""`dress-registry release` and `serve --release`: two releases of real builds, their notes (exact), the files,
checksums and read-only folders, and the refusals."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from registry.outputs.publish.serve import datasette_kwargs, serve_argv
from registry.outputs.release.freeze import release_dir, releases, version_key
from tests.helpers import SEED_DIR, run_cli, seed_counts

NOTES_1_1_0 = """\
# DRESS case registry 1.1.0

Released {date}; {cases} cases from {pubs} publications; changes since release 1.0.0.

## Cases: 1 added, 1 changed, 1 withdrawn

- added: zgolli2019-1
- withdrawn: benami2018-1
- changed: park2021-1
  - case.onset_day: 15 → 14
  - evidence lab 17 (stated, park2021, Case Presentation, para 3-4).value_as_stated: 22 U/L → 23 U/L
  - lab 17.value: 22.0 → 23.0

## Publications: 1 added, 1 changed, 1 withdrawn

- added: zgolli2019
- withdrawn: benami2018
- changed: park2021
  - cites benami2018: removed
  - cites zgolli2019: added

## PRISMA 2020 counts

- Identification: Records identified (n = 0):
- Identification: Records removed before screening:
  - Duplicate records removed (n = 0)
  - Already in the registry (n = 0)
- Screening: Records screened (n = 0)
- Screening: Records excluded (n = 0)
- Screening: Reports sought for retrieval (n = 0)
- Screening: Reports not retrieved (n = 0)
- Screening: Reports assessed for eligibility (n = 0)
- Screening: Reports excluded (n = 0)
- Included: Reports included (n = 0)
  - In the registry (n = 0), with 0 case(s)
- Included: Registry total:
  - {pubs} publication(s), {cases} case(s)
- Included: Already in the registry before screening:
  - {pubs} publication(s), {cases} case(s)
"""


def _counts_without(leave_out: str) -> tuple[int, int]:
    """(publications, cases) of the shipped seed without one publication, counted from the files."""
    counts = seed_counts()
    gone = yaml.safe_load((SEED_DIR / f"{leave_out}.yaml").read_text(encoding="utf-8")).get("cases") or []
    return counts.publications - 1, counts.cases - len(gone)


def _seed_dir(folder: Path, leave_out: str, edit=lambda doc: None) -> Path:
    """The shipped seed without one publication (and every citation of it), park2021 edited (in place, on the
    loaded YAML)."""
    folder.mkdir()
    for f in SEED_DIR.glob("*.yaml"):
        if f.stem == leave_out:
            continue
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        cites = doc.get("cites") or []
        kept = [c for c in cites if c.get("pub") != leave_out]
        if f.stem == "park2021":
            edit(doc)
        elif kept == cites:
            (folder / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
            continue
        if cites:
            doc["cites"] = kept
        (folder / f.name).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


def _publish(tmp: Path, name: str, seed: Path) -> None:
    url = f"sqlite:///{tmp / name}.db"
    assert run_cli(url, "db", "upgrade").exit_code == 0
    for args in (("seed", "--dir", str(seed)), ("publish", "-q", "--out", str(tmp / "dist"))):
        result = run_cli(url, *args)
        assert result.exit_code == 0, result.output


def _release(tmp: Path, *args: str):
    return run_cli(f"sqlite:///{tmp / 'unused.db'}", "release", *args, "--out", str(tmp / "dist"),
                   "--releases-dir", str(tmp / "releases"))


def _edit_park(doc: dict) -> None:
    """park2021-1 starts on day 14 (not 15), and its last GGT reads 23 U/L (not 22)."""
    case = next(c for c in doc["cases"] if c["key"] == "park2021-1")
    assert case["onset_day"] == 15
    case["onset_day"] = 14
    [lab] = [lab for lab in case["labs"] if lab["analyte"] == "ggt" and lab["value"] == 22]
    lab["value"] = 23
    [src] = [src for src in lab["src"] if src["as"] == "22 U/L"]
    src["as"] = "23 U/L"


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory) -> Path:
    """Release 1.0.0 of the seed without zgolli2019; release 1.1.0 adds it, withdraws benami2018 and changes
    park2021-1's onset and a lab value."""
    tmp = tmp_path_factory.mktemp("releases")
    _publish(tmp, "one", _seed_dir(tmp / "seed-one", "zgolli2019"))
    first = _release(tmp, "1.0.0")
    assert first.exit_code == 0, first.output
    _publish(tmp, "two", _seed_dir(tmp / "seed-two", "benami2018", _edit_park))
    second = _release(tmp, "1.1.0", "--notes-out", str(tmp / "notes.md"))
    assert second.exit_code == 0, second.output
    assert second.output.strip().endswith("changes since 1.0.0")
    return tmp


def test_release_notes_between_two_releases(two_releases):
    folder = two_releases / "releases" / "1.1.0"
    notes = (folder / "RELEASE-NOTES.md").read_text(encoding="utf-8")
    pubs, cases = _counts_without("benami2018")
    assert notes == NOTES_1_1_0.format(date=_release_row(folder)["released"], pubs=pubs, cases=cases)
    assert (two_releases / "notes.md").read_text(encoding="utf-8") == notes
    first = (two_releases / "releases" / "1.0.0" / "RELEASE-NOTES.md").read_text(encoding="utf-8")
    first_cases = _counts_without("zgolli2019")[1]
    assert f"## Cases: {first_cases} added, 0 changed, 0 withdrawn" in first and "- added: benami2018-1" in first


def _release_row(folder: Path) -> dict:
    conn = sqlite3.connect(f"file:{folder / 'registry.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM registry_release").fetchone())
    finally:
        conn.close()


def test_release_files_checksums_and_citation(two_releases):
    folder = two_releases / "releases" / "1.1.0"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["registry.db", "metadata.json", "RELEASE-NOTES.md", "CITATION.cff", "SHA256SUMS"])
    sums = dict(reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {"registry.db", "metadata.json", "RELEASE-NOTES.md", "CITATION.cff"}
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    row = _release_row(folder)
    pubs, cases = _counts_without("benami2018")
    assert (row["version"], row["previous_version"], row["cases"], row["publications"]) == ("1.1.0", "1.0.0", cases, pubs)
    assert row["notes"] == (folder / "RELEASE-NOTES.md").read_text(encoding="utf-8")
    cff = yaml.safe_load((folder / "CITATION.cff").read_text(encoding="utf-8"))
    assert (cff["cff-version"], cff["type"], cff["version"], cff["license"]) == ("1.2.0", "dataset", "1.1.0", "CC-BY-4.0")
    assert str(cff["date-released"]) == row["released"] and cff["authors"]


def test_releases_are_read_only_and_never_rewritten(two_releases):
    for version in ("1.0.0", "1.1.0"):
        folder = two_releases / "releases" / version
        assert not folder.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        for f in folder.iterdir():
            assert not f.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), f
    before = {p.name: p.read_bytes() for p in (two_releases / "releases" / "1.0.0").iterdir()}
    again = _release(two_releases, "1.0.0")
    assert again.exit_code == 2
    assert again.output.strip() == (f"dress-registry: error: release 1.0.0 exists already "
                                    f"({two_releases / 'releases' / '1.0.0'}); releases are never rewritten: "
                                    "choose a new version")
    assert {p.name: p.read_bytes() for p in (two_releases / "releases" / "1.0.0").iterdir()} == before
    assert releases(two_releases / "releases") == ["1.0.0", "1.1.0"]


@pytest.mark.parametrize("args, message", [
    (("v1.2",), "not a release version: 'v1.2' (expected MAJOR.MINOR.PATCH, e.g. 1.0.0 or 1.1.0-rc.1)"),
    (("1.0",), "not a release version: '1.0' (expected MAJOR.MINOR.PATCH, e.g. 1.0.0 or 1.1.0-rc.1)"),
    (("1.0.1",), "release 1.0.1 is not above the latest release, 1.1.0"),
])
def test_bad_versions_are_refused(two_releases, args, message):
    result = _release(two_releases, *args)
    assert result.exit_code == 2 and result.output.strip() == f"dress-registry: error: {message}"
    assert releases(two_releases / "releases") == ["1.0.0", "1.1.0"]


def test_missing_or_synthetic_build_is_refused(tmp_path):
    result = _release(tmp_path, "1.0.0")
    assert result.exit_code == 2
    assert result.output.strip() == (f"dress-registry: error: no published build at {tmp_path / 'dist' / 'registry.db'}: "
                                     "run `dress-registry publish` first")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    for args in (("db", "upgrade"), ("synth", "--cases", "3", "--quiet"),
                 ("publish", "-q", "--allow-synthetic", "--out", str(tmp_path / "dist"))):
        assert run_cli(url, *args).exit_code == 0
    result = _release(tmp_path, "1.0.0")
    assert result.exit_code == 2 and "synthetic cases (built with --allow-synthetic)" in result.output
    assert not (tmp_path / "releases" / "1.0.0").exists()


def test_version_order():
    ordered = ["0.9.0", "1.0.0-rc.1", "1.0.0-rc.2", "1.0.0", "1.0.1", "1.10.0"]
    assert sorted(reversed(ordered), key=version_key) == ordered


async def test_serve_a_release(two_releases):
    """`serve --release 1.0.0` serves the earlier release's file, as released, after a newer one was made."""
    folder = release_dir(two_releases / "releases", "1.0.0")
    argv = serve_argv(folder)
    # run in the release folder (exec_datasette), so the file is named relative to it
    assert argv[argv.index("-i") + 1] == "registry.db" and str((folder / "metadata.json").resolve()) in argv
    ds = Datasette(**datasette_kwargs(folder, refresh=False))
    page = await ds.client.get("/registry/registry_release.json?_shape=array")
    assert page.status_code == 200
    assert [(r["version"], r["previous_version"]) for r in page.json()] == [("1.0.0", None)]
    cases = await ds.client.get("/registry/cases.json?_shape=array&_col=case_key")
    assert "benami2018-1" in {r["case_key"] for r in cases.json()}
    missing = run_cli("sqlite:///unused.db", "serve", "--release", "3.0.0", "--releases-dir",
                      str(two_releases / "releases"))
    assert missing.exit_code == 2
    assert missing.output.strip() == (f"dress-registry: error: no release 3.0.0 in {two_releases / 'releases'}/ "
                                      "(releases: 1.0.0, 1.1.0)")
