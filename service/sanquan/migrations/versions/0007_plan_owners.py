"""Plans and responsible units have an owner: "" for the municipal level, else the school
whose own plan it is; unit short names are unique per owner.

Existing rows are municipal. Downgrading fails while two owners share a short name, which
revision 0006 could not tell apart.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=200), nullable=False, server_default=''))

    with op.batch_alter_table('responsible_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=200), nullable=False, server_default=''))
        batch_op.drop_constraint(batch_op.f('uq_responsible_units_short_name'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_responsible_units_owner'), ['owner', 'short_name'])


def downgrade() -> None:
    with op.batch_alter_table('responsible_units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_responsible_units_owner'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_responsible_units_short_name'), ['short_name'])
        batch_op.drop_column('owner')

    with op.batch_alter_table('work_plans', schema=None) as batch_op:
        batch_op.drop_column('owner')
