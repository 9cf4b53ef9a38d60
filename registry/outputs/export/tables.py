"""The exported tables: the flat case table and the long tables, with pinned columns.

Every table is declared once here, as an ordered list of columns. Each column
names the model column it comes from, and that column's `comment=` is its
definition in the codebook (no second copy); coded columns are followed by a
`<column>_label` column with the vocabulary label. The order is part of the
export format and a test pins it: add columns at the end of a table, never
rename or reorder.

The flat case table (`case_summary`) is the published case summary
(registry/cases/summary.py): same columns, same order, same definitions,
built by the same code, plus the `_label` columns. (Exporting from a
published file reads it from the file instead: registry/outputs/export/published.py.)

Rows are read with a streaming cursor (`stream_results` + `yield_per`) and
handed on one partition at a time, so memory stays flat however large the
registry grows; per partition, one query fetches the reasons for the
missing values (evidence with status not_reported / not_available).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Boolean, Float, Integer, Select, String, bindparam, func, literal, select, text
from sqlalchemy import Column as SAColumn
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

import registry.schema.models  # noqa: F401  (registers every table on the MetaData)
from registry.cases.completeness import SUSPECT_ROLES, Completeness, case_completeness, completeness_sql
from registry.cases.evidence_wording import EVIDENCE_SUBJECT_SQL, fact_name
from registry.cases.lookups import Lookups
from registry.cases.missing import MISSING_STATUSES, SUBJECT_TABLES, SUMMARY_MISSING_SOURCES, missing_code, pick_status
from registry.cases.query import order_text
from registry.cases.scoring.flags import score_disagreements
from registry.cases.snapshot import Snapshot, load_cases
from registry.cases.summary import CASE_SUMMARY, case_summary_rows
from registry.core.db import metadata
from registry.schema.fields import fact_names, record_fields
from registry.schema.models.tables import AI, CH, CP, DR, GT, INV, LAB, PR, ST, TR, A, C, D, E, F, O, P, X
from registry.schema.models.vocab import VOCAB_TABLES
from registry.schema.vocabulary import VOCABULARIES, CaseLinkRole

#: Rows fetched from the cursor per partition.
CHUNK = 1000
#: Cases per partition for the case table and the JSON (each case pulls its child rows).
CASE_CHUNK = 200


_VOCAB_BY_TABLE = {v.table: name for name, v in VOCABULARIES.items()}


def vocab_of_table(table_name: str) -> str | None:
    return _VOCAB_BY_TABLE.get(table_name)


# ---------------------------------------------------------------------------
# Column and table declarations


def kind_of_type(sql_type) -> str:
    """The codebook's type name for a column's SQL type."""
    if isinstance(sql_type, Boolean):
        return "boolean"
    if isinstance(sql_type, Integer):
        return "integer"
    if isinstance(sql_type, Float):
        return "number"
    return "text"


@dataclass(frozen=True)
class Column:
    """One exported column.

    `doc` is the model column whose comment defines it (and whose evidence
    rows can explain a NULL); `definition` is used only where no model column
    exists (derived values: labels, references, the case summary).
    """

    name: str
    doc: SAColumn | None = None
    definition: str | None = None
    vocab: str | None = None
    type: str | None = None
    label_of: str | None = None
    #: Where the value comes from, for the codebook (model table.column, or "derived").
    source: str | None = None
    #: The JSON object leaves this column out (it is implied by the nesting).
    nested_key: bool = False

    @property
    def vocabulary(self) -> str | None:
        if self.vocab:
            return self.vocab
        if self.doc is not None:
            for fk in self.doc.foreign_keys:
                name = vocab_of_table(fk.column.table.name)
                if name:
                    return name
        return None

    @property
    def kind(self) -> str:
        """integer, number, boolean, code or text."""
        if self.type:
            return self.type
        if self.label_of:
            return "text"
        if self.vocabulary:
            return "code"
        if self.doc is not None:
            return kind_of_type(self.doc.type)
        return "text"

    @property
    def description(self) -> str:
        if self.definition:
            return self.definition
        if self.doc is not None and self.doc.comment:
            return self.doc.comment
        raise ValueError(f"column {self.name} has no definition")  # a test makes sure this never happens

    @property
    def origin(self) -> str:
        if self.source:
            return self.source
        if self.doc is not None:
            return f"{self.doc.table.name}.{self.doc.name}"
        return "derived"


def label_column(code: Column) -> Column:
    vocab = VOCABULARIES[code.vocabulary]
    return Column(
        f"{code.name}_label",
        definition=f"Label of {code.name} (vocabulary {vocab.title}, table {vocab.table}).",
        label_of=code.name,
        vocab=code.vocabulary,
        source=f"{vocab.table}.label",
        nested_key=True,
    )


def with_labels(columns: list[Column]) -> tuple[Column, ...]:
    out: list[Column] = []
    for col in columns:
        out.append(col)
        if col.vocabulary and col.kind == "code":
            out.append(label_column(col))
    return tuple(out)


@dataclass(frozen=True)
class ExportTable:
    name: str
    description: str
    columns: tuple[Column, ...]
    #: Model table whose evidence explains missing values (rows carry its id as _subject_id).
    subject: str | None
    #: Builds the SELECT (labelled columns + _subject_id) for the chosen cases.
    build: Callable[[Select, str], Select] = field(repr=False, compare=False, default=None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def value_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.label_of]


def _select(cols: list[tuple[Column, ColumnElement]], subject_id: ColumnElement | None) -> Select:
    exprs = [expr.label(col.name) for col, expr in cols]
    if subject_id is not None:
        exprs.append(subject_id.label("_subject_id"))
    return select(*exprs)


def _table(name: str, description: str, subject: str | None,
           cols: list[tuple[Column, ColumnElement]],
           finish: Callable[[Select, Select, str], Select],
           subject_id: ColumnElement | None) -> ExportTable:
    def build(case_ids: Select, dialect: str) -> Select:
        return finish(_select(cols, subject_id), case_ids, dialect)

    return ExportTable(name, description, with_labels([c for c, _ in cols]), subject, build)


def _c(name: str, expr: ColumnElement, doc: SAColumn | None = None, **kw: Any) -> tuple[Column, ColumnElement]:
    if doc is None and isinstance(expr, SAColumn):
        doc = expr
    return Column(name, doc=doc, **kw), expr


def KEY() -> tuple[Column, ColumnElement]:
    return _c("case_key", C.c.case_key)


def XSEQ() -> tuple[Column, ColumnElement]:
    """The parent exposure's seq in its child tables (implied by the nesting in JSON)."""
    return _c("exposure_seq", X.c.seq, nested_key=True)


