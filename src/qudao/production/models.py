"""Production master data and orders: resources (work centres at a plant) with their calendar, bills of
materials, routings, family changeovers, work orders and production reports.

Stock never lives here: a production report issues components and receives the finished goods through
the inventory service (``qudao.inventory.service``), which writes the ledger.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qudao.catalog.models import Product
from qudao.db import Base, IdMixin, Money, Quantity, TimestampMixin, utcnow
from qudao.locations.models import Location

ZERO = Decimal(0)


class WorkOrderStatus(StrEnum):
    planned = "planned"
    released = "released"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


OPEN_STATUSES = (WorkOrderStatus.planned, WorkOrderStatus.released, WorkOrderStatus.in_progress)


class Resource(IdMixin, TimestampMixin, Base):
    """A work centre (line, machine group) at a plant location."""

    __tablename__ = "production_resources"
    __table_args__ = (
        CheckConstraint("hours_per_day > 0 AND hours_per_day <= 24", name="hours_per_day_range"),
        CheckConstraint("efficiency > 0 AND efficiency <= 2", name="efficiency_range"),
        CheckConstraint("default_changeover_hours >= 0", name="default_changeover_not_negative"),
    )

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    hours_per_day: Mapped[Decimal] = mapped_column(Quantity)
    # Share of the available hours that turns into standard hours of output (1 = 100 %).
    efficiency: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(1))
    # Changeover between two product families not listed in the changeover matrix.
    default_changeover_hours: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    weekdays_off: Mapped[list[int]] = mapped_column(JSON, default=list)  # 0 = Monday ... 6 = Sunday
    non_working_days: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates (holidays)
    archived_at: Mapped[datetime | None] = mapped_column()

    location: Mapped[Location] = relationship(lazy="joined")

    @property
    def location_code(self) -> str:
        return self.location.code

    @property
    def effective_hours_per_day(self) -> Decimal:
        return self.hours_per_day * self.efficiency


class BomLine(IdMixin, TimestampMixin, Base):
    """One line of a bill of materials: ``parent`` uses ``quantity_per`` of ``component`` (+ scrap %)."""

    __tablename__ = "bom_lines"
    __table_args__ = (
        CheckConstraint("quantity_per > 0", name="quantity_per_positive"),
        CheckConstraint("scrap_pct >= 0 AND scrap_pct < 100", name="scrap_pct_range"),
        CheckConstraint("parent_id <> component_id", name="not_own_component"),
    )

    parent_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity_per: Mapped[Decimal] = mapped_column(Quantity)
    scrap_pct: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)  # exclusive

    parent: Mapped[Product] = relationship(foreign_keys=[parent_id], lazy="joined")
    component: Mapped[Product] = relationship(foreign_keys=[component_id], lazy="joined")

    @property
    def parent_sku(self) -> str:
        return self.parent.sku

    @property
    def component_sku(self) -> str:
        return self.component.sku


class Routing(IdMixin, TimestampMixin, Base):
    """How a product is made on a resource: setup per order, run hours per unit, its changeover family."""

    __tablename__ = "routings"
    __table_args__ = (
        UniqueConstraint("product_id", "resource_id", name="uq_routings_product_resource"),
        CheckConstraint("setup_hours >= 0", name="setup_not_negative"),
        CheckConstraint("run_hours_per_unit > 0", name="run_hours_positive"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("production_resources.id"), index=True)
    family: Mapped[str] = mapped_column(String(40), default="")
    setup_hours: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    run_hours_per_unit: Mapped[Decimal] = mapped_column(Quantity)
    # Lower is preferred when a product can be made on several resources.
    preference: Mapped[int] = mapped_column(Integer, default=1)

    product: Mapped[Product] = relationship(lazy="joined")
    resource: Mapped[Resource] = relationship(lazy="joined")

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def resource_code(self) -> str:
        return self.resource.code


class Changeover(IdMixin, Base):
    """Hours to change a resource over from one product family to another (the changeover matrix)."""

    __tablename__ = "production_changeovers"
    __table_args__ = (
        UniqueConstraint("resource_id", "from_family", "to_family", name="uq_production_changeovers_pair"),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
    )

    resource_id: Mapped[int] = mapped_column(ForeignKey("production_resources.id", ondelete="CASCADE"),
                                             index=True)
    from_family: Mapped[str] = mapped_column(String(40))
    to_family: Mapped[str] = mapped_column(String(40))
    hours: Mapped[Decimal] = mapped_column(Quantity)


class WorkOrder(IdMixin, TimestampMixin, Base):
    """Make ``quantity`` of a product at a plant on a resource, due by ``due_date``."""

    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("completed_quantity >= 0", name="completed_not_negative"),
    )

    code: Mapped[str] = mapped_column(String(40), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    # None: the product has no routing yet (no capacity is known); the order waits for a resource.
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("production_resources.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    completed_quantity: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    status: Mapped[str] = mapped_column(String(20), default=WorkOrderStatus.planned, index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    planned_start: Mapped[date | None] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    sequence: Mapped[int | None] = mapped_column(Integer)
    rush: Mapped[bool] = mapped_column(Boolean, default=False)
    # The planning proposal this order was approved from (no foreign key: proposals live in planning).
    source_proposal_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                                           index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    released_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    product: Mapped[Product] = relationship(lazy="joined")
    location: Mapped[Location] = relationship(lazy="joined")
    resource: Mapped[Resource | None] = relationship(lazy="joined")

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def location_code(self) -> str:
        return self.location.code

    @property
    def resource_code(self) -> str | None:
        return self.resource.code if self.resource is not None else None

    @property
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.completed_quantity, ZERO)


class ProductionReport(IdMixin, Base):
    """Output reported against a work order: the finished goods received and the components issued."""

    __tablename__ = "production_reports"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    # Cost of the components issued for this output (the finished goods are received at cost / quantity).
    component_cost: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    # [{"sku": ..., "quantity": "..", "cost": ".."}] as issued
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reported_by: Mapped[str] = mapped_column(String(100))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")
