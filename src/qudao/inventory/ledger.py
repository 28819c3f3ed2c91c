"""The stock ledger: every movement is an immutable row, balances move with it in the same transaction.

How a change is made (one path for all of them):

1. ``lock_balances(session, keys)`` creates any missing ``stock_balances`` rows and locks the rows it
   needs **in primary-key order** (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every transaction
   starts with ``BEGIN IMMEDIATE``, so writers are already serialised). All writers go through it, so two
   transactions never wait on each other in opposite orders.
2. The quantities are decided in Python from the locked values (FEFO lots, FIFO layers, the average).
3. ``_post`` bulk-inserts the movement rows and applies their summed deltas to the balances with
   database-side expressions (``reserved = reserved + :d``), never read-modify-write of stale values.

These functions are the inventory area's interface for other areas (orders, purchasing, logistics). They
take the caller's session and never commit; they do not check permissions, because the calling use case
has already authorised its own action (a sales user confirming an order reserves stock without holding
``inventory:write``). API and CLI use cases in ``service.py`` authorise before calling them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from qudao.catalog.models import Product
from qudao.common.actor import Actor
from qudao.config import get_settings
from qudao.db import is_postgres, utcnow
from qudao.engines.valuation import Layer, fifo_consume, money, moving_average_cost, moving_average_issue
from qudao.errors import InsufficientStock, invalid
from qudao.inventory.models import (
    Lot,
    LotBalance,
    MovementType,
    StockBalance,
    StockMovement,
    ValuationLayer,
)

ZERO = Decimal(0)
Key = tuple[int, int]  # (product_id, location_id)
BUCKETS = ("on_hand", "reserved", "expired", "in_transit", "on_order", "value")
BAL = StockBalance.__table__
MOV = StockMovement.__table__
LOTBAL = LotBalance.__table__
LAYER = ValuationLayer.__table__
# Movement types after which stock may have become available (the backorder-fill hook fires on them).
STOCK_ARRIVING = {MovementType.receipt, MovementType.transfer_in, MovementType.ret, MovementType.adjustment,
                  MovementType.count_correction}


@dataclass
class Balance:
    """A locked balance row as plain values."""

    id: int
    product_id: int
    location_id: int
    on_hand: Decimal
    reserved: Decimal
    expired: Decimal
    in_transit: Decimal
    on_order: Decimal
    value: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved - self.expired


@dataclass(frozen=True)
class ReservationRequest:
    product_id: int
    location_id: int
    quantity: Decimal
    reference: str


@dataclass(frozen=True)
class LotPick:
    lot_id: int | None
    lot_code: str | None
    expiry: date | None
    quantity: Decimal
    expired: bool = False


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


# ---- hook for backorder fill -------------------------------------------------------------------

StockCallback = Callable[[Session, Actor, list[Key]], None]
_stock_available_callbacks: list[StockCallback] = []


def on_stock_available(callback: StockCallback) -> StockCallback:
    """Register ``callback(session, actor, [(product_id, location_id), ...])``, called in the same
    transaction after a receipt, transfer-in, return or positive adjustment adds stock. Usable as a
    decorator; registering the same callback twice has no effect."""
    if callback not in _stock_available_callbacks:
        _stock_available_callbacks.append(callback)
    return callback


def _notify_stock_available(session: Session, actor: Actor, keys: Iterable[Key]) -> None:
    keys = sorted(set(keys))
    if keys:
        for callback in list(_stock_available_callbacks):
            callback(session, actor, keys)


# ---- locking -----------------------------------------------------------------------------------


def _dialect_insert(session: Session, table: Any) -> Any:
    return postgresql.insert(table) if is_postgres(session) else sqlite.insert(table)


def _key_filter(keys: Sequence[Key]) -> Any:
    return tuple_(BAL.c.product_id, BAL.c.location_id).in_(list(keys))


def _ensure_balances(session: Session, keys: Sequence[Key]) -> None:
    existing = {(r.product_id, r.location_id) for r in session.execute(
        select(BAL.c.product_id, BAL.c.location_id).where(_key_filter(keys)))}
    missing = [k for k in keys if k not in existing]
    if missing:
        stmt = _dialect_insert(session, BAL).on_conflict_do_nothing(index_elements=["product_id", "location_id"])
        now = utcnow()
        session.execute(stmt, [{"product_id": p, "location_id": loc, "on_hand": ZERO, "reserved": ZERO,
                                "expired": ZERO, "in_transit": ZERO, "on_order": ZERO, "value": ZERO,
                                "updated_at": now} for p, loc in missing])


def lock_balances(session: Session, keys: Iterable[Key]) -> dict[Key, Balance]:
    """Create missing balance rows for ``keys`` and lock all of them in primary-key order.

    The one place stock rows are locked (the rule that prevents deadlocks between concurrent orders).
    Returns the current values, read under the lock.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    _ensure_balances(session, wanted)
    stmt = select(BAL).where(_key_filter(wanted)).order_by(BAL.c.id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    rows = session.execute(stmt).all()
    return {(r.product_id, r.location_id): Balance(
        id=r.id, product_id=r.product_id, location_id=r.location_id, on_hand=r.on_hand, reserved=r.reserved,
        expired=r.expired, in_transit=r.in_transit, on_order=r.on_order, value=r.value) for r in rows}


# ---- posting movements -------------------------------------------------------------------------


def _row(actor: Actor, kind: str, product_id: int, location_id: int, quantity: Decimal, reference: str,
         at: datetime, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "at": at, "movement_type": kind, "product_id": product_id, "location_id": location_id,
        "lot_id": None, "other_location_id": None, "quantity": quantity, "on_hand_delta": ZERO,
        "reserved_delta": ZERO, "expired_delta": ZERO, "in_transit_delta": ZERO, "on_order_delta": ZERO,
        "value_delta": ZERO, "unit_cost": None, "reference": reference[:80], "reason": "",
        "actor_user_id": actor.user_id, "actor_name": actor.username[:120],
    }
    unknown = set(values) - set(row)
    if unknown:
        raise TypeError(f"unknown movement fields {unknown}")
    row.update(values)
    return row


def _post(session: Session, actor: Actor, rows: list[dict[str, Any]], *, returning: bool = False) -> list[int]:
    """Insert movement rows and apply their summed deltas to balances and lot balances (caller holds the
    balance locks). Fires the stock-available hook for keys that gained stock."""
    if not rows:
        return []
    ids: list[int] = []
    if returning:
        ids = [r[0] for r in session.execute(insert(MOV).returning(MOV.c.id, sort_by_parameter_order=True), rows)]
    else:
        session.execute(insert(MOV), rows)
    sums: dict[Key, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BUCKETS, ZERO))
    lot_sums: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    arriving: set[Key] = set()
    for r in rows:
        s = sums[(r["product_id"], r["location_id"])]
        for bucket in BUCKETS:
            s[bucket] += r[f"{bucket}_delta"]
        if r["lot_id"] is not None:
            lot = lot_sums[(r["lot_id"], r["location_id"])]
            lot[0] += r["on_hand_delta"]
            lot[1] += r["expired_delta"]
        if r["movement_type"] in STOCK_ARRIVING and r["on_hand_delta"] > 0:
            arriving.add((r["product_id"], r["location_id"]))
    now = utcnow()
    params = [{"p": p, "l": loc, **{f"d_{b}": v for b, v in s.items()}, "now": now}
              for (p, loc), s in sums.items() if any(s.values())]
    if params:
        session.execute(
            update(BAL)
            .where(and_(BAL.c.product_id == bindparam("p"), BAL.c.location_id == bindparam("l")))
            .values(**{b: BAL.c[b] + bindparam(f"d_{b}") for b in BUCKETS}, updated_at=bindparam("now"))
            .execution_options(synchronize_session=False),
            params,
        )
    if lot_sums:
        stmt = _dialect_insert(session, LOTBAL).on_conflict_do_nothing(index_elements=["lot_id", "location_id"])
        session.execute(stmt, [{"lot_id": lot, "location_id": loc, "on_hand": ZERO, "expired": ZERO}
                               for lot, loc in sorted(lot_sums)])
        session.execute(
            update(LOTBAL)
            .where(and_(LOTBAL.c.lot_id == bindparam("lot"), LOTBAL.c.location_id == bindparam("loc")))
            .values(on_hand=LOTBAL.c.on_hand + bindparam("d_on_hand"),
                    expired=LOTBAL.c.expired + bindparam("d_expired"))
            .execution_options(synchronize_session=False),
            [{"lot": lot, "loc": loc, "d_on_hand": d[0], "d_expired": d[1]} for (lot, loc), d in lot_sums.items()],
        )
    if arriving:
        _notify_stock_available(session, actor, arriving)
    return ids


