"""Supplier scorecards, their weights, lead-time statistics, contract prices and receipt inspections.

For other areas (planning, the inventory policy) — take the caller's session, never commit:

* ``lead_time_stats(session, actor, ...) -> polars.DataFrame`` — per supplier x item: ``mean_days``,
  ``std_days`` (sample; null below two lines), ``n``, ``last_days``, ``last_sent_at``.
* ``qudao.suppliers.sourcing.sourcing_frame`` — approved suppliers per item with shares and lead times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, authorize_supplier, ensure_own, partner_filter
from qudao.catalog.models import Product
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.common.listing import ListParams, paginate
from qudao.db import utcnow
from qudao.engines import scorecard as engine
from qudao.errors import Conflict, NotFound, invalid
from qudao.partners.models import Partner
from qudao.purchasing.models import PurchaseOrder, PurchaseOrderLine
from qudao.suppliers import queries
from qudao.suppliers.models import ContractPrice, ReceiptInspection, Scorecard, ScoreWeight
from qudao.suppliers.queries import plain
from qudao.suppliers.schemas import ContractPriceIn, InspectionIn, RefreshIn, RefreshOut, WeightsIn

CURRENT = "current"
LEAD_TIME_HISTORY_DAYS = 730


def _roles(session: Session, actor: Actor) -> Any:
    return lambda: queries.partner_roles(session, actor.partner_id)


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


# ---- weights ---------------------------------------------------------------------------------------


def _weights(session: Session) -> dict[str, float]:
    stored = {metric: float(weight) for metric, weight in session.execute(select(ScoreWeight.metric,
                                                                                 ScoreWeight.weight))}
    return stored if set(stored) == set(engine.METRICS) else dict(engine.DEFAULT_WEIGHTS)


def get_weights(session: Session, actor: Actor) -> dict[str, float]:
    authorize(actor, "purchasing:read")
    return _weights(session)


def set_weights(session: Session, actor: Actor, data: WeightsIn) -> dict[str, float]:
    """Store new weights (each metric once, summing to 1); scorecards use them from the next refresh."""
    authorize(actor, "purchasing:write")
    weights = engine.validate_weights(data.model_dump())
    before = _weights(session)
    session.execute(delete(ScoreWeight))
    session.execute(insert(ScoreWeight), [{"metric": m, "weight": Decimal(str(w)), "updated_at": utcnow(),
                                           "updated_by": actor.username} for m, w in weights.items()])
    audit.record(session, actor, action="update", entity="supplier_score_weights", entity_id="weights",
                 before=before, after=weights)
    return weights


# ---- scorecards ------------------------------------------------------------------------------------


def _lines(session: Session, *, since: date, as_of: date, supplier_ids: list[int] | None = None,
           product_ids: list[int] | None = None) -> pl.DataFrame:
    start = datetime.combine(since, time.min, tzinfo=UTC)
    receipts = queries.receipt_frame(session, since=start, until=_day_end(as_of), supplier_ids=supplier_ids,
                                     product_ids=product_ids)
    priced = engine.attach_contract_prices(receipts, queries.contract_price_frame(session, supplier_ids))
    return engine.line_outcomes(priced, as_of)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value != value:  # None or NaN
        return None
    return Decimal(str(round(float(value), 4)))


SCORE_COLUMNS = {"otif_pct": "otif_pct", "rejection_pct": "rejection_pct",
                 "price_variance_pct": "price_variance_pct", "lead_time_mean_days": "lead_time_mean",
                 "lead_time_std_days": "lead_time_std", "response_hours": "response_hours_mean",
                 **{f"{m}_score": f"{m}_score" for m in engine.METRICS}, "score": "score"}


def _rows(frame: pl.DataFrame, as_of: date, computed_at: datetime) -> list[dict[str, Any]]:
    rows = []
    for card in frame.iter_rows(named=True):
        row = {"supplier_id": card["supplier_id"], "period": card.get("period", CURRENT), "as_of": as_of,
               "computed_at": computed_at, "lines": card["lines"], "lines_assessed": card["lines_assessed"],
               "grade": card["grade"], "tier": card["tier"]}
        row.update({column: _decimal(card[source]) for column, source in SCORE_COLUMNS.items()})
        rows.append(row)
    return rows


def refresh_scorecards(session: Session, actor: Actor, data: RefreshIn) -> RefreshOut:
    """Recompute every supplier's current scorecard (orders sent in the trailing ``months``) and its monthly
    trend for the same months, replacing the snapshots of those periods; older months are kept."""
    authorize(actor, "purchasing:write")
    as_of = data.as_of or utcnow().date()
    since = _month_start(as_of, data.months - 1)
    lines = _lines(session, since=since, as_of=as_of)
    options = engine.ScorecardOptions(weights=_weights(session))
    now = utcnow()
    rows: list[dict[str, Any]] = []
    current = trend = pl.DataFrame()
    if not lines.is_empty():
        current = engine.score(lines, ["supplier_id"], options)
        trend = engine.score(lines, ["supplier_id", "period"], options)
        rows = _rows(current, as_of, now) + _rows(trend, as_of, now)
    session.execute(delete(Scorecard).where((Scorecard.period == CURRENT) | (Scorecard.period >= f"{since:%Y-%m}")))
    if rows:
        session.execute(insert(Scorecard), rows)
    result = RefreshOut(as_of=as_of, suppliers=current.height, periods=trend.height)
    audit.record(session, actor, action="refresh", entity="supplier_scorecards", entity_id=as_of.isoformat(),
                 after=result.model_dump(mode="json") | {"months": data.months})
    return result


SCORECARD_SORTS = {"id": Scorecard.id, "score": Scorecard.score, "grade": Scorecard.grade, "tier": Scorecard.tier,
                   "otif_pct": Scorecard.otif_pct}


def list_scorecards(session: Session, actor: Actor, params: ListParams, *, grade: str | None = None,
                    tier: str | None = None) -> tuple[list[Scorecard], int]:
    """Current scorecards; a supplier's own user sees its own only."""
    authorize_supplier(actor, "purchasing:read", _roles(session, actor))
    filters = [Scorecard.period == CURRENT, partner_filter(actor, Scorecard.supplier_id)]
    if grade:
        filters.append(Scorecard.grade == grade)
    if tier:
        filters.append(Scorecard.tier == tier)
    search_codes = select(Partner.id).where(func.lower(Partner.code).like(f"%{(params.q or '').lower()}%"))
    if params.q:
        filters.append(Scorecard.supplier_id.in_(search_codes))
    return paginate(session, select(Scorecard), params.model_copy(update={"q": None}), sortable=SCORECARD_SORTS,
                    default_sort="-score", filters=filters)


