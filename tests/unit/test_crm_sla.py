"""SLA timer arithmetic on hand-worked timestamps (wall-clock hours, pauses subtracted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qudao.crm import sla


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_running_time_subtracts_pauses_inside_the_window() -> None:
    pauses = [(at(2, 10), at(2, 16)), (at(3, 8), None)]  # 6 h closed pause, then one still open
    # 09:00 -> next day 09:00 = 24 h, minus 6 h, minus the open pause's 1 h (08:00-09:00) = 17 h
    assert sla.running_time(at(2, 9), at(3, 9), pauses) == timedelta(hours=17)
    # before the first pause started nothing is subtracted
    assert sla.running_time(at(2, 9), at(2, 9, 30), pauses) == timedelta(minutes=30)
    assert sla.running_time(at(2, 9), at(2, 8), pauses) == timedelta(0)


def test_high_priority_ticket_with_a_pause_is_resolved_within_target() -> None:
    # high: 4 h first response, 24 h resolution. Opened 02 Mar 09:00, asked the customer at 10:00 (first
    # response, clocks paused), customer answered 16:00, resolved 03 Mar 14:00: 29 h - 6 h paused = 23 h.
    pauses = [(at(2, 10), at(2, 16))]
    first, resolution = sla.timers("high", at(2, 9), at(2, 10), at(3, 14), pauses, now=at(4, 9))
    assert first.elapsed == timedelta(hours=1) and not first.breached and first.stopped
    assert resolution.elapsed == timedelta(hours=23) and not resolution.breached
    assert resolution.remaining == timedelta(hours=1)
    assert resolution.due_at == at(3, 15)  # 09:00 + 24 h + 6 h paused


def test_due_time_is_unknown_while_paused_and_moves_after() -> None:
    open_pause = [(at(2, 10), None)]
    _, resolution = sla.timers("high", at(2, 9), at(2, 10), None, open_pause, now=at(2, 12))
    assert resolution.elapsed == timedelta(hours=1) and resolution.due_at is None
    closed = [(at(2, 10), at(2, 16))]
    _, resolution = sla.timers("high", at(2, 9), at(2, 10), None, closed, now=at(2, 17))
    assert resolution.elapsed == timedelta(hours=2) and resolution.remaining == timedelta(hours=22)
    assert resolution.due_at == at(3, 15)


def test_urgent_ticket_breaches_first_response_then_resolution() -> None:
    # urgent: 1 h / 8 h. Opened 09:00, nobody answered.
    first, resolution = sla.timers("urgent", at(2, 9), None, None, [], now=at(2, 10, 30))
    assert first.breached and first.elapsed == timedelta(hours=1, minutes=30) and not resolution.breached
    assert sla.breach_count(first, resolution) == 1
    first, resolution = sla.timers("urgent", at(2, 9), None, None, [], now=at(2, 17, 30))
    assert sla.breach_count(first, resolution) == 2 and resolution.remaining == timedelta(minutes=-30)
    # exactly on target is not a breach
    first, _ = sla.timers("urgent", at(2, 9), None, None, [], now=at(2, 10))
    assert not first.breached
