"""stored event uplift

Revision ID: demand_0003
Revises: demand_0002
Create Date: 2026-11-25 21:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qudao.db

revision: str = 'demand_0003'
down_revision: str | None = 'demand_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event_uplifts',
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('channel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('uplift', sa.Float(), nullable=False),
    sa.Column('observations', sa.Integer(), nullable=False),
    sa.Column('event_days', sa.Integer(), nullable=False),
    sa.Column('event_demand', sa.Float(), nullable=False),
    sa.Column('baseline_demand', sa.Float(), nullable=False),
    sa.Column('history_start', sa.Date(), nullable=True),
    sa.Column('history_end', sa.Date(), nullable=True),
    sa.Column('computed_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_event_uplifts_channel_id_channels')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_uplifts'))
    )
    with op.batch_alter_table('event_uplifts', schema=None) as batch_op:
        batch_op.create_index('ix_event_uplifts_channel_kind', ['channel_id', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event_uplifts', schema=None) as batch_op:
        batch_op.drop_index('ix_event_uplifts_channel_kind')
    op.drop_table('event_uplifts')
