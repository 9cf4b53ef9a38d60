"""The review package: the export folders written from a freshly published file, for the site to serve.

`dress-registry publish` (registry/cli/publish.py) calls `write_review_package` after the build:
the coded CSV files, the xlsx workbook and the JSON with its schema (each folder with its
codebook, missing-data codes, RIS and BibTeX, written by registry.outputs.export from the
published file), a README with recipes for reading the missing-data codes in pandas and R,
an index page, and everything as one zip. `serve` mounts the folder at /download/.
Publish and export stay independent of each other: only this module sees both sides' results.
"""

from __future__ import annotations

import html
import shutil
import tempfile
import zipfile
from pathlib import Path

from registry.cases.missing import missing_code_definitions
from registry.outputs.export.folder import write_export
from registry.outputs.publish.site import DOWNLOAD_MOUNT as PACKAGE_DIR
from registry.outputs.publish.site import PACKAGE_NAME
#: (folder, export format, what it is for)
PARTS = (
    ("csv", "csv", "CSV files, one per table, UTF-8 with a byte-order mark (opens in Excel; formula-like text is neutralised)"),
    ("xlsx", "xlsx", "one Excel workbook, a sheet per table plus the codebook"),
    ("json", "json", "cases.json (one nested object per case) and its JSON Schema"),
)


def _readme(version_line: str) -> str:
    codes = "\n".join(f"- `{code}`: {meaning}" for code, _, meaning in missing_code_definitions())
    na = ", ".join(f'"{code}"' for code, _, _ in missing_code_definitions())
    return f"""# DRESS case registry: review package

{version_line}

- `csv/`: {PARTS[0][2]}
- `xlsx/`: {PARTS[1][2]}
- `json/`: {PARTS[2][2]}
- each folder: `codebook.csv` and `codebook.md` (every column: definition, type, unit, allowed codes),
  `citations.ris` and `citations.bib` (every source), and a README.
- `{PACKAGE_NAME}.zip`: all of the above.

## Missing values

A blank cell is a value nobody recorded. A missing value whose reason is known carries a code:

{codes}

pandas:

```python
import pandas as pd
cases = pd.read_csv("csv/case_summary.csv", na_values=[{na}], keep_default_na=False, encoding="utf-8-sig")
reasons = pd.read_csv("csv/case_summary.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")  # the codes kept
```

R:

```r
cases <- read.csv("csv/case_summary.csv", na.strings = c("", {na}), fileEncoding = "UTF-8-BOM")
```

Published cases are a selected sample, not a measure of how often DRESS occurs; check the
original articles before relying on any value. Data licence: CC BY 4.0.
"""


def _index_html(root: Path, version_line: str) -> str:
    e = html.escape
    items = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "index.html"):
        rel = path.relative_to(root).as_posix()
        items.append(f'<li><a href="{e(rel)}">{e(rel)}</a> ({path.stat().st_size:,} bytes)</li>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Download: DRESS case registry review package</title>
<link rel="stylesheet" href="/-/static/app.css"><link rel="stylesheet" href="/registry-assets/registry.css"></head>
<body><header><nav><p class="crumbs"><a href="/">home</a></p></nav></header>
<main class="content"><h1>Download the registry for R or Excel</h1>
<p>{e(version_line)}</p>
<p><a href="{PACKAGE_NAME}.zip"><strong>Everything as one zip</strong></a> &middot; <a href="README.md">README with pandas and R recipes for the missing-data codes</a></p>
<p>The CSV folder has the coded tables with a codebook (codebook.csv) and missing-data codes; the same in one
xlsx workbook; cases.json with its schema; every source as RIS and BibTeX.</p>
<ul>{"".join(items)}</ul></main></body></html>
"""


def current_package(db_path: Path, out_dir: Path) -> Path | None:
    """The review package in out_dir, if it was written after the file at db_path was put in place (so from it)."""
    target = out_dir / PACKAGE_DIR
    if (target / f"{PACKAGE_NAME}.zip").is_file() and target.stat().st_mtime >= db_path.stat().st_mtime:
        return target
    return None


def write_review_package(db_path: Path, out_dir: Path, version_line: str) -> Path:
    """Write out_dir/download/ from the published file at db_path (replacing an earlier one); returns the folder."""
    target = out_dir / PACKAGE_DIR
    for stale in out_dir.glob(f".{PACKAGE_DIR}.*"):  # left by a publish that was killed while writing it
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{PACKAGE_DIR}.", dir=out_dir))
    try:
        for folder, fmt, _ in PARTS:
            write_export(db_path, tmp / folder, fmt=fmt, excel=(fmt == "csv"))
        (tmp / "README.md").write_text(_readme(version_line), encoding="utf-8", newline="\n")
        with zipfile.ZipFile(tmp / f"{PACKAGE_NAME}.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(p for p in tmp.rglob("*") if p.is_file() and not p.name.endswith(".zip")):
                zf.write(path, f"{PACKAGE_NAME}/{path.relative_to(tmp).as_posix()}")
        (tmp / "index.html").write_text(_index_html(tmp, version_line), encoding="utf-8")
        tmp.chmod(0o755)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
        return target
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
