"""The codebook: every exported column, generated from the models and the vocabularies.

Nothing here defines a column. Definitions are the models' column comments
(via registry/outputs/export/tables.py), the published case summary's descriptions
(registry/cases/summary.py) and, for the import CSV, the model columns its
cells fill (registry/ingest/csvimport.py); allowed values, labels and the
E2B(R3) / openFDA codes come from registry/schema/vocabulary.py. The codebook is
written as CSV (one row per table and column) and Markdown, and the
README of the export folder explains the files and the missing-data codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from registry.cases.completeness import CASE_FIELDS, CORE_FINDINGS, EXPOSURE_FIELDS, OUTCOME_FIELDS
from registry.cases.csvformat import IMPORT_COLUMNS, ImportColumn
from registry.cases.identity import identity_paragraphs
from registry.cases.missing import MISSING_CODES, SUMMARY_MISSING_SOURCES, missing_code_definitions
from registry.outputs.export.safety import FORMULA_PREFIXES
from registry.outputs.export.tables import (
    ALL_TABLES,
    CASE_TABLE,
    Column,
    ExportTable,
    kind_of_type,
    vocab_of_table,
)
from registry.outputs.export.writers import CsvTable
from registry.schema.vocabulary import VOCABULARIES, EvidenceStatus, Vocabulary

CODEBOOK_FIELDS = (
    "table", "column", "position", "type", "unit", "allowed_values", "missing_codes", "definition",
    "e2b_r3", "openfda", "source",
)
IMPORT_TABLE = "import_cases"
IMPORT_DESCRIPTION = (
    "The flat case CSV accepted by `dress-registry import FILE.csv`: one row per new case, with the citation of "
    "its publication, one suspect drug with its dose, indication and days, the outcome, and source_locator "
    "(where in the publication the facts are). Rows become seed-format documents and are validated by the "
    "same schema as the seed."
)

#: Value column -> the column that holds its unit.
_UNIT_COLUMNS = {
    "age_value": "age_unit", "dose_value": "dose_unit", "interval_value": "interval_unit", "value": "unit",
    "ref_low": "unit", "ref_high": "unit", "dose_at_onset_value": "dose_at_onset_unit",
}


@dataclass(frozen=True)
class Entry:
    table: str
    column: str
    position: int
    type: str
    unit: str
    allowed_values: str
    missing_codes: str
    definition: str
    e2b_r3: str
    openfda: str
    source: str

    def row(self) -> list[Any]:
        return [getattr(self, f) for f in CODEBOOK_FIELDS]


def unit_of(name: str, kind: str, siblings: set[str]) -> str:
    """The unit of a column, from its name and its table's unit columns."""
    if name in _UNIT_COLUMNS and _UNIT_COLUMNS[name] in siblings:
        return f"given in {_UNIT_COLUMNS[name]}"
    if name == "protocol_day":
        return "protocol day (day 1 = first step)"
    if kind == "integer" and (name == "day" or name.endswith("_day") or name == "onset_day"):
        return "relative day (day 1 = first dose of the suspect drug)"
    if name.endswith("_days"):
        return "days"
    if name.endswith("_minutes"):
        return "minutes"
    m = re.search(r"_(years|per_ul)$", name)
    if m:
        return {"years": "years", "per_ul": "cells/µL"}[m.group(1)]
    if name in ("year",):
        return "calendar year"
    if name == "completeness":
        return "share (0-1)"
    return ""


def _split_source(v: Vocabulary) -> tuple[str, str]:
    parts = [p.strip() for p in v.source.split(";")]
    e2b = "; ".join(p for p in parts if "E2B" in p)
    fda = "; ".join(p for p in parts if "openFDA" in p or "FAERS" in p)
    return e2b, fda


def vocabulary_mapping(v: Vocabulary) -> tuple[str, str]:
    """(E2B(R3) mapping, openFDA mapping): the standard's element and the code of each term."""
    e2b, fda = _split_source(v)
    e2b_codes = ", ".join(f"{t.code}={t.e2b_r3}" for t in v.terms if t.e2b_r3)
    fda_codes = ", ".join(f"{t.code}={t.openfda}" for t in v.terms if t.openfda)
    e2b = " ".join(x for x in (e2b, f"[{e2b_codes}]" if e2b_codes else "") if x)
    fda = " ".join(x for x in (fda, f"[{fda_codes}]" if fda_codes else "") if x)
    return e2b, fda


def allowed_codes(v: Vocabulary) -> str:
    return "; ".join(f"{t.code} = {t.label}" for t in v.terms)


def allowed_labels(v: Vocabulary) -> str:
    return "; ".join(t.label for t in v.terms)


_MISSING = "; ".join(MISSING_CODES.values())


