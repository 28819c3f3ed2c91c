"""Bill of materials of a bicycle, worked by hand: 2 wheels and 1 frame; a wheel is 32 spokes and 1 rim;
bolts are a common part (4 per bicycle, 2 per frame), so their low-level code is 2."""

from __future__ import annotations

import numpy as np
import pytest

from qudao.engines.planning import PlanningInputError, bill_of_materials, explode, plan_bom

ITEMS = ["bicycle", "wheel", "frame", "spoke", "rim", "bolt"]


def _bom():
    return bill_of_materials(
        6,
        parent=[0, 0, 0, 1, 1, 2],
        component=[1, 2, 5, 3, 4, 5],
        quantity_per=[2, 1, 4, 32, 1, 2],
        items=ITEMS,
    )


def test_low_level_codes():
    # the bolt appears at level 1 (under the bicycle) and level 2 (under the frame): its code is 2
    assert _bom().low_level_code.tolist() == [0, 1, 1, 2, 2, 2]


def test_explosion_totals():
    total = explode(_bom(), [10, 0, 0, 0, 0, 0])
    # 10 bicycles: 20 wheels, 10 frames, 640 spokes, 20 rims, 40 + 20 bolts
    assert total.tolist() == [10, 20, 10, 640, 20, 60]


def test_multi_level_mrp_by_hand():
    gross = np.zeros((6, 4))
    gross[0] = [0, 0, 0, 10]  # 10 bicycles due in week 3
    plan = plan_bom(
        gross, on_hand=[0, 5, 0, 100, 0, 0], lead_time=[1, 1, 2, 1, 1, 0], bom=_bom(), items=ITEMS
    )
    rec = plan.record
    assert rec.planned_releases[0].tolist() == [0, 0, 10, 0]  # assemble in week 2
    assert rec.gross_requirements[1].tolist() == [0, 0, 20, 0]  # 2 wheels each, in the release week
    assert rec.planned_releases[1].tolist() == [0, 15, 0, 0]  # 20 - 5 on hand, 1 week
    assert rec.planned_releases[2].tolist() == [10, 0, 0, 0]  # frames: 2 weeks
    assert rec.gross_requirements[3].tolist() == [0, 480, 0, 0]  # 32 x 15 wheels
    assert rec.planned_releases[3].tolist() == [380, 0, 0, 0]  # 480 - 100 on hand
    assert rec.planned_releases[4].tolist() == [15, 0, 0, 0]
    # bolts: 2 x 10 frames released in week 0, 4 x 10 bicycles released in week 2
    assert rec.gross_requirements[5].tolist() == [20, 0, 40, 0]
    assert plan.dependent_demand[5].tolist() == [20, 0, 40, 0]
    assert rec.past_due.tolist() == [0] * 6


def test_past_due_component():
    gross = np.zeros((6, 2))
    gross[0] = [0, 1]
    plan = plan_bom(gross, [0] * 6, [1, 1, 2, 1, 1, 0], _bom(), items=ITEMS)
    assert plan.record.past_due[2] == 1  # the frame needs 2 weeks, only 0 are left


def test_bom_cycle_names_the_items():
    with pytest.raises(PlanningInputError) as err:
        bill_of_materials(6, parent=[0, 1, 3], component=[1, 3, 0], quantity_per=1, items=ITEMS)
    assert set(err.value.item) == {"bicycle", "wheel", "spoke"}
    assert err.value.item[0] == err.value.item[-1]
    assert "cycle" in str(err.value)


def test_self_reference_and_bad_quantity():
    with pytest.raises(PlanningInputError, match=r"\[frame -> frame\]"):
        bill_of_materials(6, parent=[2], component=[2], quantity_per=1, items=ITEMS)
    with pytest.raises(PlanningInputError) as err:
        bill_of_materials(6, parent=[1], component=[3], quantity_per=0, items=ITEMS)
    assert err.value.item == "wheel" and "spoke" in str(err.value)
