"""stock ledger rows are immutable: a trigger refuses UPDATE on stock_movements

Revision ID: inventory_0002
Revises: inventory_0001
Create Date: 2026-11-25 18:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'inventory_0002'
down_revision: str | None = 'inventory_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "stock_movements rows are immutable; post a correcting movement instead"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION stock_movements_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}';
            END
            $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements "
                   "FOR EACH ROW EXECUTE FUNCTION stock_movements_immutable()")
    else:
        op.execute(f"""
            CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
            BEGIN
                SELECT RAISE(ABORT, '{MESSAGE}');
            END""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS stock_movements_no_update" +
               (" ON stock_movements" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS stock_movements_immutable()")
