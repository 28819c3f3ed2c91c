"""Demand classes by ADI and CV² (smooth, erratic, intermittent, lumpy), plus ``new`` and ``zero``.

Source: A. A. Syntetos, J. E. Boylan, J. D. Croston, "On the categorization of demand patterns",
Journal of the Operational Research Society 56(5), 2005, pp. 495-503. ADI is the average number of periods
between two demands (periods / periods with demand); CV² is the squared coefficient of variation of the
non-zero demand sizes. Cut-offs ADI = 1.32 and CV² = 0.49 (their Figure 2):

    ADI < 1.32,  CV² < 0.49  -> smooth          ADI >= 1.32, CV² < 0.49  -> intermittent
    ADI < 1.32,  CV² >= 0.49 -> erratic         ADI >= 1.32, CV² >= 0.49 -> lumpy

Qudao adds ``new`` (history too short for a rolling-origin backtest) and ``zero`` (no demand at all).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "new", "zero")


def classify_demand(df: pd.DataFrame, min_length: int) -> pd.DataFrame:
    """One row per series: unique_id, n_obs, adi, cv2, demand_class (vectorised over all series).

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
    return out.reset_index()[["unique_id", "n_obs", "adi", "cv2", "demand_class"]]
