"""From loaded frames to the engine's arrays: which SKU-locations are planned, how each is sourced, and its
lot-sizing and safety-stock policy (explicit parameters, else defaults from product and location master data).

Sourcing of a SKU-location, first match wins: its own rules (``planning_sourcing_rules`` with the product),
the location's rules (no product), else the default by location kind: a plant makes (7 days); a
distribution centre is replenished from the nearest plant (7 days) or, with no plant, buys (14 days); any
other location from the nearest distribution centre, else the nearest plant (7 days), else buys. Every
upstream SKU-location a rule names is planned too (closure up the network).

Buying from the suppliers' sourcing (``qudao.suppliers.sourcing``): a buy rule that names no supplier and is
not the planner's own rule for the item (a location-wide or default rule) becomes one rule per approved
supplier of the item, split by its share, with the supplier's lead time (the rule's when the supplier has
none). The node's lot sizing then takes, where the planner set no minimum or multiple, the main supplier's
(largest share, then priority) minimum order quantity and pack size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from qudao.engines.planning import LotSizing, Sourcing, lot_sizing, safety_stock_for, sourcing_rules
from qudao.planning.inputs import KEY, Calendar

DEFAULT_LEAD_DAYS = {"transfer": 7, "buy": 14, "make": 7}
_MAX_DEPTH = 64


def default_rules(locations: pl.DataFrame) -> pl.DataFrame:
    """One default rule per location (see the module docstring), nearest by latitude/longitude."""
    ids = locations["location_id"].to_numpy()
    kind = locations["location_kind"].to_numpy()
    xy = np.column_stack([locations["lat"].fill_null(0.0).to_numpy(), locations["lon"].fill_null(0.0).to_numpy()])

    def nearest(candidates: np.ndarray) -> np.ndarray:
        """Index of the nearest candidate for every location (-1 when none other than itself)."""
        if not candidates.size:
            return np.full(ids.size, -1)
        d = ((xy[:, None, :] - xy[None, candidates, :]) ** 2).sum(axis=2)
        d[ids[:, None] == ids[candidates][None, :]] = np.inf
        best = d.argmin(axis=1)
        return np.where(np.isfinite(d[np.arange(ids.size), best]), candidates[best], -1)

    plants, dcs = np.flatnonzero(kind == "plant"), np.flatnonzero(kind == "distribution_centre")
    near_plant, near_dc = nearest(plants), nearest(dcs)
    source = np.where(kind == "distribution_centre", near_plant, np.where(near_dc >= 0, near_dc, near_plant))
    rule = np.where(kind == "plant", "make", np.where(source >= 0, "transfer", "buy"))
    source = np.where(rule == "transfer", source, -1)
    return pl.DataFrame({
        "location_id": ids,
        "kind": rule,
        "source_location_id": pl.Series(np.where(source >= 0, ids[np.maximum(source, 0)], 0)).set(
            pl.Series(source < 0), None),
        "supplier_id": pl.Series([None] * ids.size, dtype=pl.Int64),
        "share": np.ones(ids.size),
        "lead_time_days": pl.Series([float(DEFAULT_LEAD_DAYS[r]) for r in rule], dtype=pl.Float64),
    })


SUPPLIER_TERMS = {"supplier_min": pl.Float64, "supplier_multiple": pl.Float64}


def _from_suppliers(found: pl.DataFrame, suppliers: pl.DataFrame) -> pl.DataFrame:
    """Buy rules without a supplier split over the item's approved suppliers (see the module docstring).
    ``suppliers``: product_id, supplier_id, share (0..1), lead_time_days, min_order_qty, pack_size, priority."""
    open_buy = (pl.col("kind") == "buy") & pl.col("supplier_id").is_null()
    fit = found.filter(open_buy).join(suppliers.select("product_id").unique(), on="product_id", how="semi")
    if not fit.height:
        return found
    main = (suppliers.sort("product_id", pl.col("share"), "priority", descending=[False, True, False])
            .group_by("product_id", maintain_order=True).first()
            .select("product_id", pl.col("min_order_qty").alias("supplier_min"),
                    pl.col("pack_size").alias("supplier_multiple")))
    split = (fit.drop("supplier_id").join(suppliers.select(
        "product_id", "supplier_id", pl.col("share").alias("supplier_share"),
        pl.col("lead_time_days").alias("supplier_lead")), on="product_id", how="inner")
        .with_columns((pl.col("share") * pl.col("supplier_share")).alias("share"),
                      pl.coalesce("supplier_lead", "lead_time_days").alias("lead_time_days"))
        .join(main, on="product_id", how="left").select(*found.columns, *SUPPLIER_TERMS))
    rest = found.join(fit.select(list(KEY)), on=list(KEY), how="anti")
    return pl.concat([rest, split], how="diagonal_relaxed")


def resolve_rules(pairs: pl.DataFrame, rules: pl.DataFrame, defaults: pl.DataFrame,
                  bom: pl.DataFrame | None = None, makeable: list[int] | None = None,
                  suppliers: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(planned SKU-locations, their sourcing rules) with the upstream closure: sources of transfers and,
    with ``bom``, the components of what a location makes. With ``makeable`` (products with a BOM or a
    routing), a plant's default rule makes only those and buys the rest. With ``suppliers`` (the suppliers'
    sourcing), location-wide and default buy rules go to the item's approved suppliers."""
    if makeable is not None:
        cannot = (pl.col("kind") == "make") & ~pl.col("product_id").is_in(makeable)
        defaults_of = lambda f: f.with_columns(  # noqa: E731
            pl.when(cannot).then(pl.lit("buy")).otherwise(pl.col("kind")).alias("kind"),
            pl.when(cannot).then(float(DEFAULT_LEAD_DAYS["buy"])).otherwise(pl.col("lead_time_days"))
            .alias("lead_time_days"))
    else:
        defaults_of = lambda f: f  # noqa: E731
    own = rules.filter(pl.col("product_id").is_not_null())
    wide = rules.filter(pl.col("product_id").is_null()).drop("product_id")
    nodes = pairs.unique()
    todo = nodes
    parts = []
    for _ in range(_MAX_DEPTH):
        r1 = todo.join(own, on=["product_id", "location_id"], how="inner")
        rest = todo.join(r1.select(list(KEY)).unique(), on=list(KEY), how="anti")
        r2 = rest.join(wide, on="location_id", how="inner")
        rest = rest.join(r2.select(list(KEY)).unique(), on=list(KEY), how="anti")
        r3 = defaults_of(rest.join(defaults, on="location_id", how="inner"))
        inherited = pl.concat([r2.select(r1.columns), r3.select(r1.columns)])
        if suppliers is not None and suppliers.height:
            inherited = _from_suppliers(inherited, suppliers)
        found = pl.concat([r1, inherited], how="diagonal_relaxed")
        parts.append(found)
        upstream = (found.filter(pl.col("kind") == "transfer")
                    .select("product_id", pl.col("source_location_id").alias("location_id")).unique())
        if bom is not None and bom.height:
            components = (found.filter(pl.col("kind") == "make").select("product_id", "location_id")
                          .join(bom.select(pl.col("parent_id").alias("product_id"), "component_id"), on="product_id")
                          .select(pl.col("component_id").alias("product_id"), "location_id"))
            upstream = pl.concat([upstream, components]).unique()
        todo = upstream.join(nodes, on=list(KEY), how="anti")
        if not todo.height:
            break
        nodes = pl.concat([nodes, todo])
    rules_out = (pl.concat(parts, how="diagonal_relaxed") if parts
                 else defaults.head(0).with_columns(pl.lit(0).alias("product_id")))
    return nodes.sort("product_id", "location_id"), rules_out


