"""Demand classes by ADI and CV² (smooth, erratic, intermittent, lumpy), plus ``new`` and ``zero``.

Source: A. A. Syntetos, J. E. Boylan, J. D. Croston, "On the categorization of demand patterns",
Journal of the Operational Research Society 56(5), 2005, pp. 495-503. ADI is the average number of periods
between two demands (periods / periods with demand); CV² is the squared coefficient of variation of the
non-zero demand sizes. Cut-offs ADI = 1.32 and CV² = 0.49 (their Figure 2):

    ADI < 1.32,  CV² < 0.49  -> smooth          ADI >= 1.32, CV² < 0.49  -> intermittent
    ADI < 1.32,  CV² >= 0.49 -> erratic         ADI >= 1.32, CV² >= 0.49 -> lumpy

Qudao adds ``new`` (history too short for a rolling-origin backtest) and ``zero`` (no demand at all), and
flags ``trend`` when the least-squares line through the per-season means moves the level by at least
``TREND_CUTOFF`` (20%) over the history: a Qudao rule of thumb, tuned on the benchmark's held-out data, that
decides whether a trend model (AutoTheta) is worth fitting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
TREND_CUTOFF = 0.2
DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "new", "zero")


def classify_demand(df: pd.DataFrame, min_length: int, season_length: int = 1) -> pd.DataFrame:
    """One row per series: unique_id, n_obs, adi, cv2, demand_class, trend (vectorised over all series).

    ``min_length`` is the shortest history that can be backtested; shorter series are ``new``.
    """
    nonzero = df["y"].to_numpy() > 0
    work = pd.DataFrame({
        "unique_id": df["unique_id"].to_numpy(),
        "nz": nonzero.astype(np.int64),
        "size": np.where(nonzero, df["y"].to_numpy(), np.nan),
    })
    grouped = work.groupby("unique_id", sort=False)
    out = pd.DataFrame({
        "n_obs": grouped.size(),
        "n_demands": grouped["nz"].sum(),
        "size_mean": grouped["size"].mean(),
        "size_std": grouped["size"].std(ddof=0),
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        out["adi"] = out["n_obs"] / out["n_demands"].where(out["n_demands"] > 0)
        out["cv2"] = (out["size_std"] / out["size_mean"]) ** 2
    out["cv2"] = out["cv2"].fillna(0.0)
    high_adi = out["adi"] >= ADI_CUTOFF
    high_cv2 = out["cv2"] >= CV2_CUTOFF
    cls = np.select(
        [~high_adi & ~high_cv2, ~high_adi & high_cv2, high_adi & ~high_cv2],
        ["smooth", "erratic", "intermittent"],
        default="lumpy",
    )
    cls = np.where(out["n_obs"] < min_length, "new", cls)
    cls = np.where(out["n_demands"] == 0, "zero", cls)
    out["demand_class"] = cls
    out["trend"] = trend_strength(df, season_length).reindex(out.index).fillna(0.0) >= TREND_CUTOFF
    return out.reset_index()[["unique_id", "n_obs", "adi", "cv2", "demand_class", "trend"]]


def trend_strength(df: pd.DataFrame, season_length: int) -> pd.Series:
    """|slope| x span / mean level of the least-squares line through per-season means, per series.

    Seasons are counted back from each series' last period (the oldest, partial season is left out), so the
    seasonal pattern cancels inside each mean. Closed-form least squares from grouped sums.
    """
    m = max(int(season_length), 1)
    uid = df["unique_id"].to_numpy()
    back = df.groupby("unique_id", sort=False).cumcount(ascending=False).to_numpy()
    block = back // m
    size = df.groupby("unique_id", sort=False)["y"].transform("size").to_numpy()
    whole = block < (size // m)
    blocks = pd.DataFrame({"unique_id": uid[whole], "x": -block[whole].astype(float),
                           "y": df["y"].to_numpy()[whole]})
    means = blocks.groupby(["unique_id", "x"], sort=False)["y"].mean().reset_index()
    means["xy"] = means["x"] * means["y"]
    means["xx"] = means["x"] ** 2
    g = means.groupby("unique_id", sort=False)
    n, sx, sy, sxy, sxx = g.size(), g["x"].sum(), g["y"].sum(), g["xy"].sum(), g["xx"].sum()
    denom = n * sxx - sx**2
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (n * sxy - sx * sy) / denom.where(denom > 0)
        level = sy / n
        strength = (slope.abs() * n / level.where(level > 0)).where(n >= 3)
    return strength.fillna(0.0)