def get_scorecard(session: Session, actor: Actor, code: str) -> tuple[Scorecard, list[Scorecard]]:
    """A supplier's current scorecard and its monthly trend (oldest first); another supplier's is 404."""
    authorize_supplier(actor, "purchasing:read", _roles(session, actor))
    supplier = crud.get_by(session, Partner, Partner.code, code, entity="supplier")
    ensure_own(actor, supplier.id, entity="supplier", key=code)
    cards = list(session.scalars(select(Scorecard).where(Scorecard.supplier_id == supplier.id)
                                 .order_by(Scorecard.period)))
    current = next((c for c in cards if c.period == CURRENT), None)
    if current is None:
        raise NotFound(detail=f"supplier {code} has no scorecard yet (no purchase orders scored; refresh first)")
    return current, [c for c in cards if c.period != CURRENT]


def my_scorecard(session: Session, actor: Actor) -> tuple[Scorecard, list[Scorecard]]:
    authorize_supplier(actor, "purchasing:read", _roles(session, actor))
    if not actor.is_partner:
        raise NotFound(detail="staff users have no own scorecard; open /supplier-scorecards/{code}")
    code = session.scalar(select(Partner.code).where(Partner.id == actor.partner_id))
    return get_scorecard(session, actor, str(code))


# ---- lead times ------------------------------------------------------------------------------------


def lead_time_stats(session: Session, actor: Actor, *, supplier_codes: list[str] | None = None,
                    skus: list[str] | None = None, as_of: date | None = None,
                    history_days: int = LEAD_TIME_HISTORY_DAYS) -> pl.DataFrame:
    """Measured lead times per supplier x item over orders sent in the last ``history_days``.

    Columns: supplier_id, supplier_code, product_id, sku, mean_days, std_days (null when n < 2), n,
    last_days (the most recently sent order's), last_sent_at. Days are calendar days from the day the
    order was sent to the day the line was received in full (or its last receipt when closed short)."""
    authorize(actor, "purchasing:read")
    as_of = as_of or utcnow().date()
    supplier_ids = None if supplier_codes is None else list(session.scalars(
        select(Partner.id).where(Partner.code.in_(supplier_codes))))
    product_ids = None if skus is None else list(session.scalars(select(Product.id).where(Product.sku.in_(skus))))
    lines = _lines(session, since=as_of - timedelta(days=history_days), as_of=as_of, supplier_ids=supplier_ids,
                   product_ids=product_ids)
    return engine.lead_time_stats(lines)