@dataclass
class Network:
    nodes: pl.DataFrame  # product_id, location_id, idx, label, sku, location_code, ...
    labels: list[str]
    sourcing: Sourcing
    rules: pl.DataFrame  # one row per engine rule: node, source, kind, share, lead, supplier_id
    lots: LotSizing
    lead: np.ndarray  # (n,) longest rule lead time in buckets
    terms: pl.DataFrame | None = None  # idx, supplier_min, supplier_multiple (main supplier's terms)


def build_network(nodes: pl.DataFrame, rules: pl.DataFrame, products: pl.DataFrame, locations: pl.DataFrame,
                  cal: Calendar) -> Network:
    nodes = (nodes.join(products, on="product_id", how="left").join(
        locations.select("location_id", "location_code", "location_kind"), on="location_id", how="left")
        .with_row_index("idx").with_columns(pl.col("idx").cast(pl.Int64),
                                            pl.format("{}@{}", pl.col("sku").fill_null("?"),
                                                      pl.col("location_code").fill_null("?")).alias("label")))
    labels = nodes["label"].to_list()
    index = nodes.select("product_id", "location_id", "idx")
    r = (rules.join(index, on=["product_id", "location_id"], how="inner")
         .join(index.rename({"location_id": "source_location_id", "idx": "source"}),
               on=["product_id", "source_location_id"], how="left")
         .sort("idx"))
    lead = r["lead_time_days"].to_numpy()
    buckets = np.where(np.isnan(lead), np.nan, np.ceil(lead / cal.days))
    sourcing = sourcing_rules(
        nodes.height, r["idx"].to_numpy(), r["source"].fill_null(-1).to_numpy(), r["share"].to_numpy(),
        [None if np.isnan(b) else b for b in buckets] if np.isnan(buckets).any() else buckets,
        kind=r["kind"].to_numpy().astype(object), supplier=r["supplier_id"].cast(pl.String).to_numpy(),
        items=labels)
    node_lead = np.zeros(nodes.height)
    np.maximum.at(node_lead, sourcing.node, sourcing.lead_time)
    r = r.with_columns(pl.Series("lead", sourcing.lead_time))
    terms = None
    if "supplier_min" in r.columns:
        terms = (r.filter(pl.col("supplier_min").is_not_null() | pl.col("supplier_multiple").is_not_null())
                 .group_by("idx").agg(pl.col(c).first() for c in SUPPLIER_TERMS))
    return Network(nodes, labels, sourcing, r, lot_sizing(nodes.height, items=labels), node_lead, terms)


