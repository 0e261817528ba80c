"""Findings of reviews: highlights and rectification items with their progress notes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:07:57.156608
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sanquan.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('HIGHLIGHT', 'RECTIFICATION', name='findingkind', native_enum=False, length=20), nullable=False),
    sa.Column('indicator_code', sa.String(length=50), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('due_quarter', sa.String(length=6), nullable=True),
    sa.Column('status', sa.Enum('OPEN', 'IN_PROGRESS', 'DONE', 'VERIFIED', name='itemstatus', native_enum=False, length=20), nullable=True),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', sanquan.db.UTCDateTime(), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sanquan.db.UTCDateTime(), nullable=True),
    sa.Column('verified_in_session_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_findings_institution_id_institutions')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['accounts.id'], name=op.f('fk_findings_raised_by_id_accounts')),
    sa.ForeignKeyConstraint(['session_id'], ['review_sessions.id'], name=op.f('fk_findings_session_id_review_sessions')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['accounts.id'], name=op.f('fk_findings_verified_by_id_accounts')),
    sa.ForeignKeyConstraint(['verified_in_session_id'], ['review_sessions.id'], name=op.f('fk_findings_verified_in_session_id_review_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_session_id'), ['session_id'], unique=False)

    op.create_table('progress_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'IN_PROGRESS', 'DONE', 'VERIFIED', name='itemstatus', native_enum=False, length=20), nullable=False),
    sa.Column('written_at', sanquan.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['accounts.id'], name=op.f('fk_progress_notes_author_id_accounts')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_progress_notes_finding_id_findings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_notes'))
    )


def downgrade() -> None:
    op.drop_table('progress_notes')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_session_id'))
        batch_op.drop_index(batch_op.f('ix_findings_institution_id'))

    op.drop_table('findings')
