"""Hierarchy reconciliation: coherent forecasts (every aggregate = sum of its children) that stay close to
the base forecast of the total, with bottom-up and MinT (shrink)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qudao.engines.forecast.hierarchy import aggregate_history, coherence_error, reconcile

SPEC = [["total"], ["total", "category"], ["total", "channel"], ["total", "category", "sku"],
        ["total", "category", "sku", "channel"]]


@pytest.fixture(scope="module")
def hierarchy():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    days = pd.date_range("2026-01-01", periods=84, freq="D")
    rows = []
    for category in ("TEA", "SNACK"):
        for sku in ("1", "2", "3"):
            for channel in ("ECOM", "DIST"):
                level = rng.uniform(5, 25)
                rows += [{"total": "brand", "category": category, "sku": f"{category}-{sku}", "channel": channel,
                          "ds": d, "y": float(rng.poisson(level))} for d in days]
    history, tree = aggregate_history(pd.DataFrame(rows), SPEC)
    # Base forecasts made node by node (mean of the last 28 days, with each node's own error): incoherent.
    horizon = pd.date_range(days[-1] + pd.Timedelta(days=1), periods=7, freq="D")
    noise = {uid: rng.normal(1.0, 0.05) for uid in tree.S["unique_id"]}
    last = history[history["ds"] > days[-29]].groupby("unique_id")["y"].mean()
    base = pd.DataFrame([{"unique_id": uid, "ds": d, "forecast": last[uid] * noise[uid]}
                         for uid in tree.S["unique_id"] for d in horizon])
    fitted = history.sort_values(["unique_id", "ds"]).copy()
    fitted["forecast"] = fitted.groupby("unique_id")["y"].transform(lambda s: s.shift(1).rolling(28, 1).mean())
    insample = fitted.dropna()
    return tree, base, insample


@pytest.mark.parametrize("method", ["bottom_up", "mint_shrink"])
def test_reconciled_forecasts_are_coherent_and_close_to_the_base_total(hierarchy, method) -> None:  # type: ignore[no-untyped-def]
    tree, base, insample = hierarchy
    assert coherence_error(base, tree, "forecast") > 1.0  # the node-by-node forecasts do not add up
    out = reconcile(base, tree, method=method, insample=insample)
    assert len(out) == len(base)
    assert coherence_error(out, tree, "forecast") < 1e-6
    total = out[out["unique_id"] == "brand"]
    assert np.allclose(total["forecast"], total["base"], rtol=0.08)
    # Every category equals its SKUs, and the brand equals its two channels, on every day.
    for _day, frame in out.groupby("ds"):
        value = frame.set_index("unique_id")["forecast"]
        assert value["brand"] == pytest.approx(value["brand/ECOM"] + value["brand/DIST"], abs=1e-6)
        assert value["brand/TEA"] == pytest.approx(sum(value[f"brand/TEA/TEA-{k}"] for k in "123"), abs=1e-6)


def test_bottom_up_keeps_the_bottom_forecasts(hierarchy) -> None:  # type: ignore[no-untyped-def]
    tree, base, _ = hierarchy
    out = reconcile(base, tree, method="bottom_up").set_index(["unique_id", "ds"])
    bottom = base.set_index(["unique_id", "ds"]).loc[tree.bottom_ids]
    assert np.allclose(out.loc[tree.bottom_ids, "forecast"].to_numpy(), bottom["forecast"].to_numpy())


def test_refusals(hierarchy) -> None:  # type: ignore[no-untyped-def]
    tree, base, _ = hierarchy
    with pytest.raises(ValueError, match="insample"):
        reconcile(base, tree, method="mint_shrink")
    with pytest.raises(ValueError, match="lack"):
        reconcile(base[base["unique_id"] != "brand"], tree, method="bottom_up")
    with pytest.raises(ValueError, match="unknown"):
        reconcile(base, tree, method="top_down")
    with pytest.raises(ValueError, match="category"):
        aggregate_history(pd.DataFrame({"ds": [], "y": []}), SPEC)