def XDRUG() -> tuple[Column, ColumnElement]:
    return _c("drug", D.c.name, nested_key=True)


def _case_details() -> ExportTable:
    cols = [KEY()] + [
        _c(n, C.c[n]) for n in (
            "label_in_source", "age_value", "age_unit", "age_is_approximate", "sex", "country",
            "diagnosis_as_reported", "registry_diagnosis", "day1_anchor", "onset_day", "onset_is_approximate",
            "summary", "is_synthetic",
        )
    ]
    return _table(
        "case_details", C.comment, "cases", cols,
        lambda s, ids, dl: s.where(C.c.id.in_(ids)).order_by(order_text(C.c.case_key, dl)),
        C.c.id,
    )


def _publications() -> ExportTable:
    cols = [
        KEY(),
        _c("publication_key", P.c.key),
        _c("role", CP.c.role),
        _c("label_in_publication", CP.c.label_in_publication),
    ] + [
        _c(n, P.c[n]) for n in (
            "authors", "title", "title_english", "journal", "year", "volume", "issue", "pages", "doi", "pmid",
            "pmcid", "language", "article_type", "url", "licence", "source_access",
        )
    ]
    return _table(
        "publications", CP.comment, "publications", cols,
        lambda s, ids, dl: s.select_from(CP.join(C, C.c.id == CP.c.case_id).join(P, P.c.id == CP.c.publication_id))
        .where(CP.c.case_id.in_(ids))
        .order_by(order_text(C.c.case_key, dl), CP.c.role != CaseLinkRole.PRIMARY_REPORT, order_text(P.c.key, dl)),
        P.c.id,
    )


