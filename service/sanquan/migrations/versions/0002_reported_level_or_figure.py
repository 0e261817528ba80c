"""Scores keep what was reported (a level code or a figure, for non-numeric scales), and
the audit trail keeps every field a change touches.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


AUDITED = (
    ("old_reported", sa.String(length=50), True),
    ("new_reported", sa.String(length=50), False),
    ("old_comment", sa.Text(), True),
    ("new_comment", sa.Text(), False),
    ("old_evidence", sa.Text(), True),
    ("new_evidence", sa.Text(), False),
)


def upgrade() -> None:
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reported", sa.String(length=50), nullable=False, server_default="")
        )
    with op.batch_alter_table("score_revisions", schema=None) as batch_op:
        for name, kind, nullable in AUDITED:
            batch_op.add_column(
                sa.Column(name, kind, nullable=nullable, server_default=None if nullable else "")
            )


def downgrade() -> None:
    with op.batch_alter_table("score_revisions", schema=None) as batch_op:
        for name, _, _ in reversed(AUDITED):
            batch_op.drop_column(name)
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.drop_column("reported")