def _positive(name: str, quantity: Decimal) -> Decimal:
    try:
        quantity = Decimal(quantity)
    except Exception as exc:
        raise invalid(name, "must be a number") from exc
    if not quantity.is_finite() or quantity <= 0:
        raise invalid(name, "must be greater than 0")
    if quantity != quantity.quantize(Decimal("0.0001")):
        raise invalid(name, "at most 4 decimal places")
    return quantity


def _now(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise invalid("at", "must carry a time zone")
    return at.astimezone(UTC)


def valuation_method() -> str:
    """The configured cost formula: 'fifo' or 'moving_average' (``QUDAO_VALUATION_METHOD``)."""
    return get_settings().valuation_method


# ---- lots and expiry ---------------------------------------------------------------------------


def _lot_id(session: Session, product_id: int, code: str, expiry: date | None) -> int:
    found = session.execute(select(Lot.id, Lot.expiry).where(Lot.product_id == product_id, Lot.code == code)).first()
    if found is not None:
        if expiry is not None and found.expiry is not None and found.expiry != expiry:
            raise invalid("expiry", f"lot {code} already exists with expiry {found.expiry.isoformat()}")
        return int(found.id)
    stmt = _dialect_insert(session, Lot.__table__).on_conflict_do_nothing(index_elements=["product_id", "code"])
    session.execute(stmt, {"product_id": product_id, "code": code, "expiry": expiry, "created_at": utcnow()})
    return int(session.scalar(select(Lot.id).where(Lot.product_id == product_id, Lot.code == code)))


def sweep_expired(session: Session, actor: Actor, keys: Iterable[Key] | None = None,
                  today: date | None = None) -> int:
    """Move stock of lots past their expiry into the ``expired`` bucket (an 'expiry' ledger row per lot),
    so it is no longer available. Runs lazily before reservations and issues for the keys involved; the
    CLI runs it for everything. Returns the number of lot balances expired. Caller holds or gets locks."""
    today = today or datetime.now(UTC).date()
    stmt = (select(LotBalance.lot_id, LotBalance.location_id, Lot.product_id, Lot.code,
                   (LotBalance.on_hand - LotBalance.expired).label("fresh"))
            .join(Lot, Lot.id == LotBalance.lot_id)
            .where(Lot.expiry < today, LotBalance.on_hand > LotBalance.expired))
    key_list = sorted(set(keys)) if keys is not None else None
    if key_list is not None:
        if not key_list:
            return 0
        stmt = stmt.where(tuple_(Lot.product_id, LotBalance.location_id).in_(key_list))
    found = session.execute(stmt).all()
    if not found:
        return 0
    if key_list is None:
        lock_balances(session, [(r.product_id, r.location_id) for r in found])
    at = utcnow()
    rows = [_row(actor, MovementType.expiry, r.product_id, r.location_id, r.fresh, f"lot {r.code}"[:80], at,
                 lot_id=r.lot_id, expired_delta=r.fresh, reason="lot past expiry") for r in found]
    _post(session, actor, rows)
    return len(rows)


def _lock_fresh(session: Session, actor: Actor, keys: Iterable[Key]) -> dict[Key, Balance]:
    """Lock balances, then expire any lots past their date; re-read if that changed them."""
    keys = sorted(set(keys))
    balances = lock_balances(session, keys)
    if sweep_expired(session, actor, keys):
        balances = lock_balances(session, keys)
    return balances


def _pick(session: Session, bal: Balance, quantity: Decimal, *, expired_first: bool,
          fresh_only: bool, lot_code: str | None = None) -> list[LotPick]:
    """Choose what to take for ``quantity``: lots first-expiry-first-out, then untracked stock.

    ``fresh_only`` skips expired lots (issues to customers); ``expired_first`` takes expired lots before
    anything else (scrap, count corrections). ``lot_code`` restricts the pick to one lot.
    """
    lots = session.execute(
        select(Lot.id, Lot.code, Lot.expiry, LotBalance.on_hand, LotBalance.expired)
        .join(LotBalance, LotBalance.lot_id == Lot.id)
        .where(Lot.product_id == bal.product_id, LotBalance.location_id == bal.location_id, LotBalance.on_hand > 0)
        .order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id)
    ).all()
    tracked = sum((r.on_hand for r in lots), ZERO)
    sources: list[tuple[int | None, str | None, date | None, Decimal, bool]] = []
    expired_sources = [(r.id, r.code, r.expiry, r.expired, True) for r in lots if r.expired > 0]
    fresh_sources = [(r.id, r.code, r.expiry, r.on_hand - r.expired, False) for r in lots if r.on_hand > r.expired]
    untracked = bal.on_hand - tracked
    if lot_code is not None:
        sources = [s for s in expired_sources + fresh_sources if s[1] == lot_code]
        if fresh_only:
            sources = [s for s in sources if not s[4]]
        if not sources:
            raise invalid("lot", f"no stock of lot {lot_code} at this location")
    else:
        if untracked > 0:
            fresh_sources.append((None, None, None, untracked, False))
        if fresh_only:
            sources = fresh_sources
        elif expired_first:
            sources = expired_sources + fresh_sources
        else:
            sources = fresh_sources + expired_sources
    picks: list[LotPick] = []
    need = quantity
    for lot_id, code, expiry, qty, is_expired in sources:
        if need <= 0:
            break
        take = min(qty, need)
        if take > 0:
            picks.append(LotPick(lot_id, code, expiry, take, is_expired))
            need -= take
    if need > 0:
        raise InsufficientStock(detail=f"product {bal.product_id} at location {bal.location_id}: "
                                f"short by {need} (on hand {bal.on_hand}, expired {bal.expired})")
    return picks


