"""intake and screening: searches, search records, candidates, screening decisions

Revision ID: 0005
Revises: 0007
Create Date: 2026-12-01

Four new tables for `dress-registry intake`, `screen` and `prisma`
(registry/schema/models/screening.py), and three new vocabularies
(screening_stage, screening_decision, exclusion_reason) as small vocab_*
tables like the others, loaded with the rows frozen below (as
registry/schema/vocabulary.py defined them on 2026-12-01), never from live
code.

Reviewed by hand: new tables only, no change to an existing table, so no
batch "move and copy" of publications (and no need to drop the
discrepancies view; see 0002). The only reference into existing data is
candidates.publication_id -> publications.id, ON DELETE SET NULL (removing a
publication unlinks its candidate instead of blocking the seed). Every
constraint is named by the naming convention; the downgrade drops the
tables, children first.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0007'
branch_labels = None
depends_on = None

VOCABULARY_COLUMNS = ('code', 'label', 'definition', 'e2b_r3_code', 'openfda_code', 'category', 'sort_order')
VOCABULARY_ROWS = {
    'vocab_screening_stage': (
        ('title_abstract', 'Title/abstract screening', 'The record is judged on its title and abstract.', None, None, None, 1),
        ('full_text', 'Full-text eligibility', 'The report is read in full and judged against the inclusion criteria.', None, None, None, 2),
    ),
    'vocab_screening_decision': (
        ('include', 'Include', 'Goes on: to full-text assessment, or into the registry.', None, None, None, 1),
        ('exclude', 'Exclude', 'Left out, with a reason.', None, None, None, 2),
        ('pending', 'Pending', 'Not decided yet (unsure, to discuss).', None, None, None, 3),
    ),
    'vocab_exclusion_reason': (
        ('not_dress', 'Not DRESS', 'The reaction described is not DRESS (e.g. another SCAR, or a rash without systemic signs).', None, None, None, 1),
        ('not_drug_reaction', 'Not a drug reaction', 'The condition is not attributed to a drug.', None, None, None, 2),
        ('no_case_data', 'No individual case data', 'No patient is described individually (e.g. a review, a cohort without case details).', None, None, None, 3),
        ('duplicate_patient', 'Duplicate report of a known patient', 'Reports a patient the registry already holds from another publication.', None, None, None, 4),
        ('not_retrievable', 'Not retrievable', "The full text could not be obtained (full-text stage only: 'reports not retrieved').", None, None, None, 5),
        ('other', 'Other', 'Another reason, given in words.', None, None, None, 6),
    ),
}
VOCABULARY_COMMENTS = {
    'vocab_screening_stage': 'Vocabulary: Screening stage. Stage of study selection at which a search record is judged (PRISMA 2020). Source: PRISMA 2020 (Page et al., BMJ 2021;372:n71), flow diagram.',
    'vocab_screening_decision': 'Vocabulary: Screening decision. What a screener decided at one stage. Source: PRISMA 2020; registry-defined.',
    'vocab_exclusion_reason': 'Vocabulary: Exclusion reason. Why a record or report was excluded. Source: PRISMA 2020 (reports excluded, with reasons); registry-defined.',
}


def _vocab_table(name: str) -> None:
    op.create_table(name,
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f(f'pk_{name}')),
    sa.UniqueConstraint('label', name=op.f(f'uq_{name}_label')),
    comment=VOCABULARY_COMMENTS[name],
    )
    table = sa.table(name, *(sa.column(c) for c in VOCABULARY_COLUMNS))
    op.bulk_insert(table, [dict(zip(VOCABULARY_COLUMNS, row)) for row in VOCABULARY_ROWS[name]])


def upgrade() -> None:
    for name in VOCABULARY_ROWS:
        _vocab_table(name)
    op.create_table('searches',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('source', sa.String(length=100), nullable=False, comment='The database or register searched (e.g. PubMed, Embase), as the curator names it.'),
    sa.Column('searched_on', sa.Date(), nullable=True, comment='Date the search was run. NULL when the curator did not give it.'),
    sa.Column('file_name', sa.Text(), nullable=False, comment='Name of the loaded file (without its folder).'),
    sa.Column('file_format', sa.String(length=20), nullable=False, comment='Format of the file: medline, ris or bibtex.'),
    sa.Column('file_sha256', sa.String(length=64), nullable=False, comment="SHA-256 of the file's bytes: the same export is loaded once."),
    sa.Column('record_count', sa.Integer(), nullable=False, comment='Number of records in the file.'),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False, comment='When the file was loaded (UTC).'),
    sa.Column('loaded_by', sa.Text(), nullable=True, comment='Curator who loaded it (--curator or REGISTRY_CURATOR), when given.'),
    sa.CheckConstraint("file_format IN ('medline', 'ris', 'bibtex')", name=op.f('ck_searches_file_format_known')),
    sa.CheckConstraint('record_count >= 0', name=op.f('ck_searches_record_count_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_searches')),
    sa.UniqueConstraint('file_sha256', name=op.f('uq_searches_file_sha256')),
    comment='One loaded search export: which source was searched, when, and the file its results came in.'
    )
    with op.batch_alter_table('searches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_searches_source'), ['source'], unique=False)

    op.create_table('candidates',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('doi', sa.String(length=200), nullable=True, comment='DOI, normalised: lower case, without https://doi.org/ or doi:.'),
    sa.Column('pmid', sa.Integer(), nullable=True, comment='PubMed identifier.'),
    sa.Column('title', sa.Text(), nullable=False, comment='Title as the first record gives it.'),
    sa.Column('title_key', sa.Text(), nullable=False, comment="Normalised title + year + first author's surname, for matching records without shared identifiers."),
    sa.Column('authors', sa.Text(), nullable=True, comment="Authors as the first record lists them ('Surname AB; Surname CD')."),
    sa.Column('first_author', sa.Text(), nullable=True, comment="First author's surname as given."),
    sa.Column('year', sa.Integer(), nullable=True, comment='Year of publication.'),
    sa.Column('journal', sa.Text(), nullable=True, comment='Journal as the first record gives it.'),
    sa.Column('volume', sa.Text(), nullable=True, comment='Volume.'),
    sa.Column('issue', sa.Text(), nullable=True, comment='Issue.'),
    sa.Column('pages', sa.Text(), nullable=True, comment='Pages.'),
    sa.Column('publication_id', sa.Integer(), nullable=True, comment='The registry publication this work is, once it is in the registry (set at intake, or by `intake --link`); NULL again if that publication is removed.'),
    sa.Column('publication_match', sa.String(length=20), nullable=True, comment='How publication_id was matched: doi, pmid or title.'),
    sa.Column('in_registry_at_intake', sa.Boolean(), nullable=False, comment='True when the work was already a registry publication when first found: not screened, counted as removed before screening.'),
    sa.CheckConstraint("publication_match IS NULL OR publication_match IN ('doi', 'pmid', 'title')", name=op.f('ck_candidates_publication_match_known')),
    sa.CheckConstraint('pmid IS NULL OR pmid > 0', name=op.f('ck_candidates_pmid_positive')),
    sa.CheckConstraint('year IS NULL OR year BETWEEN 1800 AND 2100', name=op.f('ck_candidates_year_sane')),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_candidates_publication_id_publications'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidates')),
    sa.UniqueConstraint('doi', name=op.f('uq_candidates_doi')),
    sa.UniqueConstraint('pmid', name=op.f('uq_candidates_pmid')),
    comment='A work named by one or more search records (duplicates merged): what is screened, and linked to its registry publication once there.'
    )
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidates_publication_id'), ['publication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_candidates_title_key'), ['title_key'], unique=False)

    op.create_table('screening_decisions',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('candidate_id', sa.Integer(), nullable=False, comment='The candidate decided on.'),
    sa.Column('stage', sa.String(length=40), nullable=False, comment='Stage of the decision. Code from vocab_screening_stage (Screening stage).'),
    sa.Column('decision', sa.String(length=40), nullable=False, comment='The decision. Code from vocab_screening_decision (Screening decision).'),
    sa.Column('reason', sa.String(length=40), nullable=True, comment='Why excluded (set exactly when the decision is exclude). Code from vocab_exclusion_reason (Exclusion reason).'),
    sa.Column('reason_text', sa.Text(), nullable=True, comment="The reason in words (required for reason 'other'), or a note."),
    sa.Column('curator', sa.Text(), nullable=False, comment="Who decided (--curator, REGISTRY_CURATOR, or the sheet's curator column)."),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False, comment='When the decision was taken (UTC).'),
    sa.CheckConstraint("(decision = 'exclude') = (reason IS NOT NULL)", name=op.f('ck_screening_decisions_reason_iff_excluded')),
    sa.CheckConstraint("reason IS NULL OR reason <> 'not_retrievable' OR stage = 'full_text'", name=op.f('ck_screening_decisions_not_retrievable_at_full_text')),
    sa.CheckConstraint("reason IS NULL OR reason <> 'other' OR reason_text IS NOT NULL", name=op.f('ck_screening_decisions_other_reason_has_text')),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_screening_decisions_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decision'], ['vocab_screening_decision.code'], name=op.f('fk_screening_decisions_decision_vocab_screening_decision')),
    sa.ForeignKeyConstraint(['reason'], ['vocab_exclusion_reason.code'], name=op.f('fk_screening_decisions_reason_vocab_exclusion_reason')),
    sa.ForeignKeyConstraint(['stage'], ['vocab_screening_stage.code'], name=op.f('fk_screening_decisions_stage_vocab_screening_stage')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_decisions')),
    comment='Every screening decision, per candidate and stage, with who and when; never overwritten: the current decision of a stage is its latest row.'
    )
    with op.batch_alter_table('screening_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_decisions_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_decisions_decision'), ['decision'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_decisions_reason'), ['reason'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_decisions_stage'), ['stage'], unique=False)

    op.create_table('search_records',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('search_id', sa.Integer(), nullable=False, comment='The search export the record came in.'),
    sa.Column('position', sa.Integer(), nullable=False, comment='Position of the record in its file (1, 2, ...).'),
    sa.Column('source_record_id', sa.Text(), nullable=True, comment="The record's own identifier in the file (MEDLINE PMID, RIS ID, BibTeX key)."),
    sa.Column('doi_as_given', sa.Text(), nullable=True, comment='DOI exactly as the file gives it.'),
    sa.Column('pmid', sa.Integer(), nullable=True, comment='PubMed identifier given by the record.'),
    sa.Column('title', sa.Text(), nullable=True, comment='Title as the record gives it.'),
    sa.Column('first_author', sa.Text(), nullable=True, comment="First author's surname as the record gives it."),
    sa.Column('year', sa.Integer(), nullable=True, comment='Year as the record gives it.'),
    sa.Column('candidate_id', sa.Integer(), nullable=False, comment='The candidate this record names (the one it made, or the one it duplicates).'),
    sa.Column('is_duplicate', sa.Boolean(), nullable=False, comment='True when an earlier record (or a registry publication) already named this work: removed before screening.'),
    sa.Column('match_basis', sa.String(length=20), nullable=True, comment='For a duplicate: what matched, doi, pmid or title.'),
    sa.CheckConstraint("match_basis IS NULL OR match_basis IN ('doi', 'pmid', 'title')", name=op.f('ck_search_records_match_basis_known')),
    sa.CheckConstraint('is_duplicate = (match_basis IS NOT NULL)', name=op.f('ck_search_records_duplicate_has_basis')),
    sa.CheckConstraint('pmid IS NULL OR pmid > 0', name=op.f('ck_search_records_pmid_positive')),
    sa.CheckConstraint('position > 0', name=op.f('ck_search_records_position_positive')),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_search_records_candidate_id_candidates')),
    sa.ForeignKeyConstraint(['search_id'], ['searches.id'], name=op.f('fk_search_records_search_id_searches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_records')),
    sa.UniqueConstraint('search_id', 'position', name=op.f('uq_search_records_search_id_position')),
    comment='One record of a search export, with the identifiers as the file gives them; points at its candidate.'
    )
    with op.batch_alter_table('search_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_records_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_records_pmid'), ['pmid'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_records_search_id'), ['search_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('search_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_records_search_id'))
        batch_op.drop_index(batch_op.f('ix_search_records_pmid'))
        batch_op.drop_index(batch_op.f('ix_search_records_candidate_id'))

    op.drop_table('search_records')
    with op.batch_alter_table('screening_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_decisions_stage'))
        batch_op.drop_index(batch_op.f('ix_screening_decisions_reason'))
        batch_op.drop_index(batch_op.f('ix_screening_decisions_decision'))
        batch_op.drop_index(batch_op.f('ix_screening_decisions_candidate_id'))

    op.drop_table('screening_decisions')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidates_title_key'))
        batch_op.drop_index(batch_op.f('ix_candidates_publication_id'))

    op.drop_table('candidates')
    with op.batch_alter_table('searches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_searches_source'))

    op.drop_table('searches')
    for name in reversed(VOCABULARY_ROWS):
        op.drop_table(name)
