"""publications without authors; vocabulary codes for the issue-16 case reports

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

For the next curation wave (issue 16):

* publications.authors becomes nullable: a publication whose author list
  could not be read (the evidence says why), as 0009 did for year and journal;
* new vocabulary terms (rows as registry/schema/vocabulary.py defined them on
  2026-12-01, frozen here): source access partial_text (placed second, so the
  later terms move down one in sort order), investigations hsv, vzv, ltt,
  patch_test, skin_prick_test, intradermal_test, analytes ck, urea,
  neutrophils_abs, haemoglobin, tarc, lactate, lab units mmol/L, g/dL, g/L,
  pg/mL and the dose unit g/kg.

SQLite: NOT NULL is dropped from publications.authors the way 0009 drops it
from year and journal, by rewriting the table's stored definition (no rebuild:
a rebuild would DROP publications and cascade-delete its evidence, case links
and citations). PostgreSQL uses ALTER TABLE.

Downgrade refuses while a publication has no authors, or while any row uses
one of the new codes (the old vocabularies cannot hold it); otherwise it
restores NOT NULL, deletes the new terms and puts the old sort order back.

Reviewed by hand: comments equal to the models', vocabulary rows equal to the
module's (db check); upgrade and downgrade tested on both backends
(tests/test_migrations.py).
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

VOCABULARY_COLUMNS = ('code', 'label', 'definition', 'e2b_r3_code', 'openfda_code', 'category', 'sort_order')
VOCABULARY_ROWS = {
    'vocab_source_access': (
        ('partial_text', 'Part of the text read', 'More than the abstract was read (e.g. the opening of the case description), but not the whole article.', None, None, None, 2),
    ),
    'vocab_investigation': (
        ('hsv', 'Herpes simplex virus', 'HSV serology or PCR (not a RegiSCAR item-8 test).', None, None, 'other_serology', 13),
        ('vzv', 'Varicella-zoster virus', 'VZV serology or PCR (not a RegiSCAR item-8 test).', None, None, 'other_serology', 14),
        ('ltt', 'Lymphocyte transformation test', 'Lymphocyte transformation or stimulation test (LTT, DLST) with a drug; the drug in detail.', None, None, 'drug_test', 15),
        ('patch_test', 'Patch test', 'Drug patch test; the drug (and concentration) in detail.', None, None, 'drug_test', 16),
        ('skin_prick_test', 'Skin prick test', 'Drug skin prick test; the drug in detail.', None, None, 'drug_test', 17),
        ('intradermal_test', 'Intradermal test', 'Drug intradermal skin test, read early or late; the drug (and concentration) in detail.', None, None, 'drug_test', 18),
    ),
    'vocab_analyte': (
        ('ck', 'CK', 'Creatine kinase (CPK), usually in U/L.', None, None, 'muscle', 16),
        ('urea', 'Urea / BUN', 'Urea or blood urea nitrogen (BUN). In mmol/L the two are the same number; in mg/dL the value is BUN (urea nitrogen), so a urea given in mg/dL is stored divided by 2.14 (derivation unit_converted).', None, None, 'kidney', 17),
        ('neutrophils_abs', 'Neutrophils (absolute)', 'Absolute neutrophil count in blood.', None, None, 'haematology', 18),
        ('haemoglobin', 'Haemoglobin', 'Haemoglobin concentration in blood, usually in g/dL or g/L.', None, None, 'haematology', 19),
        ('tarc', 'TARC (CCL17)', 'Serum thymus and activation-regulated chemokine (CCL17), usually in pg/mL.', None, None, 'inflammation', 20),
        ('lactate', 'Lactate', 'Blood lactate, usually in mmol/L.', None, None, 'other', 21),
    ),
    'vocab_lab_unit': (
        ('mmol/L', 'mmol/L', 'millimole per litre', None, None, None, 8),
        ('g/dL', 'g/dL', 'gram per decilitre', None, None, None, 9),
        ('g/L', 'g/L', 'gram per litre', None, None, None, 10),
        ('pg/mL', 'pg/mL', 'picogram per millilitre', None, None, None, 11),
    ),
    'vocab_dose_unit': (
        ('g/kg', 'g/kg', 'gram per kilogram body weight (e.g. immunoglobulin)', 'g/kg', None, None, 7),
    ),
}
#: Terms whose sort order moves when partial_text comes second: code -> (before, after).
SORT_MOVES = {'vocab_source_access': {'abstract_only': (2, 3), 'citation_only': (3, 4)}}

#: Where each vocabulary's codes are used: table -> ((data table, column), ...).
USED_IN = {
    'vocab_source_access': (('publications', 'source_access'),),
    'vocab_investigation': (('investigations', 'test'),),
    'vocab_analyte': (('lab_results', 'analyte'),),
    'vocab_lab_unit': (('lab_results', 'unit'),),
    'vocab_dose_unit': (('dose_regimens', 'dose_unit'), ('challenge_steps', 'dose_unit'), ('treatments', 'dose_unit')),
}

_AUTHORS_COMMENTS = (
    "Authors as listed (Vancouver style, 'Surname AB, Surname CD'). NULL when they could not be read (see evidence for why).",
    "Authors as listed (Vancouver style, 'Surname AB, Surname CD').",
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _authors_nullable(nullable: bool) -> None:
    if _sqlite():
        _sqlite_set_not_null('publications', {'authors': 'TEXT'}, not_null=not nullable)
    else:
        op.alter_column('publications', 'authors', existing_type=sa.Text(), nullable=nullable,
                        comment=_AUTHORS_COMMENTS[0 if nullable else 1])


def _sqlite_set_not_null(table: str, columns: dict[str, str], not_null: bool) -> None:
    """Add or remove NOT NULL on columns of a SQLite table by rewriting its stored CREATE TABLE (no rebuild);
    the same procedure as revision 0009's (revisions do not import each other)."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar_one()
    for column, sql_type in columns.items():
        pattern = rf'(\n\s*"?{column}"?\s+{sql_type})( NOT NULL)?(,)'
        new, n = re.subn(pattern, (lambda m: m.group(1) + (' NOT NULL' if not_null else '') + m.group(3)), sql)
        if n != 1:
            raise RuntimeError(f'{table}.{column}: column definition not found in the stored schema')
        sql = new
    version = conn.exec_driver_sql('PRAGMA schema_version').scalar_one()
    conn.exec_driver_sql('PRAGMA writable_schema=ON')
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    conn.exec_driver_sql(f'PRAGMA schema_version={version + 1}')
    conn.exec_driver_sql('PRAGMA writable_schema=OFF')