# ---- valuation ---------------------------------------------------------------------------------


def _consume_layers(session: Session, bal: Balance, quantity: Decimal) -> Decimal:
    """Consume FIFO layers for ``quantity``; return the cost by the configured method."""
    layers = session.execute(
        select(LAYER.c.id, LAYER.c.remaining, LAYER.c.unit_cost)
        .where(LAYER.c.product_id == bal.product_id, LAYER.c.location_id == bal.location_id, LAYER.c.remaining > 0)
        .order_by(LAYER.c.id)
    ).all()
    result = fifo_consume([Layer(r.remaining, r.unit_cost) for r in layers], quantity)
    if result.taken:
        session.execute(
            update(LAYER).where(LAYER.c.id == bindparam("layer_id"))
            .values(remaining=LAYER.c.remaining - bindparam("take"))
            .execution_options(synchronize_session=False),
            [{"layer_id": layers[i].id, "take": take} for i, take in result.taken],
        )
    if valuation_method() == "moving_average":
        return moving_average_issue(bal.on_hand, bal.value, quantity) if bal.on_hand >= quantity else money(
            quantity * moving_average_cost(bal.on_hand, bal.value))
    # Stock with no layer (e.g. from before valuation began) is priced at the average of what is left.
    extra = result.shortfall * moving_average_cost(bal.on_hand, bal.value) if result.shortfall > 0 else ZERO
    return money(result.cost + extra)


