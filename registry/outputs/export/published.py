"""Export from a published file (dist/registry.db): the case table straight from its baked case_summary.

Why: from the working database the case table is rebuilt per partition by
the publish code (tables.case_table_partitions), about 1 ms per case, 50-100x
slower than `sqlite3 -csv` of the same rows. The published file already
holds case_summary, computed once by `dress-registry publish`, and every
model table beside it. Here one SELECT turns each stored value into the
exported cell, so that Python only hands a plain sqlite3 cursor to
csv.writer, chunk by chunk (flat memory; no per-row Python, which is what
costs):

* REAL values that are whole numbers come out as integers (62.0 -> 62, as
  safety.format_number writes them; other floats are written with repr);
* text that a spreadsheet would run as a formula gets the apostrophe of
  safety.neutralise (not with raw=True);
* each coded column is followed by its `_label` column: the label from
  registry.schema.vocabulary, written into the SQL as a CASE once per column;
* a NULL whose reason is recorded becomes NR / NA-SRC: an index search in
  evidence for the fact(s) of SUMMARY_MISSING_SOURCES, the smallest status
  winning (safety.pick_status), once per fact and case, and only where a
  column the fact explains is NULL (see case_table_query).

The cells are the ones the working-database export writes (a test publishes,
exports both ways and compares the files byte for byte). This module imports
neither SQLAlchemy nor the models, which take longer to import than the case
table of 10,000 cases takes to write: the columns come from the file's own
case_summary (declared types, foreign keys to vocab_* tables), and
check_published makes sure they are this version's CASE_TABLE. Only a
filtered Selection (--drug, --case, ...) imports SQLAlchemy, to compile the
same case_ids_select as the working export into SQLite SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.cases.missing import MISSING_CODES, SUBJECT_TABLES, SUMMARY_MISSING_SOURCES
from registry.cases.selection import Selection
from registry.core.sqltext import sql_literal
from registry.core.errors import RegistryError
from registry.outputs.export.safety import FORMULA_PREFIXES
from registry.outputs.export.safety import neutralise as neutralise_text
from registry.outputs.export.writers import CsvTable
from registry.outputs.formulas import formula_like
from registry.schema.vocabulary import SUSPECT_ROLES, VOCABULARIES

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

SUMMARY = "case_summary"
#: Rows fetched from the cursor and written per chunk: small enough that memory is the same at 1,000 cases
#: as at 100,000 (a chunk of 2,000 rows holds ~10 MB of Python objects), large enough to cost no time.
CHUNK = 250

_VOCAB_BY_TABLE = {v.table: name for name, v in VOCABULARIES.items()}


# ---------------------------------------------------------------------------
# The file


def open_published(path: Path) -> sqlite3.Connection:
    """A read-only connection to a published file (RegistryError, one line, if it is not one)."""
    if not path.is_file():
        raise RegistryError(f"{path}: no such file (build it with `dress-registry publish`)")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (SUMMARY,)).fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise RegistryError(f"{path} is not a SQLite file: {exc}") from None
    if not found:
        conn.close()
        raise RegistryError(f"{path} is not a published registry file (no {SUMMARY} table): build it with `dress-registry publish`")
    return conn


def is_published(path: Path) -> bool:
    """True for an existing SQLite file holding case_summary (what `dress-registry publish` writes)."""
    try:
        open_published(path).close()
        return True
    except RegistryError:
        return False


def published_engine(path: Path) -> "Engine":
    """A read-only SQLAlchemy engine on a published file, for the tables read with SQLAlchemy (the long tables,
    citations, JSON, YAML): the model tables are in the file under the same names and columns. Not make_engine:
    its WAL pragma would rewrite the header of a file datasette serves."""
    # Imported here, not at the top: the case table's fast path runs without loading SQLAlchemy (start-up time).
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine("sqlite://", creator=lambda: open_published(path), poolclass=NullPool)


def check_published(path: Path) -> None:
    """What require_head is for a working database: the file has every model table and a case_summary with
    this version's columns (a file published by another version would not match the codebook)."""
    # Start-up time: the models and the export tables load SQLAlchemy, which the fast path does without.
    from registry.outputs.export.tables import CASE_TABLE
    from registry.schema.models import published_model_tables

    conn = open_published(path)
    try:
        present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({t.name for t in published_model_tables()} - present)
        if missing:
            raise RegistryError(f"{path} is not a complete published registry file (no table {', '.join(missing)}): "
                                "build it again with `dress-registry publish`")
        if case_table_header(summary_columns(conn)) != CASE_TABLE.column_names:
            raise RegistryError(f"{path}: its {SUMMARY} columns are not this version's case table "
                                "(published by another version?): build it again with `dress-registry publish`")
    finally:
        conn.close()


