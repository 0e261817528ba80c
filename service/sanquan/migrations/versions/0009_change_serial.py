"""Each review session counts the transactions that changed it on SQLite.

Several processes may serve one SQLite file; each polls the counter of the sessions its
subscribers follow, to learn which ones another process changed. Existing sessions start
at 0.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_serial', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('review_sessions', schema=None) as batch_op:
        batch_op.drop_column('change_serial')