def _exposures() -> ExportTable:
    cols = [
        KEY(), _c("exposure_seq", X.c.seq), _c("drug", D.c.name), _c("drug_class", D.c.drug_class),
        _c("atc_code", D.c.atc_code),
    ] + [
        _c(n, X.c[n]) for n in fact_names(X)
    ]
    return _table(
        "exposures", X.comment, "drug_exposures", cols,
        lambda s, ids, dl: s.select_from(X.join(C, C.c.id == X.c.case_id).join(D, D.c.id == X.c.drug_id))
        .where(X.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), X.c.seq),
        X.c.id,
    )


def _doses() -> ExportTable:
    cols = [KEY(), XSEQ(), XDRUG(), _c("dose_seq", DR.c.seq)] + [
        _c(n, DR.c[n]) for n in fact_names(DR)
    ]
    return _table(
        "dose_regimens", DR.comment, "dose_regimens", cols,
        lambda s, ids, dl: s.select_from(
            DR.join(X, X.c.id == DR.c.exposure_id).join(C, C.c.id == X.c.case_id).join(D, D.c.id == X.c.drug_id)
        ).where(X.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), X.c.seq, DR.c.seq),
        DR.c.id,
    )


def _challenges() -> ExportTable:
    cols = [KEY(), XSEQ(), XDRUG(), _c("challenge_seq", CH.c.seq)] + [
        _c(n, CH.c[n]) for n in fact_names(CH)
    ]
    return _table(
        "challenge_events", CH.comment, "challenge_events", cols,
        lambda s, ids, dl: s.select_from(
            CH.join(X, X.c.id == CH.c.exposure_id).join(C, C.c.id == X.c.case_id).join(D, D.c.id == X.c.drug_id)
        ).where(X.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), X.c.seq, CH.c.seq),
        CH.c.id,
    )


def _steps() -> ExportTable:
    cols = [KEY(), XSEQ(), XDRUG(), _c("challenge_seq", CH.c.seq, nested_key=True), _c("step_number", ST.c.step_number)] + [
        _c(n, ST.c[n]) for n in fact_names(ST)
    ]
    return _table(
        "challenge_steps", ST.comment, "challenge_steps", cols,
        lambda s, ids, dl: s.select_from(
            ST.join(CH, CH.c.id == ST.c.challenge_id).join(X, X.c.id == CH.c.exposure_id)
            .join(C, C.c.id == X.c.case_id).join(D, D.c.id == X.c.drug_id)
        ).where(X.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), X.c.seq, CH.c.seq, ST.c.step_number),
        ST.c.id,
    )


def _findings() -> ExportTable:
    vf = VOCAB_TABLES["finding"]
    cols = [KEY()] + [_c(n, F.c[n]) for n in fact_names(F)]
    return _table(
        "findings", F.comment, "findings", cols,
        lambda s, ids, dl: s.select_from(F.join(C, C.c.id == F.c.case_id).join(vf, vf.c.code == F.c.finding))
        .where(F.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), vf.c.sort_order),
        F.c.id,
    )


def _investigations() -> ExportTable:
    cols = [KEY(), _c("investigation_seq", INV.c.seq)] + [_c(n, INV.c[n]) for n in fact_names(INV)]
    return _table(
        "investigations", INV.comment, "investigations", cols,
        lambda s, ids, dl: s.select_from(INV.join(C, C.c.id == INV.c.case_id))
        .where(INV.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), INV.c.seq),
        INV.c.id,
    )


def _labs() -> ExportTable:
    cols = [KEY(), _c("lab_seq", LAB.c.seq)] + [
        _c(n, LAB.c[n]) for n in fact_names(LAB)
    ]
    return _table(
        "lab_results", LAB.comment, "lab_results", cols,
        lambda s, ids, dl: s.select_from(LAB.join(C, C.c.id == LAB.c.case_id))
        .where(LAB.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), LAB.c.seq),
        LAB.c.id,
    )