@dataclass(frozen=True)
class SummaryColumn:
    name: str
    #: REAL affinity: whole numbers are written without '.0'.
    real: bool
    #: TEXT affinity: neutralised for spreadsheets.
    text: bool
    #: Vocabulary of a coded column (its foreign key to a vocab_* table): a _label column follows.
    vocab: str | None


def _affinity(declared: str) -> str:
    """SQLite's column affinity rules (https://sqlite.org/datatype3.html, 3.1), enough to tell REAL and TEXT."""
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def summary_columns(conn: sqlite3.Connection) -> list[SummaryColumn]:
    """case_summary's columns, in order, as the file declares them."""
    vocab = {fk[3]: _VOCAB_BY_TABLE.get(fk[2]) for fk in conn.execute(f"PRAGMA foreign_key_list({SUMMARY})")}
    out = []
    for _cid, name, declared, *_ in conn.execute(f"PRAGMA table_info({SUMMARY})"):
        affinity = _affinity(declared or "")
        out.append(SummaryColumn(name, affinity == "REAL", affinity == "TEXT", vocab.get(name)))
    return out


def case_table_header(columns: list[SummaryColumn]) -> list[str]:
    out: list[str] = []
    for col in columns:
        out.append(col.name)
        if col.vocab:
            out.append(f"{col.name}_label")
    return out


# ---------------------------------------------------------------------------
# The SELECT that yields the cells


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(sql_literal(v) for v in values)


def _whole(expr: str) -> str:
    """62.0 -> 62 (safety.format_number), other numbers unchanged."""
    return f"CASE WHEN {expr} = CAST({expr} AS INTEGER) AND abs({expr}) < 1e15 THEN CAST({expr} AS INTEGER) ELSE {expr} END"


_FORMULA_CODEPOINTS = ", ".join(str(ord(p)) for p in FORMULA_PREFIXES)
assert all(p < "A" for p in FORMULA_PREFIXES), "_neutral's quick test needs them to sort before 'A'"


#: safety.neutralise's rule (formula_like), registered on the connection for the rare text that starts with a prefix.
FORMULA_FUNCTION = "registry_formula_like"


def _neutral(expr: str, bare: bool) -> str:
    """safety.neutralise in SQL: an apostrophe before text that formula_like finds (a leading = + - @ tab or CR,
    not a number). Every such character sorts before 'A': that one-byte comparison and unicode() let most text
    skip the Python function."""
    return (f"CASE WHEN {expr} < 'A' AND unicode({expr}) IN ({_FORMULA_CODEPOINTS}) "
            f"AND {FORMULA_FUNCTION}({expr}, {int(bare)}) THEN '''' || {expr} ELSE {expr} END")


def _formula_like(text: Any, bare: int) -> bool:
    return isinstance(text, str) and formula_like(text, bare=bool(bare))


#: Every fact that can explain a NULL, once: (who, field).
FACTS: tuple[tuple[str, str], ...] = tuple(dict.fromkeys(f for facts in SUMMARY_MISSING_SOURCES.values() for f in facts))


