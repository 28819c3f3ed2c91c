"""Fair allocation of scarce supply in the planning run.

A SKU-location is short when what it holds and receives within its lead time (nothing new can arrive
sooner) is less than what is asked of it in that window: its own customers' demand and the transfers its
downstream locations release on it (past-due ones included). The available quantity is then shared among the
asking locations by ``engines.planning.allocate_scarce``:

* ``proportional`` (default): in proportion to what each asks (fair share);
* ``priority``: by the asking location's priority (``locations.priority``, lower first), tier by tier;
* ``max_margin``: the HiGHS linear programme with a unit weight 1 / priority per location and a minimum
  service level for everyone (``min_service``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from qudao.engines.planning import MAX_MARGIN, PRIORITY, allocate_scarce
from qudao.planning.network import Network

_EPS = 1e-9


def allocate(net: Network, orders: pl.DataFrame, on_hand: np.ndarray, sched: np.ndarray,
             independent: np.ndarray, priority: pl.DataFrame, policy: str, min_service: float) -> pl.DataFrame:
    """Rows (product_id, location_id, to_location_id, policy, demand, allocated) for every short node."""
    h = sched.shape[1]
    window = np.arange(h)[None, :] < np.maximum(net.lead, 1)[:, None]
    supply = on_hand + np.where(window, sched, 0.0).sum(axis=1)
    own = np.where(window, independent, 0.0).sum(axis=1)
    nodes = net.nodes.select("idx", "product_id", "location_id")
    asks = [pl.DataFrame({"idx": np.arange(net.nodes.height), "to_location_id": nodes["location_id"],
                          "demand": own})]
    if orders.height:
        lead = pl.DataFrame({"source_idx": np.arange(net.nodes.height), "lead": np.maximum(net.lead, 1)})
        t = (orders.filter(pl.col("kind") == "transfer")
             .join(lead, on="source_idx")
             .filter(pl.col("release_bucket") < pl.col("lead"))
             .join(nodes.select(pl.col("idx").alias("node"), pl.col("location_id").alias("to_location_id")),
                   on="node")
             .group_by(pl.col("source_idx").alias("idx"), "to_location_id").agg(pl.col("quantity").sum()
                                                                                .alias("demand")))
        asks.append(t.select("idx", pl.col("to_location_id").cast(pl.Int64), "demand"))
    a = pl.concat(asks, how="vertical_relaxed").filter(pl.col("demand") > _EPS)
    total = a.group_by("idx").agg(pl.col("demand").sum().alias("total"))
    have = pl.DataFrame({"idx": np.arange(net.nodes.height), "supply": supply})
    askers = a.group_by("idx").len()
    # One asker alone is the shortage exception already; sharing needs two or more.
    short = (total.join(have, on="idx").join(askers, on="idx")
             .filter((pl.col("total") > pl.col("supply") + _EPS) & (pl.col("len") > 1))["idx"])
    a = (a.filter(pl.col("idx").is_in(short.implode())).sort("idx", "to_location_id")
         .join(priority, on="to_location_id", how="left")
         .with_columns(pl.int_range(pl.len()).over("idx").alias("col")))
    if not a.height:
        return pl.DataFrame(schema={"product_id": pl.Int64, "location_id": pl.Int64, "to_location_id": pl.Int64,
                                    "policy": pl.String, "demand": pl.Float64, "allocated": pl.Float64})
    rows = a["idx"].unique(maintain_order=True)
    row_of = pl.DataFrame({"idx": rows, "row": np.arange(rows.len())})
    a = a.join(row_of, on="idx")
    r, c = a["row"].to_numpy(), a["col"].to_numpy()
    shape = (rows.len(), int(c.max()) + 1)
    demand = np.zeros(shape)
    demand[r, c] = a["demand"].to_numpy()
    tier = np.full(shape, 1e6)
    tier[r, c] = a["priority"].fill_null(100).to_numpy()
    kwargs: dict = {}
    if policy == PRIORITY:
        kwargs["tier"] = tier
    elif policy == MAX_MARGIN:
        # The minimum service is what the supply allows at most (the LP would be infeasible beyond it).
        cover = np.asarray(supply)[rows.to_numpy()] / np.maximum(demand.sum(axis=1), _EPS)
        floor = np.minimum(min_service, cover)[:, None] * (1 - 1e-9)
        kwargs.update(margin=1.0 / np.maximum(tier, 1.0), min_service=np.broadcast_to(floor, shape))
    labels = [net.labels[i] for i in rows.to_list()]
    result = allocate_scarce(np.asarray(supply)[rows.to_numpy()], demand, policy, items=labels, **kwargs)
    return (a.with_columns(pl.Series("allocated", result.allocated[r, c]).round(4), pl.lit(policy).alias("policy"))
            .join(nodes, on="idx").select("product_id", "location_id", "to_location_id", "policy",
                                          pl.col("demand").round(4), "allocated"))
