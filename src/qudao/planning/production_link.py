"""Manufacturing in the planning run: bills of materials and rough-cut capacity of production resources.

The inputs come from the production area's read models (``qudao.production.queries``), loaded by the
service when that area is installed. Here, pure work on frames and arrays:

* ``bom_edges``: BOM lines between planned SKU-locations (parent and component at the same location, the
  parent made there); validated by ``engines.planning.bill_of_materials`` (a cycle names its items).
* ``component_demand``: planned production releases x quantity per (with scrap) become gross requirements
  of the components in the release bucket (Orlicky's MRP, the explosion); the run re-plans until no
  component demand changes (at most the BOM depth + 1 passes).
* ``overloads``: load of planned production on each resource (``engines.planning.rough_cut_load``, the
  product's preferred routing at its location) against the calendar's capacity; zero capacity over the whole
  horizon names the resource.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from qudao.engines.planning import bill_of_materials, prebuild, rough_cut_load
from qudao.engines.planning.errors import PlanningInputError
from qudao.planning.network import Network

_EPS = 1e-9


@dataclass(frozen=True)
class ProductionInputs:
    bom: pl.DataFrame  # parent_id, component_id, quantity_per (with scrap)
    # product_id, resource_id, resource_code, location_id, setup_hours, run_hours_per_unit, preference
    routing: pl.DataFrame
    capacity: pl.DataFrame  # resource_id, resource_code, bucket, capacity_hours


@dataclass(frozen=True)
class BomEdges:
    parent: np.ndarray  # node index of the parent (made at its location)
    component: np.ndarray  # node index of the component at the same location
    quantity_per: np.ndarray
    depth: int

    def matrix(self, n: int) -> sparse.csr_matrix:
        return sparse.csr_matrix((self.quantity_per, (self.component, self.parent)), shape=(n, n))


def bom_edges(net: Network, bom: pl.DataFrame) -> BomEdges | None:
    made = np.unique(net.sourcing.node[net.sourcing.kind == 2])
    if not bom.height or not made.size:
        return None
    nodes = net.nodes.select("idx", "product_id", "location_id")
    parents = nodes.filter(pl.col("idx").is_in(made.tolist())).join(
        bom.rename({"parent_id": "product_id"}), on="product_id", how="inner")
    e = parents.join(nodes.rename({"idx": "c_idx", "product_id": "component_id"}),
                     on=["component_id", "location_id"], how="inner")
    if not e.height:
        return None
    checked = bill_of_materials(net.nodes.height, e["idx"].to_numpy(), e["c_idx"].to_numpy(),
                                e["quantity_per"].to_numpy(), items=net.labels)
    return BomEdges(checked.parent, checked.component, checked.quantity_per,
                    int(checked.low_level_code.max(initial=0)))


def make_releases(orders: pl.DataFrame, n: int, h: int) -> np.ndarray:
    """(nodes, buckets) planned production releases; past-due releases count in bucket 0."""
    m = np.zeros((n, h))
    if orders.height:
        o = orders.filter(pl.col("kind") == "make")
        np.add.at(m, (o["node"].to_numpy(), np.clip(o["release_bucket"].to_numpy(), 0, h - 1)),
                  o["quantity"].to_numpy())
    return m


def component_demand(edges: BomEdges, orders: pl.DataFrame, n: int, h: int) -> np.ndarray:
    return np.asarray(edges.matrix(n) @ make_releases(orders, n, h))


def bom_pegging_demands(edges: BomEdges, orders: pl.DataFrame, h: int) -> pl.DataFrame:
    """Each production order's components as demands (``order:<id>``) on the component SKU-locations."""
    e = pl.DataFrame({"node": edges.parent, "idx": edges.component, "qper": edges.quantity_per})
    o = orders.filter(pl.col("kind") == "make").join(e, on="node", how="inner")
    return o.select("idx", pl.col("release_bucket").clip(0, h - 1).alias("bucket"),
                    pl.format("order:{}", "order_id").alias("demand_id"),
                    (pl.col("quantity") * pl.col("qper")).alias("quantity"))


