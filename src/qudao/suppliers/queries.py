"""Read models: the purchase-line and receipt snapshot the scorecard engine needs, in one query each.

Purchase orders and lines are read from ``qudao.purchasing``'s tables and receipt dates from the stock
ledger (``qudao.inventory``: receipt movements carry the order code as reference); nothing here writes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

import polars as pl
from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy.orm import Session

from qudao.catalog.models import Product
from qudao.engines import scorecard as engine
from qudao.inventory.models import MovementType, StockMovement
from qudao.partners.models import Partner, PartnerRoleAssignment
from qudao.purchasing.models import OrderStatus, PurchaseOrder, PurchaseOrderLine
from qudao.suppliers.models import ContractPrice, LineConfirmation, ReceiptInspection

CLOSED = (OrderStatus.closed, OrderStatus.received)


def plain(value: Decimal) -> str:
    """A quantity in a message as people write it: 100, 12.5 (not 1E+2 or 12.5000)."""
    return format(Decimal(value).normalize(), "f")


def partner_roles(session: Session, partner_id: int | None) -> list[str]:
    if partner_id is None:
        return []
    return list(session.scalars(select(PartnerRoleAssignment.role)
                                .where(PartnerRoleAssignment.partner_id == partner_id)))


def receipt_frame(session: Session, *, since: datetime, until: datetime,
                  supplier_ids: Collection[int] | None = None,
                  product_ids: Collection[int] | None = None) -> pl.DataFrame:
    """One row per receipt of each purchase line (order x item) of orders sent in [since, until]; a line
    not yet received has one row with null receipt columns. Schema: ``engine.RECEIPT_SCHEMA``."""
    rejected = (select(ReceiptInspection.po_line_id, func.sum(ReceiptInspection.rejected_quantity).label("qty"))
                .group_by(ReceiptInspection.po_line_id).subquery())
    confirmed = (select(LineConfirmation.order_id, func.min(LineConfirmation.first_confirmed_at).label("at"))
                 .group_by(LineConfirmation.order_id).subquery())
    # Lines of the same item on one order are taken together (receipts name the item, not the line).
    lines = (select(PurchaseOrderLine.order_id, PurchaseOrderLine.product_id,
                    func.sum(PurchaseOrderLine.quantity).label("ordered"),
                    (func.sum(PurchaseOrderLine.quantity * PurchaseOrderLine.unit_cost)
                     / func.sum(PurchaseOrderLine.quantity)).label("unit_cost"),
                    func.max(LineConfirmation.promised_date).label("promised"),
                    func.sum(func.coalesce(rejected.c.qty, 0)).label("rejected"))
             .outerjoin(LineConfirmation, LineConfirmation.po_line_id == PurchaseOrderLine.id)
             .outerjoin(rejected, rejected.c.po_line_id == PurchaseOrderLine.id)
             .group_by(PurchaseOrderLine.order_id, PurchaseOrderLine.product_id).subquery())
    # Receipts of the orders in the window, found by order code (the reference index): joining the ledger
    # on item and location instead would scan every movement of the item at the location for each line.
    sent_in_window = select(PurchaseOrder.code).where(PurchaseOrder.confirmed_at >= since,
                                                      PurchaseOrder.confirmed_at <= until)
    # (Grouped, so SQLite materialises it rather than folding it back into the join.)
    receipts = (select(StockMovement.reference, StockMovement.product_id, StockMovement.location_id,
                       StockMovement.at, func.sum(StockMovement.quantity).label("quantity"))
                .where(StockMovement.reference.in_(sent_in_window),
                       StockMovement.movement_type == MovementType.receipt, StockMovement.at <= until)
                .group_by(StockMovement.reference, StockMovement.product_id, StockMovement.location_id,
                          StockMovement.at)
                .subquery())
    receipt = and_(receipts.c.reference == PurchaseOrder.code, receipts.c.product_id == lines.c.product_id,
                   receipts.c.location_id == PurchaseOrder.location_id)
    stmt = (select(PurchaseOrder.supplier_id, Partner.code, lines.c.order_id, lines.c.product_id, Product.sku,
                   cast(lines.c.ordered, Float), cast(lines.c.unit_cost, Float), cast(None, Float),
                   PurchaseOrder.confirmed_at, func.coalesce(lines.c.promised, PurchaseOrder.expected_date),
                   confirmed.c.at, PurchaseOrder.status.in_(CLOSED), cast(lines.c.rejected, Float),
                   receipts.c.at, cast(receipts.c.quantity, Float))
            .select_from(lines)
            .join(PurchaseOrder, PurchaseOrder.id == lines.c.order_id)
            .join(Partner, Partner.id == PurchaseOrder.supplier_id)
            .join(Product, Product.id == lines.c.product_id)
            .outerjoin(confirmed, confirmed.c.order_id == PurchaseOrder.id)
            .outerjoin(receipts, receipt)
            .where(PurchaseOrder.confirmed_at.is_not(None), PurchaseOrder.confirmed_at >= since,
                   PurchaseOrder.confirmed_at <= until, PurchaseOrder.status != OrderStatus.cancelled))
    if supplier_ids is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id.in_(list(supplier_ids)))
    if product_ids is not None:
        stmt = stmt.where(lines.c.product_id.in_(list(product_ids)))
    rows = session.execute(stmt).all()
    if not rows:
        return engine.empty_receipts()
    return pl.DataFrame([tuple(r) for r in rows], schema=engine.RECEIPT_SCHEMA, orient="row")


def contract_price_frame(session: Session, supplier_ids: Collection[int] | None = None) -> pl.DataFrame:
    stmt = select(ContractPrice.supplier_id, ContractPrice.product_id, cast(ContractPrice.price, Float),
                  ContractPrice.valid_from, ContractPrice.valid_to)
    if supplier_ids is not None:
        stmt = stmt.where(ContractPrice.supplier_id.in_(list(supplier_ids)))
    return pl.DataFrame([tuple(r) for r in session.execute(stmt).all()], schema=engine.PRICE_SCHEMA,
                        orient="row")
