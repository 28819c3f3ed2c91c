"""channelperf: minimum advertised prices and partner territories

Revision ID: channelperf_0001
Revises: 0001
Create Date: 2026-11-25 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qudao.db

revision: str = 'channelperf_0001'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = ('channelperf',)
# The conflict and performance reads join sales orders (no foreign key into the orders branch).
depends_on: str | Sequence[str] | None = ('orders_0001',)


def upgrade() -> None:
    op.create_table('map_prices',
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('min_price', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_map_prices_channel_id_channels')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_map_prices_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_prices')),
    sa.UniqueConstraint('product_id', 'channel_id', 'effective_from', name='uq_map_prices_product_channel_from')
    )
    op.create_index(op.f('ix_map_prices_channel_id'), 'map_prices', ['channel_id'], unique=False)
    op.create_index(op.f('ix_map_prices_product_id'), 'map_prices', ['product_id'], unique=False)
    op.create_table('partner_territories',
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=100), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_territories_partner_id_partners'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_territories')),
    sa.UniqueConstraint('partner_id', 'province', name='uq_partner_territories_partner_province')
    )
    op.create_index(op.f('ix_partner_territories_partner_id'), 'partner_territories', ['partner_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_partner_territories_partner_id'), table_name='partner_territories')
    op.drop_table('partner_territories')
    op.drop_index(op.f('ix_map_prices_product_id'), table_name='map_prices')
    op.drop_index(op.f('ix_map_prices_channel_id'), table_name='map_prices')
    op.drop_table('map_prices')