def _fact_name(fact: tuple[str, str]) -> str:
    return f"_why_{fact[0]}_{fact[1]}"


def _col(name: str) -> str:
    return f'cs."{name}"'


def _any_null(columns: list[str]) -> str:
    return " OR ".join(f"{_col(c)} IS NULL" for c in columns)


def _suspect_id() -> str:
    """The case's suspect exposure, Lookups.suspect_exposures(...)[0]: the lowest seq of the first role of
    SUSPECT_ROLES the case has (one subquery per role, each reading the (case_id, seq) index in order)."""
    first = [f"(SELECT x.id FROM drug_exposures x WHERE x.case_id = cs.case_id AND x.role = {sql_literal(r)} "
             f"ORDER BY x.seq LIMIT 1)" for r in SUSPECT_ROLES]
    return f"coalesce({', '.join(first)})"


def _lookup(fact: tuple[str, str]) -> str:
    """NR / NA-SRC when the evidence records why the fact is missing, else NULL (the smallest status wins,
    as safety.pick_status).

    Evidence is matched by its subject (table, row id, field) and also by its
    case_id: the loader writes every evidence row of a case's own rows with
    that case's id, and evidence.case_id is indexed in every published file,
    while the subject index is not in files published before the copy-based
    publish; so each lookup is an index search either way.
    """
    who, field = fact
    code = " ".join(f"WHEN {sql_literal(status)} THEN {sql_literal(c)}" for status, c in MISSING_CODES.items())
    subject = "cs._suspect_id" if who == "suspect" else "cs.case_id"
    return (f"(SELECT CASE min(e.status) {code} END FROM evidence e WHERE e.case_id = cs.case_id "
            f"AND e.subject_table = {sql_literal(SUBJECT_TABLES[who])} AND e.subject_id = {subject} "
            f"AND e.field = {sql_literal(field)} AND e.status IN ({_in(tuple(MISSING_CODES))}))")


def _why(column: str) -> str | None:
    """The missing-data code of a NULL in `column`: that of the first of its facts that has one."""
    facts = SUMMARY_MISSING_SOURCES.get(column)
    if not facts:
        return None
    names = [f"r.{_fact_name(f)}" for f in facts]
    return names[0] if len(names) == 1 else f"coalesce({', '.join(names)})"


def _cells(col: SummaryColumn, neutralise: bool, bare: bool) -> list[str]:
    """The SQL of the column's cell, and of its label's cell for a coded column."""
    value = _col(col.name)
    cell = _whole(value) if col.real else _neutral(value, bare) if col.text and neutralise else value
    why = _why(col.name)
    out = [f"coalesce({cell}, {why})" if why else cell]
    if col.vocab:
        def fmt(label: str) -> str:
            return neutralise_text(label, bare=bare) if neutralise else label

        whens = " ".join(
            f"WHEN {sql_literal(t.code)} THEN {sql_literal(fmt(t.label))}" for t in VOCABULARIES[col.vocab].terms if t.label
        )
        unknown = _neutral(value, bare) if neutralise else value  # label(code) or code
        label = f"CASE {value} {whens} ELSE {unknown} END"
        out.append(f"coalesce({label}, {why})" if why else label)
    return out


def _chosen(sel: Selection) -> tuple[list[str], list[Any]]:
    """WHERE conditions on case_summary (alias cs) and their parameters."""
    conds: list[str] = []
    params: list[Any] = []
    if not sel.include_synthetic:
        conds.append("cs.is_synthetic = 0")
    if sel.filtered:
        # The filters are the working export's case_ids_select, compiled for SQLite: one definition.
        # (Imported only for a filtered export, which needs SQLAlchemy; the unfiltered one runs without: start-up time.)
        from sqlalchemy.dialects import sqlite

        from registry.cases.query import case_ids_select

        compiled = case_ids_select(sel).compile(dialect=sqlite.dialect(paramstyle="qmark"),
                                                compile_kwargs={"render_postcompile": True})
        conds.append(f"cs.case_id IN ({compiled})")
        values = compiled.construct_params()
        params += [values[name] for name in compiled.positiontup]
    return conds, params