def _record_columns(table, drugs) -> list[tuple[Column, ColumnElement]]:
    """A leaf table's record fields in column order (registry.schema.fields): facts as they are, a drug
    reference as the drug's name (read from `drugs`, the table or alias the query joins)."""
    return [
        _c(f.name, drugs.c.name, doc=f.column, type="text", source=f"drugs.name (via {table.name}.{f.column.name})")
        if f.is_reference else _c(f.name, table.c[f.name])
        for f in record_fields(table)
    ]


def _treatments() -> ExportTable:
    cols = [KEY(), _c("treatment_seq", TR.c.seq), *_record_columns(TR, D)]
    return _table(
        "treatments", TR.comment, "treatments", cols,
        lambda s, ids, dl: s.select_from(TR.join(C, C.c.id == TR.c.case_id).outerjoin(D, D.c.id == TR.c.drug_id))
        .where(TR.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), TR.c.seq),
        TR.c.id,
    )


def _genetic_tests() -> ExportTable:
    cols = [KEY(), _c("genetic_test_seq", GT.c.seq)] + [_c(n, GT.c[n]) for n in fact_names(GT)]
    return _table(
        "genetic_tests", GT.comment, "genetic_tests", cols,
        lambda s, ids, dl: s.select_from(GT.join(C, C.c.id == GT.c.case_id))
        .where(GT.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), GT.c.seq),
        GT.c.id,
    )


def _procedures() -> ExportTable:
    cols = [KEY(), _c("procedure_seq", PR.c.seq)] + [_c(n, PR.c[n]) for n in fact_names(PR)]
    return _table(
        "procedures", PR.comment, "procedures", cols,
        lambda s, ids, dl: s.select_from(PR.join(C, C.c.id == PR.c.case_id))
        .where(PR.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), PR.c.seq),
        PR.c.id,
    )


def _outcomes() -> ExportTable:
    sw = D.alias("switched")
    cols = [KEY(), *_record_columns(O, sw)]
    return _table(
        "outcomes", O.comment, "case_outcomes", cols,
        lambda s, ids, dl: s.select_from(O.join(C, C.c.id == O.c.case_id).outerjoin(sw, sw.c.id == O.c.switched_to_drug_id))
        .where(O.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl)),
        O.c.case_id,
    )


def _assessments() -> ExportTable:
    cols = [
        KEY(), _c("instrument", A.c.instrument), _c("assessor", A.c.assessor),
        _c("exposure_seq", X.c.seq, doc=A.c.exposure_id, type="integer", source="drug_exposures.seq (via assessments.exposure_id)"),
        _c("exposure_drug", D.c.name, definition="Drug of the assessed exposure (Naranjo is per drug); empty for case-level instruments.",
           source="drugs.name (via assessments.exposure_id)"),
    ] + [
        _c(n, A.c[n]) for n in (
            "instrument_version", "total", "total_min", "total_max", "category", "category_range", "notes",
        )
    ]
    return _table(
        "assessments", A.comment, "assessments", cols,
        lambda s, ids, dl: s.select_from(
            A.join(C, C.c.id == A.c.case_id).outerjoin(X, X.c.id == A.c.exposure_id).outerjoin(D, D.c.id == X.c.drug_id)
        ).where(A.c.case_id.in_(ids)).order_by(
            order_text(C.c.case_key, dl), order_text(A.c.instrument, dl), order_text(A.c.assessor, dl),
            func.coalesce(X.c.seq, 0),
        ),
        A.c.id,
    )