def policies(net: Network, params: pl.DataFrame, forecast: pl.DataFrame, default_service_level: float | None
             ) -> tuple[LotSizing, np.ndarray, pl.DataFrame]:
    """(lot sizing, safety stock per node, the parameter frame aligned to the nodes)."""
    p = (net.nodes.select("idx", "product_id", "location_id", "pack_size")
         .join(params, on=["product_id", "location_id"], how="left")
         .join(forecast, on=["product_id", "location_id"], how="left").sort("idx"))
    terms = net.terms if net.terms is not None else pl.DataFrame(schema={"idx": pl.Int64, **SUPPLIER_TERMS})
    p = p.join(terms.cast({"idx": pl.Int64}), on="idx", how="left").sort("idx").with_columns(
        pl.coalesce("min_quantity", "supplier_min").alias("min_quantity"),
        pl.coalesce("multiple", "supplier_multiple").alias("multiple")).drop(*SUPPLIER_TERMS)
    n = p.height
    multiple = p["multiple"].fill_null(p["pack_size"].fill_null(0.0)).to_numpy()
    lots = lot_sizing(
        n, rule=p["lot_rule"].fill_null("lot_for_lot").to_numpy().astype(object),
        fixed_quantity=p["fixed_quantity"].fill_null(0.0).to_numpy(), periods=p["periods"].fill_null(1).to_numpy(),
        minimum=p["min_quantity"].fill_null(0.0).to_numpy(), multiple=multiple, items=net.labels)
    ss = p["safety_stock"].to_numpy().astype(float)
    level = p["service_level"].to_numpy().astype(float)
    if default_service_level is not None:
        level = np.where(np.isnan(level), default_service_level, level)
    need = np.isnan(ss) & ~np.isnan(level)
    ss = np.where(np.isnan(ss), 0.0, ss)
    if need.any():
        idx = np.flatnonzero(need)
        ss[idx] = safety_stock_for(p["std"].fill_null(0.0).to_numpy()[idx], np.maximum(net.lead[idx], 1.0),
                                   level[idx], demand_mean=p["mean"].fill_null(0.0).to_numpy()[idx],
                                   items=[net.labels[i] for i in idx])
    return lots, np.ceil(ss - 1e-9), p
