"""extraction reports: who extracted each publication, agreement of a dual extraction, adjudicated differences

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-01

Adds the tables a seed document's `extraction:` block is loaded into
(extraction_reports, extraction_agreement, extraction_decisions) and the two
vocabularies they code (agreement_kind, extraction_aspect), with their rows
as registry/schema/vocabulary.py defined them on 2026-12-01 (frozen here).
New tables only: nothing existing changes, and downgrade drops exactly them.

Reviewed by hand: table and column comments, names from the naming
convention, indexes on every foreign key, batch mode for the indexes on
SQLite; the vocabulary rows are literal rows written into the revision.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None

VOCABULARY_COLUMNS = ('code', 'label', 'definition', 'e2b_r3_code', 'openfda_code', 'category', 'sort_order')
VOCABULARY_ROWS = {
    'vocab_agreement_kind': (
        ('code', 'Coded field', 'A field holding a vocabulary code (agreement and Cohen\'s kappa).', None, None, None, 1),
        ('boolean', 'Yes/no field', 'A true/false field (agreement and Cohen\'s kappa).', None, None, None, 2),
        ('integer', 'Whole-number field', 'Days, counts and other integers.', None, None, None, 3),
        ('number', 'Number field', 'Doses, lab values, ages and other measurements.', None, None, None, 4),
        ('text', 'Text field', 'Names, notes and other free text (compared after collapsing spaces).', None, None, None, 5),
        ('locator', 'Locator', 'Where in the publication a value was read (the src `at`).', None, None, None, 6),
    ),
    'vocab_extraction_aspect': (
        ('value', 'Value', 'They give different values (or one gives a value, the other none).', None, None, None, 1),
        ('status', 'Status', 'Neither gives a value and they differ on why (not reported, not available).', None, None, None, 2),
        ('locator', 'Locator', 'They read the value in different places of the publication.', None, None, None, 3),
        ('record', 'Record', 'A record (exposure, lab, finding...) is in one extraction only.', None, None, None, 4),
    ),
}


def upgrade() -> None:
    op.create_table('vocab_agreement_kind',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_agreement_kind')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_agreement_kind_label')),
    comment='Vocabulary: Agreement kind. Kind of field two independent extractions of a publication are compared on. Source: registry-defined.'
    )
    op.create_table('vocab_extraction_aspect',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_extraction_aspect')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_extraction_aspect_label')),
    comment='Vocabulary: Extraction difference. What two independent extractions of a field disagree on. Source: registry-defined.'
    )
    for table_name, rows in VOCABULARY_ROWS.items():
        table = sa.table(table_name, *(sa.column(c) for c in VOCABULARY_COLUMNS))
        op.bulk_insert(table, [dict(zip(VOCABULARY_COLUMNS, row)) for row in rows])

    op.create_table('extraction_reports',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('publication_id', sa.Integer(), nullable=False, comment='The publication extracted.'),
    sa.Column('extractor', sa.Text(), nullable=False, comment='Curator who extracted the publication (the first of two for a dual extraction).'),
    sa.Column('second_extractor', sa.Text(), nullable=True, comment='Curator of the second, independent extraction (NULL: extracted once).'),
    sa.Column('adjudicator', sa.Text(), nullable=True, comment='Who settled the differences between the two extractions.'),
    sa.Column('adjudicated_on', sa.Date(), nullable=True, comment='Date of the adjudication.'),
    sa.Column('fields_compared', sa.Integer(), nullable=True, comment='Fields the two extractions were compared on (at least one gave a value or a status).'),
    sa.Column('fields_differing', sa.Integer(), nullable=True, comment='Fields where they differed (value, status or locator, and records in one only).'),
    sa.CheckConstraint('fields_compared IS NULL OR fields_compared >= 0', name=op.f('ck_extraction_reports_fields_compared_sane')),
    sa.CheckConstraint('fields_differing IS NULL OR fields_differing >= 0', name=op.f('ck_extraction_reports_fields_differing_sane')),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_extraction_reports_publication_id_publications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extraction_reports')),
    sa.UniqueConstraint('publication_id', name=op.f('uq_extraction_reports_publication_id')),
    comment='How a publication was extracted: by whom, twice independently or once, and who adjudicated the differences.'
    )
    op.create_table('extraction_agreement',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('report_id', sa.Integer(), nullable=False, comment='The extraction report.'),
    sa.Column('kind', sa.String(length=40), nullable=False, comment='Kind of field. Code from vocab_agreement_kind (Agreement kind).'),
    sa.Column('compared', sa.Integer(), nullable=False, comment='Fields of this kind compared.'),
    sa.Column('agreed', sa.Integer(), nullable=False, comment='Fields of this kind on which the two extractions agreed.'),
    sa.Column('kappa', sa.Float(), nullable=True, comment="Cohen's kappa (coded and yes/no fields; NULL where undefined or not categorical)."),
    sa.CheckConstraint('agreed >= 0 AND agreed <= compared', name=op.f('ck_extraction_agreement_agreed_sane')),
    sa.CheckConstraint('compared >= 0', name=op.f('ck_extraction_agreement_compared_sane')),
    sa.CheckConstraint('kappa IS NULL OR (kappa >= -1 AND kappa <= 1)', name=op.f('ck_extraction_agreement_kappa_sane')),
    sa.ForeignKeyConstraint(['kind'], ['vocab_agreement_kind.code'], name=op.f('fk_extraction_agreement_kind_vocab_agreement_kind')),
    sa.ForeignKeyConstraint(['report_id'], ['extraction_reports.id'], name=op.f('fk_extraction_agreement_report_id_extraction_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extraction_agreement')),
    sa.UniqueConstraint('report_id', 'kind', name=op.f('uq_extraction_agreement_report_id_kind')),
    comment='Agreement between two independent extractions of a publication, per field kind (`dress-registry compare`).'
    )
    with op.batch_alter_table('extraction_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extraction_agreement_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_extraction_agreement_report_id'), ['report_id'], unique=False)

    op.create_table('extraction_decisions',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('report_id', sa.Integer(), nullable=False, comment='The extraction report.'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='Position of the decision in the report.'),
    sa.Column('case_key', sa.Text(), nullable=True, comment="Case the difference is in (NULL for the publication's own fields)."),
    sa.Column('record', sa.Text(), nullable=False, comment='Record the difference is in, e.g. cases[park2021-1].labs[eosinophils_abs day 29].'),
    sa.Column('field', sa.String(length=60), nullable=True, comment='Field that differed (NULL for a whole record).'),
    sa.Column('aspect', sa.String(length=40), nullable=False, comment='What differed: value, status, locator or the whole record. Code from vocab_extraction_aspect (Extraction difference).'),
    sa.Column('kept_from', sa.Text(), nullable=False, comment='Curator whose extraction the curated record follows here.'),
    sa.Column('kept', sa.Text(), nullable=True, comment='The kept value, status or locator, as text (NULL: none, e.g. a record left out).'),
    sa.Column('overruled', sa.Text(), nullable=True, comment="The other curator's value, status or locator, as text."),
    sa.Column('reason', sa.Text(), nullable=False, comment='Why the adjudicator kept it.'),
    sa.ForeignKeyConstraint(['aspect'], ['vocab_extraction_aspect.code'], name=op.f('fk_extraction_decisions_aspect_vocab_extraction_aspect')),
    sa.ForeignKeyConstraint(['report_id'], ['extraction_reports.id'], name=op.f('fk_extraction_decisions_report_id_extraction_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extraction_decisions')),
    sa.UniqueConstraint('report_id', 'seq', name=op.f('uq_extraction_decisions_report_id_seq')),
    comment='Each difference between two extractions and how it was adjudicated, with the reason (`dress-registry adjudicate`).'
    )
    with op.batch_alter_table('extraction_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extraction_decisions_aspect'), ['aspect'], unique=False)
        batch_op.create_index(batch_op.f('ix_extraction_decisions_report_id'), ['report_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('extraction_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extraction_decisions_report_id'))
        batch_op.drop_index(batch_op.f('ix_extraction_decisions_aspect'))

    op.drop_table('extraction_decisions')
    with op.batch_alter_table('extraction_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extraction_agreement_report_id'))
        batch_op.drop_index(batch_op.f('ix_extraction_agreement_kind'))

    op.drop_table('extraction_agreement')
    op.drop_table('extraction_reports')
    op.drop_table('vocab_extraction_aspect')
    op.drop_table('vocab_agreement_kind')