def _items() -> ExportTable:
    cols = [
        KEY(), _c("instrument", A.c.instrument, nested_key=True), _c("assessor", A.c.assessor, nested_key=True),
        _c("exposure_seq", X.c.seq, doc=A.c.exposure_id, type="integer", nested_key=True,
           source="drug_exposures.seq (via assessments.exposure_id)"),
    ] + [_c(n, AI.c[n]) for n in ("item_code", "answer", "points", "points_min", "points_max", "basis")]
    return _table(
        "assessment_items", AI.comment, "assessment_items", cols,
        lambda s, ids, dl: s.select_from(
            AI.join(A, A.c.id == AI.c.assessment_id).join(C, C.c.id == A.c.case_id).outerjoin(X, X.c.id == A.c.exposure_id)
        ).where(A.c.case_id.in_(ids)).order_by(
            order_text(C.c.case_key, dl), order_text(A.c.instrument, dl), order_text(A.c.assessor, dl),
            func.coalesce(X.c.seq, 0), order_text(AI.c.item_code, dl),
        ),
        AI.c.id,
    )


#: Case child tables whose rows evidence_ref names by their seq, with the word it uses.
_SEQ_WORDS = {"investigations": "investigation", "lab_results": "lab", "treatments": "treatment",
              "genetic_tests": "genetic test", "procedures": "procedure"}

#: subject_table -> how evidence_ref names a row of it (see SubjectRefs).
SUBJECT_REF_FORMS = {
    "cases": "case",
    "drug_exposures": "exposure <exposure_seq>",
    "dose_regimens": "exposure <exposure_seq> dose <dose_seq>",
    "challenge_events": "exposure <exposure_seq> challenge <challenge_seq>",
    "findings": "finding <finding>",
    "investigations": "investigation <investigation_seq>",
    "lab_results": "lab <lab_seq>",
    "treatments": "treatment <treatment_seq>",
    "genetic_tests": "genetic test <genetic_test_seq>",
    "procedures": "procedure <procedure_seq>",
    "case_outcomes": "outcome",
    "assessments": "assessment <instrument> <assessor> [exposure <exposure_seq>]",
}


def _evidence() -> ExportTable:
    forms = "; ".join(f"{t}: '{f}'" for t, f in SUBJECT_REF_FORMS.items())
    cols = [
        KEY(),
        _c("subject_table", E.c.subject_table),
        _c("subject_ref", literal(None), definition=(
            "The row of subject_table the fact is on, by its public keys within the case (internal ids are not exported): "
            + forms + "."), type="text", source="derived (evidence.subject_id)"),
        _c("field", E.c.field),
        _c("fact", literal(None), definition=(
            "The fact in words, as the site's case page names it (e.g. 'Fever ≥38.5 °C', 'Hepatitis B serology', "
            "'Eosinophils (absolute) 1,690/µL, day ~89')."), type="text",
            source="derived (registry/cases/evidence_wording.py, shared with the site)"),
        _c("publication_key", P.c.key, doc=E.c.publication_id, type="text", source="publications.key (via evidence.publication_id)"),
    ] + [
        _c(n, E.c[n]) for n in ("status", "locator", "derivation", "value_as_stated", "is_curated", "curation_note")
    ]
    return _table(
        "evidence", E.comment, None, cols,
        lambda s, ids, dl: s.add_columns(E.c.subject_id.label("_evidence_subject_id"), E.c.id.label("_evidence_id"))
        .select_from(E.join(C, C.c.id == E.c.case_id).join(P, P.c.id == E.c.publication_id))
        .where(E.c.case_id.in_(ids)).order_by(order_text(C.c.case_key, dl), E.c.id),
        None,
    )


#: The long tables, in file and sheet order.
LONG_TABLES: tuple[ExportTable, ...] = (
    _case_details(), _publications(), _exposures(), _doses(), _challenges(), _steps(), _findings(),
    _investigations(), _labs(), _treatments(), _genetic_tests(), _procedures(), _outcomes(), _assessments(), _items(),
    _evidence(),
)
TABLES_BY_NAME = {t.name: t for t in LONG_TABLES}


# ---------------------------------------------------------------------------
# The flat case table: the published case summary


# SUMMARY_MISSING_SOURCES (which facts explain a NULL in the case table) is declared in
# registry/outputs/export/published.py, which both ways of building the case table share.

_PY_KIND = {int: "integer", float: "number", str: "text"}


