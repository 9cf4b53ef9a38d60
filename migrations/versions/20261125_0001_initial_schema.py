"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25

Creates every table of the registry and loads the controlled vocabularies
(registry.vocabulary) into the vocab_* tables.

Reviewed by hand. Data steps use explicit SQL or registry.vocabulary_sync,
never the ORM models, and must be idempotent. SQLite runs inside
batch_alter_table; every constraint is named.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

from registry.vocabulary_sync import sync_vocabularies


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drugs',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('name', sa.String(length=120), nullable=False, comment='Normalised substance name (INN, lower case), e.g. imatinib.'),
    sa.Column('atc_code', sa.String(length=10), nullable=True, comment='WHO ATC code.'),
    sa.Column('unii', sa.String(length=10), nullable=True, comment='FDA UNII.'),
    sa.Column('rxcui', sa.String(length=12), nullable=True, comment='RxNorm concept id.'),
    sa.Column('drug_class', sa.Text(), nullable=True, comment='Pharmacological class, free text (e.g. BCR-ABL/KIT tyrosine kinase inhibitor).'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drugs')),
    sa.UniqueConstraint('name', name=op.f('uq_drugs_name')),
    comment='Substances, by normalised name (INN, lower case), with optional standard codes.'
    )
    op.create_table('vocab_action_taken',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_action_taken')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_action_taken_label')),
    comment='Vocabulary: Action taken with drug. What was done with the drug because of the reaction. Source: ICH E2B(R3) Implementation Guide (2013), G.k.8; openFDA actiondrug.'
    )
    op.create_table('vocab_age_unit',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_age_unit')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_age_unit_label')),
    comment='Vocabulary: Age unit. Unit of the reported age (UCUM codes as in E2B D.2.2b). Source: ICH E2B(R3) Implementation Guide (2013), D.2.2b; openFDA patientonsetageunit.'
    )
    op.create_table('vocab_analyte',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_analyte')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_analyte_label')),
    comment='Vocabulary: Analyte. Laboratory measurement. Source: registry-defined (LOINC names in definitions).'
    )
    op.create_table('vocab_article_type',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_article_type')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_article_type_label')),
    comment='Vocabulary: Article type. Kind of publication. Source: registry-defined.'
    )
    op.create_table('vocab_assessor',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_assessor')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_assessor_label')),
    comment='Vocabulary: Assessor. Who made an assessment. Source: registry-defined.'
    )
    op.create_table('vocab_case_link_role',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_case_link_role')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_case_link_role_label')),
    comment='Vocabulary: Case-publication link. Role of a publication for a case. Source: registry-defined.'
    )
    op.create_table('vocab_challenge_result',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_challenge_result')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_challenge_result_label')),
    comment='Vocabulary: Challenge result. Outcome of a re-exposure. Source: ICH E2B(R3) Implementation Guide (2013), G.k.9.i.4 (1 recurred, 2 did not recur, 3 unknown); openFDA drugrecurreadministration.'
    )
    op.create_table('vocab_challenge_type',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_challenge_type')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_challenge_type_label')),
    comment='Vocabulary: Challenge type. Kind of re-exposure to the suspect drug. Source: registry-defined.'
    )
    op.create_table('vocab_comparator',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_comparator')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_comparator_label')),
    comment='Vocabulary: Comparator. Qualifier of a numeric result. Source: ICH E2B(R3) Implementation Guide (2013), F.r.3.2.'
    )
    op.create_table('vocab_dechallenge_result',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_dechallenge_result')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_dechallenge_result_label')),
    comment='Vocabulary: Dechallenge result. Did the reaction abate after the drug was stopped or reduced? Source: openFDA drugadditional (1 yes, 2 no, 3 does not apply); registry extensions.'
    )
    op.create_table('vocab_derivation',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_derivation')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_derivation_label')),
    comment='Vocabulary: Derivation. How a stored value was obtained from the source. Source: registry-defined.'
    )
    op.create_table('vocab_dose_change_reason',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_dose_change_reason')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_dose_change_reason_label')),
    comment='Vocabulary: Reason for a dose row. Why a dose regimen row starts. Source: registry-defined.'
    )
    op.create_table('vocab_dose_unit',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_dose_unit')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_dose_unit_label')),
    comment='Vocabulary: Dose unit. Unit of a dose, as ASCII UCUM codes (µg is stored as ug). Source: ICH E2B(R3) Implementation Guide (2013), G.k.4.r.1b (UCUM); openFDA drugstructuredosageunit.'
    )
    op.create_table('vocab_evidence_status',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_evidence_status')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_evidence_status_label')),
    comment='Vocabulary: Evidence status. What a source says about a fact. Source: HL7 nullFlavor as used by E2B(R3); registry-defined.'
    )
    op.create_table('vocab_exposure_role',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_exposure_role')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_exposure_role_label')),
    comment='Vocabulary: Drug role. Role of a drug in the case. Codes 1-3 follow E2B G.k.1; the rest extend it for literature cases. Source: ICH E2B(R3) Implementation Guide (2013), G.k.1; openFDA drugcharacterization.'
    )
    op.create_table('vocab_finding',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_finding')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_finding_label')),
    comment='Vocabulary: Clinical finding. Features of the reaction and organ involvement, each recorded with a status. Source: RegiSCAR DRESS score items (Kardaun 2007/2013); registry-defined.'
    )
    op.create_table('vocab_finding_status',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_finding_status')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_finding_status_label')),
    comment='Vocabulary: Finding status. Whether a finding was present, and how we know. Source: HL7 nullFlavor as used by E2B(R3) (NI, ASKU, NASK); registry-defined.'
    )
    op.create_table('vocab_instrument',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_instrument')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_instrument_label')),
    comment='Vocabulary: Assessment instrument. Diagnostic or causality instrument. Source: see registry/scoring/instruments.'
    )
    op.create_table('vocab_investigation',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_investigation')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_investigation_label')),
    comment='Vocabulary: Investigation. Tests for other causes and for viral reactivation. Source: RegiSCAR item 8 (evaluation of other causes); registry-defined.'
    )
    op.create_table('vocab_lab_unit',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_lab_unit')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_lab_unit_label')),
    comment='Vocabulary: Laboratory unit. Unit of a lab value (ASCII UCUM; µ stored as u). Source: ICH E2B(R3) Implementation Guide (2013), F.r.3.3 (UCUM).'
    )
    op.create_table('vocab_reaction_outcome',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_reaction_outcome')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_reaction_outcome_label')),
    comment='Vocabulary: Outcome of reaction. Outcome of the reaction at last follow-up. Source: ICH E2B(R3) Implementation Guide (2013), E.i.7; openFDA reactionoutcome (unknown = 6).'
    )
    op.create_table('vocab_registry_diagnosis',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_registry_diagnosis')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_registry_diagnosis_label')),
    comment="Vocabulary: Registry diagnosis. The registry's judgement of the diagnosis, separate from the authors' wording. Source: registry-defined."
    )
    op.create_table('vocab_route',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_route')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_route_label')),
    comment='Vocabulary: Route. Route of administration; openFDA R2 numeric codes kept for mapping. Source: ICH E2B(R3) Implementation Guide (2013), G.k.4.r.10; openFDA drugadministrationroute.'
    )
    op.create_table('vocab_sex',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_sex')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_sex_label')),
    comment='Vocabulary: Sex. Sex of the patient as reported. Source: ICH E2B(R3) Implementation Guide (2013), D.5; openFDA patientsex.'
    )
    op.create_table('vocab_source_access',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_source_access')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_source_access_label')),
    comment="Vocabulary: Source access. How much of a publication the registry's curators could read. Source: registry-defined."
    )
    op.create_table('vocab_test_result',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_test_result')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_test_result_label')),
    comment='Vocabulary: Test result. Qualitative result of an investigation. Source: ICH E2B(R3) Implementation Guide (2013), F.r.3.1.'
    )
    op.create_table('vocab_therapy_fate',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_therapy_fate')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_therapy_fate_label')),
    comment='Vocabulary: Fate of the suspect therapy. What became of the treatment the suspect drug was given for. Source: registry-defined.'
    )
    op.create_table('vocab_time_unit',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_time_unit')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_time_unit_label')),
    comment='Vocabulary: Time unit. Unit of an interval (UCUM). Source: ICH E2B(R3) Implementation Guide (2013), G.k.4.r.3; openFDA drugintervaldosagedefinition.'
    )
    op.create_table('vocab_treatment_category',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_treatment_category')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_treatment_category_label')),
    comment='Vocabulary: Treatment category. Kind of treatment given for the reaction. Source: registry-defined.'
    )
    op.create_table('vocab_treatment_response',
    sa.Column('code', sa.String(length=40), nullable=False, comment='Stable code stored in data tables.'),
    sa.Column('label', sa.Text(), nullable=False, comment='Human-readable label.'),
    sa.Column('definition', sa.Text(), nullable=False, comment='What the code means.'),
    sa.Column('e2b_r3_code', sa.Text(), nullable=True, comment='Corresponding ICH E2B(R3) code, where one exists.'),
    sa.Column('openfda_code', sa.Text(), nullable=True, comment='Corresponding FAERS/openFDA (R2) code, where one exists.'),
    sa.Column('category', sa.Text(), nullable=True, comment='Grouping of the term, where the vocabulary has one.'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='Display order.'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_vocab_treatment_response')),
    sa.UniqueConstraint('label', name=op.f('uq_vocab_treatment_response_label')),
    comment='Vocabulary: Response to treatment. How the reaction responded. Source: registry-defined.'
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_key', sa.String(length=80), nullable=False, comment='Stable public key, e.g. park2021-1 (publication key + case number in it).'),
    sa.Column('label_in_source', sa.Text(), nullable=True, comment="How the primary report refers to the patient (e.g. 'Case 2')."),
    sa.Column('age_value', sa.Float(), nullable=True, comment='Age at onset, in age_unit. NULL when unknown (see evidence for why).'),
    sa.Column('age_unit', sa.String(length=40), nullable=True, comment='Unit of age_value. Code from vocab_age_unit (Age unit).'),
    sa.Column('age_is_approximate', sa.Boolean(), nullable=False, comment="True when the source gives an approximate age (e.g. 'in her sixties')."),
    sa.Column('sex', sa.String(length=40), nullable=True, comment='Sex of the patient. NULL when unknown. Code from vocab_sex (Sex).'),
    sa.Column('country', sa.String(length=2), nullable=True, comment='Country where the patient was treated (ISO 3166-1 alpha-2). NULL when unknown.'),
    sa.Column('diagnosis_as_reported', sa.Text(), nullable=True, comment="The diagnosis in the authors' terms (paraphrased)."),
    sa.Column('registry_diagnosis', sa.String(length=40), nullable=True, comment="The registry's judgement of the diagnosis. Code from vocab_registry_diagnosis (Registry diagnosis)."),
    sa.Column('day1_anchor', sa.Text(), nullable=False, comment='What day 1 is for this case (normally the first dose of the suspect drug), in words.'),
    sa.Column('onset_day', sa.Integer(), nullable=True, comment='First signs of the reaction. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('onset_is_approximate', sa.Boolean(), nullable=False, comment="True when the onset day comes from an approximate statement (e.g. 'two weeks later')."),
    sa.Column('summary', sa.Text(), nullable=True, comment="Curator's short paraphrase of the case."),
    sa.Column('is_synthetic', sa.Boolean(), nullable=False, comment='True for benchmark data made by `dress-registry synth`.'),
    sa.Column('row_version', sa.Integer(), nullable=False, comment='Optimistic-lock counter: bumped on every edit so concurrent edits are detected.'),
    sa.CheckConstraint("age_value IS NULL OR (age_value >= 0 AND (age_unit <> 'a' OR age_value <= 120))", name=op.f('ck_cases_age_0_120_years')),
    sa.CheckConstraint('(age_value IS NULL) = (age_unit IS NULL)', name=op.f('ck_cases_age_value_has_unit')),
    sa.CheckConstraint('onset_day BETWEEN -36500 AND 36500', name=op.f('ck_cases_onset_day_sane')),
    sa.ForeignKeyConstraint(['age_unit'], ['vocab_age_unit.code'], name=op.f('fk_cases_age_unit_vocab_age_unit')),
    sa.ForeignKeyConstraint(['registry_diagnosis'], ['vocab_registry_diagnosis.code'], name=op.f('fk_cases_registry_diagnosis_vocab_registry_diagnosis')),
    sa.ForeignKeyConstraint(['sex'], ['vocab_sex.code'], name=op.f('fk_cases_sex_vocab_sex')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('case_key', name=op.f('uq_cases_case_key')),
    comment="One patient's episode of drug-induced DRESS as published. Relative days count from day 1 = first dose of the suspect drug."
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_age_unit'), ['age_unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_country'), ['country'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_registry_diagnosis'), ['registry_diagnosis'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_sex'), ['sex'], unique=False)

    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('key', sa.String(length=60), nullable=False, comment='Stable public key, e.g. park2021; names the seed file.'),
    sa.Column('authors', sa.Text(), nullable=False, comment="Authors as listed (Vancouver style, 'Surname AB, Surname CD')."),
    sa.Column('title', sa.Text(), nullable=False, comment='Title as published (original language).'),
    sa.Column('title_english', sa.Text(), nullable=True, comment='English title where the original is in another language.'),
    sa.Column('journal', sa.Text(), nullable=False, comment='Journal (abbreviated NLM title).'),
    sa.Column('year', sa.Integer(), nullable=False, comment='Year of publication.'),
    sa.Column('volume', sa.Text(), nullable=True, comment='Volume.'),
    sa.Column('issue', sa.Text(), nullable=True, comment='Issue (or supplement).'),
    sa.Column('pages', sa.Text(), nullable=True, comment='Page range.'),
    sa.Column('doi', sa.String(length=200), nullable=True, comment='DOI, lower case, without https://doi.org/.'),
    sa.Column('pmid', sa.Integer(), nullable=True, comment='PubMed identifier.'),
    sa.Column('pmcid', sa.String(length=20), nullable=True, comment='PubMed Central identifier (PMC...).'),
    sa.Column('language', sa.String(length=8), nullable=True, comment='Language of the full text (ISO 639-1).'),
    sa.Column('article_type', sa.String(length=40), nullable=False, comment='Kind of publication. Code from vocab_article_type (Article type).'),
    sa.Column('url', sa.Text(), nullable=True, comment='Publisher or archive address of the article.'),
    sa.Column('licence', sa.Text(), nullable=True, comment='Licence of the article, where stated (e.g. CC BY-NC 4.0).'),
    sa.Column('source_access', sa.String(length=40), nullable=False, comment='How much of the publication the curators could read. Code from vocab_source_access (Source access).'),
    sa.Column('accessed_via', sa.Text(), nullable=True, comment='Addresses of the pages the curators actually read (one per line).'),
    sa.Column('notes', sa.Text(), nullable=True, comment="Curator's notes on this publication (paraphrased)."),
    sa.Column('is_synthetic', sa.Boolean(), nullable=False, comment='True for benchmark data made by `dress-registry synth`.'),
    sa.CheckConstraint('pmid IS NULL OR pmid > 0', name=op.f('ck_publications_pmid_positive')),
    sa.CheckConstraint('year BETWEEN 1900 AND 2100', name=op.f('ck_publications_year_sane')),
    sa.ForeignKeyConstraint(['article_type'], ['vocab_article_type.code'], name=op.f('fk_publications_article_type_vocab_article_type')),
    sa.ForeignKeyConstraint(['source_access'], ['vocab_source_access.code'], name=op.f('fk_publications_source_access_vocab_source_access')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications')),
    sa.UniqueConstraint('doi', name=op.f('uq_publications_doi')),
    sa.UniqueConstraint('key', name=op.f('uq_publications_key')),
    sa.UniqueConstraint('pmcid', name=op.f('uq_publications_pmcid')),
    sa.UniqueConstraint('pmid', name=op.f('uq_publications_pmid')),
    comment='Publications that report or summarise cases, with full citation and what the registry could read of each.'
    )
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publications_article_type'), ['article_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_publications_journal'), ['journal'], unique=False)
        batch_op.create_index(batch_op.f('ix_publications_source_access'), ['source_access'], unique=False)
        batch_op.create_index(batch_op.f('ix_publications_year'), ['year'], unique=False)

    op.create_table('case_outcomes',
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('reaction_outcome', sa.String(length=40), nullable=True, comment='Outcome of the reaction at last follow-up. Code from vocab_reaction_outcome (Outcome of reaction).'),
    sa.Column('resolution_day', sa.Integer(), nullable=True, comment='Day the reaction resolved. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('time_to_resolution_days', sa.Integer(), nullable=True, comment='Days from onset (or from withdrawal, see notes) to resolution.'),
    sa.Column('follow_up_days', sa.Integer(), nullable=True, comment='Days of follow-up after onset.'),
    sa.Column('death', sa.Boolean(), nullable=True, comment='True if the patient died during follow-up, whatever the cause.'),
    sa.Column('therapy_fate', sa.String(length=40), nullable=True, comment='What became of the suspect therapy. Code from vocab_therapy_fate (Fate of the suspect therapy).'),
    sa.Column('switched_to_drug_id', sa.Integer(), nullable=True, comment='Drug that replaced the suspect drug, if any.'),
    sa.Column('notes', sa.Text(), nullable=True, comment="Curator's notes (paraphrased)."),
    sa.CheckConstraint('follow_up_days IS NULL OR follow_up_days >= 0', name=op.f('ck_case_outcomes_follow_up_nonnegative')),
    sa.CheckConstraint('resolution_day BETWEEN -36500 AND 36500', name=op.f('ck_case_outcomes_resolution_day_sane')),
    sa.CheckConstraint('time_to_resolution_days IS NULL OR time_to_resolution_days >= 0', name=op.f('ck_case_outcomes_resolution_nonnegative')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_outcomes_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reaction_outcome'], ['vocab_reaction_outcome.code'], name=op.f('fk_case_outcomes_reaction_outcome_vocab_reaction_outcome')),
    sa.ForeignKeyConstraint(['switched_to_drug_id'], ['drugs.id'], name=op.f('fk_case_outcomes_switched_to_drug_id_drugs')),
    sa.ForeignKeyConstraint(['therapy_fate'], ['vocab_therapy_fate.code'], name=op.f('fk_case_outcomes_therapy_fate_vocab_therapy_fate')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_outcomes')),
    comment='Outcome of the reaction at last follow-up (E2B E.i.7), time to resolution, death, and what became of the suspect therapy.'
    )
    with op.batch_alter_table('case_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_outcomes_reaction_outcome'), ['reaction_outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_outcomes_switched_to_drug_id'), ['switched_to_drug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_outcomes_therapy_fate'), ['therapy_fate'], unique=False)

    op.create_table('case_publications',
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('publication_id', sa.Integer(), nullable=False, comment='The publication.'),
    sa.Column('role', sa.String(length=40), nullable=False, comment='Role of the publication for this case. Code from vocab_case_link_role (Case-publication link).'),
    sa.Column('label_in_publication', sa.Text(), nullable=True, comment="How this publication refers to the case (e.g. 'ref. 16')."),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_publications_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_case_publications_publication_id_publications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role'], ['vocab_case_link_role.code'], name=op.f('fk_case_publications_role_vocab_case_link_role')),
    sa.PrimaryKeyConstraint('case_id', 'publication_id', name=op.f('pk_case_publications')),
    comment='Which publications report or summarise each case, and in what role.'
    )
    with op.batch_alter_table('case_publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_publications_publication_id'), ['publication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_publications_role'), ['role'], unique=False)

    op.create_table('citations',
    sa.Column('citing_publication_id', sa.Integer(), nullable=False, comment='The citing publication.'),
    sa.Column('cited_publication_id', sa.Integer(), nullable=False, comment='The cited publication.'),
    sa.Column('reference_number', sa.Integer(), nullable=False, comment="Number of the reference in the citing publication's list."),
    sa.Column('context', sa.Text(), nullable=True, comment='Where and why it is cited (paraphrased).'),
    sa.CheckConstraint('citing_publication_id <> cited_publication_id', name=op.f('ck_citations_not_self')),
    sa.CheckConstraint('reference_number > 0', name=op.f('ck_citations_reference_number_positive')),
    sa.ForeignKeyConstraint(['cited_publication_id'], ['publications.id'], name=op.f('fk_citations_cited_publication_id_publications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['citing_publication_id'], ['publications.id'], name=op.f('fk_citations_citing_publication_id_publications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('citing_publication_id', 'cited_publication_id', name=op.f('pk_citations')),
    sa.UniqueConstraint('citing_publication_id', 'reference_number', name=op.f('uq_citations_citing_publication_id_reference_number')),
    comment='Citation graph: which publication cites which, with the reference number in the citing paper.'
    )
    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citations_cited_publication_id'), ['cited_publication_id'], unique=False)

    op.create_table('drug_exposures',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='Order of the exposure within the case (1, 2, ...).'),
    sa.Column('drug_id', sa.Integer(), nullable=False, comment='The drug.'),
    sa.Column('role', sa.String(length=40), nullable=False, comment='Role of the drug in the case. Code from vocab_exposure_role (Drug role).'),
    sa.Column('indication', sa.Text(), nullable=True, comment='What the drug was given for (normalised disease name, e.g. chronic myeloid leukaemia).'),
    sa.Column('route', sa.String(length=40), nullable=True, comment='Route of administration. Code from vocab_route (Route).'),
    sa.Column('start_day', sa.Integer(), nullable=True, comment='First dose of this exposure. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('stop_day', sa.Integer(), nullable=True, comment='Last dose of this exposure (NULL if ongoing or unknown). Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('action_taken', sa.String(length=40), nullable=True, comment='What was done with the drug because of the reaction (E2B G.k.8). Code from vocab_action_taken (Action taken with drug).'),
    sa.Column('dechallenge_result', sa.String(length=40), nullable=True, comment='Whether the reaction abated after stopping or reducing the drug. Code from vocab_dechallenge_result (Dechallenge result).'),
    sa.Column('notes', sa.Text(), nullable=True, comment="Curator's notes (paraphrased)."),
    sa.CheckConstraint('start_day BETWEEN -36500 AND 36500', name=op.f('ck_drug_exposures_start_day_sane')),
    sa.CheckConstraint('stop_day BETWEEN -36500 AND 36500', name=op.f('ck_drug_exposures_stop_day_sane')),
    sa.CheckConstraint('stop_day IS NULL OR start_day IS NULL OR stop_day >= start_day', name=op.f('ck_drug_exposures_stop_after_start')),
    sa.ForeignKeyConstraint(['action_taken'], ['vocab_action_taken.code'], name=op.f('fk_drug_exposures_action_taken_vocab_action_taken')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_drug_exposures_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dechallenge_result'], ['vocab_dechallenge_result.code'], name=op.f('fk_drug_exposures_dechallenge_result_vocab_dechallenge_result')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_drug_exposures_drug_id_drugs')),
    sa.ForeignKeyConstraint(['role'], ['vocab_exposure_role.code'], name=op.f('fk_drug_exposures_role_vocab_exposure_role')),
    sa.ForeignKeyConstraint(['route'], ['vocab_route.code'], name=op.f('fk_drug_exposures_route_vocab_route')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drug_exposures')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_drug_exposures_case_id_seq')),
    comment="A patient's exposure to one drug within a case: role, indication, route, when it started and stopped, and what was done because of the reaction."
    )
    with op.batch_alter_table('drug_exposures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drug_exposures_action_taken'), ['action_taken'], unique=False)
        batch_op.create_index(batch_op.f('ix_drug_exposures_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drug_exposures_dechallenge_result'), ['dechallenge_result'], unique=False)
        batch_op.create_index(batch_op.f('ix_drug_exposures_drug_id'), ['drug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drug_exposures_indication'), ['indication'], unique=False)
        batch_op.create_index(batch_op.f('ix_drug_exposures_role'), ['role'], unique=False)
        batch_op.create_index(batch_op.f('ix_drug_exposures_route'), ['route'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_id', sa.Integer(), nullable=True, comment='The case the fact belongs to (NULL for publication-level facts).'),
    sa.Column('subject_table', sa.String(length=40), nullable=False, comment='Table holding the fact (e.g. cases, dose_regimens).'),
    sa.Column('subject_id', sa.Integer(), nullable=False, comment='Primary key of the row holding the fact (case_id for case_outcomes).'),
    sa.Column('field', sa.String(length=60), nullable=True, comment='Column of the fact; NULL when the evidence covers the whole row.'),
    sa.Column('publication_id', sa.Integer(), nullable=False, comment='Publication the evidence comes from.'),
    sa.Column('status', sa.String(length=40), nullable=False, comment='Stated, not reported by the source, or source not available. Code from vocab_evidence_status (Evidence status).'),
    sa.Column('locator', sa.Text(), nullable=True, comment='Where in the publication (section, paragraph, page, figure, table).'),
    sa.Column('derivation', sa.String(length=40), nullable=True, comment='How the stored value was obtained. Code from vocab_derivation (Derivation).'),
    sa.Column('value_as_stated', sa.Text(), nullable=True, comment='The value as the source gives it (short; a number, unit or term, not a passage).'),
    sa.Column('is_curated', sa.Boolean(), nullable=False, comment='True when the stored value follows this source.'),
    sa.Column('curation_note', sa.Text(), nullable=True, comment='Why the stored value follows (or does not follow) this source; derivation details.'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_evidence_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['derivation'], ['vocab_derivation.code'], name=op.f('fk_evidence_derivation_vocab_derivation')),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_evidence_publication_id_publications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status'], ['vocab_evidence_status.code'], name=op.f('fk_evidence_status_vocab_evidence_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    comment='Provenance of every stored fact (and of every missing one): publication, locator, derivation and status.'
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_derivation'), ['derivation'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_publication_id'), ['publication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_status'), ['status'], unique=False)
        batch_op.create_index('ix_evidence_subject', ['subject_table', 'subject_id', 'field'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('finding', sa.String(length=40), nullable=False, comment='The feature or organ. Code from vocab_finding (Clinical finding).'),
    sa.Column('status', sa.String(length=40), nullable=False, comment='Present, absent, not done, not reported, or source not available. Code from vocab_finding_status (Finding status).'),
    sa.Column('day', sa.Integer(), nullable=True, comment='When the finding was first noted. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('detail', sa.Text(), nullable=True, comment='Short paraphrase of what the source says (e.g. extent, morphology).'),
    sa.CheckConstraint('day BETWEEN -36500 AND 36500', name=op.f('ck_findings_day_sane')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_findings_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finding'], ['vocab_finding.code'], name=op.f('fk_findings_finding_vocab_finding')),
    sa.ForeignKeyConstraint(['status'], ['vocab_finding_status.code'], name=op.f('fk_findings_status_vocab_finding_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings')),
    sa.UniqueConstraint('case_id', 'finding', name=op.f('uq_findings_case_id_finding')),
    comment='Clinical features and organ involvement of the reaction, each with a status that keeps present, absent, not reported and source-not-available apart.'
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_finding'), ['finding'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_status'), ['status'], unique=False)

    op.create_table('investigations',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='Order of the investigation within the case.'),
    sa.Column('test', sa.String(length=40), nullable=False, comment='What was tested. Code from vocab_investigation (Investigation).'),
    sa.Column('result', sa.String(length=40), nullable=True, comment='Qualitative result. Code from vocab_test_result (Test result).'),
    sa.Column('day', sa.Integer(), nullable=True, comment='When the test was done. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('detail', sa.Text(), nullable=True, comment='Short paraphrase (method, specimen).'),
    sa.CheckConstraint('day BETWEEN -36500 AND 36500', name=op.f('ck_investigations_day_sane')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_investigations_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result'], ['vocab_test_result.code'], name=op.f('fk_investigations_result_vocab_test_result')),
    sa.ForeignKeyConstraint(['test'], ['vocab_investigation.code'], name=op.f('fk_investigations_test_vocab_investigation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investigations')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_investigations_case_id_seq')),
    comment='Tests for other causes (serology, cultures, ANA) and for viral reactivation, with their qualitative result (E2B F.r.3.1).'
    )
    with op.batch_alter_table('investigations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_investigations_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigations_result'), ['result'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigations_test'), ['test'], unique=False)

    op.create_table('lab_results',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='Order of the measurement within the case (chronological where known).'),
    sa.Column('analyte', sa.String(length=40), nullable=False, comment='What was measured. Code from vocab_analyte (Analyte).'),
    sa.Column('value', sa.Float(), nullable=False, comment='Numeric value, in unit.'),
    sa.Column('comparator', sa.String(length=40), nullable=False, comment='Qualifier of the value (E2B F.r.3.2). Code from vocab_comparator (Comparator).'),
    sa.Column('unit', sa.String(length=40), nullable=False, comment='Unit of value. Code from vocab_lab_unit (Laboratory unit).'),
    sa.Column('ref_low', sa.Float(), nullable=True, comment='Lower limit of the reference range, in unit.'),
    sa.Column('ref_high', sa.Float(), nullable=True, comment='Upper limit of the reference range, in unit.'),
    sa.Column('day', sa.Integer(), nullable=True, comment='When the sample was taken. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('day_is_approximate', sa.Boolean(), nullable=True, comment='True when the day comes from an approximate statement.'),
    sa.Column('time_point', sa.Text(), nullable=True, comment="Labelled time point in words (e.g. 'admission for second flare')."),
    sa.CheckConstraint('day BETWEEN -36500 AND 36500', name=op.f('ck_lab_results_day_sane')),
    sa.CheckConstraint('ref_low IS NULL OR ref_high IS NULL OR ref_low <= ref_high', name=op.f('ck_lab_results_ref_range_ordered')),
    sa.CheckConstraint('value >= 0', name=op.f('ck_lab_results_value_nonnegative')),
    sa.ForeignKeyConstraint(['analyte'], ['vocab_analyte.code'], name=op.f('fk_lab_results_analyte_vocab_analyte')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_lab_results_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comparator'], ['vocab_comparator.code'], name=op.f('fk_lab_results_comparator_vocab_comparator')),
    sa.ForeignKeyConstraint(['unit'], ['vocab_lab_unit.code'], name=op.f('fk_lab_results_unit_vocab_lab_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_results')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_lab_results_case_id_seq')),
    comment='Laboratory values in long form: one row per analyte per time point, with unit, comparator and reference range.'
    )
    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_results_analyte'), ['analyte'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_results_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_results_comparator'), ['comparator'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_results_unit'), ['unit'], unique=False)

    op.create_table('treatments',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='Order of the treatment within the case.'),
    sa.Column('drug_id', sa.Integer(), nullable=True, comment='The agent, when it is a drug.'),
    sa.Column('category', sa.String(length=40), nullable=False, comment='Kind of treatment. Code from vocab_treatment_category (Treatment category).'),
    sa.Column('dose_value', sa.Float(), nullable=True, comment='Dose per administration, in dose_unit.'),
    sa.Column('dose_unit', sa.String(length=40), nullable=True, comment='Unit of dose_value. Code from vocab_dose_unit (Dose unit).'),
    sa.Column('route', sa.String(length=40), nullable=True, comment='Route of administration. Code from vocab_route (Route).'),
    sa.Column('start_day', sa.Integer(), nullable=True, comment='First day of the treatment. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('stop_day', sa.Integer(), nullable=True, comment='Last day of the treatment. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('response', sa.String(length=40), nullable=True, comment='How the reaction responded. Code from vocab_treatment_response (Response to treatment).'),
    sa.Column('notes', sa.Text(), nullable=True, comment="Curator's notes (paraphrased)."),
    sa.CheckConstraint('dose_value IS NULL OR dose_value > 0', name=op.f('ck_treatments_dose_positive')),
    sa.CheckConstraint('start_day BETWEEN -36500 AND 36500', name=op.f('ck_treatments_start_day_sane')),
    sa.CheckConstraint('stop_day BETWEEN -36500 AND 36500', name=op.f('ck_treatments_stop_day_sane')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_treatments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category'], ['vocab_treatment_category.code'], name=op.f('fk_treatments_category_vocab_treatment_category')),
    sa.ForeignKeyConstraint(['dose_unit'], ['vocab_dose_unit.code'], name=op.f('fk_treatments_dose_unit_vocab_dose_unit')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_treatments_drug_id_drugs')),
    sa.ForeignKeyConstraint(['response'], ['vocab_treatment_response.code'], name=op.f('fk_treatments_response_vocab_treatment_response')),
    sa.ForeignKeyConstraint(['route'], ['vocab_route.code'], name=op.f('fk_treatments_route_vocab_route')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_treatments')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_treatments_case_id_seq')),
    comment='Treatments given for the reaction (agent, dose, route, when, response).'
    )
    with op.batch_alter_table('treatments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_treatments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatments_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatments_dose_unit'), ['dose_unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatments_drug_id'), ['drug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatments_response'), ['response'], unique=False)
        batch_op.create_index(batch_op.f('ix_treatments_route'), ['route'], unique=False)

    op.create_table('assessments',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('case_id', sa.Integer(), nullable=False, comment='The case.'),
    sa.Column('exposure_id', sa.Integer(), nullable=True, comment='The drug exposure assessed (Naranjo is per drug); NULL for case-level instruments.'),
    sa.Column('instrument', sa.String(length=40), nullable=False, comment='Instrument used. Code from vocab_instrument (Assessment instrument).'),
    sa.Column('instrument_version', sa.String(length=40), nullable=True, comment='Version of the instrument definition used.'),
    sa.Column('assessor', sa.String(length=40), nullable=False, comment='Who assessed. Code from vocab_assessor (Assessor).'),
    sa.Column('total', sa.Integer(), nullable=True, comment="Total score (authors': as published; registry: under the instrument's own rule for unknown items)."),
    sa.Column('total_min', sa.Integer(), nullable=True, comment='Lowest total still possible given unknown items (registry only).'),
    sa.Column('total_max', sa.Integer(), nullable=True, comment='Highest total still possible given unknown items (registry only).'),
    sa.Column('category', sa.Text(), nullable=True, comment='Category for total (e.g. possible, probable).'),
    sa.Column('category_range', sa.Text(), nullable=True, comment='Categories spanned by total_min..total_max (e.g. possible-probable).'),
    sa.Column('notes', sa.Text(), nullable=True, comment="Notes, e.g. where the authors' items do not add up to their total."),
    sa.CheckConstraint("instrument <> 'naranjo' OR ((total IS NULL OR total BETWEEN -4 AND 13) AND (total_min IS NULL OR total_min >= -4) AND (total_max IS NULL OR total_max <= 13))", name=op.f('ck_assessments_naranjo_range')),
    sa.CheckConstraint("instrument <> 'regiscar_dress' OR ((total IS NULL OR total BETWEEN -4 AND 9) AND (total_min IS NULL OR total_min >= -4) AND (total_max IS NULL OR total_max <= 9))", name=op.f('ck_assessments_regiscar_range')),
    sa.CheckConstraint('total_min IS NULL OR total_max IS NULL OR total_min <= total_max', name=op.f('ck_assessments_interval_ordered')),
    sa.ForeignKeyConstraint(['assessor'], ['vocab_assessor.code'], name=op.f('fk_assessments_assessor_vocab_assessor')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_assessments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exposure_id'], ['drug_exposures.id'], name=op.f('fk_assessments_exposure_id_drug_exposures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instrument'], ['vocab_instrument.code'], name=op.f('fk_assessments_instrument_vocab_instrument')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('case_id', 'instrument', 'assessor', 'exposure_id', name=op.f('uq_assessments_case_id_instrument_assessor_exposure_id')),
    comment='A score or category from one instrument, as the authors published it or as the registry computed it from the stored facts.'
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_assessor'), ['assessor'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_exposure_id'), ['exposure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_instrument'), ['instrument'], unique=False)

    op.create_table('challenge_events',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('exposure_id', sa.Integer(), nullable=False, comment='The exposure re-started or continued.'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='Order of the event within the exposure.'),
    sa.Column('challenge_type', sa.String(length=40), nullable=False, comment='Kind of re-exposure. Code from vocab_challenge_type (Challenge type).'),
    sa.Column('start_day', sa.Integer(), nullable=True, comment='First day of the re-exposure. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('premedication', sa.Text(), nullable=True, comment='Drugs given to cover the re-exposure (e.g. antihistamine, low-dose prednisolone).'),
    sa.Column('result', sa.String(length=40), nullable=True, comment='Result of the re-exposure. NULL when not reported (see evidence). Code from vocab_challenge_result (Challenge result).'),
    sa.Column('time_to_recurrence_days', sa.Integer(), nullable=True, comment='Days from the start of the re-exposure to recurrence.'),
    sa.Column('notes', sa.Text(), nullable=True, comment="Curator's notes (paraphrased)."),
    sa.CheckConstraint('start_day BETWEEN -36500 AND 36500', name=op.f('ck_challenge_events_start_day_sane')),
    sa.CheckConstraint('time_to_recurrence_days IS NULL OR time_to_recurrence_days >= 0', name=op.f('ck_challenge_events_recurrence_nonnegative')),
    sa.ForeignKeyConstraint(['challenge_type'], ['vocab_challenge_type.code'], name=op.f('fk_challenge_events_challenge_type_vocab_challenge_type')),
    sa.ForeignKeyConstraint(['exposure_id'], ['drug_exposures.id'], name=op.f('fk_challenge_events_exposure_id_drug_exposures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result'], ['vocab_challenge_result.code'], name=op.f('fk_challenge_events_result_vocab_challenge_result')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_events')),
    sa.UniqueConstraint('exposure_id', 'seq', name=op.f('uq_challenge_events_exposure_id_seq')),
    comment='Re-exposures to a drug: rechallenge, deliberate re-introduction, desensitisation, or continuing through the reaction; with premedication and result.'
    )
    with op.batch_alter_table('challenge_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_events_challenge_type'), ['challenge_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_events_exposure_id'), ['exposure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_events_result'), ['result'], unique=False)

    op.create_table('dose_regimens',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('exposure_id', sa.Integer(), nullable=False, comment='The exposure.'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='Order of the row within the exposure.'),
    sa.Column('dose_value', sa.Float(), nullable=True, comment='Dose per administration, in dose_unit.'),
    sa.Column('dose_unit', sa.String(length=40), nullable=True, comment='Unit of dose_value. Code from vocab_dose_unit (Dose unit).'),
    sa.Column('interval_value', sa.Float(), nullable=True, comment='Number of interval_unit between doses (1 d = once daily).'),
    sa.Column('interval_unit', sa.String(length=40), nullable=True, comment='Unit of interval_value. Code from vocab_time_unit (Time unit).'),
    sa.Column('start_day', sa.Integer(), nullable=True, comment='First day of this dose. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('stop_day', sa.Integer(), nullable=True, comment='Last day of this dose. Relative day (day 1 = first dose of the suspect drug).'),
    sa.Column('reason', sa.String(length=40), nullable=True, comment='Why this dose row starts. Code from vocab_dose_change_reason (Reason for a dose row).'),
    sa.Column('notes', sa.Text(), nullable=True, comment="Curator's notes (paraphrased)."),
    sa.CheckConstraint('dose_value IS NULL OR dose_value > 0', name=op.f('ck_dose_regimens_dose_positive')),
    sa.CheckConstraint('interval_value IS NULL OR interval_value > 0', name=op.f('ck_dose_regimens_interval_positive')),
    sa.CheckConstraint('start_day BETWEEN -36500 AND 36500', name=op.f('ck_dose_regimens_start_day_sane')),
    sa.CheckConstraint('stop_day BETWEEN -36500 AND 36500', name=op.f('ck_dose_regimens_stop_day_sane')),
    sa.ForeignKeyConstraint(['dose_unit'], ['vocab_dose_unit.code'], name=op.f('fk_dose_regimens_dose_unit_vocab_dose_unit')),
    sa.ForeignKeyConstraint(['exposure_id'], ['drug_exposures.id'], name=op.f('fk_dose_regimens_exposure_id_drug_exposures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interval_unit'], ['vocab_time_unit.code'], name=op.f('fk_dose_regimens_interval_unit_vocab_time_unit')),
    sa.ForeignKeyConstraint(['reason'], ['vocab_dose_change_reason.code'], name=op.f('fk_dose_regimens_reason_vocab_dose_change_reason')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_regimens')),
    sa.UniqueConstraint('exposure_id', 'seq', name=op.f('uq_dose_regimens_exposure_id_seq')),
    comment='Ordered dose rows of one exposure (E2B G.k.4.r): each change of dose starts a new row.'
    )
    with op.batch_alter_table('dose_regimens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dose_regimens_dose_unit'), ['dose_unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_dose_regimens_exposure_id'), ['exposure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dose_regimens_interval_unit'), ['interval_unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_dose_regimens_reason'), ['reason'], unique=False)

    op.create_table('assessment_items',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('assessment_id', sa.Integer(), nullable=False, comment='The assessment.'),
    sa.Column('item_code', sa.String(length=60), nullable=False, comment='Item code within the instrument (e.g. fever, eosinophilia, q5).'),
    sa.Column('answer', sa.String(length=40), nullable=True, comment='Answer code (e.g. yes, no, unknown, level_2).'),
    sa.Column('points', sa.Integer(), nullable=True, comment='Points this answer gives.'),
    sa.Column('points_min', sa.Integer(), nullable=True, comment='Lowest points possible for an unknown item.'),
    sa.Column('points_max', sa.Integer(), nullable=True, comment='Highest points possible for an unknown item.'),
    sa.Column('basis', sa.Text(), nullable=True, comment="The facts the answer comes from, or the authors' wording (paraphrased)."),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_items_assessment_id_assessments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_items')),
    sa.UniqueConstraint('assessment_id', 'item_code', name=op.f('uq_assessment_items_assessment_id_item_code')),
    comment='Item-level answers of an assessment: the answer, its points and the facts it rests on.'
    )
    with op.batch_alter_table('assessment_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_items_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('challenge_steps',
    sa.Column('id', sa.Integer(), nullable=False, comment='Internal row id (use the public key to refer to a record).'),
    sa.Column('challenge_id', sa.Integer(), nullable=False, comment='The challenge event.'),
    sa.Column('step_number', sa.Integer(), nullable=False, comment='Order of the step (1, 2, ...).'),
    sa.Column('protocol_day', sa.Integer(), nullable=False, comment='Day of the protocol (day 1 = first step).'),
    sa.Column('dose_value', sa.Float(), nullable=False, comment='Dose of this step, in dose_unit.'),
    sa.Column('dose_unit', sa.String(length=40), nullable=False, comment='Unit of dose_value. Code from vocab_dose_unit (Dose unit).'),
    sa.Column('interval_minutes', sa.Integer(), nullable=True, comment='Minutes after the previous step on the same protocol day.'),
    sa.Column('notes', sa.Text(), nullable=True, comment="Curator's notes (paraphrased)."),
    sa.CheckConstraint('dose_value > 0', name=op.f('ck_challenge_steps_dose_positive')),
    sa.CheckConstraint('interval_minutes IS NULL OR interval_minutes >= 0', name=op.f('ck_challenge_steps_interval_nonnegative')),
    sa.CheckConstraint('protocol_day >= 1', name=op.f('ck_challenge_steps_protocol_day_positive')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge_events.id'], name=op.f('fk_challenge_steps_challenge_id_challenge_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dose_unit'], ['vocab_dose_unit.code'], name=op.f('fk_challenge_steps_dose_unit_vocab_dose_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_steps')),
    sa.UniqueConstraint('challenge_id', 'step_number', name=op.f('uq_challenge_steps_challenge_id_step_number')),
    comment='Steps of a desensitisation or graded challenge: dose, protocol day and the interval after the previous step.'
    )
    with op.batch_alter_table('challenge_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_steps_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_steps_dose_unit'), ['dose_unit'], unique=False)



    # Controlled vocabularies are defined once, in registry/vocabulary.py.
    sync_vocabularies(op.get_bind())

def downgrade() -> None:
    with op.batch_alter_table('challenge_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_steps_dose_unit'))
        batch_op.drop_index(batch_op.f('ix_challenge_steps_challenge_id'))

    op.drop_table('challenge_steps')
    with op.batch_alter_table('assessment_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_items_assessment_id'))

    op.drop_table('assessment_items')
    with op.batch_alter_table('dose_regimens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dose_regimens_reason'))
        batch_op.drop_index(batch_op.f('ix_dose_regimens_interval_unit'))
        batch_op.drop_index(batch_op.f('ix_dose_regimens_exposure_id'))
        batch_op.drop_index(batch_op.f('ix_dose_regimens_dose_unit'))

    op.drop_table('dose_regimens')
    with op.batch_alter_table('challenge_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_events_result'))
        batch_op.drop_index(batch_op.f('ix_challenge_events_exposure_id'))
        batch_op.drop_index(batch_op.f('ix_challenge_events_challenge_type'))

    op.drop_table('challenge_events')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_instrument'))
        batch_op.drop_index(batch_op.f('ix_assessments_exposure_id'))
        batch_op.drop_index(batch_op.f('ix_assessments_case_id'))
        batch_op.drop_index(batch_op.f('ix_assessments_assessor'))

    op.drop_table('assessments')
    with op.batch_alter_table('treatments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_treatments_route'))
        batch_op.drop_index(batch_op.f('ix_treatments_response'))
        batch_op.drop_index(batch_op.f('ix_treatments_drug_id'))
        batch_op.drop_index(batch_op.f('ix_treatments_dose_unit'))
        batch_op.drop_index(batch_op.f('ix_treatments_category'))
        batch_op.drop_index(batch_op.f('ix_treatments_case_id'))

    op.drop_table('treatments')
    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_results_unit'))
        batch_op.drop_index(batch_op.f('ix_lab_results_comparator'))
        batch_op.drop_index(batch_op.f('ix_lab_results_case_id'))
        batch_op.drop_index(batch_op.f('ix_lab_results_analyte'))

    op.drop_table('lab_results')
    with op.batch_alter_table('investigations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_investigations_test'))
        batch_op.drop_index(batch_op.f('ix_investigations_result'))
        batch_op.drop_index(batch_op.f('ix_investigations_case_id'))

    op.drop_table('investigations')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_status'))
        batch_op.drop_index(batch_op.f('ix_findings_finding'))
        batch_op.drop_index(batch_op.f('ix_findings_case_id'))

    op.drop_table('findings')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_subject')
        batch_op.drop_index(batch_op.f('ix_evidence_status'))
        batch_op.drop_index(batch_op.f('ix_evidence_publication_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_derivation'))
        batch_op.drop_index(batch_op.f('ix_evidence_case_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('drug_exposures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drug_exposures_route'))
        batch_op.drop_index(batch_op.f('ix_drug_exposures_role'))
        batch_op.drop_index(batch_op.f('ix_drug_exposures_indication'))
        batch_op.drop_index(batch_op.f('ix_drug_exposures_drug_id'))
        batch_op.drop_index(batch_op.f('ix_drug_exposures_dechallenge_result'))
        batch_op.drop_index(batch_op.f('ix_drug_exposures_case_id'))
        batch_op.drop_index(batch_op.f('ix_drug_exposures_action_taken'))

    op.drop_table('drug_exposures')
    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citations_cited_publication_id'))

    op.drop_table('citations')
    with op.batch_alter_table('case_publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_publications_role'))
        batch_op.drop_index(batch_op.f('ix_case_publications_publication_id'))

    op.drop_table('case_publications')
    with op.batch_alter_table('case_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_outcomes_therapy_fate'))
        batch_op.drop_index(batch_op.f('ix_case_outcomes_switched_to_drug_id'))
        batch_op.drop_index(batch_op.f('ix_case_outcomes_reaction_outcome'))

    op.drop_table('case_outcomes')
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publications_year'))
        batch_op.drop_index(batch_op.f('ix_publications_source_access'))
        batch_op.drop_index(batch_op.f('ix_publications_journal'))
        batch_op.drop_index(batch_op.f('ix_publications_article_type'))

    op.drop_table('publications')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_sex'))
        batch_op.drop_index(batch_op.f('ix_cases_registry_diagnosis'))
        batch_op.drop_index(batch_op.f('ix_cases_country'))
        batch_op.drop_index(batch_op.f('ix_cases_age_unit'))

    op.drop_table('cases')
    op.drop_table('vocab_treatment_response')
    op.drop_table('vocab_treatment_category')
    op.drop_table('vocab_time_unit')
    op.drop_table('vocab_therapy_fate')
    op.drop_table('vocab_test_result')
    op.drop_table('vocab_source_access')
    op.drop_table('vocab_sex')
    op.drop_table('vocab_route')
    op.drop_table('vocab_registry_diagnosis')
    op.drop_table('vocab_reaction_outcome')
    op.drop_table('vocab_lab_unit')
    op.drop_table('vocab_investigation')
    op.drop_table('vocab_instrument')
    op.drop_table('vocab_finding_status')
    op.drop_table('vocab_finding')
    op.drop_table('vocab_exposure_role')
    op.drop_table('vocab_evidence_status')
    op.drop_table('vocab_dose_unit')
    op.drop_table('vocab_dose_change_reason')
    op.drop_table('vocab_derivation')
    op.drop_table('vocab_dechallenge_result')
    op.drop_table('vocab_comparator')
    op.drop_table('vocab_challenge_type')
    op.drop_table('vocab_challenge_result')
    op.drop_table('vocab_case_link_role')
    op.drop_table('vocab_assessor')
    op.drop_table('vocab_article_type')
    op.drop_table('vocab_analyte')
    op.drop_table('vocab_age_unit')
    op.drop_table('vocab_action_taken')
    op.drop_table('drugs')
