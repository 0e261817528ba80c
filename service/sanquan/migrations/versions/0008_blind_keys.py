"""Each review session gets a secret key for the opaque ids of anonymous expert scores.

Existing sessions get a random key of their own here, so that their scores are shown under
ids that no reader can relate to row ids.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00.000000
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blind_key', sa.String(length=64), nullable=False, server_default=''))

    sessions = sa.table('review_sessions', sa.column('id', sa.Integer), sa.column('blind_key', sa.String))
    connection = op.get_bind()
    for session_id in connection.scalars(sa.select(sessions.c.id)).all():
        connection.execute(
            sessions.update().where(sessions.c.id == session_id).values(blind_key=secrets.token_hex(32))
        )


def downgrade() -> None:
    with op.batch_alter_table('review_sessions', schema=None) as batch_op:
        batch_op.drop_column('blind_key')