def overloads(net: Network, orders: pl.DataFrame, prod: ProductionInputs, h: int
              ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows (resource_code, bucket, load, capacity) where planned production overloads a resource,
    pre-build advice (product_id, location_id, resource_code, bucket, quantity, reason))."""
    empty = pl.DataFrame(schema={"resource_code": pl.String, "bucket": pl.Int64, "load": pl.Float64,
                                 "capacity": pl.Float64})
    if not orders.height or not prod.routing.height or not prod.capacity.height:
        return empty, _NO_ADVICE
    n = net.nodes.height
    routes = (net.nodes.select("idx", "product_id", pl.col("location_id").alias("node_location"))
              .join(prod.routing, on="product_id", how="inner")
              .with_columns((pl.col("location_id") != pl.col("node_location")).alias("elsewhere"))
              .sort("idx", "elsewhere", "preference").unique("idx", keep="first", maintain_order=True))
    resources = prod.capacity.select("resource_id", "resource_code").unique().sort("resource_id")
    r_index = {rid: i for i, rid in enumerate(resources["resource_id"].to_list())}
    routes = routes.filter(pl.col("resource_id").is_in(list(r_index)))
    if not routes.height:
        return empty, _NO_ADVICE
    cap = np.zeros((resources.height, h))
    c = prod.capacity.filter(pl.col("bucket") < h)
    cap[[r_index[r] for r in c["resource_id"].to_list()], c["bucket"].to_numpy()] = c["capacity_hours"].to_numpy()
    on = [r_index[r] for r in routes["resource_id"].to_list()]
    load = rough_cut_load(make_releases(orders, n, h), routes["idx"].to_numpy(), on,
                          routes["run_hours_per_unit"].to_numpy(),
                          resources.height, setup_hours=routes["setup_hours"].to_numpy(), items=net.labels)
    codes = resources["resource_code"].to_list()
    dead = np.flatnonzero((cap.sum(axis=1) <= 0) & (load.sum(axis=1) > _EPS))
    if dead.size:
        raise PlanningInputError("capacity", "is zero (or negative) in every bucket of the horizon, yet planned "
                                 "production is routed to it", codes[int(dead[0])])
    r, t = np.nonzero(load > cap + _EPS)
    if not r.size:
        return empty, _NO_ADVICE
    found = pl.DataFrame({"resource_code": [codes[i] for i in r], "bucket": t.astype(np.int64),
                          "load": load[r, t], "capacity": cap[r, t]})
    return found, _prebuild_advice(net, orders, routes, on, cap, codes, h)


_NO_ADVICE = pl.DataFrame(schema={"product_id": pl.Int64, "location_id": pl.Int64, "resource_code": pl.String,
                                  "bucket": pl.Int64, "quantity": pl.Float64, "reason": pl.String})


def _prebuild_advice(net: Network, orders: pl.DataFrame, routes: pl.DataFrame, on: list[int], cap: np.ndarray,
                     codes: list[str], h: int) -> pl.DataFrame:
    """Where production overloads a resource, what to build earlier and when (``engines.planning.prebuild``:
    backward levelling into spare capacity before the peak). Advice shown with the overloads; the
    proposals keep the netting's dates. Resources with a bucket of no capacity at all are left out (the
    engine levels into working buckets only)."""
    working = np.flatnonzero((cap > 0).all(axis=1))
    keep = np.isin(np.asarray(on), working)
    if not keep.any():
        return _NO_ADVICE
    idx = routes["idx"].to_numpy()[keep]
    production = make_releases(orders, net.nodes.height, h)[idx]
    used = production.sum(axis=1) > _EPS
    if not used.any():
        return _NO_ADVICE
    remap = {r: i for i, r in enumerate(working.tolist())}
    result = prebuild(production[used], [remap[r] for r in np.asarray(on)[keep][used]],
                      routes["run_hours_per_unit"].to_numpy()[keep][used], cap[working],
                      items=[net.labels[i] for i in idx[used]], resources=[codes[r] for r in working])
    if not result.moves.height:
        return _NO_ADVICE
    # One line of advice per SKU-location: the total to build early, from the earliest bucket, with the
    # reason of its biggest move (a planner reads this next to the overloads, not move by move).
    nodes = net.nodes.select(pl.col("label").alias("item"), "product_id", "location_id")
    per_item = (result.moves.sort("quantity", descending=True).group_by("item", "resource", maintain_order=True)
                .agg(pl.col("quantity").sum().alias("total"), pl.col("build_bucket").min().alias("bucket"),
                     pl.col("reason").first(), pl.len().alias("moves")))
    return per_item.join(nodes, on="item").select(
        "product_id", "location_id", pl.col("resource").alias("resource_code"), "bucket",
        pl.col("total").round(4).alias("quantity"),
        pl.format("pre-build {} of {} in {} move(s); largest: {}", pl.col("total").round(2), "item", "moves",
                  "reason").alias("reason"))