# ---- contract prices -------------------------------------------------------------------------------


def list_contract_prices(session: Session, actor: Actor, params: ListParams, *, supplier: str | None = None,
                         sku: str | None = None) -> tuple[list[ContractPrice], int]:
    authorize(actor, "purchasing:read")
    filters = []
    if supplier:
        filters.append(ContractPrice.supplier_id.in_(select(Partner.id).where(Partner.code == supplier)))
    if sku:
        filters.append(ContractPrice.product_id.in_(select(Product.id).where(Product.sku == sku)))
    return paginate(session, select(ContractPrice), params, sortable={"id": ContractPrice.id,
                                                                      "valid_from": ContractPrice.valid_from},
                    default_sort="-id", filters=filters)


def create_contract_price(session: Session, actor: Actor, data: ContractPriceIn) -> ContractPrice:
    """A price valid from a day; periods of one supplier x item may not overlap."""
    authorize(actor, "purchasing:write")
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise invalid("valid_to", "must be on or after valid_from")
    supplier_id = crud.resolve_ref(session, Partner, Partner.code, data.supplier_code, field="supplier_code")
    product_id = crud.resolve_ref(session, Product, Product.sku, data.sku, field="sku")
    far = date.max
    for other in session.scalars(select(ContractPrice).where(ContractPrice.supplier_id == supplier_id,
                                                            ContractPrice.product_id == product_id)):
        if other.valid_from <= (data.valid_to or far) and data.valid_from <= (other.valid_to or far):
            raise Conflict(detail=f"overlaps the contract price valid from {other.valid_from} "
                                  f"to {other.valid_to or 'open end'}")
    price = ContractPrice(supplier_id=supplier_id, product_id=product_id, price=data.price, currency=data.currency,
                          valid_from=data.valid_from, valid_to=data.valid_to)
    session.add(price)
    audit.record_create(session, actor, price)
    return price


def delete_contract_price(session: Session, actor: Actor, price_id: int) -> None:
    authorize(actor, "purchasing:write")
    price = crud.get_by(session, ContractPrice, ContractPrice.id, price_id, entity="contract price")
    audit.record(session, actor, action="delete", entity=ContractPrice.__tablename__, entity_id=price.id,
                 before={"supplier": price.supplier_code, "sku": price.sku, "price": str(price.price),
                         "valid_from": price.valid_from.isoformat()})
    session.delete(price)
    session.flush()


# ---- receipt inspections ---------------------------------------------------------------------------


def record_inspection(session: Session, actor: Actor, data: InspectionIn) -> ReceiptInspection:
    """Record what quality inspection found on a purchase line's receipts; rejections count against the
    supplier's quality. Inspected and rejected quantities stay within what the line has received."""
    authorize(actor, "purchasing:write")
    line = session.scalar(select(PurchaseOrderLine).join(PurchaseOrder)
                          .where(PurchaseOrder.code == data.order_code, PurchaseOrderLine.line_no == data.line_no))
    if line is None:
        raise invalid("line_no", f"purchase order {data.order_code} has no line {data.line_no}")
    if data.rejected_quantity > data.inspected_quantity:
        raise invalid("rejected_quantity", "cannot exceed inspected_quantity")
    done = session.execute(select(func.coalesce(func.sum(ReceiptInspection.inspected_quantity), 0),
                                  func.coalesce(func.sum(ReceiptInspection.rejected_quantity), 0))
                           .where(ReceiptInspection.po_line_id == line.id)).one()
    if Decimal(done[0]) + data.inspected_quantity > line.received_quantity:
        raise invalid("inspected_quantity", f"line {line.line_no} has received {plain(line.received_quantity)}"
                      f" and {plain(Decimal(done[0]))} are already inspected")
    row = ReceiptInspection(po_line_id=line.id, inspected_quantity=data.inspected_quantity,
                            rejected_quantity=data.rejected_quantity, reason=data.reason, inspected_at=utcnow(),
                            inspector=actor.username)
    session.add(row)
    audit.record_create(session, actor, row)
    return row


def list_inspections(session: Session, actor: Actor, params: ListParams, *,
                     order_code: str | None = None) -> tuple[list[ReceiptInspection], int]:
    authorize(actor, "purchasing:read")
    filters = []
    if order_code:
        filters.append(ReceiptInspection.po_line_id.in_(
            select(PurchaseOrderLine.id).join(PurchaseOrder).where(PurchaseOrder.code == order_code)))
    return paginate(session, select(ReceiptInspection), params, sortable={"id": ReceiptInspection.id},
                    default_sort="-id", filters=filters)
