"""The snapshot a planning run reads: one SQL load per input into a polars frame.

* ``load_supply``: available stock per SKU x location (on hand - reserved - expired) from the inventory
  balances, and dated scheduled receipts from open purchase order lines and transfers (draft transfers also
  take stock at their origin).
* ``load_demand``: the one switch point for demand. The forecast per bucket is the stored forecast
  (``qudao.forecasting.bulk``: latest succeeded run, CPFR consensus where agreed); a SKU-location without
  one falls back to the average demand per bucket over the last ``history_days`` of demand history
  (``qudao.demand.history`` when present: sell-through plus ordered quantities; else the sell-through
  table) with its standard deviation (for safety stock from a service level); open orders consume the
  forecast (gross = max(forecast, orders); see ``load_demand``).
* ``load_parameters`` / ``load_sourcing``: the planner's inputs (``planning_parameters``,
  ``planning_sourcing_rules``) and the master data the defaults come from (locations, products);
  ``load_supplier_sourcing``: the approved suppliers per item, the default for buying.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.demand.models import SellThrough
from qudao.forecasting.bulk import planning_forecast
from qudao.inventory.models import StockBalance
from qudao.locations.models import Location
from qudao.orders.models import OrderStatus as SalesStatus
from qudao.orders.models import SalesOrder, SalesOrderLine
from qudao.planning.models import PlanningParameter, SourcingRule
from qudao.purchasing.models import OrderStatus, PurchaseOrder, PurchaseOrderLine, Transfer, TransferLine

BUCKET_DAYS = {"day": 1, "week": 7}
OPEN_DOCUMENT = (OrderStatus.draft, OrderStatus.confirmed, OrderStatus.partially_received)


@dataclass(frozen=True)
class Calendar:
    start: date
    bucket: str
    horizon: int

    @property
    def days(self) -> int:
        return BUCKET_DAYS[self.bucket]

    def date_of(self, bucket: int) -> date:
        return self.start + timedelta(days=self.days * int(bucket))

    def bucket_expr(self, column: str) -> pl.Expr:
        """Bucket of a date column: overdue and undated fall in bucket 0, beyond the horizon is dropped
        later by the caller (bucket >= horizon)."""
        days = (pl.col(column) - pl.lit(self.start)).dt.total_days()
        return pl.when(pl.col(column).is_null() | (days < 0)).then(0).otherwise(days // self.days).cast(pl.Int64)

    def lead_buckets(self, days: float | None) -> float | None:
        return None if days is None else float(math.ceil(days / self.days))


def frame(session: Session, stmt: Any, schema: dict[str, Any]) -> pl.DataFrame:
    """Rows of ``stmt`` as a frame with ``schema`` (decimals become floats, dates dates). On PostgreSQL the
    rows stream as CSV through ``COPY (query) TO STDOUT`` into polars: no Python object per value."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        raw = connection.connection.dbapi_connection
        buffer = bytearray()
        with raw.cursor() as cursor, cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT CSV)",
                                                 compiled.params) as copy:
            for block in copy:
                buffer += block
        if not buffer:
            return pl.DataFrame(schema=schema)
        read = {k: (pl.String if v == pl.Date else v) for k, v in schema.items()}
        out = pl.read_csv(bytes(buffer), has_header=False, new_columns=list(schema), schema_overrides=read)
        return out.with_columns(pl.col(k).str.to_date("%Y-%m-%d") for k, v in schema.items() if v == pl.Date)
    rows = session.execute(stmt).all()
    if not rows:
        return pl.DataFrame(schema=schema)
    columns = list(zip(*rows, strict=True))
    data = {}
    for (name, dtype), values in zip(schema.items(), columns, strict=True):
        if dtype == pl.Float64:
            data[name] = pl.Series(name, [None if v is None else float(v) for v in values], dtype=dtype)
        elif dtype == pl.Date:
            s = pl.Series(name, values)
            data[name] = s.cast(pl.String).str.to_date("%Y-%m-%d") if s.dtype != pl.Date else s
        else:
            data[name] = pl.Series(name, values, dtype=dtype)
    return pl.DataFrame(data)