def _move(table_name: str, forward: bool) -> None:
    for code, (before, after) in SORT_MOVES.get(table_name, {}).items():
        op.execute(sa.text(f'UPDATE {table_name} SET sort_order = :n WHERE code = :code')
                   .bindparams(n=after if forward else before, code=code))


def upgrade() -> None:
    _authors_nullable(True)
    for table_name, rows in VOCABULARY_ROWS.items():
        _move(table_name, forward=True)
        table = sa.table(table_name, *(sa.column(c) for c in VOCABULARY_COLUMNS))
        op.bulk_insert(table, [dict(zip(VOCABULARY_COLUMNS, row)) for row in rows])


def downgrade() -> None:
    conn = op.get_bind()
    unknown = conn.execute(sa.text('SELECT count(*) FROM publications WHERE authors IS NULL')).scalar_one()
    if unknown:
        raise RuntimeError(f'{unknown} publication(s) have no authors: revision 0009 requires them; '
                           'give them (or remove those publications) before downgrading')
    for table_name, rows in VOCABULARY_ROWS.items():
        codes = sa.bindparam('codes', [row[0] for row in rows], expanding=True)
        for data_table, column in USED_IN[table_name]:
            used = conn.execute(sa.text(f'SELECT count(*) FROM {data_table} WHERE {column} IN :codes')
                                .bindparams(codes)).scalar_one()
            if used:
                raise RuntimeError(f'{used} {data_table} row(s) use a {column} code added by revision 0010 '
                                   f'({", ".join(row[0] for row in rows)}); revision 0009 has no such code')
    for table_name, rows in VOCABULARY_ROWS.items():
        op.execute(sa.text(f'DELETE FROM {table_name} WHERE code IN :codes')
                   .bindparams(sa.bindparam('codes', [row[0] for row in rows], expanding=True)))
        _move(table_name, forward=False)
    _authors_nullable(False)
