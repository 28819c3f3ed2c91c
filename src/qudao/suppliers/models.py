"""Supplier management: contract prices, receipt inspections, supplier confirmations, advance shipping
notices, sourcing rules, scorecard weights and scorecard snapshots.

Purchase orders and their lines belong to ``qudao.purchasing``; these tables refer to them and never
change them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qudao.catalog.models import Product
from qudao.db import Base, IdMixin, Money, Quantity, TimestampMixin, utcnow
from qudao.partners.models import Partner
from qudao.purchasing.models import PurchaseOrder, PurchaseOrderLine

Score = Numeric(18, 4)


class ContractPrice(IdMixin, TimestampMixin, Base):
    """The agreed price of an item from a supplier, valid from a date (to an optional end date)."""

    __tablename__ = "supplier_contract_prices"
    __table_args__ = (
        UniqueConstraint("supplier_id", "product_id", "valid_from", name="uq_supplier_contract_prices_valid_from"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )

    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    supplier: Mapped[Partner] = relationship(lazy="joined", viewonly=True)
    product: Mapped[Product] = relationship(lazy="joined", viewonly=True)

    @property
    def supplier_code(self) -> str:
        return self.supplier.code

    @property
    def sku(self) -> str:
        return self.product.sku


class ReceiptInspection(IdMixin, Base):
    """A quality inspection of received goods on a purchase line: how many were checked and rejected."""

    __tablename__ = "receipt_inspections"
    __table_args__ = (
        CheckConstraint("rejected_quantity >= 0", name="rejected_not_negative"),
        CheckConstraint("inspected_quantity > 0", name="inspected_positive"),
        CheckConstraint("rejected_quantity <= inspected_quantity", name="rejected_within_inspected"),
    )

    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id", ondelete="CASCADE"), index=True)
    inspected_quantity: Mapped[Decimal] = mapped_column(Quantity)
    rejected_quantity: Mapped[Decimal] = mapped_column(Quantity)
    reason: Mapped[str] = mapped_column(String(200), default="")
    inspected_at: Mapped[datetime] = mapped_column(default=utcnow)
    inspector: Mapped[str] = mapped_column(String(120), default="")

    line: Mapped[PurchaseOrderLine] = relationship(lazy="joined", viewonly=True)

    @property
    def order_code(self) -> str:
        return self.line.order.code

    @property
    def line_no(self) -> int:
        return self.line.line_no

    @property
    def sku(self) -> str:
        return self.line.sku


class LineConfirmation(IdMixin, Base):
    """The supplier's answer to a purchase line: the quantity and date it promises (latest answer kept;
    the first answer's time measures responsiveness, earlier answers are in the audit trail)."""

    __tablename__ = "supplier_confirmations"
    __table_args__ = (CheckConstraint("confirmed_quantity >= 0", name="confirmed_not_negative"),)

    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    confirmed_quantity: Mapped[Decimal] = mapped_column(Quantity)
    promised_date: Mapped[date] = mapped_column(Date)
    first_confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(String(300), default="")


class ShippingNotice(IdMixin, TimestampMixin, Base):
    """An advance shipping notice (ASN): what the supplier has dispatched against one purchase order."""

    __tablename__ = "shipping_notices"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    ship_date: Mapped[date] = mapped_column(Date)
    expected_arrival: Mapped[date] = mapped_column(Date)
    carrier: Mapped[str] = mapped_column(String(80), default="")
    tracking_number: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(String(300), default="")

    lines: Mapped[list[ShippingNoticeLine]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="ShippingNoticeLine.id", lazy="selectin")
    order: Mapped[PurchaseOrder] = relationship(lazy="joined", viewonly=True)

    @property
    def order_code(self) -> str:
        return self.order.code

    @property
    def supplier_code(self) -> str:
        return self.order.supplier_code


class ShippingNoticeLine(IdMixin, Base):
    __tablename__ = "shipping_notice_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    notice_id: Mapped[int] = mapped_column(ForeignKey("shipping_notices.id", ondelete="CASCADE"), index=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    notice: Mapped[ShippingNotice] = relationship(back_populates="lines")
    po_line: Mapped[PurchaseOrderLine] = relationship(lazy="joined", viewonly=True)

    @property
    def line_no(self) -> int:
        return self.po_line.line_no

    @property
    def sku(self) -> str:
        return self.po_line.sku


class SourcingRule(IdMixin, TimestampMixin, Base):
    """An approved supplier of an item: its rank, share of the item's purchases and ordering terms."""

    __tablename__ = "sourcing_rules"
    __table_args__ = (
        UniqueConstraint("product_id", "supplier_id", name="uq_sourcing_rules_product_supplier"),
        CheckConstraint("share_pct >= 0 AND share_pct <= 100", name="share_range"),
        CheckConstraint("priority >= 1", name="priority_positive"),
        CheckConstraint("min_order_qty >= 0", name="moq_not_negative"),
        CheckConstraint("pack_size > 0", name="pack_size_positive"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    share_pct: Mapped[Decimal] = mapped_column(Money)
    min_order_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    pack_size: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(1))
    contract_price: Mapped[Decimal | None] = mapped_column(Money)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)  # overrides the measured lead time
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    supplier: Mapped[Partner] = relationship(lazy="joined", viewonly=True)
    product: Mapped[Product] = relationship(lazy="joined", viewonly=True)

    @property
    def supplier_code(self) -> str:
        return self.supplier.code

    @property
    def sku(self) -> str:
        return self.product.sku


class ScoreWeight(Base):
    """The weight of one scorecard metric (the set sums to 1; defaults apply while the table is empty)."""

    __tablename__ = "supplier_score_weights"

    metric: Mapped[str] = mapped_column(String(30), primary_key=True)
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120), default="")


class Scorecard(IdMixin, Base):
    """A supplier's scorecard: ``period`` 'current' (the trailing window) or a month 'YYYY-MM' (trend)."""

    __tablename__ = "supplier_scorecards"
    __table_args__ = (UniqueConstraint("supplier_id", "period", name="uq_supplier_scorecards_supplier_period"),)

    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    as_of: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    lines_assessed: Mapped[int] = mapped_column(Integer, default=0)
    otif_pct: Mapped[Decimal | None] = mapped_column(Score)
    rejection_pct: Mapped[Decimal | None] = mapped_column(Score)
    price_variance_pct: Mapped[Decimal | None] = mapped_column(Score)
    lead_time_mean_days: Mapped[Decimal | None] = mapped_column(Score)
    lead_time_std_days: Mapped[Decimal | None] = mapped_column(Score)
    response_hours: Mapped[Decimal | None] = mapped_column(Score)
    otif_score: Mapped[Decimal | None] = mapped_column(Score)
    quality_score: Mapped[Decimal | None] = mapped_column(Score)
    price_score: Mapped[Decimal | None] = mapped_column(Score)
    lead_time_score: Mapped[Decimal | None] = mapped_column(Score)
    responsiveness_score: Mapped[Decimal | None] = mapped_column(Score)
    score: Mapped[Decimal | None] = mapped_column(Score)
    grade: Mapped[str | None] = mapped_column(String(1))
    tier: Mapped[str | None] = mapped_column(String(20))

    supplier: Mapped[Partner] = relationship(lazy="joined", viewonly=True)

    @property
    def supplier_code(self) -> str:
        return self.supplier.code

    @property
    def supplier_name(self) -> str:
        return self.supplier.name
