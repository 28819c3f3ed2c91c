"""Sales orders from every channel, their allocations, shipments, returns, timeline and rules.

Stock itself lives in ``inventory``; an ``Allocation`` row records which location holds the
reservation for a line (the reservation is made and released through the inventory service).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qudao.db import Base, IdMixin, Quantity, TimestampMixin, utcnow


class OrderStatus:
    on_hold = "on_hold"
    backordered = "backordered"
    partially_allocated = "partially_allocated"
    allocated = "allocated"
    partially_shipped = "partially_shipped"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"

    OPEN = ("on_hold", "backordered", "partially_allocated", "allocated", "partially_shipped")
    ALL = (*OPEN, "shipped", "delivered", "cancelled")


class SalesOrder(IdMixin, TimestampMixin, Base):
    __tablename__ = "sales_orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_order_id", name="uq_sales_orders_channel_external"),
        Index("ix_sales_orders_status_changed", "status", "status_changed_at"),
    )

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    external_order_id: Mapped[str] = mapped_column(String(80))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    ship_to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="api")  # api, batch, import, portal
    status: Mapped[str] = mapped_column(String(24), default=OrderStatus.backordered, index=True)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    hold_reason: Mapped[str | None] = mapped_column(String(40))
    credit_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    rush: Mapped[bool] = mapped_column(Boolean, default=False)
    promised_date: Mapped[date | None] = mapped_column(Date, index=True)
    allow_split: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    total_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    notes: Mapped[str] = mapped_column(Text, default="")
    placed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    cancelled_at: Mapped[datetime | None] = mapped_column()

    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", order_by="SalesOrderLine.line_no", lazy="selectin"
    )

    @property
    def number(self) -> str:
        return f"SO{self.id:08d}"


class SalesOrderLine(IdMixin, Base):
    __tablename__ = "sales_order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no", name="uq_sales_order_lines_order_line"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(default=Decimal(0))
    # Reserved and not yet shipped; shipped; still waiting for stock; cancelled; returned.
    allocated_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    shipped_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    backorder_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    cancelled_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    returned_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))

    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="line", order_by="Allocation.id", lazy="selectin"
    )


# Backorder fill looks for lines of a product still waiting for stock.
Index("ix_sales_order_lines_backorder", SalesOrderLine.product_id, SalesOrderLine.backorder_qty)


class Allocation(IdMixin, TimestampMixin, Base):
    """Quantity of a line reserved at (and to ship from) a location."""

    __tablename__ = "order_allocations"
    __table_args__ = (UniqueConstraint("order_line_id", "location_id", name="uq_order_allocations_line_loc"),)

    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))  # reserved, not yet shipped
    shipped_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))

    line: Mapped[SalesOrderLine] = relationship(back_populates="allocations")


class Shipment(IdMixin, TimestampMixin, Base):
    """The fulfilment record: picking -> picked -> packed -> shipped -> delivered."""

    __tablename__ = "shipments"

    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="picking", index=True)
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    picked_at: Mapped[datetime | None] = mapped_column()
    packed_at: Mapped[datetime | None] = mapped_column()
    shipped_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    received_by: Mapped[str] = mapped_column(String(200), default="")

    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", order_by="ShipmentLine.id", lazy="selectin", cascade="all, delete-orphan"
    )


class ShipmentLine(IdMixin, Base):
    __tablename__ = "shipment_lines"

    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")


class ReturnAuthorization(IdMixin, TimestampMixin, Base):
    """An RMA: authorized -> received -> closed (after inspection: restock or scrap per line)."""

    __tablename__ = "return_authorizations"

    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="authorized", index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    received_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="rma", order_by="ReturnLine.id", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def number(self) -> str:
        return f"RMA{self.id:07d}"

    # Which step the return is waiting for: the one rule the service enforces and the pages offer.
    @property
    def awaiting_receipt(self) -> bool:
        return self.status == "authorized"

    @property
    def awaiting_inspection(self) -> bool:
        return self.status == "received"


class ReturnLine(IdMixin, Base):
    __tablename__ = "return_lines"

    rma_id: Mapped[int] = mapped_column(ForeignKey("return_authorizations.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    condition: Mapped[str] = mapped_column(String(40), default="")
    disposition: Mapped[str | None] = mapped_column(String(10))  # restock | scrap, set at inspection
    restocked_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    scrapped_qty: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))

    rma: Mapped[ReturnAuthorization] = relationship(back_populates="lines")


class OrderEvent(IdMixin, Base):
    """The order timeline a customer or partner can read (``public``) plus internal notes."""

    __tablename__ = "order_events"

    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PriceList(IdMixin, TimestampMixin, Base):
    __tablename__ = "price_lists"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    items: Mapped[list[PriceListItem]] = relationship(
        back_populates="price_list", lazy="selectin", cascade="all, delete-orphan"
    )


class PriceListItem(IdMixin, Base):
    __tablename__ = "price_list_items"
    __table_args__ = (UniqueConstraint("price_list_id", "product_id", name="uq_price_list_items_list_product"),)

    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    price: Mapped[Decimal] = mapped_column()
    min_price: Mapped[Decimal] = mapped_column()
    max_price: Mapped[Decimal] = mapped_column()

    price_list: Mapped[PriceList] = relationship(back_populates="items")


class PriorityRule(IdMixin, TimestampMixin, Base):
    """One weighted factor of order priority (see ``qudao.engines.allocation.priority_score``)."""

    __tablename__ = "order_priority_rules"

    kind: Mapped[str] = mapped_column(String(20), unique=True)  # rush, tier, channel, promised_date, order_age
    weight: Mapped[float] = mapped_column(Float)
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    horizon_days: Mapped[float] = mapped_column(Float, default=30.0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AllocationPolicy(IdMixin, TimestampMixin, Base):
    """How ship-from locations are chosen, per channel (a row with no channel is the default)."""

    __tablename__ = "order_allocation_policies"

    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), unique=True)
    ship_from_rule: Mapped[str] = mapped_column(String(20), default="nearest")  # nearest | priority
