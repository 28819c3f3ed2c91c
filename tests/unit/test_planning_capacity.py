"""Rough-cut load with an overload report, finite sequencing with changeovers and a rush order, pre-build."""

from __future__ import annotations

import pytest

from qudao.engines.planning import (
    Changeovers,
    PlanningInputError,
    WorkOrder,
    bucket_usage,
    insert_rush_order,
    overload_report,
    prebuild,
    rough_cut_load,
    sequence,
)


def test_rough_cut_load_and_overload_report():
    # item 0 on R0: 2 h/unit + 3 h setup per order; item 1: 1 h/unit on R0 and 0.5 h/unit on R1
    production = [[10, 0, 20], [40, 40, 0]]
    load = rough_cut_load(
        production,
        item=[0, 1, 1],
        resource=[0, 0, 1],
        hours_per_unit=[2, 1, 0.5],
        n_resources=2,
        setup_hours=[3, 0, 0],
    )
    assert load.tolist() == [[63, 40, 43], [20, 20, 0]]
    report = overload_report(load, [[50, 50, 50], [30, 15, 30]], resources=["press", "paint"])
    assert report.select("resource", "bucket", "load", "capacity", "overload").rows() == [
        ("press", 0, 63.0, 50.0, 13.0),
        ("paint", 1, 20.0, 15.0, 5.0),
    ]
    assert report["utilisation"].to_list() == pytest.approx([1.26, 20 / 15])


@pytest.mark.parametrize("cap", [0, -8])
def test_zero_or_negative_capacity_names_the_resource(cap):
    with pytest.raises(PlanningInputError) as err:
        overload_report([[1, 1], [1, 1]], [[8, 8], [8, cap]], resources=["press", "paint"])
    assert err.value.item == "paint" and "bucket 1" in str(err.value)


ORDERS = [
    WorkOrder("A1", 4, due=0, family="A"),
    WorkOrder("B1", 3, due=1, family="B"),
    WorkOrder("A2", 2, due=1, family="A"),
    WorkOrder("B2", 5, due=3, family="B"),
]
CAP = [8, 8, 8, 8]  # hours per day


def test_sequence_by_due_date_with_changeovers_within_capacity():
    s = sequence(ORDERS, CAP, Changeovers(default=1.0))
    # A1 0-4; A2 4-6 (same family, no changeover); 1 h changeover; B1 7-10; B2 10-15
    assert s.select("order_id", "changeover_hours", "start", "end").rows() == [
        ("A1", 0.0, 0.0, 4.0),
        ("A2", 0.0, 4.0, 6.0),
        ("B1", 1.0, 7.0, 10.0),
        ("B2", 0.0, 10.0, 15.0),
    ]
    assert s["end_bucket"].to_list() == [0, 0, 1, 1]
    assert not s["late"].any()
    used = bucket_usage(s, CAP)
    assert used.tolist() == [8, 7, 0, 0] and (used <= CAP).all()


def test_family_table_and_batch_window():
    orders = [WorkOrder("A1", 2, 0, "A"), WorkOrder("B1", 2, 1, "B"), WorkOrder("A2", 2, 2, "A")]
    plain = sequence(orders, [8, 8, 8], Changeovers(2.0))
    assert plain["order_id"].to_list() == ["A1", "B1", "A2"]
    grouped = sequence(orders, [8, 8, 8], Changeovers(2.0), batch_window=1)
    assert grouped["order_id"].to_list() == ["A1", "A2", "B1"]  # A2 due within 1 day of B1: no changeover
    asym = sequence([WorkOrder("B1", 1, 0, "B")], [8], Changeovers(1.0, {("A", "B"): 3.0}), start_family="A")
    assert asym["changeover_hours"].to_list() == [3.0]


def test_overload_runs_beyond_the_horizon():
    s = sequence([WorkOrder("X", 10, 0), WorkOrder("Y", 10, 1)], [8, 8])
    assert s["late"].to_list() == [True, True]
    assert s["beyond_horizon"].to_list() == [False, True]


def test_rush_order_jumps_the_queue_after_the_running_order():
    s = sequence(ORDERS, CAP, Changeovers(default=1.0))
    out = insert_rush_order(
        s,
        ORDERS,
        WorkOrder("R", 6, due=1, family="C"),
        now=5.0,
        capacity=CAP,
        changeovers=Changeovers(default=1.0),
    )
    # at hour 5 A2 is running: it finishes at 6; changeover to C, R 7-13; changeover, B1 14-17 (late: due 16)
    assert out.select("order_id", "start", "end").rows() == [
        ("A1", 0.0, 4.0),
        ("A2", 4.0, 6.0),
        ("R", 7.0, 13.0),
        ("B1", 14.0, 17.0),
        ("B2", 17.0, 22.0),
    ]
    assert out.filter(out["order_id"] == "B1")["late"].item() is True
    assert out["moved_by"].to_list() == [0.0, 0.0, 0.0, 7.0, 7.0]
    assert (bucket_usage(out, CAP) <= CAP).all()


def test_prebuild_moves_peak_load_earlier_with_a_reason():
    # one line of 20 h/week; week 3 (a promotion) needs 40 h: 30 of x and 10 of y at 1 h/unit
    p = prebuild(
        [[10, 10, 10, 30], [0, 0, 10, 10]],
        resource=[0, 0],
        hours_per_unit=[1, 1],
        capacity=[[20] * 4],
        items=["x", "y"],
        resources=["line"],
        bucket_reason={3: "promotion Double 11"},
    )
    # week 3 keeps half of its own load (15 x, 5 y); week 2 is full; week 1 has 10 h of room, week 0 the rest
    assert p.production.tolist() == [[17.5, 17.5, 10, 15], [2.5, 2.5, 10, 5]]
    assert p.load.tolist() == [[20, 20, 20, 20]]
    assert p.unresolved.height == 0
    assert p.moves.select("item", "build_bucket", "for_bucket", "quantity").rows() == [
        ("x", 0, 3, 7.5),
        ("x", 1, 3, 7.5),
        ("y", 0, 3, 2.5),
        ("y", 1, 3, 2.5),
    ]
    assert p.moves["reason"][0] == (
        "pre-built in bucket 0 for bucket 3 (promotion Double 11): resource line "
        "load 40 h > capacity 20 h in bucket 3"
    )


def test_prebuild_reports_what_cannot_be_built_in_time():
    p = prebuild([[30, 30]], [0], [2], [[40, 40]], items=["x"], resources=["line"])
    assert p.production.tolist() == [[40, 20]]
    assert p.unresolved.rows() == [("line", 0, 40.0)]
