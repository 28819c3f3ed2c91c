"""Production schedule on one resource in calendar days: working-day calendar, finite daily capacity,
family changeovers, the rush-order rule, and the weekly rough-cut load with its overload report.

The sequencing rule is ``capacity.sequence`` (earliest due date, preferring the current family within a
batch window to save sequence-dependent changeovers; Pinedo, *Scheduling*, 5th ed., Ch. 14), applied to
working-day buckets: days off (weekly rest days and holidays in the resource calendar) offer no hours, so
they are left out of the buckets and a job never runs on them. Orders already in progress are frozen at the
front in their current order (a running order is never pre-empted).

Rush rule: a rush order goes first at the next free slot after the orders in progress; every other order
keeps its place in the rule and shifts later by the rush order's hours (plus any changeover). The rush
report says how far each order moved and which orders became late because of it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

from .capacity import Changeovers, WorkOrder, sequence
from .errors import PlanningInputError

_EPS = 1e-9
MAX_CALENDAR_DAYS = 5 * 366  # a schedule never needs more than five years of days


@dataclass(frozen=True)
class Job:
    """A work order to schedule: ``hours`` of work (setup + run time of the open quantity) due by the end
    of ``due``; startable from ``release`` (None: at once)."""

    order_id: str
    hours: float
    due: date
    family: str = ""
    release: date | None = None
    rush: bool = False
    in_progress: bool = False


@dataclass(frozen=True)
class Calendar:
    """Hours a resource offers per working day (hours x efficiency), its weekly rest days (0 = Monday) and
    holidays."""

    hours_per_day: float
    weekdays_off: frozenset[int] = frozenset()
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not (self.hours_per_day == self.hours_per_day and 0 < self.hours_per_day <= 24):
            raise PlanningInputError("hours_per_day", f"must be in (0, 24], got {self.hours_per_day!r}")
        if len(set(self.weekdays_off) & set(range(7))) == 7:
            raise PlanningInputError("weekdays_off", "every day of the week is off")

    def is_working(self, day: date) -> bool:
        return day.weekday() not in self.weekdays_off and day not in self.holidays

    def working_days(self, start: date, hours_needed: float, min_days: int = 1) -> list[date]:
        """Working days from ``start`` on, enough to offer ``hours_needed`` and to span ``min_days``."""
        days: list[date] = []
        day, offered = start, 0.0
        while offered < hours_needed - _EPS or (day - start).days < min_days:
            if (day - start).days > MAX_CALENDAR_DAYS:
                raise PlanningInputError("calendar", f"needs more than {MAX_CALENDAR_DAYS} days of capacity")
            if self.is_working(day):
                days.append(day)
                offered += self.hours_per_day
            day += timedelta(days=1)
        return days


SCHEDULE_SCHEMA = {
    "sequence": pl.Int64,
    "order_id": pl.Utf8,
    "family": pl.Utf8,
    "rush": pl.Boolean,
    "in_progress": pl.Boolean,
    "changeover_hours": pl.Float64,
    "hours": pl.Float64,
    "start_day": pl.Date,
    "end_day": pl.Date,
    "start_position": pl.Float64,  # working days since the start (fractional), for a Gantt bar
    "end_position": pl.Float64,
    "due": pl.Date,
    "lateness_days": pl.Int64,  # calendar days the order ends after its due date (0 when on time)
    "late": pl.Boolean,
}


def schedule_resource(
    jobs: Iterable[Job],
    calendar: Calendar,
    start: date,
    changeovers: Changeovers | None = None,
    *,
    start_family: str | None = None,
    batch_window_days: int = 0,
    horizon_days: int = 28,
) -> tuple[pl.DataFrame, list[date]]:
    """Sequence and time ``jobs`` on one resource from ``start``; returns the schedule (SCHEDULE_SCHEMA
    rows in sequence order) and the working days it spans (at least ``horizon_days`` calendar days)."""
    jobs = list(jobs)
    changeovers = changeovers or Changeovers()
    worst = max([changeovers.default, *changeovers.table.values()], default=0.0)
    need = sum(j.hours for j in jobs) + worst * len(jobs)
    for j in jobs:
        if not (j.hours == j.hours and j.hours > 0):
            raise PlanningInputError("hours", f"must be > 0, got {j.hours!r}", j.order_id)
    latest_release = max((j.release for j in jobs if j.release is not None), default=start)
    span = max(horizon_days, (latest_release - start).days + 1)
    days = calendar.working_days(start, need + calendar.hours_per_day, span)
    capacity = [calendar.hours_per_day] * len(days)

    def due_bucket(d: date) -> int:
        return max(bisect_right(days, d) - 1, 0)

    def release_bucket(d: date | None) -> int:
        return 0 if d is None or d <= start else bisect_left(days, d)

    def as_order(j: Job) -> WorkOrder:
        return WorkOrder(j.order_id, float(j.hours), due_bucket(j.due), j.family, release_bucket(j.release), j.rush)

    running = sorted((j for j in jobs if j.in_progress), key=lambda j: (j.due, j.order_id))
    waiting = [j for j in jobs if not j.in_progress]
    parts = []
    now, family = 0.0, start_family
    for j in running:  # frozen in their order: each continues where the previous one left off
        part = sequence([replace(as_order(j), release=0, rush=False)], capacity, changeovers, start=now,
                        start_family=family)
        parts.append(part)
        now, family = float(part["end"][0]), j.family
    if waiting:
        parts.append(sequence([as_order(j) for j in waiting], capacity, changeovers, start=now,
                              start_family=family, batch_window=batch_window_days))
    by_id = {j.order_id: j for j in jobs}
    rows = []
    for part in parts:
        for r in part.iter_rows(named=True):
            j = by_id[r["order_id"]]
            start_day, end_day = days[r["start_bucket"]], days[r["end_bucket"]]
            lateness = max((end_day - j.due).days, 0)
            rows.append({
                "sequence": len(rows) + 1, "order_id": j.order_id, "family": j.family, "rush": j.rush,
                "in_progress": j.in_progress, "changeover_hours": r["changeover_hours"], "hours": j.hours,
                "start_day": start_day, "end_day": end_day,
                "start_position": r["start"] / calendar.hours_per_day,
                "end_position": r["end"] / calendar.hours_per_day,
                "due": j.due, "lateness_days": lateness, "late": lateness > 0,
            })
    return pl.DataFrame(rows, schema=SCHEDULE_SCHEMA), days


def insert_rush(
    jobs: Iterable[Job],
    rush_order_id: str,
    calendar: Calendar,
    start: date,
    changeovers: Changeovers | None = None,
    **options,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Make ``rush_order_id`` a rush order and reschedule. Returns (new schedule, impact): per order the
    end day before and after, the working days it moved by, and ``became_late`` for orders on time before
    and late now."""
    jobs = list(jobs)
    if rush_order_id not in {j.order_id for j in jobs}:
        raise PlanningInputError("order_id", "is not among the orders on this resource", rush_order_id)
    before_jobs = [replace(j, rush=False) if j.order_id == rush_order_id else j for j in jobs]
    after_jobs = [replace(j, rush=True) if j.order_id == rush_order_id else j for j in jobs]
    before, _ = schedule_resource(before_jobs, calendar, start, changeovers, **options)
    after, _ = schedule_resource(after_jobs, calendar, start, changeovers, **options)
    impact = (
        after.select("order_id", "end_day", "end_position", "late", "lateness_days")
        .join(before.select("order_id", pl.col("end_day").alias("end_day_before"),
                            pl.col("end_position").alias("_was"), pl.col("late").alias("late_before")),
              on="order_id")
        .with_columns(
            (pl.col("end_position") - pl.col("_was")).round(6).alias("moved_by_days"),
            (pl.col("late") & ~pl.col("late_before")).alias("became_late"),
        )
        .drop("_was", "end_position")
        .select("order_id", "end_day_before", "end_day", "moved_by_days", "late_before", "late",
                "lateness_days", "became_late")
    )
    return after, impact


