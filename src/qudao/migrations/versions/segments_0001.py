"""segments: segmentation runs and per-customer results

Revision ID: segments_0001
Revises: 0001
Create Date: 2026-11-25 21:46:58
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qudao.db

revision: str = 'segments_0001'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = ('segments',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('segmentation_runs',
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('step', sa.String(length=80), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('with_clv', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('requested_by', sa.String(length=120), nullable=False),
    sa.Column('started_at', qudao.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', qudao.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=4000), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segmentation_runs'))
    )
    op.create_index(op.f('ix_segmentation_runs_status'), 'segmentation_runs', ['status'], unique=False)
    op.create_table('customer_segments',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recency_days', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('monetary', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('margin', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('r_score', sa.SmallInteger(), nullable=False),
    sa.Column('f_score', sa.SmallInteger(), nullable=False),
    sa.Column('m_score', sa.SmallInteger(), nullable=False),
    sa.Column('rfm_code', sa.String(length=3), nullable=False),
    sa.Column('rfm_segment', sa.String(length=30), nullable=False),
    sa.Column('revenue_tier', sa.String(length=10), nullable=False),
    sa.Column('margin_tier', sa.String(length=10), nullable=False),
    sa.Column('value_tier', sa.String(length=10), nullable=False),
    sa.Column('clv', sa.Float(), nullable=True),
    sa.Column('expected_purchases', sa.Float(), nullable=True),
    sa.Column('probability_alive', sa.Float(), nullable=True),
    sa.Column('churn_risk', sa.Float(), nullable=True),
    sa.Column('churn_bucket', sa.String(length=10), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_customer_segments_partner_id_partners')),
    sa.ForeignKeyConstraint(['run_id'], ['segmentation_runs.id'], name=op.f('fk_customer_segments_run_id_segmentation_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_segments')),
    sa.UniqueConstraint('run_id', 'partner_id', name='uq_customer_segments_run_partner')
    )
    op.create_index(op.f('ix_customer_segments_partner_id'), 'customer_segments', ['partner_id'], unique=False)
    op.create_index('ix_customer_segments_run_rfm', 'customer_segments', ['run_id', 'rfm_code'], unique=False)
    op.create_index('ix_customer_segments_run_tier', 'customer_segments', ['run_id', 'value_tier'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_customer_segments_run_tier', table_name='customer_segments')
    op.drop_index('ix_customer_segments_run_rfm', table_name='customer_segments')
    op.drop_index(op.f('ix_customer_segments_partner_id'), table_name='customer_segments')
    op.drop_table('customer_segments')
    op.drop_index(op.f('ix_segmentation_runs_status'), table_name='segmentation_runs')
    op.drop_table('segmentation_runs')
