"""The stock ledger: every movement is an immutable row, balances move with it in the same transaction.

These functions are the inventory area's interface for other areas (orders, purchasing, logistics). They
take the caller's session and never commit; they do not check permissions, because the calling use case
has already authorised its own action (a sales user confirming an order reserves stock without holding
``inventory:write``). API and CLI use cases in ``service.py`` authorise before calling them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.engines.valuation import money, moving_average_cost
from qudao.errors import InsufficientStock, invalid
from qudao.inventory.costing import add_layer, consume_layers, split_cost
from qudao.inventory.lots import LotPick, lock_fresh, lot_id_for, pick_stock, sweep_expired
from qudao.inventory.models import (
    Lot,
    LotBalance,
    MovementType,
    StockMovement,
)
from qudao.inventory.posting import (
    BAL,
    STOCK_ARRIVING,
    ZERO,
    Balance,
    Key,
    as_utc,
    lock_balances,
    lock_balances_checking_lots,
    movement_row,
    on_stock_available,
    positive_quantity,
    post_movements,
    valuation_method,
)

__all__ = ["Balance", "LotPick", "lock_balances", "on_stock_available", "sweep_expired", "valuation_method"]


@dataclass(frozen=True)
class ReservationRequest:
    product_id: int
    location_id: int
    quantity: Decimal
    reference: str


@dataclass
class IssueResult:
    """What an issue took: the quantity, its cost of goods (by the valuation method) and the lots picked."""

    quantity: Decimal
    cost: Decimal
    lots: list[LotPick] = field(default_factory=list)
    movement_ids: list[int] = field(default_factory=list)

    @property
    def unit_cost(self) -> Decimal:
        return self.cost / self.quantity if self.quantity else ZERO


# ---- the interface ----------------------------------------------------------------------------


def receive(
    session: Session,
    actor: Actor,
    *,
    product_id: int,
    location_id: int,
    quantity: Decimal,
    unit_cost: Decimal,
    reference: str,
    lot: str | None = None,
    expiry: date | None = None,
    movement_type: str = MovementType.receipt,
    at: datetime | None = None,
    reason: str = "",
    on_order_delta: Decimal = ZERO,
    other_location_id: int | None = None,
    in_transit_delta: Decimal = ZERO,
) -> StockMovement:
    """Put ``quantity`` into stock at ``unit_cost`` (receipt, return, transfer-in, positive adjustment).

    Adds a FIFO cost layer, a lot balance when a lot is given (a product with a shelf life and no lot gets
    a lot named after the receipt date with expiry = date + shelf life), and fires the stock-available hook.
    ``on_order_delta`` (<= 0) lowers the open purchase quantity a purchase-order receipt fulfils.
    """
    quantity = positive_quantity("quantity", quantity)
    unit_cost = Decimal(unit_cost)
    if not unit_cost.is_finite() or unit_cost < 0:
        raise invalid("unit_cost", "must be 0 or more")
    if movement_type not in STOCK_ARRIVING:
        raise invalid("movement_type", f"cannot receive as {movement_type!r}")
    at = as_utc(at)
    bal = lock_balances(session, [(product_id, location_id)])[(product_id, location_id)]
    if on_order_delta:
        on_order_delta = max(on_order_delta, -bal.on_order)
    if in_transit_delta:
        in_transit_delta = max(in_transit_delta, -bal.in_transit)
    lot_id = None
    if lot is None and expiry is None:
        shelf_life = session.scalar(select(Product.shelf_life_days).where(Product.id == product_id))
        if shelf_life:
            lot, expiry = f"AUTO-{at.date().isoformat()}", at.date() + timedelta(days=shelf_life)
    elif lot is None:
        lot = f"EXP-{expiry.isoformat()}"  # type: ignore[union-attr]
    if lot is not None:
        if not lot.strip() or len(lot) > 60:
            raise invalid("lot", "must be 1 to 60 characters")
        lot_id = lot_id_for(session, product_id, lot, expiry)
    value = money(quantity * unit_cost)
    row = movement_row(actor, movement_type, product_id, location_id, quantity, reference, at, lot_id=lot_id,
               on_hand_delta=quantity, value_delta=value, unit_cost=unit_cost, reason=reason[:200],
               on_order_delta=on_order_delta, in_transit_delta=in_transit_delta, other_location_id=other_location_id)
    (movement_id,) = post_movements(session, actor, [row], returning=True)
    add_layer(session, product_id, location_id, movement_id, at, quantity, unit_cost)
    if lot_id is not None and expiry is not None and expiry < datetime.now(UTC).date():
        sweep_expired(session, actor, [(product_id, location_id)])
    movement = session.get(StockMovement, movement_id)
    assert movement is not None
    return movement


def reserve_up_to(session: Session, actor: Actor, *, product_id: int, location_id: int, quantity: Decimal,
                  reference: str) -> Decimal:
    """Reserve min(quantity, available) and return what was reserved (0 when nothing is available).

    Available = on hand - reserved - expired, read under the row lock, so concurrent callers can never
    reserve more than is there. Writes one 'reservation' ledger row when anything is reserved.
    """
    return reserve_many(session, actor, [ReservationRequest(product_id, location_id, quantity, reference)])[0]


def lock_available(session: Session, actor: Actor, keys: Sequence[Key]) -> dict[Key, Balance]:
    """Lock the balance rows of ``keys`` (primary-key order, the one lock path) with lots past their expiry
    swept first, for a caller that decides what to reserve from the exact locked quantities and then
    passes the result to ``reserve_many(..., locked=...)`` in the same transaction. Keys without a balance
    row are left out (nothing is there; no empty rows are created)."""
    wanted = sorted(set(keys))
    today = datetime.now(UTC).date()
    balances, stale = lock_balances_checking_lots(session, wanted, lots_past=today, create_missing=False)
    if stale and sweep_expired(session, actor, wanted, today):
        balances = lock_balances_checking_lots(session, wanted, create_missing=False)[0]
    return balances


def reserve_many(session: Session, actor: Actor, requests: Sequence[ReservationRequest], *,
                 locked: dict[Key, Balance] | None = None) -> list[Decimal]:
    """Batch ``reserve_up_to``: lock every needed balance row once (primary-key order), reserve each request
    in the given order against what is left, bulk-insert the ledger rows. Returns the reserved quantities
    in request order. A negative quantity is ``Invalid`` (naming ``requests[i].quantity``); zero reserves 0.

    ``locked``: balances this transaction already holds from ``lock_available`` (the single-order path locks
    once, plans, then reserves); their locked quantities are used, so nothing is read or locked twice."""
    if not requests:
        return []
    # A zero quantity simply reserves nothing (a batch may carry lines that are already fully allocated).
    quantities = [ZERO if r.quantity == 0 else positive_quantity(f"requests[{i}].quantity", r.quantity)
                  for i, r in enumerate(requests)]
    keys = {(r.product_id, r.location_id) for r in requests}
    balances = locked if locked is not None and keys <= locked.keys() else lock_fresh(session, actor, keys)
    left = {k: max(b.available, ZERO) for k, b in balances.items()}
    at = utcnow()
    reserved: list[Decimal] = []
    rows: list[dict[str, Any]] = []
    for request, quantity in zip(requests, quantities, strict=True):
        key = (request.product_id, request.location_id)
        take = min(quantity, left[key])
        left[key] -= take
        balances[key].reserved += take  # the held values stay true if the caller reserves again
        reserved.append(take)
        if take > 0:
            rows.append(movement_row(actor, MovementType.reservation, key[0], key[1], take, request.reference, at,
                             reserved_delta=take))
    post_movements(session, actor, rows)
    return reserved


def release(session: Session, actor: Actor, *, product_id: int, location_id: int, quantity: Decimal,
            reference: str) -> None:
    """Give back a reservation (order cancelled or re-allocated). Raises ``Invalid`` if more is released
    than is reserved at the location."""
    quantity = positive_quantity("quantity", quantity)
    bal = lock_balances(session, [(product_id, location_id)])[(product_id, location_id)]
    if quantity > bal.reserved:
        raise invalid("quantity", f"cannot release {quantity}: only {bal.reserved} reserved")
    row = movement_row(actor, MovementType.release, product_id, location_id, quantity, reference, utcnow(),
                       reserved_delta=-quantity)
    post_movements(session, actor, [row])


def _take_out(session: Session, actor: Actor, kind: str, product_id: int, location_id: int, quantity: Decimal,
              reference: str, *, from_reserved: bool = False, expired_first: bool = False,
              fresh_only: bool = False, allow_reserved: bool = False, lot: str | None = None,
              at: datetime | None = None, reason: str = "", other_location_id: int | None = None,
              extra_rows: Callable[[IssueResult], list[dict[str, Any]]] | None = None) -> IssueResult:
    """Remove stock: pick lots, price it, write one ledger row per lot picked."""
    quantity = positive_quantity("quantity", quantity)
    at = as_utc(at)
    key = (product_id, location_id)
    keys = [key] if other_location_id is None else [key, (product_id, other_location_id)]
    bal = lock_fresh(session, actor, keys)[key]
    if from_reserved and quantity > bal.reserved:
        raise InsufficientStock(detail=f"product {product_id} at location {location_id}: cannot issue {quantity}, "
                                f"only {bal.reserved} reserved")
    picks = pick_stock(session, bal, quantity, expired_first=expired_first, fresh_only=fresh_only, lot_code=lot)
    fresh_taken = sum((p.quantity for p in picks if not p.expired), ZERO)
    if not from_reserved and not allow_reserved and fresh_taken > max(bal.available, ZERO):
        raise InsufficientStock(detail=f"product {product_id} at location {location_id}: {fresh_taken} needed, "
                                f"{max(bal.available, ZERO)} available (the rest is reserved or expired)")
    cost = consume_layers(session, bal, quantity)
    shares = split_cost(cost, picks, quantity)
    rows = [
        movement_row(actor, kind, product_id, location_id, pick.quantity, reference, at, lot_id=pick.lot_id,
             on_hand_delta=-pick.quantity, reserved_delta=-pick.quantity if from_reserved else ZERO,
             expired_delta=-pick.quantity if pick.expired else ZERO, value_delta=-share,
             unit_cost=money(share / pick.quantity), reason=reason[:200], other_location_id=other_location_id)
        for pick, share in zip(picks, shares, strict=True)
    ]
    result = IssueResult(quantity=quantity, cost=cost, lots=picks)
    if extra_rows is not None:
        rows.extend(extra_rows(result))
    result.movement_ids = post_movements(session, actor, rows, returning=True)
    return result


def issue_reserved(session: Session, actor: Actor, *, product_id: int, location_id: int, quantity: Decimal,
                   reference: str, at: datetime | None = None) -> IssueResult:
    """Ship reserved stock: on hand and reserved both fall by ``quantity``; lots are picked first-expiry-
    first-out (never an expired lot); the cost of goods follows the valuation method."""
    return _take_out(session, actor, MovementType.issue, product_id, location_id, quantity, reference,
                     from_reserved=True, fresh_only=True, at=at)


def issue(session: Session, actor: Actor, *, product_id: int, location_id: int, quantity: Decimal,
          reference: str, at: datetime | None = None, reason: str = "") -> IssueResult:
    """Issue unreserved available stock (e.g. consumption, a counter sale)."""
    return _take_out(session, actor, MovementType.issue, product_id, location_id, quantity, reference,
                     fresh_only=True, at=at, reason=reason)


def scrap(session: Session, actor: Actor, *, product_id: int, location_id: int, quantity: Decimal,
          reference: str, lot: str | None = None, reason: str = "", at: datetime | None = None) -> IssueResult:
    """Write off stock: expired lots go first, then available stock (never what is reserved)."""
    return _take_out(session, actor, MovementType.scrap, product_id, location_id, quantity, reference,
                     expired_first=True, lot=lot, reason=reason, at=at)


def adjust(session: Session, actor: Actor, *, product_id: int, location_id: int, quantity: Decimal,
           reference: str, reason: str, unit_cost: Decimal | None = None, lot: str | None = None,
           expiry: date | None = None, at: datetime | None = None,
           movement_type: str = MovementType.adjustment) -> IssueResult | StockMovement:
    """Correct stock by a signed ``quantity``. A gain is valued at ``unit_cost`` or else the current
    average cost (or the product's standard cost when none is on hand); a loss is priced like an issue and
    may cut into reservations (the stock is simply not there)."""
    try:
        quantity = Decimal(quantity)
    except Exception as exc:
        raise invalid("quantity", "must be a number") from exc
    if not reason.strip():
        raise invalid("reason", "an adjustment needs a reason")
    if quantity > 0:
        if unit_cost is None:
            bal = lock_balances(session, [(product_id, location_id)])[(product_id, location_id)]
            unit_cost = moving_average_cost(bal.on_hand, bal.value) if bal.on_hand > 0 else Decimal(
                session.scalar(select(Product.standard_cost).where(Product.id == product_id)) or 0)
            unit_cost = money(unit_cost)
        return receive(session, actor, product_id=product_id, location_id=location_id, quantity=quantity,
                       unit_cost=unit_cost, reference=reference, lot=lot, expiry=expiry,
                       movement_type=movement_type, at=at, reason=reason)
    if quantity == 0:
        raise invalid("quantity", "must not be 0")
    return _take_out(session, actor, movement_type, product_id, location_id, -quantity, reference,
                     expired_first=True, allow_reserved=True, lot=lot, reason=reason, at=at)


# One statement: stock of lots past expiry that no sweep has moved yet is taken off in a subquery.
_STALE = (
    select(func.coalesce(func.sum(LotBalance.on_hand - LotBalance.expired), 0))
    .join(Lot, Lot.id == LotBalance.lot_id)
    .where(Lot.product_id == BAL.c.product_id, LotBalance.location_id == BAL.c.location_id,
           LotBalance.on_hand > LotBalance.expired, Lot.expiry < bindparam("today"))
    .scalar_subquery()
)
_AVAILABLE = select(BAL.c.product_id, BAL.c.location_id,
                    (BAL.c.on_hand - BAL.c.reserved - BAL.c.expired).label("available"), _STALE.label("stale")).where(
    BAL.c.product_id.in_(bindparam("products", expanding=True)))
_AVAILABLE_AT = _AVAILABLE.where(BAL.c.location_id.in_(bindparam("locations", expanding=True)))


def available_by_location(session: Session, product_ids: list[int],
                          location_ids: list[int] | None = None) -> dict[Key, Decimal]:
    """Available quantity (on hand - reserved - expired, never below 0) per (product_id, location_id) that
    has a balance row; lots past expiry not yet swept are excluded too. A read without locks: use
    ``reserve_*`` to claim stock."""
    if not product_ids:
        return {}
    stmt = _AVAILABLE if location_ids is None else _AVAILABLE_AT
    params: dict[str, Any] = {"products": list(product_ids), "today": datetime.now(UTC).date()}
    if location_ids is not None:
        params["locations"] = list(location_ids)
    result = {(r.product_id, r.location_id): Decimal(r.available) - Decimal(r.stale or 0)
              for r in session.execute(stmt, params)}
    return {k: money(max(v, ZERO)) for k, v in result.items()}


def change_on_order(session: Session, actor: Actor, *, product_id: int, location_id: int, delta: Decimal,
                    reference: str, reason: str = "") -> None:
    """Raise (purchase confirmed) or lower (closed, cancelled) the quantity on order at a location."""
    delta = Decimal(delta)
    if delta == 0:
        return
    bal = lock_balances(session, [(product_id, location_id)])[(product_id, location_id)]
    if delta < 0 and -delta > bal.on_order:
        raise invalid("quantity", f"only {bal.on_order} on order")
    row = movement_row(actor, MovementType.on_order, product_id, location_id, abs(delta), reference, utcnow(),
                       on_order_delta=delta, reason=reason[:200])
    post_movements(session, actor, [row])


def transfer_out(session: Session, actor: Actor, *, product_id: int, from_location_id: int, to_location_id: int,
                 quantity: Decimal, reference: str) -> IssueResult:
    """Ship available stock from one location to another: it leaves the origin (FEFO lots, valued by the
    method) and shows as in transit at the destination until ``transfer_in``."""
    if from_location_id == to_location_id:
        raise invalid("to_location", "must differ from the origin")

    def in_transit_row(result: IssueResult) -> list[dict[str, Any]]:
        return [movement_row(actor, MovementType.transfer_out, product_id, to_location_id, result.quantity, reference,
                     utcnow(), in_transit_delta=result.quantity, other_location_id=from_location_id,
                     unit_cost=money(result.unit_cost), reason="in transit")]

    return _take_out(session, actor, MovementType.transfer_out, product_id, from_location_id, quantity, reference,
                     fresh_only=True, other_location_id=to_location_id, extra_rows=in_transit_row)


def transfer_in(session: Session, actor: Actor, *, product_id: int, from_location_id: int, to_location_id: int,
                quantity: Decimal, unit_cost: Decimal, reference: str, lot: str | None = None,
                expiry: date | None = None) -> StockMovement:
    """Receive transferred stock at the destination: in transit falls, on hand rises at the shipped cost."""
    bal = lock_balances(session, [(product_id, to_location_id)])[(product_id, to_location_id)]
    if Decimal(quantity) > bal.in_transit:
        raise invalid("quantity", f"only {bal.in_transit} in transit to this location")
    return receive(session, actor, product_id=product_id, location_id=to_location_id, quantity=quantity,
                   unit_cost=unit_cost, reference=reference, lot=lot, expiry=expiry,
                   movement_type=MovementType.transfer_in, in_transit_delta=-Decimal(quantity),
                   other_location_id=from_location_id)


def write_off_in_transit(session: Session, actor: Actor, *, product_id: int, from_location_id: int,
                         to_location_id: int, quantity: Decimal, reference: str, reason: str) -> None:
    """Stock shipped but never received (lost or damaged on the way): in transit falls with nothing added."""
    quantity = positive_quantity("quantity", quantity)
    bal = lock_balances(session, [(product_id, to_location_id)])[(product_id, to_location_id)]
    if quantity > bal.in_transit:
        raise invalid("quantity", f"only {bal.in_transit} in transit to this location")
    row = movement_row(actor, MovementType.scrap, product_id, to_location_id, quantity, reference, utcnow(),
                       in_transit_delta=-quantity, other_location_id=from_location_id, reason=reason[:200])
    post_movements(session, actor, [row])
