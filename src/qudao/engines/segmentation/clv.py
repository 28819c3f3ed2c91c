"""Customer lifetime value: BG/NBD purchase counts and Gamma-Gamma spend, fitted with pymc-marketing.

Models (the package implements them; we only feed and read them):

* BG/NBD — Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
  Pareto/NBD Model", Marketing Science 24(2): parameters r, alpha (purchase rate ~ Gamma(r, alpha)) and
  a, b (dropout probability ~ Beta(a, b)); expected purchases in the next t days is their eq. (10),
  P(alive) is Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model", note 021.
* Gamma-Gamma — Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", note 025: parameters
  p, q, v; expected mean spend of a customer with x repeat purchases of mean value m is their eq. (5).
* CLV — sum over months k = 1..K of (expected purchases in month k) x expected spend / (1 + d)^k, with a
  month of 30 days and d the monthly discount rate (the ``lifetimes`` / pymc-marketing convention).

Time unit: days. Fitting is maximum likelihood: MAP with flat (HalfFlat) priors, so the estimate is the
likelihood's maximum. The likelihood depends on the customer only through (x, t_x, T), so a uniform random
sample of the base estimates the population parameters as well as the whole base for large bases; above
``max_customers`` we fit on such a sample (seeded, deterministic) and predict for every customer.

pymc-marketing is imported on first use: it is heavy (PyMC, PyTensor) and only the CLV step needs it.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ._checks import SegmentationInputError

BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "v")
CLV_INPUT_COLUMNS = ("customer_id", "repeat_frequency", "clv_recency", "clv_T", "repeat_value")


@dataclass(frozen=True)
class ClvFit:
    """Fitted parameters and the fitted package models (used by ``predict_clv``)."""

    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float] | None  # None when fewer than ``min_spend_customers`` repeat buyers
    fitted_customers: int
    spend_customers: int
    purchase_model: Any
    spend_model: Any


@contextmanager
def _quiet():
    """Silence PyMC/ArviZ chatter (future warnings, optimiser logs) around a fit or prediction."""
    loggers = [logging.getLogger(name) for name in ("pymc", "pytensor", "pymc_marketing", "arviz")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def _inputs(summary: pl.DataFrame) -> pl.DataFrame:
    for name in CLV_INPUT_COLUMNS:
        if name not in summary.columns:
            raise SegmentationInputError(name, "column is missing (build the summary with customer_summary)")
    if summary.height == 0:
        raise SegmentationInputError("transactions", "no purchase on or before the as-of date")
    return summary.select(CLV_INPUT_COLUMNS)


def _pandas(frame: pl.DataFrame, *, spend: bool = False):
    """The package's frame layout: customer_id, frequency, recency, T (and monetary_value)."""
    import pandas as pd

    columns = {
        "customer_id": np.arange(frame.height),
        "frequency": frame["repeat_frequency"].to_numpy().astype(float),
        "recency": frame["clv_recency"].to_numpy(),
        "T": frame["clv_T"].to_numpy(),
    }
    if spend:
        columns["monetary_value"] = frame["repeat_value"].to_numpy()
    return pd.DataFrame(columns)


def _map_values(model, names: tuple[str, ...]) -> dict[str, float]:
    posterior = model.idata.posterior
    return {name: float(np.asarray(posterior[name]).reshape(-1)[0]) for name in names}


def fit_clv(
    summary: pl.DataFrame,
    *,
    max_customers: int = 200_000,
    min_spend_customers: int = 20,
    seed: int = 0,
) -> ClvFit:
    """Fit BG/NBD on (repeat_frequency, clv_recency, clv_T) and Gamma-Gamma on repeat buyers' repeat_value.

    Gamma-Gamma uses customers with at least one repeat purchase and a positive mean repeat value.
    """
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    frame = _inputs(summary)
    if max_customers < 1:
        raise SegmentationInputError("max_customers", "must be at least 1")
    if frame.height > max_customers:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(frame.height, size=max_customers, replace=False))
        frame = frame[rows]
    flat = {
        "r": Prior("HalfFlat"),
        "alpha": Prior("HalfFlat"),
        "a": Prior("HalfFlat"),
        "b": Prior("HalfFlat"),
    }
    with _quiet():
        purchase_model = BetaGeoModel(model_config=flat)
        purchase_model.fit(data=_pandas(frame), method="map", progressbar=False)
        bgnbd = _map_values(purchase_model, BGNBD_PARAMETERS)
        repeaters = frame.filter((pl.col("repeat_frequency") > 0) & (pl.col("repeat_value") > 0))
        spend_model = None
        gamma_gamma = None
        if repeaters.height >= min_spend_customers:
            spend_model = GammaGammaModel()
            spend_model.fit(data=_pandas(repeaters, spend=True), method="map", progressbar=False)
            gamma_gamma = _map_values(spend_model, GAMMA_GAMMA_PARAMETERS)
    return ClvFit(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        fitted_customers=frame.height,
        spend_customers=repeaters.height,
        purchase_model=purchase_model,
        spend_model=spend_model,
    )


def predict_clv(
    fit: ClvFit,
    summary: pl.DataFrame,
    *,
    horizon_days: float = 90.0,
    clv_months: int = 12,
    monthly_discount_rate: float = 0.01,
) -> pl.DataFrame:
    """Per customer: expected_purchases (next ``horizon_days``), probability_alive, expected_spend, clv.

    expected_spend is the Gamma-Gamma conditional mean (population mean for customers without a positive
    repeat value); without a Gamma-Gamma fit it is null and so is clv.
    """
    from pymc_marketing.clv.utils import customer_lifetime_value

    if not horizon_days > 0:
        raise SegmentationInputError("horizon_days", f"must be positive, got {horizon_days}")
    if int(clv_months) != clv_months or clv_months < 1:
        raise SegmentationInputError("clv_months", f"must be a whole number of months >= 1, got {clv_months}")
    if not 0 <= monthly_discount_rate < 1:
        raise SegmentationInputError("monthly_discount_rate", f"in [0, 1), got {monthly_discount_rate}")
    frame = _inputs(summary)
    data = _pandas(frame, spend=True)
    with _quiet():
        model = fit.purchase_model
        expected = np.asarray(model.expected_purchases(data=data, future_t=float(horizon_days))).reshape(-1)
        alive = np.asarray(model.expected_probability_alive(data=data)).reshape(-1)
        spend = clv = None
        if fit.spend_model is not None:
            usable = (data["frequency"] > 0) & (data["monetary_value"] > 0)
            spend_data = data.assign(
                frequency=data["frequency"].where(usable, 0.0),
                monetary_value=data["monetary_value"].where(usable, 0.0),
            )
            spend = np.asarray(fit.spend_model.expected_customer_spend(data=spend_data)).reshape(-1)
            value = customer_lifetime_value(
                transaction_model=model,
                data=data.assign(future_spend=spend),
                future_t=int(clv_months),
                discount_rate=float(monthly_discount_rate),
                time_unit="D",
            )
            clv = np.asarray(value).reshape(-1)
    missing = pl.Series([None] * frame.height, dtype=pl.Float64)
    return pl.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "expected_purchases": expected,
            "probability_alive": alive,
            "expected_spend": missing if spend is None else pl.Series(spend, dtype=pl.Float64),
            "clv": missing if clv is None else pl.Series(clv, dtype=pl.Float64),
        }
    )
