"""One planning run in memory: frames in, engine calls, frames out (proposals, pegs, exceptions,
projections). No SQL here; ``service`` loads the snapshot and writes what this returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from qudao.engines.planning import (
    PlanOptions,
    gross_requirements,
    network_levels,
    peg_network,
    plan_network,
    vmi_replenishment,
)
from qudao.engines.planning.errors import PlanningInputError
from qudao.planning import production_link as link
from qudao.planning.allocation import allocate
from qudao.planning.inputs import KEY, Calendar
from qudao.planning.network import Network, policies
from qudao.planning.production_link import ProductionInputs

# Above this many proposals, pegging rows (about three per proposal) are computed when asked for instead of
# stored: writing ten million rows would cost more than the whole plan (see bench/planning.py --from-db).
PEG_STORE_LIMIT = 250_000
KIND_NAMES = {"buy": "purchase", "make": "production", "transfer": "transfer"}


@dataclass
class Snapshot:
    available: pl.DataFrame
    receipts: pl.DataFrame
    issues: pl.DataFrame
    forecast: pl.DataFrame
    orders: pl.DataFrame
    params: pl.DataFrame
    # Forecast per SKU-location and bucket (product_id, location_id, bucket, quantity); SKU-locations not in
    # it keep their flat ``forecast.mean`` (the history fallback).
    per_bucket: pl.DataFrame | None = None


@dataclass
class Result:
    proposals: pl.DataFrame
    pegs: pl.DataFrame
    exceptions: pl.DataFrame
    projections: pl.DataFrame
    allocations: pl.DataFrame
    summary: dict = field(default_factory=dict)


def _matrix(net: Network, frame: pl.DataFrame, h: int, value: str = "quantity") -> np.ndarray:
    """(nodes, buckets) matrix from rows (product_id, location_id, bucket, value); unknown nodes dropped."""
    m = np.zeros((net.nodes.height, h))
    if frame.height:
        f = frame.join(net.nodes.select(*KEY, "idx"), on=list(KEY), how="inner")
        np.add.at(m, (f["idx"].to_numpy(), f["bucket"].to_numpy()), f[value].to_numpy())
    return m


def _vector(net: Network, frame: pl.DataFrame, value: str) -> np.ndarray:
    v = np.zeros(net.nodes.height)
    if frame.height:
        f = frame.join(net.nodes.select(*KEY, "idx"), on=list(KEY), how="inner")
        np.add.at(v, f["idx"].to_numpy(), f[value].fill_null(0.0).to_numpy())
    return v


def compute(net: Network, snap: Snapshot, cal: Calendar, *, default_service_level: float | None = None,
            peg: bool | None = None, excess_buckets: int | None = None, first_id: int = 1,
            prod: ProductionInputs | None = None, priority: pl.DataFrame | None = None,
            allocation_policy: str = "proportional", min_service: float = 0.0,
            progress: Callable[[str, float], None] = lambda step, done: None) -> Result:
    """Plan every SKU-location of ``net``; raises PlanningInputError (naming the item) on bad input."""
    h, n = cal.horizon, net.nodes.height
    options = PlanOptions(bucket=cal.bucket, horizon=h)
    lots, ss, p = policies(net, snap.params, snap.forecast, default_service_level)
    forecast = np.repeat(p["mean"].fill_null(0.0).to_numpy()[:, None], h, axis=1)
    if snap.per_bucket is not None and snap.per_bucket.height:
        timed = snap.per_bucket.join(net.nodes.select(*KEY, "idx"), on=list(KEY), how="inner")
        rows = np.unique(timed["idx"].to_numpy())
        forecast[rows] = _matrix(net, snap.per_bucket, h)[rows]
    orders = _matrix(net, snap.orders, h)
    issues = _matrix(net, snap.issues, h)
    gross = gross_requirements(forecast, orders, options.gross_rule) + issues
    on_hand = _vector(net, snap.available, "available")
    sched = _matrix(net, snap.receipts, h)
    independent = gross - issues  # what pegging calls forecast and sales order demand

    # Vendor-managed locations: min/max deliveries first; they are demand on the location they come from.
    vmi_rows = p.filter(pl.col("vmi_min").is_not_null() & pl.col("vmi_max").is_not_null())
    extra_orders = pl.DataFrame()
    vmi_arrivals = np.zeros((n, h))
    if vmi_rows.height:
        vmi = vmi_rows["idx"].to_numpy()
        sources = net.sourcing.source[net.sourcing.kind == 0]
        used = np.isin(vmi, sources)
        if used.any():
            raise PlanningInputError("vmi_min", "a vendor-managed location cannot supply other locations",
                                     net.labels[int(vmi[used][0])])
        deliveries = vmi_replenishment(
            on_hand[vmi], gross[vmi], vmi_rows["vmi_min"].to_numpy(), vmi_rows["vmi_max"].to_numpy(),
            net.lead[vmi], in_transit=sched[vmi], pack_size=lots.multiple[vmi],
            locations=[net.labels[i] for i in vmi])
        extra_orders, vmi_arrivals = _vmi_orders(net, deliveries, h)
        gross_vmi = gross[vmi].copy()
        gross[vmi], ss[vmi], independent[vmi] = 0.0, 0.0, 0.0
        t = extra_orders.filter(pl.col("kind") == "transfer")
        np.add.at(gross, (t["source_idx"].to_numpy(), t["release_bucket"].to_numpy()), t["quantity"].to_numpy())
    progress("plan", 0.35)
    edges = link.bom_edges(net, prod.bom) if prod is not None else None
    # Re-plan until nothing more flows upstream: components of planned production (BOM) and past-due
    # transfer releases, which are still owed by their source now (the past-due column of DRP counts in the
    # source's first bucket; Martin, DRP, 1995). Each pass is one vectorised network plan.
    extra = np.zeros((n, h))
    passes = 2 + int(network_levels(n, net.sourcing, net.labels).max(initial=0)) + (edges.depth + 1 if edges else 0)
    # The first pass builds the orders; if anything flows upstream, the passes that follow skip the order
    # frame (the flows come from the record) until stable, and a last pass builds the orders again.
    plan = plan_network(gross, on_hand, net.sourcing, scheduled_receipts=sched, safety_stock=ss, lots=lots,
                        items=net.labels)
    again = _upstream(net, plan.record.planned_receipts, edges)
    if not np.allclose(again, extra):
        for _ in range(passes):
            extra = again
            plan = plan_network(gross + extra, on_hand, net.sourcing, scheduled_receipts=sched, safety_stock=ss,
                                lots=lots, items=net.labels, make_orders=False)
            again = _upstream(net, plan.record.planned_receipts, edges)
            if np.allclose(again, extra):
                break
        plan = plan_network(gross + extra, on_hand, net.sourcing, scheduled_receipts=sched, safety_stock=ss,
                            lots=lots, items=net.labels)
    record = plan.record
    poh = record.projected_on_hand.copy()
    planned = record.planned_receipts.copy()
    gross_all = record.gross_requirements.copy()
    if vmi_rows.height:
        gross_all[vmi] = gross_vmi
        planned[vmi] = vmi_arrivals[vmi]
        poh[vmi] = on_hand[vmi, None] + np.cumsum(sched[vmi] + vmi_arrivals[vmi] - gross_vmi, axis=1)

    engine_orders = plan.orders
    if engine_orders.height:
        src_index = pl.DataFrame({"source": net.labels, "source_idx": np.arange(n)})
        engine_orders = engine_orders.join(src_index, on="source", how="left").with_columns(
            pl.lit("").alias("reason"))
    orders_all = pl.concat([f for f in (engine_orders, extra_orders) if f.height], how="diagonal_relaxed") \
        if (engine_orders.height or extra_orders.height) else pl.DataFrame()
    proposals = _proposals(net, orders_all, cal, first_id)
    progress("peg", 0.55)
    pegs = pl.DataFrame()
    store = peg if peg is not None else proposals.height <= PEG_STORE_LIMIT
    if store and proposals.height:
        ids = proposals.select("order_id", pl.col("id").alias("proposal_id"))
        extra = [extra_orders.filter(pl.col("kind") == "transfer").select(
            pl.col("source_idx").alias("idx"), pl.col("release_bucket").alias("bucket"),
            pl.format("order:{}", "order_id").alias("demand_id"), "quantity")] if extra_orders.height else []
        if edges is not None:
            extra.append(link.bom_pegging_demands(edges, plan.orders, h))
        pegs = (_pegs(net, plan, on_hand, snap.orders, independent, orders, extra, cal)
                .join(ids, on="order_id", how="inner")
                .join(ids.select(pl.col("order_id").cast(pl.String).alias("demand_ref"),
                                 pl.col("proposal_id").cast(pl.String).alias("downstream")),
                      on="demand_ref", how="left")
                .with_columns(pl.when(pl.col("demand_kind") == "proposal").then(pl.col("downstream"))
                              .otherwise(pl.col("demand_ref")).alias("demand_ref"))
                .select("proposal_id", "demand_kind", "demand_ref", "demand_date", "quantity"))
    progress("exceptions", 0.7)
    exceptions = _exceptions(net, on_hand, sched, gross_all, poh, ss, record.past_due, cal, excess_buckets)
    if prod is not None:
        found, advice = link.overloads(net, plan.orders, prod, h)
        exceptions = pl.concat([exceptions, _overloads(found, advice, cal)])
    projections = _projections(net, on_hand, ss, gross_all, sched, planned, poh)
    if priority is None:
        priority = pl.DataFrame(schema={"to_location_id": pl.Int64, "priority": pl.Int64})
    allocations = allocate(net, orders_all, on_hand, sched, independent, priority, allocation_policy,
                           min_service)
    summary = {
        "sku_locations": n, "buckets": h, "bucket": cal.bucket, "start": cal.start.isoformat(),
        "proposals": proposals.height,
        "by_kind": {k: int(v) for k, v in proposals.group_by("kind").len().iter_rows()} if proposals.height else {},
        "past_due": int((proposals["past_due"]).sum()) if proposals.height else 0,
        "pegs": pegs.height, "pegging": "stored" if store else "on request", "vmi_locations": vmi_rows.height,
        "exceptions": {k: int(v) for k, v in exceptions.group_by("kind").len().iter_rows()}
        if exceptions.height else {},
        "demand": "forecast per bucket (CPFR consensus where agreed, else the latest forecast run; history "
                  "average where neither) consumed by open orders: gross = max(forecast, orders)",
        "demand_sources": _sources(p),
    }
    summary["allocations"] = allocations.height
    return Result(proposals, pegs, exceptions, projections, allocations, summary)


def _sources(p: pl.DataFrame) -> dict[str, int]:
    """SKU-locations planned from consensus / forecast / history fallback (none: no independent demand)."""
    if "source" not in p.columns:
        return {}
    counts = dict(p.group_by(pl.col("source").fill_null("none")).len().iter_rows())
    return {k: int(counts.get(k, 0)) for k in ("consensus", "forecast", "fallback", "none")}


def _upstream(net: Network, receipts: np.ndarray, edges) -> np.ndarray:
    """What flows upstream outside the engine's own propagation, from the planned receipts: the part of each
    transfer rule's share released before bucket 0 (owed by the source now, in its bucket 0) and, with a
    BOM, components of production released (past-due production counts in bucket 0)."""
    n, h = receipts.shape
    out = np.zeros((n, h))
    s = net.sourcing
    cum = np.cumsum(receipts, axis=1)
    t = np.flatnonzero((s.kind == 0) & (s.lead_time > 0))
    if t.size:
        owed = s.share[t] * cum[s.node[t], np.minimum(s.lead_time[t], h) - 1]
        np.add.at(out[:, 0], s.source[t], owed)
    if edges is not None:
        m = np.flatnonzero(s.kind == 2)
        releases = np.zeros((n, h))
        for lag in np.unique(s.lead_time[m]).tolist():
            e = m[s.lead_time[m] == lag]
            part = receipts[s.node[e]] * s.share[e][:, None]
            if lag >= h:
                np.add.at(releases[:, 0], s.node[e], part.sum(axis=1))
                continue
            np.add.at(releases, s.node[e], np.pad(part[:, lag:], ((0, 0), (0, lag))))
            np.add.at(releases[:, 0], s.node[e], part[:, :lag].sum(axis=1))
        out += np.asarray(edges.matrix(n) @ releases)
    return out


def _vmi_orders(net: Network, deliveries: pl.DataFrame, h: int) -> tuple[pl.DataFrame, np.ndarray]:
    """VMI deliveries as orders split over the location's rules (transfer or buy), ids after the engine's."""
    arrivals = np.zeros((net.nodes.height, h))
    if not deliveries.height:
        return pl.DataFrame(), arrivals
    d = deliveries.join(pl.DataFrame({"location": net.labels, "node": np.arange(net.nodes.height)}),
                        on="location", how="left")
    rules = pl.DataFrame({"node": net.sourcing.node, "rule_kind": np.array(["transfer", "buy", "make"])[
        net.sourcing.kind], "source_idx": net.sourcing.source, "share": net.sourcing.share,
        "supplier": pl.Series(list(net.sourcing.supplier), dtype=pl.String)})
    o = d.join(rules, on="node", how="inner").with_columns(
        (pl.col("quantity") * pl.col("share")).alias("quantity"))
    np.add.at(arrivals, (o["node"].to_numpy(), o["arrival_bucket"].to_numpy()), o["quantity"].to_numpy())
    out = o.select(
        pl.col("node").cast(pl.Int64), pl.col("rule_kind").alias("kind"), "source_idx", "supplier",
        pl.col("ship_bucket").alias("release_bucket"), pl.col("arrival_bucket").alias("receipt_bucket"),
        "quantity", pl.lit(False).alias("past_due"), "reason")
    return out.with_columns(pl.int_range(1_000_000_000, 1_000_000_000 + out.height, dtype=pl.Int64)
                            .alias("order_id")), arrivals


def _proposals(net: Network, orders: pl.DataFrame, cal: Calendar, first_id: int) -> pl.DataFrame:
    if not orders.height:
        return pl.DataFrame()
    nodes = net.nodes.select(pl.col("idx").alias("node"), "product_id", pl.col("location_id").alias("to_location_id"),
                             "label")
    sources = net.nodes.select(pl.col("idx").alias("source_idx"), pl.col("location_id").alias("from_location_id"))
    o = (orders.join(nodes, on="node", how="left").join(sources, on="source_idx", how="left")
         .sort("node", "receipt_bucket", "order_id")
         .with_columns(pl.int_range(first_id, first_id + orders.height, dtype=pl.Int64).alias("id")))
    day = pl.duration(days=cal.days)
    start = pl.lit(cal.start)
    # The usual reason ("stock would fall below safety stock") is composed when read (queries.reason_text):
    # millions of copies of one sentence would double the bytes a big run writes.
    reason = pl.col("reason").fill_null("")
    return o.select(
        "id", pl.col("kind").replace_strict(KIND_NAMES).alias("kind"), "product_id",
        pl.when(pl.col("kind") == "transfer").then(pl.col("from_location_id")).alias("from_location_id"),
        pl.col("supplier").cast(pl.Int64, strict=False).alias("supplier_id"), "to_location_id",
        pl.col("quantity").round(4), pl.col("quantity").round(4).alias("proposed_quantity"),
        (start + day * pl.col("release_bucket")).alias("release_date"),
        (start + day * pl.col("receipt_bucket")).alias("due_date"),
        "past_due", reason.str.slice(0, 300).alias("reason"), pl.lit("proposed").alias("status"),
        "order_id")


def _pegs(net, plan, on_hand, lines: pl.DataFrame, independent: np.ndarray, orders: np.ndarray,
          extra: list[pl.DataFrame], cal: Calendar) -> pl.DataFrame:
    """Proposal -> demand rows: sales order lines, the forecast rest of each bucket, downstream proposals."""
    labels = pl.Series("item", net.labels)
    so = lines.join(net.nodes.select(*KEY, "idx"), on=list(KEY), how="inner").select(
        "idx", "bucket",
        pl.format("so:{}", "line_id").alias("demand_id"), "quantity")
    rest = np.maximum(independent - orders, 0.0)
    r, t = np.nonzero(rest)
    fc = pl.DataFrame({"idx": r.astype(np.int64), "bucket": t.astype(np.int64),
                       "demand_id": pl.Series(t.astype(np.int64)).cast(pl.String).str.replace(r"^", "fc:"),
                       "quantity": rest[r, t]})
    demands = pl.concat([so, fc, *extra], how="vertical_relaxed")
    demands = demands.with_columns(labels.gather(demands["idx"]).alias("item")).drop("idx")
    pegs = peg_network(plan, on_hand, demands, items=net.labels)
    pegs = pegs.filter(pl.col("supply_id").str.starts_with("order:") & pl.col("demand_id").is_not_null())
    day = pl.duration(days=cal.days)
    return pegs.select(
        pl.col("supply_id").str.slice(6).cast(pl.Int64).alias("order_id"),
        pl.col("demand_id").str.extract(r"^(\w+):", 1).replace_strict(
            {"so": "sales_order", "fc": "forecast", "order": "proposal"}).alias("demand_kind"),
        pl.col("demand_id").str.extract(r":(.*)$", 1).alias("demand_ref"),
        (pl.lit(cal.start) + day * pl.col("demand_bucket")).alias("demand_date"),
        pl.col("quantity").round(4))


def _exceptions(net: Network, on_hand, sched, gross, poh, ss, past_due, cal: Calendar,
                excess_buckets: int | None) -> pl.DataFrame:
    """Shortage: stock without new orders runs out before a new order could arrive (within the lead time);
    late: orders that should already have been released; excess: stock above safety stock plus
    ``excess_buckets`` of average demand all through the horizon."""
    h = gross.shape[1]
    alone = on_hand[:, None] + np.cumsum(sched - gross, axis=1)
    window = np.arange(h)[None, :] < net.lead[:, None]
    short = np.where(window, alone, 0.0)
    s_rows = np.flatnonzero(short.min(axis=1) < -1e-9)
    first = (short[s_rows] < -1e-9).argmax(axis=1)
    l_rows = np.flatnonzero(past_due > 1e-9)
    cover = excess_buckets if excess_buckets is not None else (26 if cal.bucket == "week" else 182)
    avg = gross.mean(axis=1)
    surplus = poh.min(axis=1) - ss - cover * avg
    e_rows = np.flatnonzero((surplus > 1e-9) & (on_hand > 0))
    labels = net.labels

    def rows(kind, idx, bucket, qty, text):
        return pl.DataFrame({"kind": [kind] * idx.size, "idx": idx.astype(np.int64),
                             "bucket": np.asarray(bucket, dtype=np.int64), "quantity": np.asarray(qty, float),
                             "message": [text(i, q) for i, q in zip(idx.tolist(), np.asarray(qty).tolist(),
                                                                    strict=True)]})

    parts = [
        rows("shortage", s_rows, first, -short[s_rows].min(axis=1),
             lambda i, q: f"{labels[i]}: short {q:g} within the lead time of {int(net.lead[i])} bucket(s)"),
        rows("late", l_rows, np.zeros(l_rows.size), past_due[l_rows],
             lambda i, q: f"{labels[i]}: {q:g} should already have been released; expedite"),
        rows("excess", e_rows, np.zeros(e_rows.size), surplus[e_rows],
             lambda i, q: f"{labels[i]}: {q:g} above safety stock plus {cover} bucket(s) of demand"),
    ]
    f = pl.concat(parts).join(net.nodes.select("idx", *KEY), on="idx", how="left")
    day = pl.duration(days=cal.days)
    return f.select("kind", "product_id", "location_id", pl.lit(None, pl.String).alias("resource"),
                    (pl.lit(cal.start) + day * pl.col("bucket")).alias("bucket_date"),
                    pl.col("quantity").round(4), pl.col("message").str.slice(0, 300))


def _overloads(rows: pl.DataFrame, advice: pl.DataFrame, cal: Calendar) -> pl.DataFrame:
    day = pl.duration(days=cal.days)
    pre = advice.select(
        pl.lit("overload").alias("kind"), "product_id", "location_id", pl.col("resource_code").alias("resource"),
        (pl.lit(cal.start) + day * pl.col("bucket")).alias("bucket_date"), "quantity",
        pl.col("reason").str.slice(0, 300).alias("message"))
    return pl.concat([rows.select(
        pl.lit("overload").alias("kind"), pl.lit(None, pl.Int64).alias("product_id"),
        pl.lit(None, pl.Int64).alias("location_id"), "resource_code",
        (pl.lit(cal.start) + day * pl.col("bucket")).alias("bucket_date"),
        (pl.col("load") - pl.col("capacity")).round(4).alias("quantity"),
        pl.format("{}: planned production needs {} h, capacity {} h", "resource_code", pl.col("load").round(1),
                  pl.col("capacity").round(1)).str.slice(0, 300).alias("message"),
    ).rename({"resource_code": "resource"}), pre], how="vertical_relaxed")


def _json_lists(m: np.ndarray) -> pl.Series:
    s = pl.Series(np.round(m, 3))
    return ("[" + s.arr.to_list().list.eval(pl.element().cast(pl.String)).list.join(",") + "]")


def _projections(net: Network, on_hand, ss, gross, sched, planned, poh) -> pl.DataFrame:
    return pl.DataFrame({
        "product_id": net.nodes["product_id"], "location_id": net.nodes["location_id"],
        "on_hand": on_hand, "safety_stock": ss,
        "gross": _json_lists(gross), "scheduled": _json_lists(sched), "planned": _json_lists(planned),
        "projected": _json_lists(poh)})
