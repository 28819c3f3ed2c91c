"""Purchase orders (supplier -> our location) and transfer orders (location -> location)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qudao.catalog.models import Product
from qudao.db import Base, IdMixin, Money, Quantity, TimestampMixin
from qudao.locations.models import Location
from qudao.partners.models import Partner

ZERO = Decimal(0)


class OrderStatus(StrEnum):
    draft = "draft"
    confirmed = "confirmed"
    partially_received = "partially_received"
    received = "received"
    closed = "closed"
    cancelled = "cancelled"


class PurchaseOrder(IdMixin, TimestampMixin, Base):
    __tablename__ = "purchase_orders"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.draft, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    expected_date: Mapped[date | None] = mapped_column(Date)
    # A receipt may exceed the ordered quantity of a line by at most this percentage.
    over_receipt_tolerance_pct: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    note: Mapped[str] = mapped_column(String(500), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="PurchaseOrderLine.line_no", lazy="selectin"
    )
    supplier: Mapped[Partner] = relationship(lazy="joined")
    location: Mapped[Location] = relationship(lazy="joined")

    @property
    def supplier_code(self) -> str:
        return self.supplier.code

    @property
    def location_code(self) -> str:
        return self.location.code


class PurchaseOrderLine(IdMixin, Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no", name="uq_purchase_order_lines_order_line"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity >= 0", name="received_not_negative"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    received_quantity: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def outstanding(self) -> Decimal:
        return max(self.quantity - self.received_quantity, ZERO)


class Transfer(IdMixin, TimestampMixin, Base):
    __tablename__ = "transfers"
    __table_args__ = (CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),)

    code: Mapped[str] = mapped_column(String(40), unique=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    # draft -> confirmed (shipped, in transit) -> partially_received -> received | closed; draft -> cancelled
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.draft, index=True)
    expected_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    shipped_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", order_by="TransferLine.line_no", lazy="selectin"
    )
    from_location: Mapped[Location] = relationship(foreign_keys=[from_location_id], lazy="joined")
    to_location: Mapped[Location] = relationship(foreign_keys=[to_location_id], lazy="joined")

    @property
    def from_location_code(self) -> str:
        return self.from_location.code

    @property
    def to_location_code(self) -> str:
        return self.to_location.code


class TransferLine(IdMixin, Base):
    __tablename__ = "transfer_lines"
    __table_args__ = (
        UniqueConstraint("transfer_id", "line_no", name="uq_transfer_lines_transfer_line"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    shipped_quantity: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    received_quantity: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    # Cost of goods per unit when shipped (the value carried into the destination).
    unit_cost: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    # Lots shipped, first-expiry first: [{"lot": code, "expiry": iso|None, "quantity": str, "received": str}]
    lots: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def in_transit(self) -> Decimal:
        return max(self.shipped_quantity - self.received_quantity, ZERO)
