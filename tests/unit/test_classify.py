"""ABC by consumption value and XYZ by demand variability, hand-worked."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qudao.engines.classify import abc_classes, coefficient_of_variation, xyz_classes


def test_abc_cuts_the_cumulative_value_curve_at_80_and_95_percent() -> None:
    # Given out of order: shares start at 0, .50, .80, .90, .95, .98 once ranked.
    values = [10, 50, 2, 30, 3, 5]
    assert abc_classes(values).tolist() == ["B", "A", "C", "A", "C", "B"]


def test_abc_dominant_item_is_a_and_zero_value_is_c() -> None:
    assert abc_classes([90, 5, 5, 0]).tolist() == ["A", "B", "C", "C"]
    assert abc_classes([0, 0]).tolist() == ["C", "C"]
    assert abc_classes([]).tolist() == []
    with pytest.raises(ValueError):
        abc_classes([1, -1])
    with pytest.raises(ValueError):
        abc_classes([1], limits=(0.9, 0.8))


def test_xyz_by_coefficient_of_variation() -> None:
    demand = [[10, 10, 10, 10], [5, 15, 5, 15], [0, 20, 0, 20], [0, 0, 0, 40], [0, 0, 0, 0]]
    cv = coefficient_of_variation(demand)
    assert cv[:4] == pytest.approx([0.0, 0.5, 1.0, math.sqrt(3)])
    assert np.isinf(cv[4])
    assert xyz_classes(demand).tolist() == ["X", "X", "Y", "Z", "Z"]
    with pytest.raises(ValueError):
        xyz_classes([1, 2, 3])