def _can_be_missing(table: ExportTable, col: Column) -> bool:
    target = col.label_of or col.name
    if table is CASE_TABLE:
        return target in SUMMARY_MISSING_SOURCES
    base = next(c for c in table.columns if c.name == target)
    return (
        table.subject is not None and base.doc is not None and base.doc.table.name == table.subject
        and bool(base.doc.nullable) and not base.doc.primary_key
    )


def table_entries(table: ExportTable) -> list[Entry]:
    names = set(table.column_names)
    out = []
    for pos, col in enumerate(table.columns, start=1):
        kind = col.kind
        allowed, e2b, fda = "", "", ""
        if col.vocabulary:
            v = VOCABULARIES[col.vocabulary]
            allowed = allowed_labels(v) if col.label_of else allowed_codes(v)
            e2b, fda = vocabulary_mapping(v)
        elif kind == "boolean":
            allowed = "1 = true; 0 = false (JSON: true / false)"
        out.append(Entry(
            table=table.name, column=col.name, position=pos, type=kind,
            unit=unit_of(col.name, kind, names),
            allowed_values=allowed,
            missing_codes=_MISSING if _can_be_missing(table, col) else "",
            definition=col.description, e2b_r3=e2b, openfda=fda, source=col.origin,
        ))
    return out


def _import_kind(c: ImportColumn) -> str:
    if c.doc is None:
        return "code"
    if c.doc.foreign_keys and vocab_of_table(next(iter(c.doc.foreign_keys)).column.table.name):
        return "code"
    return kind_of_type(c.doc.type)


def _import_vocab(c: ImportColumn) -> Vocabulary | None:
    if c.part == "case" and c.field == "unstated":
        return VOCABULARIES["evidence_status"]
    if c.doc is not None:
        for fk in c.doc.foreign_keys:
            name = vocab_of_table(fk.column.table.name)
            if name:
                return VOCABULARIES[name]
    return None


def import_entries() -> list[Entry]:
    names = {c.name for c in IMPORT_COLUMNS}
    out = []
    for pos, c in enumerate(IMPORT_COLUMNS, start=1):
        v = _import_vocab(c)
        kind = _import_kind(c)
        allowed, e2b, fda = "", "", ""
        if v is not None:
            terms = [t for t in v.terms if not (c.field == "unstated" and t.code == EvidenceStatus.STATED)]
            allowed = "; ".join(f"{t.code} = {t.label}" for t in terms)
            e2b, fda = vocabulary_mapping(v)
        elif kind == "boolean":
            allowed = "true / false (also yes / no, 1 / 0)"
        out.append(Entry(
            table=IMPORT_TABLE, column=c.name, position=pos, type=kind, unit=unit_of(c.name, kind, names),
            allowed_values=allowed, missing_codes="",
            definition=("Required. " if c.required else "") + c.definition,
            e2b_r3=e2b, openfda=fda,
            source=f"{c.doc.table.name}.{c.doc.name}" if c.doc is not None else "registry/cases/seedschema.py (CaseIn.unstated)",
        ))
    return out


def codebook_entries() -> list[Entry]:
    out: list[Entry] = []
    for table in ALL_TABLES:
        out += table_entries(table)
    return out + import_entries()


TABLE_DESCRIPTIONS = {t.name: t.description for t in ALL_TABLES} | {IMPORT_TABLE: IMPORT_DESCRIPTION}


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") if text not in (None, "") else ""