def _add_layer(session: Session, product_id: int, location_id: int, movement_id: int, at: datetime,
               quantity: Decimal, unit_cost: Decimal) -> None:
    session.execute(insert(LAYER), {"product_id": product_id, "location_id": location_id,
                                    "movement_id": movement_id, "at": at, "quantity": quantity,
                                    "remaining": quantity, "unit_cost": unit_cost})


def _split_cost(cost: Decimal, picks: list[LotPick], total: Decimal) -> list[Decimal]:
    """Share a cost over lot picks by quantity; the last pick takes the rounding remainder."""
    shares: list[Decimal] = []
    for pick in picks[:-1]:
        shares.append(money(cost * pick.quantity / total))
    shares.append(cost - sum(shares, ZERO))
    return shares


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
    quantity = _positive("quantity", quantity)
    unit_cost = Decimal(unit_cost)
    if not unit_cost.is_finite() or unit_cost < 0:
        raise invalid("unit_cost", "must be 0 or more")
    if movement_type not in STOCK_ARRIVING:
        raise invalid("movement_type", f"cannot receive as {movement_type!r}")
    at = _now(at)
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
        lot_id = _lot_id(session, product_id, lot, expiry)
    value = money(quantity * unit_cost)
    row = _row(actor, movement_type, product_id, location_id, quantity, reference, at, lot_id=lot_id,
               on_hand_delta=quantity, value_delta=value, unit_cost=unit_cost, reason=reason[:200],
               on_order_delta=on_order_delta, in_transit_delta=in_transit_delta, other_location_id=other_location_id)
    (movement_id,) = _post(session, actor, [row], returning=True)
    _add_layer(session, product_id, location_id, movement_id, at, quantity, unit_cost)
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


