"""FIFO layers and moving average against hand-worked examples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qudao.engines.valuation import (
    Layer,
    fifo_consume,
    moving_average_cost,
    moving_average_issue,
    moving_average_receive,
)

D = Decimal


def test_fifo_takes_oldest_layers_first() -> None:
    # Receive 10 @ 5 then 10 @ 6, issue 15: 10*5 + 5*6 = 80.
    result = fifo_consume([Layer(D(10), D(5)), Layer(D(10), D(6))], D(15))
    assert result.cost == D(80)
    assert result.taken == [(0, D(10)), (1, D(5))]
    assert result.shortfall == 0


def test_fifo_skips_empty_layers_and_reports_shortfall() -> None:
    result = fifo_consume([Layer(D(0), D(9)), Layer(D(4), D("2.5"))], D(6))
    assert result.cost == D(10) and result.taken == [(1, D(4))] and result.shortfall == D(2)
    with pytest.raises(ValueError):
        fifo_consume([], D(-1))


def test_moving_average_reweights_on_each_receipt() -> None:
    # 10 @ 5 then 10 @ 6 -> 20 units worth 110, average 5.5; issuing 15 costs 82.5.
    on_hand, value, avg = moving_average_receive(D(0), D(0), D(10), D(5))
    on_hand, value, avg = moving_average_receive(on_hand, value, D(10), D(6))
    assert (on_hand, value, avg) == (D(20), D(110), D("5.5"))
    assert moving_average_issue(on_hand, value, D(15)) == D("82.5")
    # Horngren-style sequence: then receive 5 @ 7.5 -> (5 units worth 27.5) + 37.5 = 65 for 10 -> 6.5.
    on_hand, value = on_hand - 15, value - D("82.5")
    on_hand, value, avg = moving_average_receive(on_hand, value, D(5), D("7.5"))
    assert (on_hand, value, avg) == (D(10), D(65), D("6.5"))


def test_moving_average_issue_of_everything_leaves_no_residue() -> None:
    # 3 units worth 10: a third each is 3.3333..., but issuing all 3 takes exactly 10.
    assert moving_average_issue(D(3), D(10), D(1)) == D("3.3333")
    assert moving_average_issue(D(3), D(10), D(3)) == D(10)
    assert moving_average_cost(D(0), D(0)) == 0
    with pytest.raises(ValueError):
        moving_average_issue(D(3), D(10), D(4))
