"""An export folder, written from the working database or a published file.

`dress-registry export` (registry/cli/export.py) writes a folder: the tables (CSV files, one xlsx workbook, cases.json
with its schema, or the lossless seed-format YAML), always with
codebook.csv, codebook.md, citations.ris, citations.bib and README.md. The
folder is built under a temporary name and moved into place when complete.

The source is the working database, or a published file (`--published
dist/registry.db`, or a --database URL naming one): the same folder, byte
for byte, but the case table is read from the file's baked case_summary
(registry/outputs/export/published.py) instead of being rebuilt case by case: 0.5 s
instead of 10-15 s at 10,000 cases. The other tables are read the same way from
either source: the published file holds every model table.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from registry.cases.query import case_ids_select
from registry.cases.seedformat import SEED_SUBDIR, write_documents
from registry.cases.selection import Selection
from registry.core.errors import RegistryError
from registry.core.progress import Progress, quiet
from registry.outputs.export.citations import write_citations
from registry.outputs.export.codebook import CODEBOOK_FIELDS, codebook_entries, readme, write_codebook
from registry.outputs.export.jsonschema import write_json, write_schema
from registry.outputs.export.published import case_table_rows, check_published, published_engine
from registry.outputs.export.tables import ALL_TABLES, CASE_TABLE, ExportTable, table_partitions
from registry.outputs.export.writers import CsvTable, XlsxBook
from registry.outputs.prisma import PRISMA_FILES, write_prisma
from registry.schema.migrate import require_head
from registry.schema.models.tables import C

FORMATS = ("csv", "xlsx", "json", "yaml")
MARKER = ".dress-registry-export"
XLSX_NAME = "registry.xlsx"


@dataclass
class ExportResult:
    out: Path
    cases: int
    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def _exported_at() -> datetime:
    # SOURCE_DATE_EPOCH (reproducible builds) pins the timestamp in README.md.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc)


def _check_case_keys(conn, sel: Selection) -> None:
    if not sel.case_keys:
        return
    found = {k for (k,) in conn.execute(select(C.c.case_key).where(C.c.case_key.in_(sel.case_keys)))}
    unknown = [k for k in sel.case_keys if k not in found]
    if unknown:
        raise RegistryError(f"no case with key {', '.join(repr(k) for k in unknown)}")


def export_steps(fmt: str) -> int:
    """Steps of an export in this format, for the progress bar (one per table file or sheet, then the rest)."""
    return {"csv": len(ALL_TABLES), "xlsx": len(ALL_TABLES) + 1}.get(fmt, 1) + 2


def write_export(source: Engine | Path, out: Path, *, fmt: str = "csv", sel: Selection = Selection(),
                 excel: bool = False, raw: bool = False, overwrite: bool = False,
                 progress: Progress | None = None) -> ExportResult:
    """Write an export folder from a working database (Engine) or a published file (Path); nothing appears at
    `out` unless the whole export succeeds."""

    if fmt not in FORMATS:
        raise RegistryError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not overwrite:
            raise RegistryError(f"{out} exists and is not empty: choose a new folder, or --overwrite an earlier export")
        if not (out / MARKER).exists():
            raise RegistryError(f"{out} is not an earlier dress-registry export (no {MARKER}); not overwriting it")
    if isinstance(source, Path):
        check_published(source)
        engine = published_engine(source)
    else:
        require_head(source)
        engine = source
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the export is an ordinary folder
    try:
        result = _write(engine, tmp, fmt=fmt, sel=sel, excel=excel, raw=raw, published=isinstance(source, Path),
                        progress=progress or quiet())
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
        result.out = out
        return result
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if engine is not source:
            engine.dispose()


def _partitions(conn, table: ExportTable, ids, sel: Selection, *, published: bool, neutralise: bool,
                bare: bool = False) -> Iterator[list]:
    """The table's rows, one partition at a time. From a published file the case table comes as finished
    cells (numbers formatted, text neutralised unless raw: see CsvTable.write_cells) from its case_summary."""
    if published and table is CASE_TABLE:
        return case_table_rows(conn.connection.driver_connection, sel, neutralise=neutralise, bare=bare)
    return ([r.cells(table) for r in part] for part in table_partitions(conn, table, ids))


def _write(engine: Engine, folder: Path, *, fmt: str, sel: Selection, excel: bool, raw: bool,
           published: bool, progress: Progress) -> ExportResult:

    neutralise = not raw and fmt == "csv"
    result = ExportResult(folder, 0)
    with engine.connect() as conn:
        _check_case_keys(conn, sel)
        ids = case_ids_select(sel)
        if fmt == "csv":
            for table in ALL_TABLES:
                name = f"{table.name}.csv"
                with progress.step(name), \
                        CsvTable(folder / name, table.column_names, excel=excel, neutralise=neutralise) as out:
                    write = out.write_cells if published and table is CASE_TABLE else out.write_rows
                    for rows in _partitions(conn, table, ids, sel, published=published, neutralise=neutralise,
                                            bare=excel):
                        write(rows)
                result.counts[table.name] = out.rows
                result.files.append(name)
        elif fmt == "xlsx":
            book = XlsxBook(folder / XLSX_NAME)
            try:
                for table in ALL_TABLES:
                    with progress.step(f"sheet {table.name}"):
                        sheet = book.sheet(table.name, table.column_names)
                        for rows in _partitions(conn, table, ids, sel, published=published, neutralise=False):
                            sheet.write_rows(rows)  # xlsx strings are never formulas: nothing to neutralise
                        result.counts[table.name] = sheet.rows
                sheet = book.sheet("codebook", CODEBOOK_FIELDS)
                sheet.write_rows(e.row() for e in codebook_entries())
            finally:
                with progress.step(f"writing {XLSX_NAME}"):
                    book.close()
            result.files.append(XLSX_NAME)
        elif fmt == "json":
            with progress.step("cases.json"):
                result.counts["cases"] = write_json(conn, ids, folder / "cases.json")
            write_schema(folder / "cases.schema.json")
            result.files += ["cases.json", "cases.schema.json"]
        else:
            with progress.step("seed documents"):
                n_docs, n_cases = write_documents(conn, sel, folder / SEED_SUBDIR)
            result.counts["publications (seed documents)"] = n_docs
            result.counts["cases"] = n_cases
            result.files.append(f"{SEED_SUBDIR}/*.yaml")
        with progress.step("codebook and citations"):
            # The codebook is the registry's own text (codes such as the comparator "=" lead some of its cells):
            # neutralised only for Excel.
            n_entries = write_codebook(folder / "codebook.csv", folder / "codebook.md", excel=excel,
                                       neutralise=excel and not raw)
            n_pubs = write_citations(conn, ids, folder / "citations.ris", folder / "citations.bib")
        with progress.step("PRISMA flow"):
            write_prisma(conn, folder)

        result.cases = conn.execute(select(func.count()).select_from(C).where(C.c.id.in_(ids))).scalar_one()
    result.counts["codebook entries"] = n_entries
    result.counts["cited publications"] = n_pubs
    result.files += ["codebook.csv", "codebook.md", "citations.ris", "citations.bib", *PRISMA_FILES, "README.md"]
    (folder / "README.md").write_text(
        readme(fmt=fmt, selection=f"{result.cases} ({sel.describe()})", counts=result.counts, files=result.files,
               raw=raw, excel=excel, exported_at=_exported_at()),
        encoding="utf-8", newline="\n",
    )
    (folder / MARKER).write_text("dress-registry export\n", encoding="utf-8")
    return result