def _summary_columns() -> tuple[Column, ...]:
    cols = []
    for col in CASE_SUMMARY.columns:
        vocab = None
        if col.references and col.references.endswith(".code"):
            vocab = vocab_of_table(col.references.split(".")[0])
        cols.append(Column(
            col.name, definition=col.description, vocab=vocab,
            type="code" if vocab else _PY_KIND.get(col.type, "text"),
            source=f"registry/cases/summary.py ({CASE_SUMMARY.name}.{col.name})",
        ))
    return with_labels(cols)


CASE_TABLE = ExportTable(
    "case_summary",
    CASE_SUMMARY.description,
    _summary_columns(),
    subject=None,
)

#: Every exported table, in file and sheet order.
ALL_TABLES: tuple[ExportTable, ...] = (CASE_TABLE, *LONG_TABLES)


# ---------------------------------------------------------------------------
# Which cases


# ---------------------------------------------------------------------------
# Reading rows


@dataclass
class OutRow:
    """One exported row: values by column name, and why NULL values are missing (field -> status)."""

    values: dict[str, Any]
    missing: dict[str, str] = field(default_factory=dict)

    def cells(self, table: ExportTable) -> list[Any]:
        """Values in column order, with NR / NA-SRC for explained NULLs and labels filled in."""
        out: list[Any] = []
        for col in table.columns:
            if col.label_of:
                code = self.values.get(col.label_of)
                reason = self.missing.get(col.label_of)
                if code is None:
                    out.append(missing_code(reason))
                else:
                    out.append(VOCABULARIES[col.vocab].label(code) or code)
                continue
            value = self.values.get(col.name)
            if value is None and col.name in self.missing:
                value = missing_code(self.missing[col.name])
            out.append(value)
        return out


