"""loyalty: programmes, members with a balance row, the points ledger, tier changes

Revision ID: loyalty_0001
Revises: 0001
Create Date: 2026-11-25 21:46:58
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qudao.db

revision: str = 'loyalty_0001'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = ('loyalty',)
depends_on: str | Sequence[str] | None = ('orders_0001',)


def upgrade() -> None:
    op.create_table('loyalty_programmes',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('points_per_unit', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('expiry_months', sa.Integer(), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('base_tier', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_programmes')),
    sa.UniqueConstraint('code', name=op.f('uq_loyalty_programmes_code'))
    )
    op.create_table('loyalty_members',
    sa.Column('programme_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('balance', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tier', sa.String(length=40), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_loyalty_members_partner_id_partners')),
    sa.ForeignKeyConstraint(['programme_id'], ['loyalty_programmes.id'], name=op.f('fk_loyalty_members_programme_id_loyalty_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_members')),
    sa.UniqueConstraint('programme_id', 'partner_id', name='uq_loyalty_members_programme_partner')
    )
    op.create_index(op.f('ix_loyalty_members_partner_id'), 'loyalty_members', ['partner_id'], unique=False)
    op.create_index(op.f('ix_loyalty_members_programme_id'), 'loyalty_members', ['programme_id'], unique=False)
    op.create_table('loyalty_tier_changes',
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_tier', sa.String(length=40), nullable=False),
    sa.Column('to_tier', sa.String(length=40), nullable=False),
    sa.Column('rolling_points', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=False),
    sa.Column('created_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['loyalty_members.id'], name=op.f('fk_loyalty_tier_changes_member_id_loyalty_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_tier_changes'))
    )
    op.create_index(op.f('ix_loyalty_tier_changes_member_id'), 'loyalty_tier_changes', ['member_id'], unique=False)
    op.create_table('loyalty_entries',
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('points', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['loyalty_members.id'], name=op.f('fk_loyalty_entries_member_id_loyalty_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['sales_orders.id'], name=op.f('fk_loyalty_entries_order_id_sales_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_entries')),
    sa.UniqueConstraint('member_id', 'order_id', 'kind', name='uq_loyalty_entries_member_order_kind')
    )
    op.create_index('ix_loyalty_entries_member_booked', 'loyalty_entries', ['member_id', 'booked_on'], unique=False)
    op.create_index(op.f('ix_loyalty_entries_order_id'), 'loyalty_entries', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_loyalty_entries_order_id'), table_name='loyalty_entries')
    op.drop_index('ix_loyalty_entries_member_booked', table_name='loyalty_entries')
    op.drop_table('loyalty_entries')
    op.drop_index(op.f('ix_loyalty_tier_changes_member_id'), table_name='loyalty_tier_changes')
    op.drop_table('loyalty_tier_changes')
    op.drop_index(op.f('ix_loyalty_members_programme_id'), table_name='loyalty_members')
    op.drop_index(op.f('ix_loyalty_members_partner_id'), table_name='loyalty_members')
    op.drop_table('loyalty_members')
    op.drop_table('loyalty_programmes')
