"""genetic tests, procedures, recurrence in hours, approximate days, publications without year or journal

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-01

For the next curation wave (issue 16):

* new tables genetic_tests (pharmacogenetic typing: gene, allele, result,
  genotype, method, day) and procedures (transplant, dialysis, intensive
  care...: code, start day, duration, detail), children of cases, with the
  vocabularies genotype_result and procedure (rows as
  registry/schema/vocabulary.py defined them on 2026-12-01, frozen here);
* challenge_events.time_to_recurrence_hours, with CHECK recurrence_hours_sane
  (0..876000, and equal to time_to_recurrence_days in whole days when both
  are given), and challenge_events.day_is_approximate;
* start_is_approximate / stop_is_approximate on dose_regimens and treatments;
* publications.year and publications.journal become nullable (a publication
  whose year or journal could not be read; the evidence says why).

SQLite, by hand: no table with child rows is rebuilt. Batch mode would copy
a table and DROP the old one, and with foreign keys on (they are, in the
migration's transaction, where PRAGMA foreign_keys cannot change) the DROP
deletes every row pointing at it through ON DELETE CASCADE: for publications
that is all evidence, case links and citations; for challenge_events its
steps. So the new columns are plain ALTER TABLE ADD COLUMN (recreate="never";
the CHECK on the hours is a column constraint of the added column, which
SQLite tests against existing rows), and NOT NULL is dropped from
publications.year/journal by rewriting the table's stored definition, the
procedure SQLite documents for removing a NOT NULL constraint (the stored rows
do not change; schema_version is bumped so every connection re-reads it).
Downgrade restores NOT NULL the same way after refusing if a publication has
no year or journal (it would break the old constraint), and drops the columns
with ALTER TABLE DROP COLUMN. PostgreSQL uses ordinary ALTER TABLE throughout.

Reviewed by hand: table and column comments, names from the naming
convention, indexes on every foreign key, the CHECK constraints equal to the
models'; upgrade and downgrade tested on both backends with the seed loaded
(tests/test_migrations.py).
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0004'
branch_labels = None
depends_on = None

VOCABULARY_COLUMNS = ('code', 'label', 'definition', 'e2b_r3_code', 'openfda_code', 'category', 'sort_order')
VOCABULARY_ROWS = {
    'vocab_genotype_result': (
        ('carrier', 'Carrier', 'The allele or variant tested was found (one or two copies).', None, None, None, 1),
        ('non_carrier', 'Non-carrier', 'The allele or variant tested was not found.', None, None, None, 2),
        ('indeterminate', 'Indeterminate', 'The typing gave no clear answer (failed or ambiguous).', None, None, None, 3),
    ),
    'vocab_procedure': (
        ('liver_transplant', 'Liver transplant', 'Liver transplantation.', None, None, 'transplant', 1),
        ('kidney_transplant', 'Kidney transplant', 'Kidney transplantation.', None, None, 'transplant', 2),
        ('haemodialysis', 'Haemodialysis', 'Intermittent haemodialysis.', None, None, 'renal_support', 3),
        ('continuous_renal_replacement', 'Continuous renal replacement therapy', 'Continuous renal replacement (haemofiltration, haemodiafiltration).', None, None, 'renal_support', 4),
        ('plasmapheresis', 'Plasmapheresis', 'Plasma exchange or plasmapheresis.', None, None, 'other', 5),
        ('icu_admission', 'Intensive care admission', 'Admission to an intensive care unit.', None, None, 'critical_care', 6),
        ('mechanical_ventilation', 'Mechanical ventilation', 'Invasive mechanical ventilation.', None, None, 'critical_care', 7),
        ('ecmo', 'ECMO', 'Extracorporeal membrane oxygenation.', None, None, 'critical_care', 8),
        ('other', 'Other procedure', 'Another procedure; see detail.', None, None, 'other', 9),
    ),
}

RECURRENCE_HOURS_CHECK = (
    "time_to_recurrence_hours IS NULL OR (time_to_recurrence_hours BETWEEN 0 AND 876000"
    " AND (time_to_recurrence_days IS NULL OR time_to_recurrence_days = time_to_recurrence_hours / 24))"
)
_APPROXIMATE_START = "True when the start day comes from an approximate statement (e.g. 'about two weeks later')."
_APPROXIMATE_STOP = "True when the stop day comes from an approximate statement."
_HOURS_COMMENT = (
    "Hours from the start of the re-exposure to recurrence, for recurrences within a day or two; "
    "when time_to_recurrence_days is also given it is these hours in whole days (hours // 24)."
)
_NULLABLE_PUBLICATION = {
    'journal': ('TEXT', 'Journal (abbreviated NLM title). NULL when it could not be read (see evidence for why).',
                'Journal (abbreviated NLM title).'),
    'year': ('INTEGER', 'Year of publication. NULL when it could not be read (see evidence for why).',
             'Year of publication.'),
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _sqlite_set_not_null(table: str, columns: dict[str, str], not_null: bool) -> None:
    """Add or remove NOT NULL on columns of a SQLite table by rewriting its stored CREATE TABLE (no rebuild)."""
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


def upgrade() -> None:
    op.create_table('vocab_genotype_result',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_genotype_result')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_genotype_result_label')),
    comment='Vocabulary: Genotype result. Whether the patient carries the allele or variant tested (pharmacogenetic typing). Source: registry-defined.'
    )
    op.create_table('vocab_procedure',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_procedure')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_procedure_label')),
    comment='Vocabulary: Procedure. Organ support, transplant and other procedures for the reaction or its complications (immunoglobulin and corticosteroids are treatments). Source: registry-defined.'
    )
    for table_name, rows in VOCABULARY_ROWS.items():
        table = sa.table(table_name, *(sa.column(c) for c in VOCABULARY_COLUMNS))
        op.bulk_insert(table, [dict(zip(VOCABULARY_COLUMNS, row)) for row in rows])

    op.create_table('genetic_tests',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='Order of the typing within the case.'),
    sa.Column('gene', sa.String(length=40), nullable=False, comment='Gene typed, by its HGNC symbol (e.g. HLA-B, HLA-A, CYP2C9).'),
    sa.Column('allele', sa.String(length=80), nullable=True, comment='Allele or variant tested or found, by its full name, starting with the gene (e.g. HLA-B*58:01).'),
    sa.Column('result', sa.String(length=40), nullable=False, comment='Whether the patient carries the allele or variant. Code from vocab_genotype_result (Genotype result).'),
    sa.Column('genotype', sa.Text(), nullable=True, comment='Genotype as reported (e.g. HLA-B*58:01/*15:02).'),
    sa.Column('method', sa.Text(), nullable=True, comment='Typing method as reported (e.g. PCR-SSO, sequencing).'),
    sa.Column('day', sa.Integer(), nullable=True, comment='When the sample was typed (or taken). Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('notes', sa.Text(), nullable=True, comment="Curator's notes (paraphrased)."),
    sa.CheckConstraint('allele IS NULL OR substr(allele, 1, length(gene)) = gene', name=op.f('ck_genetic_tests_allele_of_gene')),
    sa.CheckConstraint('day BETWEEN -36500 AND 36500', name=op.f('ck_genetic_tests_day_sane')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_genetic_tests_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result'], ['vocab_genotype_result.code'], name=op.f('fk_genetic_tests_result_vocab_genotype_result')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_genetic_tests')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_genetic_tests_case_id_seq')),
    comment='Pharmacogenetic typing of the patient (HLA and other genes): the gene, the allele or variant tested or found, whether the patient carries it, the genotype and method as reported.'
    )
    with op.batch_alter_table('genetic_tests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_genetic_tests_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_genetic_tests_result'), ['result'], unique=False)

    op.create_table('procedures',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='Order of the procedure within the case.'),
    sa.Column('procedure', sa.String(length=40), nullable=False, comment='The procedure. Code from vocab_procedure (Procedure).'),
    sa.Column('start_day', sa.Integer(), nullable=True, comment='First day of the procedure (the day of a transplant, admission to intensive care). Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('start_is_approximate', sa.Boolean(), nullable=True, comment='True when the start day comes from an approximate statement.'),
    sa.Column('duration_days', sa.Integer(), nullable=True, comment='How many days it lasted (a stay in intensive care, a course of dialysis).'),
    sa.Column('detail', sa.Text(), nullable=True, comment='Short paraphrase of what the source says (indication, course).'),
    sa.CheckConstraint('duration_days IS NULL OR duration_days BETWEEN 0 AND 36500', name=op.f('ck_procedures_duration_sane')),
    sa.CheckConstraint('start_day BETWEEN -36500 AND 36500', name=op.f('ck_procedures_start_day_sane')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_procedures_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['procedure'], ['vocab_procedure.code'], name=op.f('fk_procedures_procedure_vocab_procedure')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedures')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_procedures_case_id_seq')),
    comment='Procedures for the reaction or its complications: transplant, dialysis, intensive care, ventilation and other organ support (immunoglobulin and corticosteroids are treatments).'
    )
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedures_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_procedures_procedure'), ['procedure'], unique=False)

    with op.batch_alter_table('challenge_events', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('day_is_approximate', sa.Boolean(), nullable=True, comment=_APPROXIMATE_START))
    if _sqlite():
        # A column constraint of the added column: SQLite adds it in place and tests it against existing rows.
        op.execute(sa.text(
            'ALTER TABLE challenge_events ADD COLUMN time_to_recurrence_hours INTEGER '
            f'CONSTRAINT ck_challenge_events_recurrence_hours_sane CHECK ({RECURRENCE_HOURS_CHECK})'))
    else:
        op.add_column('challenge_events', sa.Column('time_to_recurrence_hours', sa.Integer(), nullable=True,
                                                    comment=_HOURS_COMMENT))
        op.create_check_constraint(op.f('ck_challenge_events_recurrence_hours_sane'), 'challenge_events',
                                   RECURRENCE_HOURS_CHECK)
    with op.batch_alter_table('dose_regimens', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('start_is_approximate', sa.Boolean(), nullable=True, comment=_APPROXIMATE_START))
        batch_op.add_column(sa.Column('stop_is_approximate', sa.Boolean(), nullable=True, comment=_APPROXIMATE_STOP))

    if _sqlite():
        _sqlite_set_not_null('publications', {c: t for c, (t, _, _) in _NULLABLE_PUBLICATION.items()}, not_null=False)
    else:
        for column, (sql_type, comment, _) in _NULLABLE_PUBLICATION.items():
            op.alter_column('publications', column, existing_type=getattr(sa, sql_type)(), nullable=True, comment=comment)

    with op.batch_alter_table('treatments', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('start_is_approximate', sa.Boolean(), nullable=True, comment=_APPROXIMATE_START))
        batch_op.add_column(sa.Column('stop_is_approximate', sa.Boolean(), nullable=True, comment=_APPROXIMATE_STOP))



def downgrade() -> None:
    unknown = op.get_bind().execute(sa.text('SELECT count(*) FROM publications WHERE year IS NULL OR journal IS NULL')).scalar_one()
    if unknown:
        raise RuntimeError(f'{unknown} publication(s) have no year or journal: revision 0004 requires both; '
                           'give them (or remove those publications) before downgrading')
    for table in ('treatments', 'dose_regimens'):
        with op.batch_alter_table(table, recreate='never') as batch_op:
            batch_op.drop_column('stop_is_approximate')
            batch_op.drop_column('start_is_approximate')
    if _sqlite():
        _sqlite_set_not_null('publications', {c: t for c, (t, _, _) in _NULLABLE_PUBLICATION.items()}, not_null=True)
    else:
        for column, (sql_type, _, comment) in _NULLABLE_PUBLICATION.items():
            op.alter_column('publications', column, existing_type=getattr(sa, sql_type)(), nullable=False, comment=comment)
    if not _sqlite():
        op.drop_constraint(op.f('ck_challenge_events_recurrence_hours_sane'), 'challenge_events', type_='check')
    with op.batch_alter_table('challenge_events', recreate='never') as batch_op:
        batch_op.drop_column('time_to_recurrence_hours')
        batch_op.drop_column('day_is_approximate')

    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedures_procedure'))
        batch_op.drop_index(batch_op.f('ix_procedures_case_id'))

    op.drop_table('procedures')
    with op.batch_alter_table('genetic_tests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_genetic_tests_result'))
        batch_op.drop_index(batch_op.f('ix_genetic_tests_case_id'))

    op.drop_table('genetic_tests')
    op.drop_table('vocab_procedure')
    op.drop_table('vocab_genotype_result')
