"""Forecast runs through the service on both databases: stored values, model classes, stockouts treated as
missing demand, accuracy against hand-worked numbers, partner isolation and a failed run's error."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qudao.common.actor import SYSTEM
from qudao.common.listing import ListParams
from qudao.demand.models import SellThrough
from qudao.errors import Forbidden, NotFound
from qudao.forecasting import queries, service
from qudao.forecasting.accuracy import measure_accuracy
from qudao.forecasting.models import ForecastAccuracy, ForecastSeries, ForecastValue
from qudao.forecasting.queries import SeriesFilter
from qudao.forecasting.schemas import ForecastRunCreate
from tests import factories

START = date(2026, 1, 5)  # a Monday
WEEKS = 10
PATTERN = [10, 12, 14, 16, 18, 30, 40]  # Monday .. Sunday, every week the same


def seed_history(session: Session, *, weeks: int = WEEKS, prefix: str = "FR") -> dict[str, object]:
    """A pure weekly-seasonal SKU (with one stockout Saturday recorded as 0) and an intermittent SKU, at two
    locations owned by two partners, one channel."""
    factories.category(session, code=f"{prefix}-CAT")
    seasonal = factories.product(session, sku=f"{prefix}-SEASONAL", category_code=f"{prefix}-CAT", brand="Qudao")
    sparse = factories.product(session, sku=f"{prefix}-SPARSE", category_code=f"{prefix}-CAT", brand="Qudao")
    channel = factories.channel(session, code=f"{prefix}-CH")
    east = factories.partner(session, code=f"{prefix}-EAST")
    west = factories.partner(session, code=f"{prefix}-WEST")
    loc_east = factories.location(session, code=f"{prefix}-L-EAST", owner_partner_code=east.code)
    loc_west = factories.location(session, code=f"{prefix}-L-WEST", owner_partner_code=west.code)
    rows = []
    stockout_day = START + timedelta(days=7 * 5 + 5)  # the sixth Saturday
    for i in range(weeks * 7):
        day = START + timedelta(days=i)
        out = day == stockout_day
        for loc, partner in ((loc_east, east), (loc_west, west)):
            rows.append({"day": day, "product_id": seasonal.id, "location_id": loc.id, "channel_id": channel.id,
                         "partner_id": partner.id, "quantity": Decimal(0 if out else PATTERN[i % 7]),
                         "revenue": Decimal(0), "on_promotion": False, "stockout": out})
        if i % 6 == 0:  # one sale every six days: intermittent (ADI 6)
            rows.append({"day": day, "product_id": sparse.id, "location_id": loc_east.id, "channel_id": channel.id,
                         "partner_id": east.id, "quantity": Decimal(2 + (i // 6) % 2), "revenue": Decimal(0),
                         "on_promotion": False, "stockout": False})
    session.execute(insert(SellThrough), rows)
    return {"seasonal": seasonal, "sparse": sparse, "channel": channel, "east": east, "west": west,
            "loc_east": loc_east, "loc_west": loc_west}


def run_now(session: Session, **options: object) -> int:
    run = service.start_run(session, SYSTEM, ForecastRunCreate(**options))
    session.flush()
    status = service.execute_run(lambda: nullcontext(session), SYSTEM, run.id)
    session.flush()
    assert status in ("succeeded", "failed")
    return run.id


def test_a_daily_run_stores_nested_intervals_and_the_class_model_per_series(session: Session) -> None:
    seed = seed_history(session)
    seen: list[tuple[str, float]] = []
    run = service.start_run(session, SYSTEM, ForecastRunCreate(grain="day", horizon=7))
    session.flush()
    status = service.execute_run(lambda: nullcontext(session), SYSTEM, run.id,
                                 on_progress=lambda step, p: seen.append((step, p)))
    assert status == "succeeded", run.error
    assert run.progress == 1.0 and run.finished_at is not None and run.history_end == START + timedelta(days=69)
    fractions = [p for _, p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    classes = {(r.product_id, r.location_id): (r.demand_class, r.model)
               for r in session.scalars(select(ForecastSeries).where(ForecastSeries.run_id == run.id))}
    assert classes[(seed["seasonal"].id, seed["loc_east"].id)][0] == "smooth"
    assert classes[(seed["sparse"].id, seed["loc_east"].id)][0] == "intermittent"
    sparse_model = classes[(seed["sparse"].id, seed["loc_east"].id)][1]
    assert any(name in sparse_model for name in ("Croston", "TSB", "ADIDA", "IMAPA", "HistoricAverage")), sparse_model
    assert run.summary["classes"] == {"intermittent": 1, "smooth": 2}
    assert run.summary["history"]["stockout_days_unconstrained"] == 2  # one Saturday at each location

    values = session.scalars(select(ForecastValue).where(ForecastValue.run_id == run.id)).all()
    assert len(values) == 3 * 7
    for v in values:
        assert 0 <= v.lo_95 <= v.lo_80 <= v.forecast <= v.hi_80 <= v.hi_95
    seasonal = sorted((v for v in values if v.product_id == seed["seasonal"].id
                       and v.location_id == seed["loc_east"].id), key=lambda v: v.ds)
    assert seasonal[0].ds == START + timedelta(days=70)  # the Monday after the history
    # The stockout Saturday was learnt as ~30 (its weekday), not 0: the forecast repeats the week exactly.
    assert [round(v.forecast) for v in seasonal] == PATTERN


def test_a_weekly_run_over_the_same_days(session: Session) -> None:
    seed_history(session, weeks=16)
    run_id = run_now(session, grain="week", horizon=2)
    run = service.get_run(session, SYSTEM, run_id)
    assert run.status == "succeeded", run.error
    assert run.summary["forecast"]["frequency"] == "W-MON"
    # 16 weeks cannot backtest a 52-week season: the run fits non-seasonal models instead of fallbacks.
    assert run.summary["forecast"]["season_length"] == 1
    assert not any("fallback" in model for model in run.summary["models"])
    dates = {v.ds for v in session.scalars(select(ForecastValue).where(ForecastValue.run_id == run_id))}
    assert dates == {START + timedelta(weeks=16), START + timedelta(weeks=17)}


def test_accuracy_matches_hand_worked_wape_mase_bias_and_fva(session: Session) -> None:
    """Fit on weeks 1-8, then weeks 9-10 arrive; the seasonal series is scored against hand-worked numbers."""
    seed = seed_history(session)
    run_id = run_now(session, grain="day", horizon=14, history_end=START + timedelta(days=55), skus=["FR-SEASONAL"],
                     locations=["FR-L-EAST"])
    run = service.get_run(session, SYSTEM, run_id)
    assert run.status == "succeeded", run.error
    # Overwrite the stored forecast with round numbers so the arithmetic is checkable by hand: 20 every day.
    for v in session.scalars(select(ForecastValue).where(ForecastValue.run_id == run_id)):
        v.forecast = v.lo_80 = v.lo_95 = v.hi_80 = v.hi_95 = 20.0
    session.flush()
    result = measure_accuracy(session, SYSTEM, run_id)
    row = session.scalars(select(ForecastAccuracy).where(ForecastAccuracy.run_id == run_id)).one()
    # Actuals: weeks 9-10 of PATTERN, except the stockout Saturday (day 40 is in week 6, so none is left out).
    actual = PATTERN * 2
    assert row.periods == 14 and row.actual_total == pytest.approx(sum(actual))  # 280
    abs_error = sum(abs(a - 20) for a in actual)  # 2 x (10+8+6+4+2+10+20) = 120
    assert row.wape == pytest.approx(abs_error / 280)
    assert row.bias == pytest.approx((280 - 280) / 280)
    # MASE scale: in-sample seasonal naive (m = 7) MAE. The history repeats weekly except the stockout
    # Saturday, unconstrained to 30 (the Saturdays around it), so every y_t - y_(t-7) is 0 -> scale 0 -> None.
    assert row.mase is None
    # Seasonal naive repeats the last week exactly: no error; FVA = 0 - 120/280.
    assert row.naive_wape == pytest.approx(0.0)
    assert row.fva == pytest.approx(-abs_error / 280)
    assert row.demand_class == "smooth" and result["series"] == 1
    assert row.measured_through == START + timedelta(days=69)
    trend = queries.accuracy_trend(session, SYSTEM, by="class")
    assert trend[-1]["group"] == "smooth" and trend[-1]["wape"] == pytest.approx(abs_error / 280)
    assert seed["seasonal"].sku == "FR-SEASONAL"


def test_partners_see_only_their_own_locations(session: Session) -> None:
    seed = seed_history(session)
    run_now(session, grain="day", horizon=3)
    east_user = factories.actor(factories.user(session, "partner", partner_code=seed["east"].code))
    everything = queries.forecast_for(session, SYSTEM, SeriesFilter(sku="FR-SEASONAL"), "day")
    mine = queries.forecast_for(session, east_user, SeriesFilter(sku="FR-SEASONAL"), "day")
    assert everything["series"] == 2 and mine["series"] == 1
    assert mine["points"][0]["forecast"] == pytest.approx(everything["points"][0]["forecast"] / 2)
    with pytest.raises(NotFound):
        queries.forecast_for(session, east_user, SeriesFilter(sku="FR-SEASONAL", location="FR-L-WEST"), "day")
    run_id = mine["run_id"]
    rows, total = queries.list_values(session, east_user, run_id, ListParams(page_size=100), SeriesFilter())
    assert total == 2 * 3 and {r["location_code"] for r in rows} == {"FR-L-EAST"}
    with pytest.raises(Forbidden):
        service.start_run(session, east_user, ForecastRunCreate(grain="day", horizon=3))


def test_roll_up_sums_forecasts_and_combines_intervals_as_independent(session: Session) -> None:
    seed_history(session)
    run_now(session, grain="day", horizon=3)
    one = queries.forecast_for(session, SYSTEM, SeriesFilter(sku="FR-SPARSE"), "day")
    both = queries.forecast_for(session, SYSTEM, SeriesFilter(category="FR-CAT"), "day", with_history=True)
    seasonal = queries.forecast_for(session, SYSTEM, SeriesFilter(sku="FR-SEASONAL"), "day")
    first = both["points"][0]
    assert first["forecast"] == pytest.approx(one["points"][0]["forecast"] + seasonal["points"][0]["forecast"])
    assert first["lo_95"] <= first["lo_80"] <= first["forecast"] <= first["hi_80"] <= first["hi_95"]
    assert both["series"] == 3 and both["history"][0]["y"] > 0


def test_a_run_without_history_fails_and_records_why(session: Session) -> None:
    factories.product(session, sku="FR-NOHIST")
    run_id = run_now(session, grain="day", horizon=7, skus=["FR-NOHIST"])
    run = service.get_run(session, SYSTEM, run_id)
    assert run.status == "failed"
    assert "no demand history" in run.error and run.finished_at is not None


def test_a_planted_promotion_is_learnt_taken_out_of_the_history_and_put_back_on_the_forecast(
        session: Session) -> None:
    from qudao.demand import service as demand
    from qudao.demand.schemas import RetailEventCreate

    flat = factories.product(session, sku="FR-FLAT")
    channel = factories.channel(session, code="FR-PROMO-CH")
    loc = factories.location(session, code="FR-PROMO-L")
    promo_days = {20, 21, 22, 45, 46, 47}  # two past promotions, demand 25 instead of 10 (uplift 2.5)
    session.execute(insert(SellThrough), [
        {"day": START + timedelta(days=i), "product_id": flat.id, "location_id": loc.id, "channel_id": channel.id,
         "partner_id": None, "quantity": Decimal(25 if i in promo_days else 10), "revenue": Decimal(0),
         "on_promotion": i in promo_days, "stockout": False} for i in range(70)])
    for n, (first, last) in enumerate([(20, 22), (45, 47), (71, 72)]):  # the last one lies in the forecast
        demand.create_retail_event(session, SYSTEM, RetailEventCreate(
            code=f"FR-PROMO-{n}", name_zh="促销", name_en="Promotion", kind="promotion", channel_code=channel.code,
            starts_on=START + timedelta(days=first), ends_on=START + timedelta(days=last)))
    run_id = run_now(session, grain="day", horizon=7, skus=["FR-FLAT"])
    run = service.get_run(session, SYSTEM, run_id)
    assert run.status == "succeeded", run.error
    assert run.summary["events"]["uplift"] == {"promotion": 2.5} and run.summary["events"]["values_adjusted"] == 2
    forecast = {v.ds: v.forecast for v in session.scalars(select(ForecastValue).where(ForecastValue.run_id == run_id))}
    by_day = [round(forecast[START + timedelta(days=70 + i)], 1) for i in range(7)]
    # The cleansed history is flat at 10, so the baseline forecast is 10; the promotion days get x 2.5.
    assert by_day == [10.0, 25.0, 25.0, 10.0, 10.0, 10.0, 10.0]


def test_a_reconciled_run_forecasts_the_aggregates_too_and_keeps_intervals_nested(session: Session) -> None:
    seed_history(session, weeks=12)
    run_id = run_now(session, grain="day", horizon=7, reconcile="ols")
    run = service.get_run(session, SYSTEM, run_id)
    assert run.status == "succeeded", run.error
    summary = run.summary["reconciliation"]
    # Nodes: total, 1 category, 1 channel, 3 series. The bottom values sum to the reconciled aggregates
    # unless the clip at zero bit (then the error says by how much).
    assert summary["method"] == "ols" and summary["nodes"] == 6 and summary["coherence_error"] < 1.0
    values = session.scalars(select(ForecastValue).where(ForecastValue.run_id == run_id)).all()
    assert len(values) == 21
    for v in values:
        assert 0 <= v.lo_95 <= v.lo_80 <= v.forecast <= v.hi_80 <= v.hi_95
