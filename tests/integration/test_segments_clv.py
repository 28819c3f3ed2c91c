"""A segmentation run with CLV through the service (both databases): 400 customers drawn from a BG/NBD +
Gamma-Gamma history, bulk-inserted as orders; every customer gets a CLV and a churn risk, and the churn filter
returns exactly the customers at or above the threshold. Parameter recovery itself is the engine's test."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import func, insert, select

from qudao.common.actor import SYSTEM
from qudao.common.listing import ListParams
from qudao.engines.segmentation.simulate import simulate_bgnbd
from qudao.orders.models import SalesOrder, SalesOrderLine
from qudao.partners.models import Partner
from qudao.segments import service
from qudao.segments.queries import SegmentFilter, list_segments
from qudao.segments.schemas import SegmentationRunCreate
from tests import factories

AS_OF = date(2026, 6, 30)
N = 400


def test_clv_and_churn_stored_and_filterable(session) -> None:  # type: ignore[no-untyped-def]
    channel, product, ship_to = factories.channel(session), factories.product(session), factories.location(session)
    observed = np.random.default_rng(7).uniform(60, 600, N)
    history = simulate_bgnbd(observed, r=0.6, alpha=25, a=0.8, b=2.5, spend=(6, 4, 15), seed=11)
    prefix = factories.unique("CLV")
    session.execute(insert(Partner), [{"code": f"{prefix}-{i}", "name": f"C{i}"} for i in range(N)])
    ids = dict(session.execute(select(Partner.code, Partner.id).where(Partner.code.like(f"{prefix}-%"))).all())
    first = (session.scalar(select(func.coalesce(func.max(SalesOrder.id), 0))) or 0) + 1
    end = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12, tzinfo=UTC)
    orders, lines = [], []
    for k, (c, t, v) in enumerate(zip(history.purchase_customer, history.purchase_time, history.purchase_value,
                                      strict=True)):
        amount = Decimal(str(round(float(v), 2)))
        orders.append({"id": first + k, "channel_id": channel.id, "external_order_id": f"{prefix}-{k}",
                       "partner_id": ids[f"{prefix}-{c}"], "ship_to_location_id": ship_to.id, "status": "delivered",
                       "total_amount": amount, "created_at": end - timedelta(days=float(observed[c] - t))})
        lines.append({"order_id": first + k, "line_no": 1, "product_id": product.id, "quantity": Decimal(1),
                      "unit_price": amount})
    session.execute(insert(SalesOrder), orders)
    session.execute(insert(SalesOrderLine), lines)

    run = service.start_run(session, SYSTEM, SegmentationRunCreate(as_of=AS_OF, with_clv=True, churn_high=0.7))
    assert service.execute_run(lambda: nullcontext(session), SYSTEM, run.id) == "succeeded", run.error
    fit = service.get_run(session, SYSTEM, run.id).summary["clv_fit"]
    assert set(fit["bgnbd"]) == {"r", "alpha", "a", "b"} and fit["gamma_gamma"] is not None
    rows, total = list_segments(session, SYSTEM, SegmentFilter(run_id=run.id), ListParams(page_size=500))
    assert total == N and all(r["clv"] is not None and 0 <= r["churn_risk"] <= 1 for r in rows)
    at_risk = {r["partner_id"] for r in rows if r["churn_risk"] >= 0.7}
    assert all((r["churn_bucket"] == "high") == (r["partner_id"] in at_risk) for r in rows)
    filtered, count = list_segments(session, SYSTEM, SegmentFilter(run_id=run.id, churn_min=0.7),
                                    ListParams(page_size=500))
    assert {r["partner_id"] for r in filtered} == at_risk and count == len(at_risk) > 0