def case_table_query(columns: list[SummaryColumn], sel: Selection, *, neutralise: bool = True,
                     bare: bool = False) -> tuple[str, list[Any]]:
    """The SELECT of the case table's cells (and its parameters), in three steps:

    1. `cs`: the chosen rows of case_summary in case_key order (its primary key index: no sort), with the
       case's suspect exposure where a column a suspect fact explains is NULL;
    2. `r`: one NR / NA-SRC code per fact of FACTS, looked up only where a column it explains is NULL;
    3. the cells, reading the row of case_summary that step 2 names by rowid.

    Steps 1 and 2 end in `LIMIT -1 OFFSET 0`, which keeps SQLite from merging them into the next step (that
    would copy each lookup into every cell that uses it): each runs as a co-routine, one row at a time, so
    nothing is materialised; CROSS JOIN keeps step 2 the outer loop, so the rows keep step 1's order.
    """
    present = {c.name for c in columns}
    users = {fact: [c for c, facts in SUMMARY_MISSING_SOURCES.items() if fact in facts and c in present] for fact in FACTS}
    users = {fact: cols for fact, cols in users.items() if cols}
    suspect_users = sorted({c for fact, cols in users.items() if fact[0] == "suspect" for c in cols})
    conds, params = _chosen(sel)
    where = f" WHERE {' AND '.join(conds)}" if conds else ""

    step1 = ["cs.rowid AS _rid", "cs.case_id", *(_col(c) for c in sorted({c for cols in users.values() for c in cols}))]
    if suspect_users:
        step1.append(f"CASE WHEN {_any_null(suspect_users)} THEN {_suspect_id()} END AS _suspect_id")
    rows = f"SELECT {', '.join(step1)} FROM {SUMMARY} AS cs{where} ORDER BY cs.case_key LIMIT -1 OFFSET 0"

    step2 = ["cs._rid", *(f"CASE WHEN {_any_null(cols)} THEN {_lookup(fact)} END AS {_fact_name(fact)}"
                          for fact, cols in users.items())]
    reasons = f"SELECT {', '.join(step2)} FROM ({rows}) AS cs LIMIT -1 OFFSET 0"

    cells = [cell for col in columns for cell in _cells(col, neutralise, bare)]
    return f"SELECT {', '.join(cells)} FROM ({reasons}) AS r CROSS JOIN {SUMMARY} AS cs ON cs.rowid = r._rid", params


def case_table_rows(conn: sqlite3.Connection, sel: Selection, *, neutralise: bool = True, bare: bool = False,
                    chunk: int = CHUNK) -> Iterator[list[tuple]]:
    """The case table's rows, as cells (see the module docstring), `chunk` rows at a time, in case_key order.
    `bare`: neutralise a lone formula character too (CSV for Excel; safety.neutralise)."""
    conn.create_function(FORMULA_FUNCTION, 2, _formula_like, deterministic=True)
    sql, params = case_table_query(summary_columns(conn), sel, neutralise=neutralise, bare=bare)
    cursor = conn.execute(sql, params)
    while rows := cursor.fetchmany(chunk):
        yield rows


def write_case_csv(path: Path, out_file: Path, sel: Selection = Selection(), *, excel: bool = False,
                   raw: bool = False) -> int:
    """The case table of the published file `path` as one CSV file (what `export --published` writes as
    case_summary.csv); returns the number of cases. The lean entry point (no SQLAlchemy unless `sel` filters)."""

    conn = open_published(path)
    try:
        columns = summary_columns(conn)
        with CsvTable(out_file, case_table_header(columns), excel=excel, neutralise=not raw) as out:
            for rows in case_table_rows(conn, sel, neutralise=not raw, bare=excel):
                out.write_cells(rows)
        return out.rows
    finally:
        conn.close()
