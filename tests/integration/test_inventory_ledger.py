"""The stock ledger arithmetic: every movement moves the right buckets, lots go FEFO, verify finds drift."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from qudao.common.actor import SYSTEM
from qudao.errors import InsufficientStock, Invalid
from qudao.inventory import service as inventory
from qudao.inventory.models import StockBalance, StockMovement
from tests import factories

D = Decimal


def _balance(session, product, location) -> StockBalance:
    session.expire_all()
    return session.scalar(select(StockBalance).where(StockBalance.product_id == product.id,
                                                     StockBalance.location_id == location.id))


def test_receive_reserve_issue_release_move_each_bucket(session) -> None:
    p, loc = factories.product(session), factories.location(session)
    factories.stock(session, p, loc, 10, "5")
    factories.stock(session, p, loc, 10, "6")
    got = inventory.reserve_up_to(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(15),
                                  reference="SO-1")
    assert got == D(15)
    # Only 5 are left: asking for 8 reserves 5, asking again reserves nothing.
    assert inventory.reserve_up_to(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(8),
                                   reference="SO-2") == D(5)
    assert inventory.reserve_up_to(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(1),
                                   reference="SO-3") == D(0)
    inventory.release(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(5), reference="SO-2")
    b = _balance(session, p, loc)
    assert (b.on_hand, b.reserved, b.available) == (D(20), D(15), D(5))
    assert b.value == D(110)

    shipped = inventory.issue_reserved(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(15),
                                       reference="SO-1")
    assert shipped.quantity == D(15) and shipped.cost == D(80)  # FIFO: 10*5 + 5*6
    b = _balance(session, p, loc)
    assert (b.on_hand, b.reserved, b.value) == (D(5), D(0), D(30))
    kinds = session.scalars(select(StockMovement.movement_type).where(StockMovement.product_id == p.id)
                            .order_by(StockMovement.id)).all()
    assert kinds == ["receipt", "receipt", "reservation", "reservation", "release", "issue"]
    assert inventory.verify_ledger(session, SYSTEM) == []


def test_cannot_issue_more_than_reserved_or_release_more_than_reserved(session) -> None:
    p, loc = factories.product(session), factories.location(session)
    factories.stock(session, p, loc, 4)
    inventory.reserve_up_to(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(2), reference="A")
    with pytest.raises(InsufficientStock):
        inventory.issue_reserved(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(3),
                                 reference="A")
    with pytest.raises(Invalid):
        inventory.release(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(3), reference="A")
    with pytest.raises(Invalid) as bad:
        inventory.reserve_up_to(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(-1),
                                reference="A")
    assert bad.value.errors[0].field == "requests[0].quantity"
    # Scrap may not touch the 2 reserved units: only 2 are free.
    with pytest.raises(InsufficientStock):
        inventory.scrap(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(3), reference="dmg",
                        reason="damaged")
    inventory.scrap(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(2), reference="dmg")
    b = _balance(session, p, loc)
    assert (b.on_hand, b.reserved, b.available) == (D(2), D(2), D(0))
    assert inventory.verify_ledger(session, SYSTEM) == []


def test_reserve_many_reserves_in_order_against_what_is_left(session) -> None:
    p1, p2, loc = factories.product(session), factories.product(session), factories.location(session)
    factories.stock(session, p1, loc, 5)
    factories.stock(session, p2, loc, 1)
    R = inventory.ReservationRequest  # noqa: N806
    got = inventory.reserve_many(session, SYSTEM, [R(p1.id, loc.id, D(3), "O1"), R(p2.id, loc.id, D(2), "O1"),
                                                   R(p1.id, loc.id, D(3), "O2"), R(p1.id, loc.id, D(1), "O3")])
    assert got == [D(3), D(1), D(2), D(0)]
    assert inventory.reserve_many(session, SYSTEM, [R(p1.id, loc.id, D(0), "O4")]) == [D(0)]
    assert inventory.available_by_location(session, [p1.id, p2.id]) == {(p1.id, loc.id): D(0),
                                                                        (p2.id, loc.id): D(0)}
    assert inventory.verify_ledger(session, SYSTEM) == []


def test_lots_issue_first_expiry_first_out_and_expired_stock_is_not_available(session) -> None:
    p, loc = factories.product(session, shelf_life_days=90), factories.location(session)
    today = datetime.now(UTC).date()
    factories.stock(session, p, loc, 5, "4", lot="L-LATE", expiry=today + timedelta(days=60))
    factories.stock(session, p, loc, 5, "4", lot="L-SOON", expiry=today + timedelta(days=10))
    factories.stock(session, p, loc, 3, "4", lot="L-OLD", expiry=today - timedelta(days=1))
    b = _balance(session, p, loc)
    assert (b.on_hand, b.expired, b.available) == (D(13), D(3), D(10))
    assert inventory.available_by_location(session, [p.id], [loc.id]) == {(p.id, loc.id): D(10)}
    assert inventory.reserve_up_to(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(12),
                                   reference="SO") == D(10)
    shipped = inventory.issue_reserved(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(7),
                                       reference="SO")
    assert [(pick.lot_code, pick.quantity) for pick in shipped.lots] == [("L-SOON", D(5)), ("L-LATE", D(2))]
    # Scrap takes the expired lot first.
    scrapped = inventory.scrap(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(3),
                               reference="expired", reason="past expiry")
    assert [(pick.lot_code, pick.expired) for pick in scrapped.lots] == [("L-OLD", True)]
    b = _balance(session, p, loc)
    assert (b.on_hand, b.reserved, b.expired) == (D(3), D(3), D(0))
    assert inventory.verify_ledger(session, SYSTEM) == []


def test_shelf_life_product_without_lot_gets_a_dated_lot(session) -> None:
    p, loc = factories.product(session, shelf_life_days=30), factories.location(session)
    movement = factories.stock(session, p, loc, 2)
    assert movement.lot_id is not None
    shipped = inventory.issue(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(1), reference="x")
    assert shipped.lots[0].expiry == movement.at.date() + timedelta(days=30)


def test_lot_that_expires_later_is_swept_on_next_touch(session) -> None:
    p, loc = factories.product(session), factories.location(session)
    factories.stock(session, p, loc, 4, lot="B1", expiry=date(2000, 1, 1))  # already expired on receipt
    factories.stock(session, p, loc, 4, lot="B2", expiry=date(2999, 1, 1))
    assert inventory.reserve_up_to(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(8),
                                   reference="r") == D(4)
    assert _balance(session, p, loc).expired == D(4)


def test_adjustments_and_stock_available_hook(session) -> None:
    p, loc = factories.product(session, standard_cost="7"), factories.location(session)
    seen: list[list[tuple[int, int]]] = []

    def hook(_session, _actor, keys) -> None:
        seen.append(keys)

    inventory.on_stock_available(hook)
    try:
        gain = inventory.adjust(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(3),
                                reference="found", reason="found on shelf")
        assert gain.unit_cost == D(7)  # nothing on hand: standard cost
        factories.stock(session, p, loc, 3, "9", movement_type="return")
        inventory.adjust(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(-2), reference="lost",
                         reason="broken")
    finally:
        from qudao.inventory import posting

        posting._stock_available_callbacks.remove(hook)
    assert seen == [[(p.id, loc.id)], [(p.id, loc.id)]]
    b = _balance(session, p, loc)
    assert (b.on_hand, b.value) == (D(4), D(3 * 7 + 3 * 9 - 2 * 7))
    with pytest.raises(Invalid):
        inventory.adjust(session, SYSTEM, product_id=p.id, location_id=loc.id, quantity=D(1), reference="x",
                         reason=" ")


def test_verify_reports_a_tampered_balance(session) -> None:
    p, loc = factories.product(session), factories.location(session)
    factories.stock(session, p, loc, 10)
    session.execute(update(StockBalance).where(StockBalance.product_id == p.id).values(on_hand=D(11)))
    drift = inventory.verify_ledger(session, SYSTEM)
    assert [(d.scope, d.product_id, d.bucket, d.balance, d.ledger) for d in drift] == [
        ("balance", p.id, "on_hand", D(11), D(10)), ("layers", p.id, "on_hand", D(11), D(10))]


def test_ledger_rows_cannot_be_updated(session) -> None:
    from sqlalchemy.exc import DatabaseError

    p, loc = factories.product(session), factories.location(session)
    movement = factories.stock(session, p, loc, 1)
    with pytest.raises(DatabaseError, match="immutable"), session.begin_nested():
        session.execute(update(StockMovement).where(StockMovement.id == movement.id).values(quantity=D(2)))
