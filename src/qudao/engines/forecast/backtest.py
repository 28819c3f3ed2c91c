"""Rolling-origin backtest scoring, per-series model selection, ensembles and conformal intervals.

Rolling origin: Tashman, "Out-of-sample tests of forecasting accuracy", IJF 16(4), 2000, pp. 437-450.
WAPE = sum|y - f| / sum|y|; within one series it ranks models exactly as MAE does, so selection uses MAE
(defined even when the backtest window has no demand) and WAPE is reported. MASE: Hyndman & Koehler,
"Another look at measures of forecast accuracy", IJF 22(4), 2006, p. 686 (scale = in-sample MAE of the
seasonal naive forecast). Conformal intervals from backtest errors: split conformal prediction (Vovk et al.,
*Algorithmic Learning in a Random World*, 2005; quantile rank ceil((n+1)·level)/n of the absolute errors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ENSEMBLE_SEP = "+"


def wape(y: np.ndarray, yhat: np.ndarray) -> float:
    """Weighted absolute percentage error over all points: sum|y - f| / sum|y| (NaN if no demand)."""
    denom = float(np.abs(y).sum())
    return float(np.abs(np.asarray(y) - np.asarray(yhat)).sum() / denom) if denom > 0 else float("nan")


def mase(y: np.ndarray, yhat: np.ndarray, insample: np.ndarray, season_length: int) -> float:
    """Mean absolute scaled error of one series (Hyndman & Koehler 2006)."""
    insample = np.asarray(insample, dtype=float)
    m = season_length if len(insample) > season_length else 1
    scale = np.mean(np.abs(insample[m:] - insample[:-m])) if len(insample) > m else np.nan
    return float(np.mean(np.abs(np.asarray(y) - np.asarray(yhat))) / scale) if scale and scale > 0 else float("nan")


def score_backtest(cv_long: pd.DataFrame) -> pd.DataFrame:
    """Per (unique_id, model): mae, wape from a long backtest frame (unique_id, ds, cutoff, y, model, yhat)."""
    err = (cv_long["y"] - cv_long["yhat"]).abs()
    work = pd.DataFrame({"unique_id": cv_long["unique_id"], "model": cv_long["model"], "err": err,
                         "absy": cv_long["y"].abs()})
    g = work.groupby(["unique_id", "model"], sort=False)
    scores = pd.DataFrame({"abs_err": g["err"].sum(min_count=1), "abs_y": g["absy"].sum(), "n": g["err"].size(),
                           "sq_err": (work["err"] ** 2).groupby([work["unique_id"], work["model"]]).sum(min_count=1)})
    scores["mae"] = scores["abs_err"] / scores["n"]
    scores["mse"] = scores["sq_err"] / scores["n"]
    scores["wape"] = scores["abs_err"] / scores["abs_y"].where(scores["abs_y"] > 0)
    return scores.reset_index()


def select_models(
    cv_long: pd.DataFrame, ensemble: bool = True, mse_ids=()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pick, per series, the model with the lowest backtest error, or the mean of the top two when better.

    The error is MAE, except for the series in ``mse_ids`` (optionally intermittent and lumpy demand), judged
    by MSE: MAE is minimised by the median, which is 0 for many intermittent series, so it rewards low
    forecasts; MSE is minimised by the mean demand rate (Kolassa, "Evaluating
    predictive count data distributions in retail sales forecasting", IJF 32(3), 2016, pp. 788-803).

    Returns (selection, cv_chosen): selection has unique_id, model (an ensemble is "A+B"), members (list),
    mae, wape; cv_chosen holds the chosen forecast's backtest points (for conformal intervals).
    A model whose backtest produced missing values is not eligible.
    """
    mse_ids = set(mse_ids)
    scores = _with_criterion(score_backtest(cv_long), mse_ids)
    scores = scores[scores["crit"].notna()]
    scores = scores.sort_values(["unique_id", "crit", "model"], kind="stable")
    scores["rank"] = scores.groupby("unique_id", sort=False).cumcount()
    best = scores[scores["rank"] == 0].set_index("unique_id")
    selection = pd.DataFrame({"unique_id": best.index, "model": best["model"].to_numpy(),
                              "mae": best["mae"].to_numpy(), "wape": best["wape"].to_numpy()})
    key = cv_long.set_index(["unique_id", "model"]).index
    chosen_key = pd.MultiIndex.from_arrays([selection["unique_id"], selection["model"]])
    cv_chosen = cv_long[key.isin(chosen_key)][["unique_id", "ds", "cutoff", "y", "yhat"]]

    if ensemble:
        second = scores[scores["rank"] == 1].set_index("unique_id")
        pair = best.join(second, rsuffix="_2", how="inner")
        if len(pair):
            first_pts = cv_long[key.isin(pd.MultiIndex.from_arrays([pair.index, pair["model"]]))]
            second_pts = cv_long[key.isin(pd.MultiIndex.from_arrays([pair.index, pair["model_2"]]))]
            merged = first_pts.merge(second_pts[["unique_id", "ds", "cutoff", "yhat"]],
                                     on=["unique_id", "ds", "cutoff"], suffixes=("", "_2"))
            merged["yhat"] = (merged["yhat"] + merged["yhat_2"]) / 2.0
            ens = _with_criterion(score_backtest(merged.assign(model="ensemble")), mse_ids).set_index("unique_id")
            better = ens.index[(ens["crit"] < pair.loc[ens.index, "crit"]).to_numpy()]
            if len(better):
                names = pair.loc[better, "model"] + ENSEMBLE_SEP + pair.loc[better, "model_2"]
                sel = selection.set_index("unique_id")
                sel.loc[better, "model"] = names
                sel.loc[better, "mae"] = ens.loc[better, "mae"]
                sel.loc[better, "wape"] = ens.loc[better, "wape"]
                selection = sel.reset_index()
                keep = ~cv_chosen["unique_id"].isin(better)
                ens_pts = merged[merged["unique_id"].isin(better)][["unique_id", "ds", "cutoff", "y", "yhat"]]
                cv_chosen = pd.concat([cv_chosen[keep], ens_pts], ignore_index=True)
    selection["members"] = selection["model"].str.split(ENSEMBLE_SEP, regex=False)
    return selection, cv_chosen


def _with_criterion(scores: pd.DataFrame, mse_ids: set) -> pd.DataFrame:
    scores["crit"] = np.where(scores["unique_id"].isin(mse_ids), scores["mse"], scores["mae"])
    return scores


def conformal_halfwidths(cv_points: pd.DataFrame, levels: tuple[int, ...] = (80, 95)) -> pd.DataFrame:
    """Per series, the conformal half-width for each level from absolute backtest errors.

    With n errors, the half-width at level L is the k-th smallest |error|, k = ceil((n + 1) * L / 100),
    capped at n (split conformal prediction).
    """
    err = (cv_points["y"] - cv_points["yhat"]).abs().to_numpy()
    work = pd.DataFrame({"unique_id": cv_points["unique_id"].to_numpy(), "err": err})
    work = work.sort_values(["unique_id", "err"], kind="stable")
    work["k"] = work.groupby("unique_id", sort=False).cumcount() + 1
    n = work.groupby("unique_id", sort=False)["err"].transform("size")
    out = {}
    for level in levels:
        rank = np.minimum(np.ceil((n + 1) * level / 100.0), n)
        out[f"q_{level}"] = work[work["k"] == rank].set_index("unique_id")["err"]
    return pd.DataFrame(out).rename_axis("unique_id").reset_index()
