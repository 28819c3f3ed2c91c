"""Planning tables: runs, per SKU x location parameters and sourcing rules (the planner's inputs), and a
run's outputs: proposals with their pegging, exceptions and the projected inventory behind the chart.

The output tables carry ids without foreign keys on purpose: a 100,000 SKU-location run writes millions of
rows, and a per-row referential check would cost more than the plan itself. The run writes only ids it
has just loaded, and deleting a run deletes its outputs in the service.

Outputs are written in bulk by a run and belong to it (``run_id``); they are never updated row by row
except by the approval use cases (status, quantity, created order).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.db import Base, BigId, IdMixin, Quantity, TimestampMixin

ID_BLOCK = 1_000_000_000  # proposal ids of run r: r * ID_BLOCK + 1, + 2, ...


def run_proposals(model_id, run_id: int):
    """The primary-key range of a run's proposals (the condition every 'proposals of run r' query uses)."""
    return model_id.between(run_id * ID_BLOCK + 1, (run_id + 1) * ID_BLOCK - 1)


class RunStatus:
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class ProposalKind:
    purchase = "purchase"
    production = "production"
    transfer = "transfer"
    ALL = ("purchase", "production", "transfer")


class ProposalStatus:
    proposed = "proposed"
    changed = "changed"  # quantity or date edited by a planner, not yet approved
    approved = "approved"
    rejected = "rejected"
    ALL = ("proposed", "changed", "approved", "rejected")
    OPEN = ("proposed", "changed")


class ExceptionKind:
    # Listed in the order a planner should look at them.
    shortage = "shortage"
    overload = "overload"
    late = "late"
    excess = "excess"
    ORDER = ("shortage", "overload", "late", "excess")


class PlanningRun(IdMixin, TimestampMixin, Base):
    __tablename__ = "planning_runs"

    status: Mapped[str] = mapped_column(String(20), default=RunStatus.queued, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    step: Mapped[str] = mapped_column(String(60), default="")
    bucket: Mapped[str] = mapped_column(String(10), default="week")
    horizon: Mapped[int] = mapped_column(Integer, default=52)
    start_date: Mapped[date] = mapped_column(Date)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class PlanningParameter(IdMixin, TimestampMixin, Base):
    """The policy of one SKU at one location; absent rows fall back to defaults (see ``inputs``)."""

    __tablename__ = "planning_parameters"
    __table_args__ = (
        UniqueConstraint("product_id", "location_id", name="uq_planning_parameters_product_location"),
        CheckConstraint("lot_rule IN ('lot_for_lot', 'fixed', 'periods')", name="lot_rule_known"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    lot_rule: Mapped[str] = mapped_column(String(20), default="lot_for_lot")
    fixed_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    periods: Mapped[int] = mapped_column(Integer, default=1)
    min_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    multiple: Mapped[Decimal | None] = mapped_column(Quantity)  # null: the product's pack size
    # Either a fixed safety stock or a cycle service level in (0, 1) (safety stock from demand variability).
    safety_stock: Mapped[Decimal | None] = mapped_column(Quantity)
    service_level: Mapped[float | None] = mapped_column(Float)
    # Vendor-managed inventory: both set = the location is replenished within this agreed min/max.
    vmi_min: Mapped[Decimal | None] = mapped_column(Quantity)
    vmi_max: Mapped[Decimal | None] = mapped_column(Quantity)


class SourcingRule(IdMixin, TimestampMixin, Base):
    """Where a location gets a product: transfer from an upstream location, buy from a supplier or make.

    ``product_id`` null: the rule applies to every product at the location without its own rules. Shares of
    one (product, location) add up to 1; ``lead_time_days`` null means missing (a run refuses it).
    """

    __tablename__ = "planning_sourcing_rules"
    __table_args__ = (
        CheckConstraint("kind IN ('transfer', 'buy', 'make')", name="kind_known"),
        CheckConstraint("share > 0 AND share <= 1", name="share_range"),
    )

    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    source_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    share: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(1))
    lead_time_days: Mapped[int | None] = mapped_column(Integer)


class PlanningProposal(Base):
    __tablename__ = "planning_proposals"

    # Ids are assigned by the run: run_id * 10^9 + 1, + 2, ... so pegs can refer to them in the same COPY and
    # a run's proposals are one primary-key range (no second index to maintain while millions are written).
    id: Mapped[int] = mapped_column(BigId, primary_key=True,
                                    autoincrement=False)
    run_id: Mapped[int] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(12))
    product_id: Mapped[int] = mapped_column(BigId)
    from_location_id: Mapped[int | None] = mapped_column(BigId)
    supplier_id: Mapped[int | None] = mapped_column(BigId)
    to_location_id: Mapped[int] = mapped_column(BigId)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    proposed_quantity: Mapped[Decimal] = mapped_column(Quantity)
    release_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    past_due: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(12), default=ProposalStatus.proposed)
    order_reference: Mapped[str | None] = mapped_column(String(40))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column()


class PlanningPeg(Base):
    """One proposal serving (part of) one demand: a sales order line, the forecast of a bucket, or
    another proposal downstream (a transfer it supplies)."""

    __tablename__ = "planning_pegs"
    __table_args__ = (Index("ix_planning_pegs_run_proposal", "run_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True,
                                    autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId)
    proposal_id: Mapped[int] = mapped_column(BigId)
    demand_kind: Mapped[str] = mapped_column(String(12))  # sales_order | forecast | proposal
    demand_ref: Mapped[str] = mapped_column(String(60))  # order line id, bucket, or downstream proposal id
    demand_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(Quantity)


class PlanningException(Base):
    __tablename__ = "planning_exceptions"
    __table_args__ = (Index("ix_planning_exceptions_run_kind", "run_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True,
                                    autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(12))
    product_id: Mapped[int | None] = mapped_column(BigId)
    location_id: Mapped[int | None] = mapped_column(BigId)
    resource: Mapped[str | None] = mapped_column(String(60))
    bucket_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(String(300))


class PlanningAllocation(Base):
    """Scarce supply shared out: at a SKU-location whose stock and receipts within the lead time cannot
    cover what its own customers and its downstream locations need in that window, who gets how much."""

    __tablename__ = "planning_allocations"
    __table_args__ = (Index("ix_planning_allocations_run_product_location", "run_id", "product_id",
                            "location_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId)
    product_id: Mapped[int] = mapped_column(BigId)
    location_id: Mapped[int] = mapped_column(BigId)  # the supplying SKU-location
    to_location_id: Mapped[int] = mapped_column(BigId)  # a downstream location, or itself for its own customers
    policy: Mapped[str] = mapped_column(String(20))
    demand: Mapped[float] = mapped_column(Float)
    allocated: Mapped[float] = mapped_column(Float)


class PlanningProjection(Base):
    """Projected inventory of one SKU x location over the run's buckets, as JSON lists (one row per
    SKU-location keeps 100,000 x 52 buckets writable in seconds; the chart reads one row)."""

    __tablename__ = "planning_projections"
    __table_args__ = (Index("ix_planning_projections_run_product_location", "run_id", "product_id",
                            "location_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True,
                                    autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId)
    product_id: Mapped[int] = mapped_column(BigId)
    location_id: Mapped[int] = mapped_column(BigId)
    on_hand: Mapped[float] = mapped_column(Float)  # available at the start
    safety_stock: Mapped[float] = mapped_column(Float)
    gross: Mapped[str] = mapped_column(Text)  # JSON list per bucket
    scheduled: Mapped[str] = mapped_column(Text)
    planned: Mapped[str] = mapped_column(Text)
    projected: Mapped[str] = mapped_column(Text)
