"""CLV: BG/NBD and Gamma-Gamma fitted on purchase histories drawn with known parameters.

The histories follow the models' own stories (Fader, Hardie & Lee 2005; Fader & Hardie 2013), drawn by
qudao.engines.segmentation.simulate; the fit must recover the parameters and predict the holdout period.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from scipy.special import hyp2f1

from qudao.engines.segmentation import (
    SegmentationInputError,
    SegmentationOptions,
    predict_clv,
    segment_customers,
)
from qudao.engines.segmentation.simulate import simulate_bgnbd

AS_OF = date(2026, 6, 30)
TRUE_BGNBD = {"r": 0.6, "alpha": 25.0, "a": 0.8, "b": 2.5}  # purchase rate per day, dropout per purchase
TRUE_SPEND = {"p": 6.0, "q": 4.0, "v": 15.0}  # mean spend p v / (q - 1) = 30
HOLDOUT_DAYS = 90


@pytest.fixture(scope="module")
def run():
    n = 5000
    observed = np.random.default_rng(1).integers(180, 366, n)
    history = simulate_bgnbd(
        observed, **TRUE_BGNBD, holdout=HOLDOUT_DAYS, spend=tuple(TRUE_SPEND.values()), seed=2
    )
    first = np.datetime64(AS_OF) - observed.astype("timedelta64[D]")
    days = np.floor(history.purchase_time).astype("timedelta64[D]")
    transactions = pl.DataFrame(
        {
            "customer_id": history.purchase_customer,
            "order_date": first[history.purchase_customer] + days,
            "revenue": history.purchase_value,
            "margin": 0.2 * history.purchase_value,
        }
    )
    result = segment_customers(transactions, AS_OF, SegmentationOptions(horizon_days=HOLDOUT_DAYS))
    return history, result


def test_bgnbd_parameters_recovered(run):
    _, result = run
    for name, truth in TRUE_BGNBD.items():
        assert result.fit.bgnbd[name] == pytest.approx(truth, rel=0.20), name
    assert result.fit.fitted_customers == 5000


def test_gamma_gamma_parameters_recovered(run):
    _, result = run
    fitted = result.fit.gamma_gamma
    for name, truth in TRUE_SPEND.items():
        assert fitted[name] == pytest.approx(truth, rel=0.25), name
    # the parameters trade off along a ridge; the population mean spend is pinned much tighter
    assert fitted["p"] * fitted["v"] / (fitted["q"] - 1) == pytest.approx(30.0, rel=0.05)


def test_holdout_purchases_predicted_in_aggregate(run):
    history, result = run
    customers = result.customers
    assert customers["expected_purchases"].sum() == pytest.approx(history.holdout_frequency.sum(), rel=0.10)
    # by prior frequency group too (one-time buyers vs repeaters)
    actual = np.bincount(np.minimum(history.frequency, 3), weights=history.holdout_frequency, minlength=4)
    predicted = customers.group_by(pl.col("repeat_frequency").clip(0, 3)).agg(
        pl.col("expected_purchases").sum()
    )
    for group, value in predicted.iter_rows():
        assert value == pytest.approx(actual[group], rel=0.15), group


def test_clv_is_the_discounted_sum_of_monthly_purchases(run):
    _, result = run
    summary = result.customers.head(50)
    months = predict_clv(result.fit, summary, horizon_days=30, clv_months=3, monthly_discount_rate=0.01)
    cumulative = [
        predict_clv(result.fit, summary, horizon_days=30 * k)["expected_purchases"].to_numpy()
        for k in (1, 2, 3)
    ]
    monthly = np.diff(np.vstack([np.zeros(50), *cumulative]), axis=0)
    discount = 1.01 ** -np.arange(1, 4)
    expected = months["expected_spend"].to_numpy() * (discount @ monthly)
    assert months["clv"].to_numpy() == pytest.approx(expected, rel=1e-9)


def test_churn_risk_and_one_time_buyers(run):
    _, result = run
    customers = result.customers
    assert customers["churn_risk"].is_between(0.0, 1.0).all()
    one_timers = customers.filter(pl.col("frequency") == 1)
    # BG/NBD: dropout only follows a repeat purchase, so one-time buyers are alive for sure (documented limit)
    assert (one_timers["probability_alive"] == 1.0).all()
    assert (one_timers["churn_bucket"].cast(pl.String) == "low").all()
    quiet = customers.filter((pl.col("frequency") >= 3) & (pl.col("recency_days") > 150))
    assert quiet.height > 0 and (quiet["churn_bucket"].cast(pl.String) == "high").mean() > 0.8
    assert set(customers["value_tier"].cast(pl.String)) == {"high", "middle", "low"}


def test_bad_prediction_options(run):
    _, result = run
    with pytest.raises(SegmentationInputError) as caught:
        predict_clv(result.fit, result.customers.head(3), monthly_discount_rate=1.5)
    assert caught.value.field == "monthly_discount_rate"
    with pytest.raises(SegmentationInputError) as caught:
        predict_clv(result.fit, result.customers.head(3).drop("clv_T"))
    assert caught.value.field == "clv_T"


def test_simulator_matches_bgnbd_expected_purchases():
    """Mean repeat purchases in (0, t] against Fader, Hardie & Lee (2005) eq. (9), computed with scipy."""
    r, alpha, a, b = TRUE_BGNBD.values()
    t = 200.0
    history = simulate_bgnbd(np.full(200_000, t), **TRUE_BGNBD, seed=5)
    expected = (
        (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    assert history.frequency.mean() == pytest.approx(expected, rel=0.02)
    assert (history.recency <= t).all() and (history.recency[history.frequency == 0] == 0).all()
    assert history.purchase_customer.size == 200_000 + history.frequency.sum()


def test_small_base_without_spend_model():
    """Ten customers: BG/NBD still fits; too few repeat buyers for Gamma-Gamma, so spend and CLV are null."""
    from tests.unit.test_segmentation_rfm import AS_OF as RFM_AS_OF
    from tests.unit.test_segmentation_rfm import transactions

    result = segment_customers(transactions(), RFM_AS_OF)
    assert result.fit.gamma_gamma is None and result.fit.spend_model is None
    customers = result.customers
    assert customers.height == 10
    assert customers["clv"].is_null().all() and customers["expected_spend"].is_null().all()
    assert (customers["expected_purchases"] >= 0).all()
    # the one-time buyers C, I, J are alive for sure under BG/NBD
    one_timers = customers.filter(pl.col("customer_id").is_in(["C", "I", "J"]))
    assert one_timers["probability_alive"].to_list() == [1.0, 1.0, 1.0]
