"""The stock ledger and the balances derived from it.

* ``StockMovement`` — one immutable row per movement (receipt, issue, transfer, reservation, ...). Each row
  carries the signed change it makes to every balance bucket, so a balance is the sum of its movements.
* ``StockBalance`` — per SKU x location: on hand, reserved, expired, in transit (inbound), on order and
  inventory value; updated in the same transaction as the movement that changes it.
* ``Lot`` / ``LotBalance`` — lots with expiry for products with a shelf life (issues pick FEFO).
* ``ValuationLayer`` — FIFO cost layers (receipts not yet consumed).
* ``CountSession`` / ``CountLine`` — cycle counts whose variances are approved before they post.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qudao.catalog.models import Product
from qudao.db import Base, BigId, IdMixin, Money, Quantity, TimestampMixin, utcnow
from qudao.locations.models import Location

ZERO = Decimal(0)


class MovementType:
    """The closed vocabulary of ledger rows (stored as strings)."""

    receipt = "receipt"
    issue = "issue"
    transfer_out = "transfer_out"
    transfer_in = "transfer_in"
    adjustment = "adjustment"
    count_correction = "count_correction"
    ret = "return"
    scrap = "scrap"
    reservation = "reservation"
    release = "release"
    expiry = "expiry"
    on_order = "on_order"

    ALL = ("receipt", "issue", "transfer_out", "transfer_in", "adjustment", "count_correction", "return",
           "scrap", "reservation", "release", "expiry", "on_order")


class StockBalance(IdMixin, Base):
    __tablename__ = "stock_balances"
    __table_args__ = (
        UniqueConstraint("product_id", "location_id", name="uq_stock_balances_product_location"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("expired >= 0", name="expired_not_negative"),
        CheckConstraint("in_transit >= 0", name="in_transit_not_negative"),
        CheckConstraint("on_order >= 0", name="on_order_not_negative"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    on_hand: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    reserved: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    # Part of on hand whose lot is past its expiry: not available, kept until scrapped.
    expired: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    # Inbound transfers shipped to this location and not yet received.
    in_transit: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    on_order: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    value: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(lazy="joined", viewonly=True)
    location: Mapped[Location] = relationship(lazy="joined", viewonly=True)

    @property
    def available(self) -> Decimal:
        return max(self.on_hand - self.reserved - self.expired, ZERO)

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def location_code(self) -> str:
        return self.location.code


class StockMovement(IdMixin, Base):
    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_product_location_at", "product_id", "location_id", "at"),
        Index("ix_stock_movements_reference", "reference"),
    )

    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    movement_type: Mapped[str] = mapped_column(String(20), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    # The other end of a transfer.
    other_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    on_hand_delta: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    reserved_delta: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    expired_delta: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    in_transit_delta: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    on_order_delta: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    value_delta: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_user_id: Mapped[int | None] = mapped_column(BigId)
    actor_name: Mapped[str] = mapped_column(String(120), default="")

    product: Mapped[Product] = relationship(lazy="joined", viewonly=True)
    location: Mapped[Location] = relationship(foreign_keys=[location_id], lazy="joined", viewonly=True)
    lot: Mapped[Lot | None] = relationship(lazy="joined", viewonly=True)

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def location_code(self) -> str:
        return self.location.code

    @property
    def lot_code(self) -> str | None:
        return self.lot.code if self.lot else None


class Lot(IdMixin, Base):
    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("product_id", "code", name="uq_lots_product_code"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    expiry: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LotBalance(IdMixin, Base):
    __tablename__ = "lot_balances"
    __table_args__ = (
        UniqueConstraint("lot_id", "location_id", name="uq_lot_balances_lot_location"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("expired >= 0 AND expired <= on_hand", name="expired_within_on_hand"),
    )

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    on_hand: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    expired: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)


class ValuationLayer(IdMixin, Base):
    """A receipt's cost layer; FIFO issues consume the oldest layers' ``remaining`` first."""

    __tablename__ = "valuation_layers"
    __table_args__ = (
        Index("ix_valuation_layers_open", "product_id", "location_id", "id"),
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    movement_id: Mapped[int] = mapped_column(ForeignKey("stock_movements.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    remaining: Mapped[Decimal] = mapped_column(Quantity)
    unit_cost: Mapped[Decimal] = mapped_column(Money)


class CountSession(IdMixin, TimestampMixin, Base):
    __tablename__ = "count_sessions"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    # open -> submitted -> approved | cancelled
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None] = mapped_column()


class CountLine(IdMixin, Base):
    __tablename__ = "count_lines"
    __table_args__ = (UniqueConstraint("session_id", "product_id", name="uq_count_lines_session_product"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("count_sessions.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    # Book quantity frozen when the line was created; the variance is counted - expected.
    expected: Mapped[Decimal] = mapped_column(Quantity)
    counted: Mapped[Decimal | None] = mapped_column(Quantity)
    line_no: Mapped[int] = mapped_column(Integer, default=0)