def reserve_many(session: Session, actor: Actor, requests: Sequence[ReservationRequest]) -> list[Decimal]:
    """Batch ``reserve_up_to``: lock every needed balance row once (primary-key order), reserve each request
    in the given order against what is left, bulk-insert the ledger rows. Returns the reserved quantities
    in request order."""
    if not requests:
        return []
    quantities = [_positive(f"requests[{i}].quantity", r.quantity) for i, r in enumerate(requests)]
    keys = {(r.product_id, r.location_id) for r in requests}
    balances = _lock_fresh(session, actor, keys)
    left = {k: max(b.available, ZERO) for k, b in balances.items()}
    at = utcnow()
    reserved: list[Decimal] = []
    rows: list[dict[str, Any]] = []
    for request, quantity in zip(requests, quantities, strict=True):
        key = (request.product_id, request.location_id)
        take = min(quantity, left[key])
        left[key] -= take
        reserved.append(take)
        if take > 0:
            rows.append(_row(actor, MovementType.reservation, key[0], key[1], take, request.reference, at,
                             reserved_delta=take))
    _post(session, actor, rows)
    return reserved


def release(session: Session, actor: Actor, *, product_id: int, location_id: int, quantity: Decimal,
            reference: str) -> None:
    """Give back a reservation (order cancelled or re-allocated). Raises ``Invalid`` if more is released
    than is reserved at the location."""
    quantity = _positive("quantity", quantity)
    bal = lock_balances(session, [(product_id, location_id)])[(product_id, location_id)]
    if quantity > bal.reserved:
        raise invalid("quantity", f"cannot release {quantity}: only {bal.reserved} reserved")
    _post(session, actor, [_row(actor, MovementType.release, product_id, location_id, quantity, reference,
                                utcnow(), reserved_delta=-quantity)])