KEY = {"product_id": pl.Int64, "location_id": pl.Int64}


def load_supply(session: Session, cal: Calendar) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(available stock per SKU-location, scheduled receipts by bucket, draft transfer issues by bucket)."""
    available = frame(session, select(
        StockBalance.product_id, StockBalance.location_id,
        StockBalance.on_hand - StockBalance.reserved - StockBalance.expired,
    ).where(StockBalance.on_hand > 0), {**KEY, "available": pl.Float64})
    available = available.with_columns(pl.col("available").clip(lower_bound=0.0))
    po = select(PurchaseOrderLine.product_id, PurchaseOrder.location_id, PurchaseOrder.expected_date,
                PurchaseOrderLine.quantity - PurchaseOrderLine.received_quantity).join(
        PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id).where(
        PurchaseOrder.status.in_(OPEN_DOCUMENT), PurchaseOrderLine.quantity > PurchaseOrderLine.received_quantity)
    # A confirmed transfer is in transit (shipped - received); a draft one will arrive in full.
    tr_in = select(TransferLine.product_id, Transfer.to_location_id, Transfer.expected_date,
                   func.coalesce(TransferLine.quantity - TransferLine.received_quantity, 0)).join(
        Transfer, Transfer.id == TransferLine.transfer_id).where(
        Transfer.status.in_(OPEN_DOCUMENT), TransferLine.quantity > TransferLine.received_quantity)
    schema = {**KEY, "day": pl.Date, "quantity": pl.Float64}
    receipts = pl.concat([frame(session, po, schema), frame(session, tr_in, schema)])
    receipts = (receipts.with_columns(cal.bucket_expr("day").alias("bucket"))
                .filter(pl.col("bucket") < cal.horizon)
                .group_by("product_id", "location_id", "bucket").agg(pl.col("quantity").sum()))
    tr_out = select(TransferLine.product_id, Transfer.from_location_id, Transfer.expected_date,
                    TransferLine.quantity).join(Transfer, Transfer.id == TransferLine.transfer_id).where(
        Transfer.status == OrderStatus.draft)
    issues = (frame(session, tr_out, schema).with_columns(pl.lit(0, pl.Int64).alias("bucket"))
              .group_by("product_id", "location_id", "bucket").agg(pl.col("quantity").sum()))
    return available, receipts, issues


def _history(session: Session, actor: Actor, cal: Calendar, history_days: int) -> pl.DataFrame:
    """Demand per SKU-location and bucket-sized period over the window before the start."""
    first = cal.start - timedelta(days=history_days)
    end = cal.start - timedelta(days=1)
    try:
        from qudao.demand.history import load_history
    except ImportError:  # the demand-history read model is not there: sell-through alone
        load_history = None
    if load_history is not None:
        hist = load_history(session, actor, start=first, end=end, grain=cal.bucket)
        return hist.group_by("product_id", "location_id", "ds").agg(pl.col("y").sum())
    stmt = select(SellThrough.product_id, SellThrough.location_id, SellThrough.day,
                  func.sum(SellThrough.quantity)).where(SellThrough.day >= first, SellThrough.day <= end).group_by(
        SellThrough.product_id, SellThrough.location_id, SellThrough.day)
    days = frame(session, stmt, {**KEY, "ds": pl.Date, "y": pl.Float64})
    period = (pl.col("ds") - pl.lit(first)).dt.total_days() // cal.days
    return days.with_columns(period.alias("ds")).group_by("product_id", "location_id", "ds").agg(pl.col("y").sum())


DEMAND_SOURCES = ("consensus", "forecast", "fallback")


def _beyond_forecast(fc: pl.DataFrame, horizon: int) -> pl.DataFrame:
    """When a forecast ends before the planning horizon, its average per bucket (over the buckets it
    covers) continues to the end, rather than demand dropping to nothing after its last bucket."""
    tail = (fc.group_by("product_id", "location_id")
            .agg(pl.col("bucket").max().alias("last"), pl.col("forecast").mean(), pl.col("variance").mean())
            .filter(pl.col("last") < horizon - 1))
    if not tail.height:
        return fc
    tail = (tail.with_columns(pl.int_ranges(pl.col("last") + 1, horizon).alias("bucket")).explode("bucket")
            .with_columns(pl.lit(False).alias("consensus")).select(fc.columns).cast(dict(fc.schema)))
    return pl.concat([fc, tail])


def load_demand(session: Session, actor: Actor, cal: Calendar, history_days: int = 91
                ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(demand per SKU-location: mean and std per bucket and its ``source``; open backorder lines: line id,
    bucket, quantity; the forecast per SKU-location and bucket: ``quantity``).

    **Forecast.** A SKU-location with a stored forecast (``qudao.forecasting.bulk.planning_forecast``: the
    latest succeeded run, CPFR consensus quantities where a consensus line covers the days) is planned from
    it bucket by bucket (``source`` "consensus" when any of its quantity is consensus, else "forecast"); its
    ``mean`` is the forecast's average per bucket and ``std`` comes from the forecast intervals; past the
    forecast's last bucket its average per bucket continues to the end of the horizon. Only a
    SKU-location without any forecast falls back to the average demand per bucket of the last
    ``history_days`` (``source`` "fallback"), flat over the horizon.

    **Forecast consumption by orders.** Open sales orders are demand at their ship-to location in the bucket
    of their promised date (overdue or undated: the first bucket). In a bucket the gross requirement is
    max(forecast, open order quantity): the orders consume the forecast rather than add to it. Stock already
    reserved for an order is off the available stock, so the engine gets the forecast net of the reserved
    quantity of the bucket's orders, max(forecast - reserved, 0), and the backorder lines (the unreserved
    rest); its max rule then gives max(forecast - reserved, backordered) = max(forecast, orders) - reserved.
    """
    lines = frame(session, select(SalesOrderLine.id, SalesOrderLine.product_id, SalesOrder.ship_to_location_id,
                                  SalesOrder.promised_date, SalesOrderLine.backorder_qty,
                                  SalesOrderLine.allocated_qty).join(
        SalesOrder, SalesOrder.id == SalesOrderLine.order_id).where(
        SalesOrder.status.in_(SalesStatus.OPEN),
        (SalesOrderLine.backorder_qty > 0) | (SalesOrderLine.allocated_qty > 0)),
        {"line_id": pl.Int64, **KEY, "day": pl.Date, "quantity": pl.Float64, "reserved": pl.Float64})
    lines = lines.with_columns(cal.bucket_expr("day").alias("bucket")).filter(pl.col("bucket") < cal.horizon)
    orders = lines.filter(pl.col("quantity") > 0).select("line_id", "product_id", "location_id", "bucket",
                                                         "quantity")
    reserved = lines.group_by("product_id", "location_id", "bucket").agg(pl.col("reserved").sum())

    fc = planning_forecast(session, actor, start=cal.start, bucket=cal.bucket, horizon=cal.horizon)
    fc = _beyond_forecast(fc, cal.horizon)
    per_bucket = (fc.join(reserved, on=["product_id", "location_id", "bucket"], how="left")
                  .select("product_id", "location_id", "bucket",
                          (pl.col("forecast") - pl.col("reserved").fill_null(0.0)).clip(lower_bound=0.0)
                          .alias("quantity")))
    planned = (fc.group_by("product_id", "location_id")
               .agg((pl.col("forecast").sum() / cal.horizon).alias("mean"),
                    (pl.col("variance").sum() / cal.horizon).sqrt().alias("std"),
                    pl.when(pl.col("consensus").any()).then(pl.lit("consensus")).otherwise(pl.lit("forecast"))
                    .alias("source")))

    periods = max(1, history_days // cal.days)
    hist = _history(session, actor, cal, history_days)
    fallback = (hist.group_by("product_id", "location_id")
                .agg((pl.col("y").sum() / periods).alias("mean"), (pl.col("y") ** 2).sum().alias("sumsq"))
                .with_columns(((pl.col("sumsq") / periods - pl.col("mean") ** 2).clip(lower_bound=0.0).sqrt())
                              .alias("std"), pl.lit("fallback").alias("source"))
                .join(planned.select(list(KEY)), on=list(KEY), how="anti")
                .select("product_id", "location_id", "mean", "std", "source"))
    demand = pl.concat([planned.select(fallback.columns), fallback], how="vertical_relaxed")
    return demand, orders, per_bucket


PARAMETER_SCHEMA = {**KEY, "lot_rule": pl.String, "fixed_quantity": pl.Float64, "periods": pl.Int64,
                    "min_quantity": pl.Float64, "multiple": pl.Float64, "safety_stock": pl.Float64,
                    "service_level": pl.Float64, "vmi_min": pl.Float64, "vmi_max": pl.Float64}


def load_parameters(session: Session) -> pl.DataFrame:
    p = PlanningParameter
    return frame(session, select(p.product_id, p.location_id, p.lot_rule, p.fixed_quantity, p.periods,
                                 p.min_quantity, p.multiple, p.safety_stock, p.service_level, p.vmi_min,
                                 p.vmi_max), PARAMETER_SCHEMA)


RULE_SCHEMA = {"product_id": pl.Int64, "location_id": pl.Int64, "kind": pl.String, "source_location_id": pl.Int64,
               "supplier_id": pl.Int64, "share": pl.Float64, "lead_time_days": pl.Float64}


def load_sourcing(session: Session) -> pl.DataFrame:
    r = SourcingRule
    return frame(session, select(r.product_id, r.location_id, r.kind, r.source_location_id, r.supplier_id, r.share,
                                 r.lead_time_days).order_by(r.id), RULE_SCHEMA)


SUPPLIER_SCHEMA = {"product_id": pl.Int64, "supplier_id": pl.Int64, "share": pl.Float64, "priority": pl.Int64,
                   "lead_time_days": pl.Float64, "min_order_qty": pl.Float64, "pack_size": pl.Float64}


def load_supplier_sourcing(session: Session, actor: Actor, on: date) -> pl.DataFrame:
    """The suppliers' sourcing in force on ``on`` (approved suppliers per item with share, lead time and
    ordering terms), the default for buying where the planner set no rule for the item; empty when the
    suppliers area is not installed."""
    try:
        from qudao.suppliers.sourcing import sourcing_frame
    except ImportError:  # no suppliers area: buy rules keep their own (or the default) terms
        return pl.DataFrame(schema=SUPPLIER_SCHEMA)
    f = sourcing_frame(session, actor, on=on)
    return f.select("product_id", "supplier_id", (pl.col("share_pct") / 100.0).alias("share"), "priority",
                    "lead_time_days", "min_order_qty", "pack_size").filter(pl.col("share") > 0).cast(SUPPLIER_SCHEMA)


def load_locations(session: Session) -> pl.DataFrame:
    return frame(session, select(Location.id, Location.code, Location.kind, Location.latitude, Location.longitude,
                                 Location.priority).where(Location.archived_at.is_(None)),
                 {"location_id": pl.Int64, "location_code": pl.String, "location_kind": pl.String,
                  "lat": pl.Float64, "lon": pl.Float64, "priority": pl.Int64})


def load_products(session: Session) -> pl.DataFrame:
    return frame(session, select(Product.id, Product.sku, Product.pack_size).where(
        and_(Product.archived_at.is_(None))), {"product_id": pl.Int64, "sku": pl.String, "pack_size": pl.Float64})
