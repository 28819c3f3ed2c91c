"""Checks on a demand history before forecasting: one clear message per problem, nothing dropped silently.

The input is long format ``unique_id, ds, y``. Fatal problems (missing columns, unreadable dates, non-numeric
or missing values, duplicate (unique_id, ds) rows, negative demand, a horizon below 1, an unknown frequency,
dates off the frequency's calendar) are collected and raised together as one :class:`ForecastInputError`.

Gaps rule (explicit and reported): a date missing inside a series' own span (first to last date) is a period
with no recorded demand, so it is filled with ``y = 0``; the count of filled periods is reported per series.
Series are never extended before their first or after their last date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

GAP_RULE = "missing dates inside a series' span are filled with y = 0 (no recorded demand)"
_EXAMPLES = 3


class ForecastInputError(ValueError):
    """Raised with every fatal problem found in the input, one message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid forecast input:\n" + "\n".join(f"  - {p}" for p in self.problems))


@dataclass
class InputReport:
    """What validation changed or noticed; shown to the user next to the forecast."""

    n_series: int = 0
    n_rows: int = 0
    gap_rule: str = GAP_RULE
    gaps_filled: dict[str, int] = field(default_factory=dict)
    duplicates_summed: int = 0
    negatives_clipped: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def total_gaps_filled(self) -> int:
        return int(sum(self.gaps_filled.values()))


def _examples(values) -> str:
    shown = [str(v) for v in list(values)[:_EXAMPLES]]
    return ", ".join(shown) + (", ..." if len(values) > _EXAMPLES else "")


def check_frequency(freq: str) -> pd.DateOffset:
    """Parse a pandas frequency alias (D, W, MS, QS, ...) or raise ForecastInputError."""
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except (ValueError, TypeError):
        raise ForecastInputError(
            [f"freq: unknown frequency alias {freq!r}; use a pandas alias such as D, W, MS or QS"]
        ) from None


