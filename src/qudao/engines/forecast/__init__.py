"""Demand forecasting engine: per-series model selection by rolling-origin backtest, with intervals.

Pure: takes a long ``unique_id, ds, y`` frame (pandas or polars), returns a pandas frame. No database.
"""

from qudao.engines.forecast.classify import classify_demand
from qudao.engines.forecast.engine import (
    OUTPUT_COLUMNS,
    ForecastOptions,
    ForecastResult,
    forecast,
    run_forecast,
)
from qudao.engines.forecast.models import infer_season_length, model_space
from qudao.engines.forecast.validate import GAP_RULE, ForecastInputError, InputReport, validate_history

__all__ = [
    "GAP_RULE",
    "OUTPUT_COLUMNS",
    "ForecastInputError",
    "ForecastOptions",
    "ForecastResult",
    "InputReport",
    "classify_demand",
    "forecast",
    "infer_season_length",
    "model_space",
    "run_forecast",
    "validate_history",
]
