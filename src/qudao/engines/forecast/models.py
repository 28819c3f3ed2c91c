"""Candidate model spaces per demand class (statsforecast models).

Every model named in the issue is available: SeasonalNaive, AutoETS, AutoARIMA, AutoTheta, MSTL (when more
than one seasonality is declared), CrostonSBA, TSB and ADIDA (plus IMAPA in the ``full`` profile).

The ``fast`` profile (default) keeps the space small so that thousands of daily series fit in minutes
(chosen by holding out the last 28 days of the synthetic benchmark set, see bench/forecast.py):
smooth -> SeasonalNaive, AutoETS, AutoTheta (dynamic optimised theta with a trend, standard theta without);
erratic -> AutoETS; intermittent and lumpy -> CrostonSBA, TSB, ADIDA, HistoricAverage.
AutoETS is restricted to additive error and season without trend (``ANA``; Hyndman & Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., chapter 8); AutoTheta to the dynamic optimised theta
model (Fiorucci et al., "Models for optimising the theta method", IJF 32(4), 2016, pp. 1151-1161), which
carries a trend, or the standard theta method (Assimakopoulos & Nikolopoulos, IJF 16(4), 2000,
pp. 521-530). The ``full`` profile searches AutoETS, AutoTheta and AutoARIMA over their whole spaces.
Intermittent and lumpy series get the Croston family: Croston with the Syntetos-Boylan correction (SBA;
Syntetos & Boylan, IJF 21(2), 2005, pp. 303-314), TSB (Teunter, Syntetos & Babai, EJOR 214(3), 2011,
pp. 606-615; fixed smoothing constants 0.1 for size and probability, a low, stable setting) and ADIDA
(Nikolopoulos et al., JORS 62(3), 2011, pp. 544-554).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from statsforecast import models as sfm


@dataclass(frozen=True)
class ModelSpec:
    """A candidate: its name in results, how to build it, and what it can do."""

    name: str
    make: Callable[[], object]
    native_intervals: bool
    has_forward: bool


def _spec(name: str, make: Callable[[], object], native_intervals: bool) -> ModelSpec:
    model = make()
    return ModelSpec(name, make, native_intervals, hasattr(model, "forward"))


def seasonal_naive(season_length: int) -> ModelSpec:
    return _spec("SeasonalNaive", lambda: sfm.SeasonalNaive(season_length, alias="SeasonalNaive"), True)


def historic_average() -> ModelSpec:
    return _spec("HistoricAverage", lambda: sfm.HistoricAverage(alias="HistoricAverage"), True)


def model_space(
    demand_class: str,
    season_length: int,
    profile: str = "fast",
    seasonalities: tuple[int, ...] = (),
    trend: bool = True,
) -> list[ModelSpec]:
    """The candidate models for one demand class (empty for ``new`` and ``zero``: they use fallbacks).

    ``trend=False`` (no trend found, see classify.trend_strength) uses standard theta instead of the dynamic
    optimised theta model in the fast smooth space.
    """
    m = season_length
    periods = sorted({int(p) for p in seasonalities if int(p) > 1})
    mstl = [_spec(
        "MSTL",
        lambda: sfm.MSTL(season_length=periods, trend_forecaster=sfm.AutoETS(model="ZZN"), alias="MSTL"),
        True,
    )] if len(periods) > 1 else []
    if profile == "full" and demand_class in ("smooth", "erratic"):
        return [
            seasonal_naive(m),
            _spec("AutoETS", lambda: sfm.AutoETS(season_length=m, alias="AutoETS"), True),
            _spec("AutoTheta", lambda: sfm.AutoTheta(season_length=m, alias="AutoTheta"), True),
            _spec("AutoARIMA", lambda: sfm.AutoARIMA(season_length=m, alias="AutoARIMA"), True),
            historic_average(),
            *mstl,
        ]
    # Without a season (m = 1: yearly data, or a history too short for its season) ETS has no seasonal part.
    ets_model = "ANA" if m > 1 else "ANN"
    ets = _spec("AutoETS", lambda: sfm.AutoETS(season_length=m, model=ets_model, alias="AutoETS"), True)
    if demand_class == "smooth":
        # A trend needs the dynamic optimised theta model; without one, standard theta (SES with drift,
        # a third of the cost) does as well.
        variant = "DOTM" if trend else "STM"
        theta = _spec("AutoTheta", lambda: sfm.AutoTheta(season_length=m, model=variant, alias="AutoTheta"), True)
        return [seasonal_naive(m), ets, theta, *mstl]
    if demand_class == "erratic":
        # Noise dominates: on held-out data, choosing among more models only added selection noise.
        return [ets, *mstl]
    if demand_class in ("intermittent", "lumpy"):
        space = [
            _spec("CrostonSBA", lambda: sfm.CrostonSBA(alias="CrostonSBA"), False),
            _spec("TSB", lambda: sfm.TSB(alpha_d=0.1, alpha_p=0.1, alias="TSB"), False),
            _spec("ADIDA", lambda: sfm.ADIDA(alias="ADIDA"), False),
            historic_average(),
        ]
        if profile == "full":
            space.append(_spec("IMAPA", lambda: sfm.IMAPA(alias="IMAPA"), False))
        return space
    return []


_SEASON_BY_FREQ = {"D": 7, "B": 5, "W": 52, "M": 12, "MS": 12, "ME": 12, "SM": 24, "SMS": 24,
                   "Q": 4, "QS": 4, "QE": 4, "A": 1, "Y": 1, "AS": 1, "YS": 1, "YE": 1,
                   "H": 24, "h": 24, "T": 60, "min": 60}


def infer_season_length(freq: str) -> int:
    """Season length implied by a pandas frequency alias: D->7 (week), W->52, MS->12, QS->4, H->24."""
    import pandas as pd

    base = pd.tseries.frequencies.to_offset(freq).rule_code.split("-")[0]
    return _SEASON_BY_FREQ.get(base, 1)
