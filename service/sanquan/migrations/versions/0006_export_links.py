"""Download links for exports, stored as the hash of their secret.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sanquan.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('export_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('created_at', sanquan.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sanquan.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_export_links_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_export_links_token_hash'))
    )
    with op.batch_alter_table('export_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_links_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_links_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('export_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_links_expires_at'))
        batch_op.drop_index(batch_op.f('ix_export_links_account_id'))

    op.drop_table('export_links')
