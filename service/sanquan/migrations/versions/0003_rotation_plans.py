"""Rotation plans with their entries, standing pins and blackouts; sessions remember the
plan that created them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:46:19.989616
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sanquan.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rotation_constraints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.Enum('PIN', 'BLACKOUT', name='constraintkind', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sanquan.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_rotation_constraints_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation_constraints')),
    sa.UniqueConstraint('institution_id', 'quarter', 'kind', name=op.f('uq_rotation_constraints_institution_id'))
    )
    op.create_table('rotation_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_start', sa.String(length=6), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'ADOPTED', 'SUPERSEDED', name='planstatus', native_enum=False, length=20), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sanquan.db.UTCDateTime(), nullable=False),
    sa.Column('adopted_at', sanquan.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_rotation_plans_created_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation_plans'))
    )
    with op.batch_alter_table('rotation_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rotation_plans_cycle_start'), ['cycle_start'], unique=False)

    op.create_table('rotation_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('fixed', sa.Boolean(), nullable=False),
    sa.Column('panel', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_rotation_entries_institution_id_institutions')),
    sa.ForeignKeyConstraint(['plan_id'], ['rotation_plans.id'], name=op.f('fk_rotation_entries_plan_id_rotation_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation_entries')),
    sa.UniqueConstraint('plan_id', 'institution_id', name=op.f('uq_rotation_entries_plan_id'))
    )
    with op.batch_alter_table('review_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rotation_plan_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_review_sessions_rotation_plan_id'), ['rotation_plan_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_review_sessions_rotation_plan_id_rotation_plans'), 'rotation_plans', ['rotation_plan_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('review_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_review_sessions_rotation_plan_id_rotation_plans'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_review_sessions_rotation_plan_id'))
        batch_op.drop_column('rotation_plan_id')

    op.drop_table('rotation_entries')
    with op.batch_alter_table('rotation_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rotation_plans_cycle_start'))

    op.drop_table('rotation_plans')
    op.drop_table('rotation_constraints')