def codebook_markdown() -> str:
    lines = [
        "# Codebook",
        "",
        "Every column of every exported table, generated from the registry's model comments "
        "and controlled vocabularies (registry/schema/models, registry/schema/vocabulary.py, registry/cases/summary.py).",
        "",
        missing_section(),
        "",
        identity_section(),
        "",
    ]
    by_table: dict[str, list[Entry]] = {}
    for e in codebook_entries():
        by_table.setdefault(e.table, []).append(e)
    for name, entries in by_table.items():
        lines += [f"## {name}", "", _md(TABLE_DESCRIPTIONS[name]), "",
                  "| # | column | type | unit | allowed values | missing codes | definition | E2B(R3) | openFDA |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for e in entries:
            lines.append("| " + " | ".join(_md(x) for x in (
                e.position, f"`{e.column}`", e.type, e.unit, e.allowed_values, e.missing_codes, e.definition,
                e.e2b_r3, e.openfda)) + " |")
        lines.append("")
    return "\n".join(lines)


def reading_section() -> str:
    codes = ", ".join(f'"{code}"' for code, _, _ in missing_code_definitions())
    return f"""## Reading the tables in pandas or R

Both read `NA` as missing by default, and `NA` is also a value here: the country code of Namibia. Tell them
the registry's own missing codes instead (an empty cell is missing too), and export with `--raw` when the
files are only for code:

```python
import pandas as pd
cases = pd.read_csv("case_summary.csv", keep_default_na=False, na_values=["", {codes}])
```

```r
cases <- read.csv("case_summary.csv", na.strings = c("", {codes}), fileEncoding = "UTF-8-BOM")
```
"""


def missing_section() -> str:
    codes = "\n".join(f"- `{code}` (evidence status `{status}`): {meaning}" for code, status, meaning in missing_code_definitions())
    return (
        "## Missing data\n\n"
        "In CSV and xlsx tables a value the registry does not have is written as:\n\n"
        f"{codes}\n"
        "- empty cell: not applicable, or no reason was recorded.\n\n"
        "The reason is taken from the evidence rows (status not_reported / not_available) for the same record and "
        "field; when sources give different reasons, not_available wins (as in the completeness counts). The "
        "`missing_codes` column of the codebook marks the columns that can hold a code; a `_label` column carries "
        "its code column's reason too. In cases.json values stay null and each record's `missing` object gives "
        "the reason (not_reported / not_available). Findings carry their status in the `status` column itself "
        f"(core findings: {', '.join(CORE_FINDINGS)}). Key facts counted by completeness: case "
        f"{', '.join(CASE_FIELDS)}; suspect exposure {', '.join(EXPOSURE_FIELDS)}; outcome {', '.join(OUTCOME_FIELDS)}."
    )


def identity_section() -> str:
    """Drug identity, ATC codes and pharmacogenetic typing (registry.cases.identity, shared with the site)."""
    return "## Drugs and genetic typing\n\n" + "\n\n".join(identity_paragraphs())


def readme(*, fmt: str, selection: str, counts: dict[str, int], files: list[str], raw: bool, excel: bool,
           exported_at: datetime | None = None) -> str:
    when = (exported_at or datetime.now(timezone.utc)).replace(microsecond=0).isoformat()
    prefixes = ", ".join(repr(p) for p in FORMULA_PREFIXES)
    count_lines = "\n".join(f"- {name}: {n:,} rows" for name, n in counts.items())
    file_lines = "\n".join(f"- `{f}`" for f in files)
    return f"""# DRESS case registry export

Exported {when} with `dress-registry export --format {fmt}`.
Cases: {selection}.

Literature cases as published, every fact traced to its source: not clinical advice.

## Files

{file_lines}

{count_lines}

## Format

- Encoding: UTF-8 everywhere{' (CSV files start with a byte-order mark for Excel)' if excel else ''}.
- CSV: RFC 4180 (fields quoted when needed, `\\r\\n` line ends), one header line.
- Days are relative days: day 1 = first dose of the suspect drug (see `day1_anchor` per case); calendar
  values are ISO 8601 (years as YYYY, this timestamp as YYYY-MM-DDThh:mm:ss+00:00). Booleans are 1 / 0
  (true / false in JSON). Decimal numbers use a point.
- Every row of every table carries `case_key`; coded columns are followed by a `_label` column.
- Column names, order, types, units, allowed values, definitions and E2B(R3) / openFDA mappings:
  `codebook.csv` / `codebook.md`. Column names and order are stable (new columns are only ever added at
  the end of a table).
- Spreadsheet safety: {'OFF (--raw): text cells are written exactly as stored.' if raw else
  f'CSV text cells starting with {prefixes} get a leading apostrophe so that a spreadsheet does not run them '
  'as formulas; numbers (also text that is a plain number, such as -3) are untouched, and so is a cell that is '
  'only one such character (the lab comparator code `=`)' + (', except in CSV for Excel (--excel)' if excel else '')
  + '; codebook.csv (the registry text) only with --excel. xlsx cells are written as stored: an xlsx '
  'text cell is never a formula. Export with --raw for the stored text.'}
- `cases.json` (with --format json) holds one nested object per case; `cases.schema.json` is its JSON Schema.
- `seed/*.yaml` (with --format yaml) is the lossless export: the registry's own seed format, which
  `dress-registry import` reads back (export, import into an empty database, export again: identical files).
- Citations of the cases' publications: `citations.ris`, `citations.bib`.
- `prisma.svg` and `prisma.json`: the PRISMA 2020 flow of the whole registry (searches, screening, inclusion;
  not only the cases selected here), computed from its data.

{missing_section()}

{reading_section()}
"""


def write_codebook(csv_path: Path, md_path: Path, *, excel: bool, neutralise: bool) -> int:
    entries = codebook_entries()
    with CsvTable(csv_path, CODEBOOK_FIELDS, excel=excel, neutralise=neutralise) as out:
        out.write_rows(e.row() for e in entries)
    md_path.write_text(codebook_markdown(), encoding="utf-8", newline="\n")
    return len(entries)