def _take_out(session: Session, actor: Actor, kind: str, product_id: int, location_id: int, quantity: Decimal,
              reference: str, *, from_reserved: bool = False, expired_first: bool = False,
              fresh_only: bool = False, allow_reserved: bool = False, lot: str | None = None,
              at: datetime | None = None, reason: str = "", other_location_id: int | None = None,
              extra_rows: Callable[[IssueResult], list[dict[str, Any]]] | None = None) -> IssueResult:
    """Remove stock: pick lots, price it, write one ledger row per lot picked."""
    quantity = _positive("quantity", quantity)
    at = _now(at)
    key = (product_id, location_id)
    keys = [key] if other_location_id is None else [key, (product_id, other_location_id)]
    bal = _lock_fresh(session, actor, keys)[key]
    if from_reserved and quantity > bal.reserved:
        raise InsufficientStock(detail=f"product {product_id} at location {location_id}: cannot issue {quantity}, "
                                f"only {bal.reserved} reserved")
    picks = _pick(session, bal, quantity, expired_first=expired_first, fresh_only=fresh_only, lot_code=lot)
    fresh_taken = sum((p.quantity for p in picks if not p.expired), ZERO)
    if not from_reserved and not allow_reserved and fresh_taken > max(bal.available, ZERO):
        raise InsufficientStock(detail=f"product {product_id} at location {location_id}: {fresh_taken} needed, "
                                f"{max(bal.available, ZERO)} available (the rest is reserved or expired)")
    cost = _consume_layers(session, bal, quantity)
    shares = _split_cost(cost, picks, quantity)
    rows = [
        _row(actor, kind, product_id, location_id, pick.quantity, reference, at, lot_id=pick.lot_id,
             on_hand_delta=-pick.quantity, reserved_delta=-pick.quantity if from_reserved else ZERO,
             expired_delta=-pick.quantity if pick.expired else ZERO, value_delta=-share,
             unit_cost=money(share / pick.quantity), reason=reason[:200], other_location_id=other_location_id)
        for pick, share in zip(picks, shares, strict=True)
    ]
    result = IssueResult(quantity=quantity, cost=cost, lots=picks)
    if extra_rows is not None:
        rows.extend(extra_rows(result))
    result.movement_ids = _post(session, actor, rows, returning=True)
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


def available_by_location(session: Session, product_ids: list[int],
                          location_ids: list[int] | None = None) -> dict[Key, Decimal]:
    """Available quantity (on hand - reserved - expired, never below 0) per (product_id, location_id) that
    has a balance row; lots past expiry not yet swept are excluded too. A read without locks: use
    ``reserve_*`` to claim stock."""
    if not product_ids:
        return {}
    stmt = select(BAL.c.product_id, BAL.c.location_id,
                  (BAL.c.on_hand - BAL.c.reserved - BAL.c.expired).label("available")).where(
        BAL.c.product_id.in_(product_ids))
    if location_ids is not None:
        stmt = stmt.where(BAL.c.location_id.in_(location_ids))
    result = {(r.product_id, r.location_id): Decimal(r.available) for r in session.execute(stmt)}
    stale = (
        select(Lot.product_id, LotBalance.location_id, (LotBalance.on_hand - LotBalance.expired).label("q"))
        .join(Lot, Lot.id == LotBalance.lot_id)
        .where(Lot.product_id.in_(product_ids), LotBalance.on_hand > LotBalance.expired,
               Lot.expiry < datetime.now(UTC).date())
    )
    if location_ids is not None:
        stale = stale.where(LotBalance.location_id.in_(location_ids))
    for r in session.execute(stale):
        key = (r.product_id, r.location_id)
        if key in result:
            result[key] -= Decimal(r.q)
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
    _post(session, actor, [_row(actor, MovementType.on_order, product_id, location_id, abs(delta), reference,
                                utcnow(), on_order_delta=delta, reason=reason[:200])])


def transfer_out(session: Session, actor: Actor, *, product_id: int, from_location_id: int, to_location_id: int,
                 quantity: Decimal, reference: str) -> IssueResult:
    """Ship available stock from one location to another: it leaves the origin (FEFO lots, valued by the
    method) and shows as in transit at the destination until ``transfer_in``."""
    if from_location_id == to_location_id:
        raise invalid("to_location", "must differ from the origin")

    def in_transit_row(result: IssueResult) -> list[dict[str, Any]]:
        return [_row(actor, MovementType.transfer_out, product_id, to_location_id, result.quantity, reference,
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
    quantity = _positive("quantity", quantity)
    bal = lock_balances(session, [(product_id, to_location_id)])[(product_id, to_location_id)]
    if quantity > bal.in_transit:
        raise invalid("quantity", f"only {bal.in_transit} in transit to this location")
    _post(session, actor, [_row(actor, MovementType.scrap, product_id, to_location_id, quantity, reference,
                                utcnow(), in_transit_delta=-quantity, other_location_id=from_location_id,
                                reason=reason[:200])])