LOAD_SCHEMA = {
    "resource": pl.Utf8,
    "week_start": pl.Date,
    "load_hours": pl.Float64,
    "capacity_hours": pl.Float64,
    "overload_hours": pl.Float64,
    "utilisation": pl.Float64,
    "overloaded": pl.Boolean,
}


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_capacity(calendar: Calendar, first_week: date, weeks: int) -> list[float]:
    """Hours offered in each of ``weeks`` weeks from the Monday of ``first_week``."""
    start = monday(first_week)
    return [sum(calendar.hours_per_day for d in range(7) if calendar.is_working(start + timedelta(days=7 * w + d)))
            for w in range(weeks)]


def rough_cut_load(load: pl.DataFrame, calendars: dict[str, Calendar], first_week: date, weeks: int) -> pl.DataFrame:
    """Load vs capacity per resource and week (Vollmann et al., Ch. 10, capacity planning using overall
    factors / bills of capacity). ``load`` has columns resource, day (date the hours fall in), hours; hours
    outside the weeks shown are left out (earlier ones count in the first week: overdue work is still due).
    Every resource of ``calendars`` gets every week, with 0 load where nothing is planned; a week with no
    working day has capacity 0 and any load on it is overload."""
    start = monday(first_week)
    end = start + timedelta(days=7 * weeks)
    grid = pl.DataFrame(
        [{"resource": r, "week_start": start + timedelta(days=7 * w), "capacity_hours": cap}
         for r, cal in sorted(calendars.items()) for w, cap in enumerate(weekly_capacity(cal, start, weeks))],
        schema={"resource": pl.Utf8, "week_start": pl.Date, "capacity_hours": pl.Float64},
    )
    if load.height:
        bad = load.filter(~(pl.col("hours") >= 0))
        if bad.height:
            raise PlanningInputError("hours", "must be >= 0", bad["resource"][0])
        weekly = (
            load.filter(pl.col("day") < end)
            .with_columns(pl.max_horizontal(pl.col("day"), pl.lit(start)).alias("day"))
            .with_columns((pl.col("day") - pl.duration(days=pl.col("day").dt.weekday() - 1)).alias("week_start"))
            .group_by("resource", "week_start").agg(pl.col("hours").sum().alias("load_hours"))
        )
    else:
        weekly = pl.DataFrame(schema={"resource": pl.Utf8, "week_start": pl.Date, "load_hours": pl.Float64})
    out = (
        grid.join(weekly, on=["resource", "week_start"], how="left")
        .with_columns(pl.col("load_hours").fill_null(0.0))
        .with_columns(
            (pl.col("load_hours") - pl.col("capacity_hours")).clip(lower_bound=0.0).alias("overload_hours"),
            pl.when(pl.col("capacity_hours") > 0).then(pl.col("load_hours") / pl.col("capacity_hours"))
            .otherwise(None).alias("utilisation"),
        )
        .with_columns((pl.col("overload_hours") > _EPS).alias("overloaded"))
        .sort("resource", "week_start")
    )
    return out.select(list(LOAD_SCHEMA))
