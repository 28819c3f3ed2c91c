"""SLA targets and timers for service tickets (pure arithmetic, no database).

Targets are **wall-clock hours** (24x7, no business calendar or holidays): a ticket opened Friday 17:00
with an 8-hour first-response target is due Saturday 01:00. Both clocks start when the ticket is opened
and stop while it waits on the customer (each pause span is subtracted). The first-response clock stops
at the first response, the resolution clock at resolution.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# priority -> (first response hours, resolution hours)
SLA_HOURS: dict[str, tuple[int, int]] = {
    "urgent": (1, 8),
    "high": (4, 24),
    "normal": (8, 72),
    "low": (24, 168),
}
PRIORITIES = tuple(SLA_HOURS)

Span = tuple[datetime, datetime | None]


def running_time(opened_at: datetime, until: datetime, pauses: Iterable[Span]) -> timedelta:
    """Wall-clock time from opening to ``until`` minus the parts of pause spans inside it
    (an open pause runs to ``until``)."""
    if until <= opened_at:
        return timedelta(0)
    paused = timedelta(0)
    for start, end in pauses:
        lo, hi = max(start, opened_at), min(end or until, until)
        if hi > lo:
            paused += hi - lo
    return until - opened_at - paused


def due_at(opened_at: datetime, target: timedelta, pauses: Iterable[Span], now: datetime) -> datetime | None:
    """When the clock reaches ``target`` given the pauses so far; None while paused (the due time moves)."""
    spans = sorted(pauses, key=lambda s: s[0])
    if any(end is None for _, end in spans):
        return None
    at = opened_at + target
    for start, end in spans:
        if start < at and end is not None:
            at += end - max(start, opened_at)
    return at


@dataclass(frozen=True)
class Timer:
    target: timedelta
    elapsed: timedelta
    stopped: bool  # response given / ticket resolved
    due_at: datetime | None

    @property
    def breached(self) -> bool:
        return self.elapsed > self.target

    @property
    def remaining(self) -> timedelta:
        return self.target - self.elapsed


def timers(priority: str, opened_at: datetime, first_response_at: datetime | None, resolved_at: datetime | None,
           pauses: Iterable[Span], now: datetime) -> tuple[Timer, Timer]:
    """(first response, resolution) timers of one ticket at ``now``."""
    spans = list(pauses)
    response_h, resolution_h = SLA_HOURS[priority]
    result = []
    for hours, stop in ((response_h, first_response_at), (resolution_h, resolved_at)):
        target = timedelta(hours=hours)
        until = stop or now
        result.append(Timer(target, running_time(opened_at, until, spans), stop is not None,
                            due_at(opened_at, target, spans, now)))
    return result[0], result[1]


def breach_count(first: Timer, resolution: Timer) -> int:
    return int(first.breached) + int(resolution.breached)
