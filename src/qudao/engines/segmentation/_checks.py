"""Input validation shared by the segmentation functions."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl


class SegmentationInputError(ValueError):
    """Bad input to the segmentation engine; names the field and the reason.

    The service layer translates it into a domain ``Invalid`` error (``field``, ``reason``).
    """

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


REQUIRED = ("customer_id", "order_date", "revenue")


def as_of_date(as_of: date) -> date:
    """Accept a date (or a datetime, truncated to its date)."""
    if isinstance(as_of, datetime):
        return as_of.date()
    if not isinstance(as_of, date):
        raise SegmentationInputError("as_of", f"must be a date, got {type(as_of).__name__}")
    return as_of


def clean_transactions(transactions: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Check columns and nulls, cast to (customer_id, order_date: Date, revenue: f64[, margin: f64]).

    Transactions dated after ``as_of`` are dropped, so a run as of a past date sees only its past.
    """
    if not isinstance(transactions, pl.DataFrame):
        raise SegmentationInputError("transactions", "must be a polars DataFrame")
    for name in REQUIRED:
        if name not in transactions.columns:
            raise SegmentationInputError(name, "column is missing")
    columns = [*REQUIRED, *(["margin"] if "margin" in transactions.columns else [])]
    frame = transactions.select(columns)
    for name in columns:
        nulls = frame[name].null_count()
        if nulls:
            raise SegmentationInputError(name, f"{nulls} null value(s)")
    dtype = frame.schema["order_date"]
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        frame = frame.with_columns(pl.col("order_date").dt.date())
    elif dtype != pl.Date:
        raise SegmentationInputError("order_date", f"must be a date column, got {dtype}")
    casts = []
    for name in columns[2:]:
        dtype = frame.schema[name]
        if not (dtype.is_numeric()):
            raise SegmentationInputError(name, f"must be numeric, got {dtype}")
        casts.append(pl.col(name).cast(pl.Float64))
    frame = frame.with_columns(casts)
    for name in columns[2:]:
        if not frame[name].is_finite().all():
            raise SegmentationInputError(name, "must be finite (no NaN or infinity)")
    return frame.filter(pl.col("order_date") <= as_of)
