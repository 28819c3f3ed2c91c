"""Coherent forecasts across a hierarchy: the brand total equals the sum of its categories, channels, SKUs.

Forecasts made separately for each node (total, category, channel, location, SKU x location x channel)
do not add up. Reconciliation maps them onto coherent ones through the summing matrix S (Hyndman et al.
2011, "Optimal combination forecasts for hierarchical time series"; Hyndman & Athanasopoulos, *Forecasting:
Principles and Practice*, 3rd ed., ch. 11), using Nixtla's hierarchicalforecast:

* ``bottom_up``: the bottom forecasts, summed upwards (simple, keeps SKU detail, ignores aggregate signal);
* ``mint_shrink``: MinT with a shrunk residual covariance (Wickramasuriya, Athanasopoulos & Hyndman 2019,
  "Optimal forecast reconciliation for hierarchical and grouped time series through trace minimization"),
  which needs in-sample fitted values for every node.

Pure: pandas/polars frames in, a pandas frame out; no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

METHODS = ("bottom_up", "mint_shrink", "ols")


@dataclass(frozen=True)
class Hierarchy:
    """The summing matrix (``unique_id`` + one column per bottom series) and the node ids of each level."""

    S: pd.DataFrame
    tags: dict[str, np.ndarray]

    @property
    def bottom_ids(self) -> list[str]:
        return [c for c in self.S.columns if c != "unique_id"]


def _pandas(frame: Any) -> pd.DataFrame:
    return frame.to_pandas() if isinstance(frame, pl.DataFrame) else frame


def aggregate_history(bottom: Any, spec: list[list[str]], *, target: str = "y") -> tuple[pd.DataFrame, Hierarchy]:
    """Sum bottom-level history to every level of ``spec`` (e.g. ``[["total"], ["total", "category"],
    ["total", "category", "sku"]]``); node ids join the level's values with ``/``.

    ``bottom`` holds the spec's columns, ``ds`` and ``target``. Returns the long frame of every node's
    history (``unique_id, ds, y``) and the hierarchy.
    """
    from hierarchicalforecast.utils import aggregate

    frame = _pandas(bottom).copy()
    needed = {c for level in spec for c in level} | {"ds", target}
    missing = needed - set(frame.columns)
    if missing:
        raise ValueError(f"bottom history lacks column(s): {', '.join(sorted(missing))}")
    for column in {c for level in spec for c in level}:
        frame[column] = frame[column].astype(str)
    frame = frame.rename(columns={target: "y"})
    y_df, s_df, tags = aggregate(frame, spec)
    if "unique_id" not in y_df.columns:  # older releases keep the id in the index
        y_df, s_df = y_df.reset_index(), s_df.reset_index()
    return y_df.reset_index(drop=True), Hierarchy(s_df.reset_index(drop=True), tags)


def reconcile(base: Any, hierarchy: Hierarchy, *, method: str = "mint_shrink", insample: Any = None,
              model: str = "forecast") -> pd.DataFrame:
    """Coherent forecasts for every node.

    ``base``: ``unique_id, ds, <model>`` with a forecast for every node of the hierarchy and date.
    ``insample`` (needed by ``mint_shrink``): ``unique_id, ds, y, <model>`` with in-sample fitted values,
    from which the residual covariance is estimated. Returns ``unique_id, ds, base, forecast`` (coherent).
    """
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import BottomUp, MinTrace

    if method not in METHODS:
        raise ValueError(f"unknown reconciliation method {method!r}; use one of {', '.join(METHODS)}")
    y_hat = _pandas(base)[["unique_id", "ds", model]].copy()
    nodes = set(hierarchy.S["unique_id"])
    missing = nodes - set(y_hat["unique_id"])
    if missing:
        raise ValueError(f"base forecasts lack {len(missing)} node(s), e.g. {sorted(missing)[:3]}")
    y_hat = y_hat[y_hat["unique_id"].isin(nodes)]
    if method == "mint_shrink":
        if insample is None:
            raise ValueError("mint_shrink needs in-sample fitted values (insample: unique_id, ds, y, <model>)")
        y_df = _pandas(insample)[["unique_id", "ds", "y", model]]
        y_df = y_df[y_df["unique_id"].isin(nodes)]
    else:
        y_df = None
    reconciler = {"bottom_up": BottomUp(), "mint_shrink": MinTrace(method="mint_shrink"),
                  "ols": MinTrace(method="ols")}[method]
    out = HierarchicalReconciliation(reconcilers=[reconciler]).reconcile(
        Y_hat_df=y_hat, Y_df=y_df, S_df=hierarchy.S, tags=hierarchy.tags)
    reconciled = [c for c in out.columns if c.startswith(f"{model}/")]
    result = out[["unique_id", "ds", model, reconciled[0]]].rename(columns={model: "base", reconciled[0]: "forecast"})
    return result.reset_index(drop=True)


def coherence_error(frame: Any, hierarchy: Hierarchy, column: str = "forecast") -> float:
    """Largest |node - sum of its bottom series| over every node and date (0 for coherent forecasts)."""
    wide = _pandas(frame).pivot(index="unique_id", columns="ds", values=column)
    s = hierarchy.S.set_index("unique_id")
    bottom = wide.loc[hierarchy.bottom_ids].to_numpy()
    implied = s.to_numpy(dtype=float) @ bottom
    return float(np.max(np.abs(wide.loc[s.index].to_numpy() - implied)))
