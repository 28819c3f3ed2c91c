"""VMI min/max replenishment proposals worked by hand."""

from __future__ import annotations

import pytest

from qudao.engines.planning import PlanningInputError, vmi_replenishment


def test_min_max_proposals():
    p = vmi_replenishment(
        on_hand=[50, 20],
        sell_through=[[10] * 6, [5] * 6],
        minimum=[30, 10],
        maximum=[80, 40],
        lead_time=[1, 0],
        pack_size=[0, 6],
        locations=["store-1", "store-2"],
    )
    # store-1: stock at arrival 40, 30, 20 (< 30 when shipping in week 2) -> 60 up to 80; later 70, 60.
    # store-2: 20, 15, 10, 5 (< 10 in week 3) -> 35 rounded down to packs of 6 = 30.
    assert p.select("location", "ship_bucket", "arrival_bucket", "quantity", "projected").rows() == [
        ("store-1", 2, 3, 60.0, 20.0),
        ("store-2", 3, 3, 30.0, 5.0),
    ]
    assert p["reason"][0] == (
        "projected stock 20 at arrival in bucket 3 is below the agreed minimum 30; "
        "replenish up to the maximum 80"
    )


def test_in_transit_delays_the_proposal():
    p = vmi_replenishment([50], [[10] * 6], [30], [80], [1], in_transit=[[0, 0, 20, 0, 0, 0]])
    # with 20 arriving in week 2: 40, 50, 40, 30 -> first below 30 at arrival week 5 (20)
    assert p.select("ship_bucket", "quantity").rows() == [(4, 60.0)]


def test_bad_vmi_agreement_names_the_location():
    with pytest.raises(PlanningInputError) as err:
        vmi_replenishment([1, 1], [[1], [1]], [5, 10], [10, 8], [0, 0], locations=["store-1", "store-2"])
    assert err.value.item == "store-2" and "minimum" in str(err.value)
    with pytest.raises(PlanningInputError, match=r"lead_time \[store-1\]: is missing"):
        vmi_replenishment([1], [[1]], [5], [10], [None], locations=["store-1"])
