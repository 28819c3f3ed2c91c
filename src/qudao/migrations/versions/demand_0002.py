"""new-product profiles and promotion depth

Revision ID: demand_0002
Revises: demand_0001
Create Date: 2026-11-25 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qudao.db

revision: str = 'demand_0002'
down_revision: str | None = 'demand_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('new_product_profiles',
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('analogue_product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('category_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('scale', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('launch_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', qudao.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['analogue_product_id'], ['products.id'],
                            name=op.f('fk_new_product_profiles_analogue_product_id_products')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'],
                            name=op.f('fk_new_product_profiles_category_id_categories')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_new_product_profiles_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_new_product_profiles')),
    sa.UniqueConstraint('product_id', name=op.f('uq_new_product_profiles_product_id'))
    )
    with op.batch_alter_table('retail_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('depth_pct', sa.Numeric(precision=5, scale=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('retail_events', schema=None) as batch_op:
        batch_op.drop_column('depth_pct')
    op.drop_table('new_product_profiles')
