"""Pure production engines on hand-worked numbers: exact BOM explosion with scrap, a named cycle, the
calendar schedule with family changeovers and a rush insertion, the weekly rough-cut load."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from qudao.engines.planning.bom_tree import BomEdge, check_structure, explode_demand
from qudao.engines.planning.capacity import Changeovers
from qudao.engines.planning.errors import PlanningInputError
from qudao.engines.planning.scheduling import Calendar, Job, insert_rush, rough_cut_load, schedule_resource

D = Decimal
BIKE = [
    BomEdge("BIKE", "WHEEL", D(2)),
    BomEdge("BIKE", "FRAME", D(1), D(10)),
    BomEdge("WHEEL", "SPOKE", D(36), D(5)),
    BomEdge("WHEEL", "RIM", D(1)),
    BomEdge("RIM", "STEEL", D("0.8")),
    BomEdge("FRAME", "TUBE", D("2.5"), D(4)),
    BomEdge("FRAME", "STEEL", D("1.2")),
]


def test_three_level_explosion_with_scrap_is_exact() -> None:
    # 10 bikes: wheels 10x2 = 20; spokes 20x36x1.05 = 756; rims 20; steel via rims 20x0.8 = 16;
    # frames 10x1x1.10 = 11; tubes 11x2.5x1.04 = 28.6; steel via frames 11x1.2 = 13.2 -> steel 29.2.
    result = explode_demand(BIKE, "BIKE", D(10))
    assert result.totals == {"WHEEL": D(20), "SPOKE": D(756), "RIM": D(20), "STEEL": D("29.2"),
                             "FRAME": D(11), "TUBE": D("28.6")}
    assert [(r.level, r.component, r.required) for r in result.rows] == [
        (1, "WHEEL", D(20)), (2, "SPOKE", D(756)), (2, "RIM", D(20)), (3, "STEEL", D(16)),
        (1, "FRAME", D(11)), (2, "TUBE", D("28.6")), (2, "STEEL", D("13.2"))]
    assert result.low_level_code["STEEL"] == 3


def test_a_cycle_names_its_items() -> None:
    with pytest.raises(PlanningInputError) as err:
        check_structure([*BIKE, BomEdge("STEEL", "WHEEL", D(1))])
    loop = err.value.item
    assert loop[0] == loop[-1] and set(loop) == {"WHEEL", "RIM", "STEEL"}


MON = date(2026, 3, 2)
CAL = Calendar(8.0, frozenset({5, 6}))
CHANGE = Changeovers(3.0, {("X", "Y"): 2.0, ("Y", "X"): 4.0})
JOBS = [
    Job("W1", 6, date(2026, 3, 2), "X", in_progress=True),
    Job("W2", 8, date(2026, 3, 4), "Y"),
    Job("W3", 4, date(2026, 3, 5), "X"),
    Job("W4", 6, date(2026, 3, 6), "Y"),
    Job("W5", 12, date(2026, 3, 9), "Y"),
]


def days(frame: pl.DataFrame) -> list[tuple[str, int, int, float]]:
    return [(r["order_id"], r["start_day"].day, r["end_day"].day, r["changeover_hours"])
            for r in frame.iter_rows(named=True)]


def test_schedule_groups_a_family_within_the_batch_window_and_fills_daily_capacity() -> None:
    # Hours: Mon [0,8) Tue [8,16) Wed [16,24) Thu [24,32) Fri [32,40). W1 runs 0-6; W3 (X, due Thu) joins
    # the running family ahead of W2 (due Wed, within 2 days): 6-10; X->Y 2 h; W2 12-20; W4 20-26; W5 26-38.
    schedule, _ = schedule_resource(JOBS, CAL, MON, CHANGE, batch_window_days=2)
    assert days(schedule) == [("W1", 2, 2, 0.0), ("W3", 2, 3, 0.0), ("W2", 3, 4, 2.0), ("W4", 4, 5, 0.0),
                              ("W5", 5, 6, 0.0)]
    assert not schedule["late"].any()


def test_rush_goes_first_after_the_running_order_and_reports_who_becomes_late() -> None:
    # W5 rushed: X->Y 2 h, 8-20 (Tue-Wed); W2 20-28 ends Thu, due Wed: late 1 day; W4 28-34 (Fri);
    # Y->X 4 h, W3 38-42 ends next Monday, due Thu: late 4 days.
    schedule, impact = insert_rush(JOBS, "W5", CAL, MON, CHANGE, batch_window_days=2)
    assert days(schedule) == [("W1", 2, 2, 0.0), ("W5", 3, 4, 2.0), ("W2", 4, 5, 0.0), ("W4", 5, 6, 0.0),
                              ("W3", 6, 9, 4.0)]
    assert dict(zip(schedule["order_id"], schedule["lateness_days"], strict=True)) == {
        "W1": 0, "W5": 0, "W2": 1, "W4": 0, "W3": 4}
    assert impact.filter(pl.col("became_late"))["order_id"].sort().to_list() == ["W2", "W3"]


def test_rough_cut_load_flags_the_overloaded_week() -> None:
    # 8 h x 0.9 = 7.2 h a day, Monday to Friday: 36 h a week; a holiday on Wednesday of week 2: 28.8 h.
    cal = Calendar(7.2, frozenset({5, 6}), frozenset({date(2026, 3, 11)}))
    load = pl.DataFrame({"resource": ["L1", "L1", "L1"], "day": [date(2026, 3, 2), date(2026, 3, 6),
                                                                   date(2026, 3, 10)],
                         "hours": [22.0, 15.0, 27.0]})
    out = rough_cut_load(load, {"L1": cal}, date(2026, 3, 4), 2)
    assert out["week_start"].to_list() == [date(2026, 3, 2), date(2026, 3, 9)]
    assert out["load_hours"].to_list() == [37.0, 27.0]
    assert out["capacity_hours"].to_list() == pytest.approx([36.0, 28.8])
    assert out["overloaded"].to_list() == [True, False]
    assert out["overload_hours"][0] == pytest.approx(1.0)


def test_bad_calendar_and_hours_are_refused() -> None:
    with pytest.raises(PlanningInputError, match="hours_per_day"):
        Calendar(0.0)
    with pytest.raises(PlanningInputError, match="every day"):
        Calendar(8.0, frozenset(range(7)))
    with pytest.raises(PlanningInputError, match="W9"):
        schedule_resource([Job("W9", 0.0, MON)], CAL, MON)
