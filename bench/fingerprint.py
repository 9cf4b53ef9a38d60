"""Fingerprint everything the registry produces, to prove a restructuring changed none of it.

    python -m bench.fingerprint --cli .venv/bin/dress-registry --out before.json
    ... change the code ...
    python -m bench.fingerprint --cli .venv/bin/dress-registry --out after.json --compare before.json

For the seed, and for the seed plus a synthetic registry (`--synth N`, default
2,000 cases), it runs the real commands in a scratch folder (db upgrade, seed,
synth, score --store, publish, export in every format from the working
database and from the published file) and records a SHA-256 per published
table (every row, in a fixed order, with its column names), of the datasette
metadata.json beside it, and per export file. Only the `dress-registry`
executable is used, so the same script fingerprints any version of the code. SOURCE_DATE_EPOCH pins the one
timestamp an export writes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

EXPORTS = (
    ("csv", ["--format", "csv"]),
    ("csv-excel", ["--format", "csv", "--excel"]),
    ("csv-raw", ["--format", "csv", "--raw"]),
    ("xlsx", ["--format", "xlsx"]),
    ("json", ["--format", "json"]),
    ("yaml", ["--format", "yaml"]),
    ("csv-imatinib", ["--format", "csv", "--drug", "imatinib"]),
)
# An xlsx file is a zip whose entries carry the time they were written; compare its cells instead.
XLSX = ".xlsx"


def _run(cli: str, cwd: Path, *args: str) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764547200", "REGISTRY_DATABASE_URL": "sqlite:///registry.db"}
    proc = subprocess.run([cli, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")


#: Columns that record when or with what a file was built, not what it says: left out of the fingerprint.
BUILD_COLUMNS = {"cases": ("facts_changed_at",)}
#: Tables of the same kind (what the build was made with).
BUILD_TABLES = ("build_info",)


def _table_hashes(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    names = [n for (n,) in conn.execute(
        "select name from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' order by name")]
    for name in names:
        if name in BUILD_TABLES:
            continue
        skip = BUILD_COLUMNS.get(name, ())
        cols = [r[1] for r in conn.execute(f'pragma table_info("{name}")') if r[1] not in skip]
        cur = conn.execute(f'select {", ".join(chr(34) + c + chr(34) for c in cols)} from "{name}"')
        cols = [d[0] for d in cur.description]
        rows = sorted(repr(r) for r in cur)
        digest = hashlib.sha256(repr(cols).encode())
        for r in rows:
            digest.update(r.encode())
        out[name] = f"{len(rows)}:{digest.hexdigest()[:16]}"
    conn.close()
    return out


def _xlsx_cells(path: Path) -> str:
    import zipfile

    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for info in sorted(z.infolist(), key=lambda i: i.filename):
            if info.filename.startswith("docProps/"):
                continue  # creation time
            digest.update(info.filename.encode())
            digest.update(z.read(info))
    return digest.hexdigest()[:16]


def _folder_hashes(folder: Path, pattern: str = "*") -> dict[str, str]:
    out = {}
    for f in sorted(p for p in folder.rglob(pattern) if p.is_file()):
        rel = str(f.relative_to(folder))
        out[rel] = _xlsx_cells(f) if f.suffix == XLSX else hashlib.sha256(f.read_bytes()).hexdigest()[:16]
    return out


def fingerprint(cli: str, synth: int, seed_dir: Path) -> dict:
    result: dict = {}
    for label, n in (("seed", 0), (f"seed+synth{synth}", synth)):
        with tempfile.TemporaryDirectory(prefix="fingerprint.") as tmp:
            work = Path(tmp)
            _run(cli, work, "db", "upgrade")
            _run(cli, work, "seed", "--dir", str(seed_dir))
            extra: list[str] = []
            if n:
                _run(cli, work, "synth", "--cases", str(n), "--seed", "7", "--quiet")
                extra = ["--include-synthetic"]
            _run(cli, work, "score", "--store")
            _run(cli, work, "publish", "--quiet", *(["--allow-synthetic"] if n else []))
            part: dict = {"published": _table_hashes(work / "dist" / "registry.db"),
                          "published metadata": _folder_hashes(work / "dist", "metadata.json")}
            for name, args in EXPORTS:
                _run(cli, work, "export", *args, *extra, "--out", f"x-{name}", "--quiet")
                part[f"export {name}"] = _folder_hashes(work / f"x-{name}")
                _run(cli, work, "export", *args, *extra, "--published", "dist/registry.db",
                     "--out", f"p-{name}", "--quiet")
                part[f"export --published {name}"] = _folder_hashes(work / f"p-{name}")
            result[label] = part
    return result


def compare(before: dict, after: dict) -> list[str]:
    diffs = []
    for label in sorted(set(before) | set(after)):
        b, a = before.get(label, {}), after.get(label, {})
        for group in sorted(set(b) | set(a)):
            gb, ga = b.get(group, {}), a.get(group, {})
            for key in sorted(set(gb) | set(ga)):
                if gb.get(key) != ga.get(key):
                    diffs.append(f"{label} / {group} / {key}: {gb.get(key)} -> {ga.get(key)}")
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", default=str(Path(sys.executable).with_name("dress-registry")))
    parser.add_argument("--synth", type=int, default=2000)
    parser.add_argument("--seed-dir", type=Path, default=Path(__file__).resolve().parent.parent / "seed" / "publications")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path, help="an earlier fingerprint: print every difference, exit 1 if any")
    args = parser.parse_args(argv)
    result = fingerprint(args.cli, args.synth, args.seed_dir.resolve())
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    counted = sum(len(g) for part in result.values() for g in part.values())
    print(f"{counted} tables and files fingerprinted into {args.out}")
    if args.compare:
        diffs = compare(json.loads(args.compare.read_text()), result)
        for d in diffs:
            print(d)
        print(f"{len(diffs)} differences from {args.compare}")
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