def missing_reasons(conn: Connection, subject_table: str, ids: list[int]) -> dict[int, dict[str, str]]:
    """subject_id -> {field: evidence status explaining a missing value}."""
    found: dict[int, dict[str, list[str]]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = conn.execute(
            select(E.c.subject_id, E.c.field, E.c.status).where(
                E.c.subject_table == subject_table, E.c.subject_id.in_(chunk), E.c.status.in_(MISSING_STATUSES),
                E.c.field.is_not(None),
            )
        )
        for sid, fld, status in rows:
            found.setdefault(sid, {}).setdefault(fld, []).append(status)
    return {sid: {f: pick_status(v) for f, v in fields.items()} for sid, fields in found.items()}


def _row_missing(table: ExportTable, values: dict[str, Any], reasons: dict[str, str]) -> dict[str, str]:
    """field -> status for NULL values of this row (and pseudo-fields such as 'dose') that have a reason."""
    out: dict[str, str] = {}
    own = _own_columns(table)
    for fld, status in reasons.items():
        col = own.get(fld)
        if col is None:
            out[fld] = status  # a fact with no column of its own (e.g. an exposure's 'dose')
        elif values.get(col) is None:
            out[col] = status
    return out


_OWN: dict[str, dict[str, str]] = {}


def _own_columns(table: ExportTable) -> dict[str, str]:
    """Model field of the subject table -> export column holding it."""
    if table.name not in _OWN:
        _OWN[table.name] = {
            c.doc.name: c.name for c in table.value_columns
            if c.doc is not None and c.doc.table.name == table.subject
        }
    return _OWN[table.name]


class SubjectRefs:
    """Names evidence subjects by public keys ('exposure 1 dose 2') instead of internal ids."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def resolve(self, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
        by_table: dict[str, list[int]] = {}
        for t, i in pairs:
            by_table.setdefault(t, []).append(i)
        out: dict[tuple[str, int], str] = {}
        for t, ids in by_table.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for sid, ref in self._refs(t, chunk):
                    out[(t, sid)] = ref
        return out

    def _refs(self, table: str, ids: list[int]) -> Iterator[tuple[int, str]]:
        q = self.conn.execute
        if table == "cases":
            yield from ((i, "case") for i in ids)
        elif table == "case_outcomes":
            yield from ((i, "outcome") for i in ids)
        elif table == "drug_exposures":
            for i, s in q(select(X.c.id, X.c.seq).where(X.c.id.in_(ids))):
                yield i, f"exposure {s}"
        elif table == "dose_regimens":
            for i, xs, s in q(select(DR.c.id, X.c.seq, DR.c.seq).join(X, X.c.id == DR.c.exposure_id).where(DR.c.id.in_(ids))):
                yield i, f"exposure {xs} dose {s}"
        elif table == "challenge_events":
            for i, xs, s in q(select(CH.c.id, X.c.seq, CH.c.seq).join(X, X.c.id == CH.c.exposure_id).where(CH.c.id.in_(ids))):
                yield i, f"exposure {xs} challenge {s}"
        elif table == "findings":
            for i, f in q(select(F.c.id, F.c.finding).where(F.c.id.in_(ids))):
                yield i, f"finding {f}"
        elif table in _SEQ_WORDS:
            t = metadata.tables[table]
            word = _SEQ_WORDS[table]
            for i, s in q(select(t.c.id, t.c.seq).where(t.c.id.in_(ids))):
                yield i, f"{word} {s}"
        elif table == "assessments":
            for i, ins, who, xs in q(select(A.c.id, A.c.instrument, A.c.assessor, X.c.seq)
                                     .outerjoin(X, X.c.id == A.c.exposure_id).where(A.c.id.in_(ids))):
                yield i, f"assessment {ins} {who}" + (f" exposure {xs}" if xs is not None else "")
        else:
            yield from ((i, f"{table} row") for i in ids)


def evidence_fact_names(conn: Connection, ids: list[int]) -> dict[int, str]:
    """evidence id -> the fact in words (registry.cases.evidence_wording), read 500 ids at a time."""
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        stmt = text(EVIDENCE_SUBJECT_SQL + " WHERE e.id IN :ids").bindparams(bindparam("ids", expanding=True))
        for row in conn.execute(stmt, {"ids": chunk}).mappings():
            out[row["evidence_id"]] = fact_name(dict(row))
    return out


def read_partitions(conn: Connection, table: ExportTable, case_ids: Select, *, chunk: int = CHUNK,
                    stream: bool = True) -> Iterator[list[OutRow]]:
    """The table's rows for the chosen cases, one partition at a time, straight from a cursor."""
    stmt = table.build(case_ids, conn.dialect.name)
    opts = {"stream_results": True, "yield_per": chunk} if stream else {}
    result = conn.execute(stmt, execution_options=opts)
    refs = SubjectRefs(conn) if table.name == "evidence" else None
    parts = result.mappings().partitions(chunk) if not stream else result.mappings().partitions()
    for part in parts:
        raw = [dict(r) for r in part]
        if refs is not None:
            names = refs.resolve({(r["subject_table"], r["_evidence_subject_id"]) for r in raw})
            facts = evidence_fact_names(conn, [r["_evidence_id"] for r in raw])
            rows = []
            for r in raw:
                r["subject_ref"] = names.get((r["subject_table"], r.pop("_evidence_subject_id")))
                r["fact"] = facts.get(r.pop("_evidence_id"))
                rows.append(OutRow(r))
            yield rows
            continue
        reasons = missing_reasons(conn, table.subject, [r["_subject_id"] for r in raw]) if table.subject else {}
        rows = []
        for r in raw:
            why = reasons.get(r.pop("_subject_id", None))
            rows.append(OutRow(r, _row_missing(table, r, why) if why else {}))
        yield rows


# ---------------------------------------------------------------------------
# The case table, built by registry/cases/summary.py one partition of cases at a time


#: What the case summary reads of a batch of cases (registry.cases.snapshot.load_cases).
SUMMARY_TABLES = (
    "cases", "case_publications", "publications", "drug_exposures", "dose_regimens", "challenge_events",
    "challenge_steps", "treatments", "lab_results", "findings", "case_outcomes", "assessments", "drugs",
)


def _case_reasons(conn: Connection, snap: Snapshot) -> dict[tuple[str, int], dict[str, str]]:
    """(subject table, id) -> {field: status} for the case, exposure and outcome rows of a partition
    (read through the evidence subject index)."""
    out: dict[tuple[str, int], dict[str, str]] = {}
    subjects = {
        "cases": [r["id"] for r in snap["cases"]],
        "case_outcomes": [r["case_id"] for r in snap["case_outcomes"]],
        "drug_exposures": [r["id"] for r in snap["drug_exposures"] if r["role"] in SUSPECT_ROLES],
    }
    for table, ids in subjects.items():
        for sid, fields in missing_reasons(conn, table, ids).items():
            out[(table, sid)] = fields
    return out


def _completeness_stream(conn: Connection, case_ids: Select, chunk: int) -> Iterator[Completeness]:
    """registry.cases.completeness's counts for the chosen cases, in case_key order, from one streamed query.

    case_completeness(conn, keys) evaluates the whole registry's facts on every
    call, so calling it per partition would make the export quadratic; its SQL
    (completeness_sql, the one definition) runs here once instead, and its rows
    are matched to the partitions of cases, which come in the same order.
    """
    counts = text(completeness_sql("")).columns(
        case_key=String, known=Integer, not_reported=Integer, not_available=Integer, unrecorded=Integer,
    ).subquery("completeness")
    chosen = select(C.c.case_key).where(C.c.id.in_(case_ids))
    stmt = select(counts).where(counts.c.case_key.in_(chosen)).order_by(order_text(counts.c.case_key, conn.dialect.name))
    for r in conn.execute(stmt, execution_options={"stream_results": True, "yield_per": chunk}):
        yield Completeness(r.case_key, int(r.known), int(r.not_reported), int(r.not_available), int(r.unrecorded))


def _score_flags(conn: Connection, case_ids: list[int]) -> dict[str, list[str]]:
    """case_key -> the sentences of registry.cases.scoring.flags, as `publish` bakes them into score_flags
    (the export of a published file and of its working database must agree cell for cell)."""

    flags: dict[str, list[str]] = {}
    for row in score_disagreements(conn, case_ids):
        if row["flagged"]:
            flags.setdefault(row["case_key"], []).extend(row["messages"])
    return flags


def case_table_partitions(conn: Connection, case_ids: Select, *, chunk: int = CASE_CHUNK) -> Iterator[list[OutRow]]:
    """case_summary rows (registry.cases.summary builds them), CASE_CHUNK cases at a time."""
    stmt = select(C.c.id, C.c.case_key).where(C.c.id.in_(case_ids)).order_by(order_text(C.c.case_key, conn.dialect.name))
    result = conn.execute(stmt, execution_options={"stream_results": True, "yield_per": chunk})
    counts = _completeness_stream(conn, case_ids, chunk)
    for part in result.partitions():
        ids = [r.id for r in part]
        snap = load_cases(conn, ids, SUMMARY_TABLES)
        lk = Lookups(snap)
        completeness = {}
        for r in part:
            c = next(counts, None)
            if c is None or c.case_key != r.case_key:  # cannot happen: same cases, same order; be safe anyway
                completeness = {c.case_key: c for c in case_completeness(conn, [r.case_key for r in part])}
                break
            completeness[c.case_key] = c
        reasons = _case_reasons(conn, snap)
        out = []
        for values in case_summary_rows(lk, completeness, _score_flags(conn, ids)):
            cid = values["case_id"]
            suspects = lk.suspect_exposures(cid)
            subject_ids = {"case": cid, "outcome": cid, "suspect": suspects[0]["id"] if suspects else None}
            missing: dict[str, str] = {}
            for col, facts in SUMMARY_MISSING_SOURCES.items():
                if values.get(col) is not None:
                    continue
                for who, fld in facts:
                    status = reasons.get((SUBJECT_TABLES[who], subject_ids[who]), {}).get(fld)
                    if status:
                        missing[col] = status
                        break
            out.append(OutRow(values, missing))
        yield out


def table_partitions(conn: Connection, table: ExportTable, case_ids: Select) -> Iterator[list[OutRow]]:
    if table is CASE_TABLE:
        return case_table_partitions(conn, case_ids)
    return read_partitions(conn, table, case_ids)

