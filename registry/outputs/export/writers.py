"""Writers for tabular output: CSV (RFC 4180) and xlsx (streamed).

CSV: UTF-8 (with a byte-order mark when `excel=True`, so Excel picks the
encoding), the csv module's RFC 4180 quoting and `\\r\\n` line ends, empty
cells for None, 1/0 for booleans, plain decimal numbers.

xlsx: xlsxwriter in constant_memory mode, which flushes each row to disk as
soon as the next one starts, so a sheet of any length takes the memory of one
row. Numbers are written as numbers, text as text (never as a formula, URL
or number), one sheet per table.

CSV neutralises formula-like text cells unless `neutralise=False` (--raw); xlsx never needs to
(its strings are never formulas): see registry/outputs/export/safety.py.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from registry.core.errors import RegistryError
from registry.outputs.export.safety import cell_text

#: Excel's limits.
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELL_CHARS = 32_767


class CsvTable:
    """One CSV file, written row by row."""

    def __init__(self, path: Path, header: Sequence[str], *, excel: bool = False, neutralise: bool = True) -> None:
        self.path = path
        self.neutralise = neutralise
        self.excel = excel
        self._fh = path.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="")
        self._writer = csv.writer(self._fh, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self._writer.writerow(list(header))
        self.rows = 0

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        n, bare = self.neutralise, self.excel
        batch = [[cell_text(v, neutralise_formulas=n, bare=bare) for v in row] for row in rows]
        self._writer.writerows(batch)
        self.rows += len(batch)

    def write_cells(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows already made into cells (registry/outputs/export/published.py does it in SQL): ints, non-integral
        floats (the csv module writes their repr, as format_number does), text and None; written as they are."""
        self._writer.writerows(rows)
        self.rows += len(rows)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "CsvTable":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _xlsxwriter():
    try:
        import xlsxwriter  # only for --format xlsx, which is the one writer that needs it
    except ImportError:  # pragma: no cover - depends on the environment
        raise RegistryError("--format xlsx needs the xlsxwriter package: pip install xlsxwriter") from None
    return xlsxwriter


class XlsxBook:
    """One workbook; sheets are written one after another, each streamed row by row."""

    def __init__(self, path: Path) -> None:
        xlsxwriter = _xlsxwriter()
        self.path = path
        self._book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": True,
        })
        self._bold = self._book.add_format({"bold": True})

    def sheet(self, name: str, header: Sequence[str]) -> "XlsxSheet":
        return XlsxSheet(self, name, header)

    def close(self) -> None:
        self._book.close()


class XlsxSheet:
    def __init__(self, book: XlsxBook, name: str, header: Sequence[str]) -> None:
        self.book = book
        self.name = name
        self._ws = book._book.add_worksheet(name[:31])
        self._ws.freeze_panes(1, 0)
        for col, text in enumerate(header):
            self._ws.write_string(0, col, text, book._bold)
        self.rows = 0

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        ws = self._ws
        for row in rows:
            self.rows += 1
            r = self.rows
            if r >= XLSX_MAX_ROWS:
                raise RegistryError(
                    f"sheet {self.name} has more than {XLSX_MAX_ROWS - 1:,} rows, Excel's limit: use --format csv"
                )
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_number(r, c, int(value))
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                else:
                    text = value if isinstance(value, str) else str(value)
                    if len(text) > XLSX_MAX_CELL_CHARS:
                        raise RegistryError(
                            f"sheet {self.name}, row {r + 1}: a text of {len(text):,} characters is over Excel's "
                            f"{XLSX_MAX_CELL_CHARS:,}-character cell limit: use --format csv"
                        )
                    ws.write_string(r, c, text)
