"""Inventory use cases and the interface other areas call.

For other areas (orders, purchasing, logistics) — all take the caller's session and never commit:

* ``reserve_up_to`` / ``reserve_many`` — claim available stock (never oversells; returns what was got).
* ``lock_available`` — lock balances to plan from exact quantities, then ``reserve_many(..., locked=)``.
* ``release`` — give a reservation back.
* ``issue_reserved`` — ship reserved stock (FEFO lots, cost of goods) -> ``IssueResult``.
* ``receive`` — receipts and returns (``movement_type="return"``); ``scrap``, ``adjust``, ``issue``.
* ``available_by_location`` — a lock-free read of available quantities.
* ``on_stock_available(callback)`` — called as ``callback(session, actor, [(product_id, location_id)])``
  in the same transaction after stock arrives (receipt, transfer-in, return, positive adjustment).
* ``lock_balances`` — the one helper that locks balance rows (primary-key order).

Where things live: ``posting.py`` (locking, posting rows, the hook), ``lots.py`` (lots, expiry, FEFO),
``costing.py`` (FIFO / moving average), ``ledger.py`` (the movements above), ``queries.py`` (read models),
``counts.py`` (cycle counts), ``analytics.py`` (ABC/XYZ, turnover, aging, alerts).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize, partner_filter
from qudao.catalog.models import Product
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.inventory.ledger import (
    Balance,
    IssueResult,
    LotPick,
    ReservationRequest,
    adjust,
    available_by_location,
    change_on_order,
    issue,
    issue_reserved,
    lock_available,
    lock_balances,
    on_stock_available,
    receive,
    release,
    reserve_many,
    reserve_up_to,
    scrap,
    sweep_expired,
    transfer_in,
    transfer_out,
    valuation_method,
    write_off_in_transit,
)
from qudao.inventory.models import LotBalance, StockBalance, StockMovement, ValuationLayer
from qudao.inventory.schemas import AdjustmentIn, ReceiptIn, ScrapIn
from qudao.locations.models import Location

__all__ = [
    "Balance",
    "Drift",
    "IssueResult",
    "LotPick",
    "ReservationRequest",
    "adjust",
    "available_by_location",
    "change_on_order",
    "issue",
    "issue_reserved",
    "lock_available",
    "lock_balances",
    "on_stock_available",
    "receive",
    "release",
    "reserve_many",
    "reserve_up_to",
    "scrap",
    "sweep_expired",
    "transfer_in",
    "transfer_out",
    "valuation_method",
    "verify_ledger",
    "write_off_in_transit",
]

BUCKETS = ("on_hand", "reserved", "expired", "in_transit", "on_order", "value")
Q4 = Decimal("0.0001")


@dataclass(frozen=True)
class Drift:
    """A balance that differs from the sum of its ledger rows."""

    scope: str  # "balance", "lot" or "layers" (open FIFO layers vs on hand)
    product_id: int | None
    location_id: int
    lot_id: int | None
    bucket: str
    balance: Decimal
    ledger: Decimal

    @property
    def difference(self) -> Decimal:
        return self.balance - self.ledger


def _q(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Q4)


def verify_ledger(session: Session, actor: Actor) -> list[Drift]:
    """Recompute every balance (and lot balance) from the ledger, check the open cost layers add up to the
    quantity on hand, and list each bucket that drifted (for a partner user: at its own locations).

    An empty list means the balances agree with the movements to 4 decimal places.
    """
    authorize(actor, "inventory:read")
    M = StockMovement  # noqa: N806 - short alias for a long query
    sums = select(M.product_id, M.location_id,
                  *(func.sum(getattr(M, f"{b}_delta")).label(b) for b in BUCKETS)).group_by(
        M.product_id, M.location_id)
    ledger = {(r.product_id, r.location_id): r for r in session.execute(sums)}
    balances = {(r.product_id, r.location_id): r for r in session.execute(
        select(StockBalance.product_id, StockBalance.location_id, *(getattr(StockBalance, b) for b in BUCKETS)))}
    drifts: list[Drift] = []
    for key in sorted(set(ledger) | set(balances)):
        row_l, row_b = ledger.get(key), balances.get(key)
        for bucket in BUCKETS:
            on_ledger = _q(getattr(row_l, bucket) if row_l is not None else 0)
            on_balance = _q(getattr(row_b, bucket) if row_b is not None else 0)
            if on_ledger != on_balance:
                drifts.append(Drift("balance", key[0], key[1], None, bucket, on_balance, on_ledger))
    lot_sums = select(M.lot_id, M.location_id, func.sum(M.on_hand_delta).label("on_hand"),
                      func.sum(M.expired_delta).label("expired")).where(M.lot_id.is_not(None)).group_by(
        M.lot_id, M.location_id)
    lot_ledger = {(r.lot_id, r.location_id): r for r in session.execute(lot_sums)}
    lot_balances = {(r.lot_id, r.location_id): r for r in session.execute(
        select(LotBalance.lot_id, LotBalance.location_id, LotBalance.on_hand, LotBalance.expired))}
    for key in sorted(set(lot_ledger) | set(lot_balances)):
        row_l, row_b = lot_ledger.get(key), lot_balances.get(key)
        for bucket in ("on_hand", "expired"):
            on_ledger = _q(getattr(row_l, bucket) if row_l is not None else 0)
            on_balance = _q(getattr(row_b, bucket) if row_b is not None else 0)
            if on_ledger != on_balance:
                drifts.append(Drift("lot", None, key[1], key[0], bucket, on_balance, on_ledger))
    # Every unit on hand came in with a cost layer and every unit out consumed one, so the open layers
    # must add up to the quantity on hand.
    layer_sums = {(r.product_id, r.location_id): r.remaining for r in session.execute(
        select(ValuationLayer.product_id, ValuationLayer.location_id,
               func.sum(ValuationLayer.remaining).label("remaining"))
        .group_by(ValuationLayer.product_id, ValuationLayer.location_id))}
    for key in sorted(set(layer_sums) | set(balances)):
        on_balance = _q(balances[key].on_hand if key in balances else 0)
        in_layers = _q(layer_sums.get(key, 0))
        if on_balance != in_layers:
            drifts.append(Drift("layers", key[0], key[1], None, "on_hand", on_balance, in_layers))
    if actor.is_partner:  # a partner sees the check for its own locations only
        own = set(session.scalars(select(Location.id).where(partner_filter(actor, Location.owner_partner_id))))
        drifts = [d for d in drifts if d.location_id in own]
    return drifts


# ---- use cases behind the API and CLI (authorised) ----------------------------------------------


def _resolve(session: Session, sku: str, location_code: str) -> tuple[int, int]:
    product_id = crud.resolve_ref(session, Product, Product.sku, sku, field="sku")
    location_id = crud.resolve_ref(session, Location, Location.code, location_code, field="location_code")
    assert product_id is not None and location_id is not None
    return product_id, location_id


def post_adjustment(session: Session, actor: Actor, data: AdjustmentIn) -> list[StockMovement]:
    """A stock correction with a reason; returns the ledger rows written."""
    authorize(actor, "inventory:write")
    product_id, location_id = _resolve(session, data.sku, data.location_code)
    result = adjust(session, actor, product_id=product_id, location_id=location_id, quantity=data.quantity,
                    reference=data.reference or "adjustment", reason=data.reason, unit_cost=data.unit_cost,
                    lot=data.lot, expiry=data.expiry)
    return _movements(session, result)


def post_receipt(session: Session, actor: Actor, data: ReceiptIn) -> list[StockMovement]:
    """A receipt (or customer return) outside a purchase order."""
    authorize(actor, "inventory:write")
    product_id, location_id = _resolve(session, data.sku, data.location_code)
    movement = receive(session, actor, product_id=product_id, location_id=location_id, quantity=data.quantity,
                       unit_cost=data.unit_cost, reference=data.reference or ("return" if data.is_return else
                                                                              "receipt"),
                       lot=data.lot, expiry=data.expiry, movement_type="return" if data.is_return else "receipt")
    return [movement]


def post_scrap(session: Session, actor: Actor, data: ScrapIn) -> list[StockMovement]:
    authorize(actor, "inventory:write")
    product_id, location_id = _resolve(session, data.sku, data.location_code)
    result = scrap(session, actor, product_id=product_id, location_id=location_id, quantity=data.quantity,
                   reference=data.reference or "scrap", lot=data.lot, reason=data.reason)
    return _movements(session, result)


def expire_lots(session: Session, actor: Actor) -> int:
    """Move every lot past its expiry into the expired bucket (the nightly job; also done lazily)."""
    authorize(actor, "inventory:write")
    return sweep_expired(session, actor)


def _movements(session: Session, result: IssueResult | StockMovement) -> list[StockMovement]:
    if isinstance(result, StockMovement):
        return [result]
    ids = result.movement_ids
    return list(session.scalars(select(StockMovement).where(StockMovement.id.in_(ids)).order_by(StockMovement.id)))
