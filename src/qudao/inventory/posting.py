"""Posting to the stock ledger: the one lock helper, the one insert-and-apply path, the arrival hook.

How a change is made (one path for all of them):

1. ``lock_balances(session, keys)`` creates any missing ``stock_balances`` rows and locks the rows it
   needs **in primary-key order** (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every transaction
   starts with ``BEGIN IMMEDIATE``, so writers are already serialised). All writers go through it, so two
   transactions never wait on each other in opposite orders.
2. The quantities are decided in Python from the locked values (FEFO lots, FIFO layers, the average).
3. ``post_movements`` bulk-inserts the movement rows and applies their summed deltas to the balances with
   database-side expressions (``reserved = reserved + :d``), never read-modify-write of stale values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, exists, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from qudao.common.actor import Actor
from qudao.config import get_settings
from qudao.db import is_postgres, utcnow
from qudao.errors import invalid
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
LOT = Lot.__table__
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


def dialect_insert(session: Session, table: Any) -> Any:
    return postgresql.insert(table) if is_postgres(session) else sqlite.insert(table)


def key_filter(keys: Sequence[Key]) -> Any:
    return tuple_(BAL.c.product_id, BAL.c.location_id).in_(list(keys))


def ensure_balances(session: Session, keys: Sequence[Key]) -> None:
    existing = {(r.product_id, r.location_id) for r in session.execute(
        select(BAL.c.product_id, BAL.c.location_id).where(key_filter(keys)))}
    missing = [k for k in keys if k not in existing]
    if missing:
        stmt = dialect_insert(session, BAL).on_conflict_do_nothing(index_elements=["product_id", "location_id"])
        now = utcnow()
        session.execute(stmt, [{"product_id": p, "location_id": loc, "on_hand": ZERO, "reserved": ZERO,
                                "expired": ZERO, "in_transit": ZERO, "on_order": ZERO, "value": ZERO,
                                "updated_at": now} for p, loc in missing])


def lock_balances(session: Session, keys: Iterable[Key]) -> dict[Key, Balance]:
    """Create missing balance rows for ``keys`` and lock all of them in primary-key order.

    The one place stock rows are locked (the rule that prevents deadlocks between concurrent orders).
    Returns the current values, read under the lock.
    """
    return lock_balances_checking_lots(session, keys)[0]


_LOCK_STATEMENTS: dict[tuple[bool, bool], Any] = {}


def _lock_statement(postgres: bool, check_lots: bool) -> Any:
    """The locking SELECT (built once per variant, so the hot path only binds ``keys``/``lots_past``)."""
    stmt = _LOCK_STATEMENTS.get((postgres, check_lots))
    if stmt is None:
        columns: list[Any] = list(BAL.c)
        if check_lots:
            columns.append(exists().where(
                LOT.c.id == LOTBAL.c.lot_id, LOT.c.product_id == BAL.c.product_id,
                LOTBAL.c.location_id == BAL.c.location_id, LOT.c.expiry < bindparam("lots_past"),
                LOTBAL.c.on_hand > LOTBAL.c.expired).label("stale_lots"))
        stmt = select(*columns).where(
            tuple_(BAL.c.product_id, BAL.c.location_id).in_(bindparam("keys", expanding=True))).order_by(BAL.c.id)
        if postgres:
            stmt = stmt.with_for_update(of=BAL)
        _LOCK_STATEMENTS[(postgres, check_lots)] = stmt
    return stmt


def lock_balances_checking_lots(session: Session, keys: Iterable[Key], *, lots_past: date | None = None,
                                create_missing: bool = True) -> tuple[dict[Key, Balance], bool]:
    """``lock_balances``; with ``lots_past`` the same statement also tells whether any of these balances
    holds stock of a lot whose expiry is before that date (not yet swept), so callers that must sweep
    first need no separate query in the usual case of nothing to sweep.

    The common case (every row exists) is one statement: the rows are locked first and created only when
    some are missing (then every row is locked again in primary-key order, still one consistent order).
    Without ``create_missing`` only the existing rows are locked and returned (a reader planning where
    stock is needs no empty rows for the places that have none).
    """
    wanted = sorted(set(keys))
    if not wanted:
        return {}, False
    stmt = _lock_statement(is_postgres(session), lots_past is not None)
    params: dict[str, Any] = {"keys": wanted}
    if lots_past is not None:
        params["lots_past"] = lots_past
    rows = session.execute(stmt, params).all()
    if len(rows) < len(wanted) and create_missing:
        ensure_balances(session, wanted)
        rows = session.execute(stmt, params).all()
    balances = {(r.product_id, r.location_id): Balance(
        id=r.id, product_id=r.product_id, location_id=r.location_id, on_hand=r.on_hand, reserved=r.reserved,
        expired=r.expired, in_transit=r.in_transit, on_order=r.on_order, value=r.value) for r in rows}
    return balances, lots_past is not None and any(r.stale_lots for r in rows)


# ---- posting movements -------------------------------------------------------------------------


def movement_row(actor: Actor, kind: str, product_id: int, location_id: int, quantity: Decimal, reference: str,
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


_APPLY_DELTAS = (
    update(BAL)
    .where(and_(BAL.c.product_id == bindparam("p"), BAL.c.location_id == bindparam("l")))
    .values(**{b: BAL.c[b] + bindparam(f"d_{b}") for b in BUCKETS}, updated_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
_INSERT_MOVEMENTS = insert(MOV)
_INSERT_MOVEMENTS_RETURNING = insert(MOV).returning(MOV.c.id, sort_by_parameter_order=True)


def post_movements(session: Session, actor: Actor, rows: list[dict[str, Any]], *, returning: bool = False) -> list[int]:
    """Insert movement rows and apply their summed deltas to balances and lot balances (caller holds the
    balance locks). Fires the stock-available hook for keys that gained stock."""
    if not rows:
        return []
    if not returning and _post_small_pg(session, rows):
        return []
    ids: list[int] = []
    if returning:
        ids = [r[0] for r in session.execute(_INSERT_MOVEMENTS_RETURNING, rows)]
    else:
        session.execute(_INSERT_MOVEMENTS, rows)
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
        session.execute(_APPLY_DELTAS, params)
    if lot_sums:
        stmt = dialect_insert(session, LOTBAL).on_conflict_do_nothing(index_elements=["lot_id", "location_id"])
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


SMALL_POST = 20  # movement rows up to which PostgreSQL gets the whole posting as one statement
_SMALL_POSTS: dict[tuple[Any, ...], str] = {}


def _post_small_pg(session: Session, rows: list[dict[str, Any]]) -> bool:
    """PostgreSQL, a few movement rows without lots (a single order's reservations): insert the rows and
    apply their summed deltas to the balances in ONE statement (a data-modifying ``WITH``), the same
    arithmetic as the general path (``bucket = bucket + delta``, under the caller's locks). Returns False
    when the general path must do it (other databases, lots, many rows, stock arriving)."""
    if (len(rows) > SMALL_POST or not is_postgres(session)
            or any(r["lot_id"] is not None or r["movement_type"] in STOCK_ARRIVING for r in rows)):
        return False
    sums: dict[Key, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BUCKETS, ZERO))
    for r in rows:
        s = sums[(r["product_id"], r["location_id"])]
        for bucket in BUCKETS:
            s[bucket] += r[f"{bucket}_delta"]
    deltas = [(key, s) for key, s in sums.items() if any(s.values())]
    columns = list(rows[0])
    shape = (len(rows), len(deltas), tuple(columns))
    sql = _SMALL_POSTS.get(shape)
    if sql is None:
        dialect = session.get_bind().dialect
        types = {c: MOV.c[c].type.compile(dialect=dialect) for c in columns}
        values = ", ".join("(" + ", ".join(f"%(m{i}_{c})s::{types[c]}" for c in columns) + ")"
                           for i in range(len(rows)))
        quoted = ", ".join(f'"{c}"' for c in columns)
        sql = f"INSERT INTO stock_movements ({quoted}) VALUES {values}"
        if deltas:
            changes = ", ".join(
                "(" + ", ".join([f"%(b{j}_p)s::BIGINT", f"%(b{j}_l)s::BIGINT"]
                                + [f"%(b{j}_{b})s::NUMERIC" for b in BUCKETS]) + ")" for j in range(len(deltas)))
            sql = (f"WITH moved AS ({sql}) UPDATE stock_balances SET "
                   + ", ".join(f'"{b}" = stock_balances."{b}" + d."{b}"' for b in BUCKETS)
                   + f", updated_at = %(now)s FROM (VALUES {changes}) AS d(p, l, {', '.join(BUCKETS)}) "
                   "WHERE stock_balances.product_id = d.p AND stock_balances.location_id = d.l")
        if len(_SMALL_POSTS) < 512:
            _SMALL_POSTS[shape] = sql
    params: dict[str, Any] = {f"m{i}_{c}": v for i, r in enumerate(rows) for c, v in r.items()}
    params["now"] = utcnow()
    for j, ((product_id, location_id), s) in enumerate(deltas):
        params.update({f"b{j}_p": product_id, f"b{j}_l": location_id, **{f"b{j}_{b}": v for b, v in s.items()}})
    session.connection().exec_driver_sql(sql, params)
    return True


def positive_quantity(name: str, quantity: Decimal) -> Decimal:
    try:
        quantity = Decimal(quantity)
    except Exception as exc:
        raise invalid(name, "must be a number") from exc
    if not quantity.is_finite() or quantity <= 0:
        raise invalid(name, "must be greater than 0")
    if quantity != quantity.quantize(Decimal("0.0001")):
        raise invalid(name, "at most 4 decimal places")
    return quantity


def as_utc(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise invalid("at", "must carry a time zone")
    return at.astimezone(UTC)


def valuation_method() -> str:
    """The configured cost formula: 'fifo' or 'moving_average' (``QUDAO_VALUATION_METHOD``)."""
    return get_settings().valuation_method