def validate_history(
    frame,
    horizon: int,
    freq: str,
    *,
    duplicates: str = "error",
    negatives: str = "error",
) -> tuple[pd.DataFrame, InputReport]:
    """Validate and tidy a long ``unique_id, ds, y`` history.

    ``duplicates``: "error" (default) or "sum" (add duplicate rows up, reported).
    ``negatives``: "error" (default) or "clip" (set to 0, reported; returns are not demand).
    Returns the tidy frame (sorted, gap-filled, ``y`` float) and an :class:`InputReport`.
    """
    problems: list[str] = []
    if not isinstance(horizon, (int, np.integer)) or isinstance(horizon, bool) or horizon <= 0:
        problems.append(f"horizon: must be a whole number of periods of at least 1, got {horizon!r}")
    offset = None
    try:
        offset = check_frequency(freq)
    except ForecastInputError as exc:
        problems.extend(exc.problems)

    if hasattr(frame, "to_pandas") and not isinstance(frame, pd.DataFrame):
        frame = frame.to_pandas()
    missing = [c for c in ("unique_id", "ds", "y") if c not in frame.columns]
    if missing:
        problems.append(
            f"columns: missing {', '.join(missing)}; the input must be long format unique_id, ds, y"
        )
        raise ForecastInputError(problems)
    df = frame[["unique_id", "ds", "y"]].copy()
    df.index = pd.RangeIndex(len(df))
    row_no = df.index + 2  # 1-based data rows after a header line, as a user sees them in a CSV

    no_id = df["unique_id"].isna()
    blank_ids = [u for u in pd.unique(df["unique_id"]) if isinstance(u, str) and not u.strip()]
    if blank_ids:
        no_id |= df["unique_id"].isin(blank_ids)
    if no_id.any():
        problems.append(f"unique_id: {int(no_id.sum())} row(s) have no series id (rows {_examples(row_no[no_id])})")
    df["unique_id"] = df["unique_id"].astype(str)

    ds = df["ds"] if pd.api.types.is_datetime64_any_dtype(df["ds"]) else pd.to_datetime(df["ds"], errors="coerce")
    bad_ds = ds.isna()
    if bad_ds.any():
        problems.append(
            f"ds: {int(bad_ds.sum())} row(s) have a missing or unreadable date "
            f"(rows {_examples(row_no[bad_ds])}: {_examples(df['ds'][bad_ds])})"
        )
    if getattr(ds.dt, "tz", None) is not None:
        ds = ds.dt.tz_convert("UTC").dt.tz_localize(None)
    df["ds"] = ds

    y = pd.to_numeric(df["y"], errors="coerce")
    blank = df["y"].isna()
    unread = y.isna() & ~blank
    if unread.any():
        blank |= unread & (df["y"].where(unread, "x").astype(str).str.strip() == "")
    non_numeric = y.isna() & ~blank
    if non_numeric.any():
        problems.append(
            f"y: {int(non_numeric.sum())} value(s) are not numbers "
            f"(rows {_examples(row_no[non_numeric])}: {_examples(df['y'][non_numeric].map(repr))})"
        )
    if blank.any():
        problems.append(
            f"y: {int(blank.sum())} row(s) have no value (rows {_examples(row_no[blank])}); "
            "write 0 for no demand or leave the date out (it is then filled with 0)"
        )
    inf = np.isinf(y)
    if inf.any():
        problems.append(f"y: {int(inf.sum())} value(s) are infinite (rows {_examples(row_no[inf])})")
    df["y"] = y.astype(float)

    report = InputReport()
    negative = df["y"] < 0
    if negative.any():
        if negatives == "clip":
            report.negatives_clipped = int(negative.sum())
            df.loc[negative, "y"] = 0.0
            report.notes.append(f"{report.negatives_clipped} negative value(s) set to 0 (negatives='clip')")
        else:
            problems.append(
                f"y: {int(negative.sum())} negative demand value(s) (rows {_examples(row_no[negative])}); "
                "record returns separately, or clip them to 0 explicitly"
            )

    dup = df.duplicated(["unique_id", "ds"], keep=False) & ~bad_ds
    if dup.any():
        n_dup = int(df[dup].duplicated(["unique_id", "ds"]).sum())
        pairs = df[dup].drop_duplicates(["unique_id", "ds"])
        if duplicates == "sum":
            report.duplicates_summed = n_dup
            report.notes.append(f"{n_dup} duplicate (unique_id, ds) row(s) added up (duplicates='sum')")
        else:
            examples = [f"{u} {d:%Y-%m-%d}" for u, d in zip(pairs["unique_id"], pairs["ds"], strict=True)]
            problems.append(
                f"unique_id, ds: {n_dup} duplicate row(s) for {len(pairs)} (series, date) pair(s) "
                f"({_examples(examples)}); keep one row per series and date, or sum them explicitly"
            )

    if offset is not None and not bad_ds.all():
        dates = pd.DatetimeIndex(df["ds"].dropna().unique())
        off = ~np.asarray([offset.is_on_offset(d) for d in dates]) if len(dates) < 50_000 else np.zeros(0, bool)
        if off.any():
            problems.append(
                f"ds: {int(off.sum())} date(s) are not on the {freq!r} calendar "
                f"({_examples([f'{d:%Y-%m-%d}' for d in dates[off]])}); align them or pick the matching alias"
            )

    if problems:
        raise ForecastInputError(problems)

    if report.duplicates_summed:
        df = df.groupby(["unique_id", "ds"], as_index=False, sort=False)["y"].sum()
    df = df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    df, filled = fill_gaps(df, offset)
    report.gaps_filled = filled
    if filled:
        report.notes.append(
            f"{sum(filled.values())} missing date(s) in {len(filled)} series filled with 0 ({GAP_RULE})"
        )
    report.n_series = int(df["unique_id"].nunique())
    report.n_rows = len(df)
    return df, report


def fill_gaps(df: pd.DataFrame, offset: pd.DateOffset) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fill missing periods inside each series' span with 0; return the frame and counts per series.

    Vectorised: the expected number of periods per series is computed from its first and last date; only
    series with fewer rows than that are re-indexed.
    """
    firsts = df.groupby("unique_id", sort=False)["ds"].agg(["min", "max", "size"])
    expected = _expected_periods(firsts, offset)
    short = firsts.index[expected > firsts["size"].to_numpy()]
    if len(short) == 0:
        return df, {}
    parts = [df[~df["unique_id"].isin(short)]]
    filled: dict[str, int] = {}
    for uid, group in df[df["unique_id"].isin(short)].groupby("unique_id", sort=False):
        full = pd.date_range(group["ds"].iloc[0], group["ds"].iloc[-1], freq=offset)
        g = group.set_index("ds").reindex(full)
        filled[str(uid)] = int(g["y"].isna().sum())
        g["y"] = g["y"].fillna(0.0)
        g["unique_id"] = uid
        parts.append(g.rename_axis("ds").reset_index()[["unique_id", "ds", "y"]])
    out = pd.concat(parts, ignore_index=True).sort_values(["unique_id", "ds"], kind="stable")
    return out.reset_index(drop=True), filled


def _expected_periods(firsts: pd.DataFrame, offset: pd.DateOffset) -> np.ndarray:
    """Periods between first and last date per series, computed once per distinct (first, last) pair."""
    pairs = firsts[["min", "max"]].drop_duplicates()
    lengths = {(a, b): len(pd.date_range(a, b, freq=offset)) for a, b in zip(pairs["min"], pairs["max"], strict=True)}
    return np.asarray([lengths[(a, b)] for a, b in zip(firsts["min"], firsts["max"], strict=True)])
