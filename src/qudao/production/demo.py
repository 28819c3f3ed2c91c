"""Production master data for the demo network: two lines at every plant, a routing for every product on
one line of each plant (family = its top category), a changeover matrix, gift-set bills of materials up to
three levels deep made of the network's own products, and a few open work orders.

Deterministic (nothing random beyond the product order), so the demo's planning run and production page
show the same thing on every load. Bulk statements on the production tables only.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qudao.catalog.models import Category, Product
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.locations.models import Location
from qudao.production.models import BomLine, Changeover, Resource, Routing, WorkOrder, WorkOrderStatus

LINES_PER_PLANT = 2
D = Decimal


def seed_demo_production(session: Session, actor: Actor) -> dict[str, int]:
    """Add the production master data to a freshly loaded demo network; returns counts per table."""
    plants = list(session.execute(select(Location.id, Location.code).where(Location.kind == "plant")
                                  .order_by(Location.code)))
    products = list(session.execute(
        select(Product.id, Product.sku, Category.path).outerjoin(Category, Category.id == Product.category_id)
        .where(Product.archived_at.is_(None)).order_by(Product.sku)))
    if not plants or not products:
        return {}
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    family = {pid: (path or "/GENERAL/").strip("/").split("/")[0] for pid, _, path in products}
    families = sorted(set(family.values()))
    session.execute(insert(Resource), [
        {"code": f"{code}-L{n}", "name": f"{code} line {n}", "location_id": pid, "hours_per_day": D(16),
         "efficiency": D("0.85"), "default_changeover_hours": D("1.5"), "weekdays_off": [6],
         "non_working_days": [], **stamps}
        for pid, code in plants for n in range(1, LINES_PER_PLANT + 1)])
    lines = {code: list(session.scalars(select(Resource.id).where(Resource.location_id == pid)
                                        .order_by(Resource.code))) for pid, code in plants}
    # A family keeps to one line per plant, so its changeovers stay few; run rates vary by product.
    line_of = {f: i % LINES_PER_PLANT for i, f in enumerate(families)}
    routings = [{"product_id": pid, "resource_id": lines[code][line_of[family[pid]]], "family": family[pid],
                 "setup_hours": D(1) + D(i % 3) / 2, "run_hours_per_unit": D("0.002") * (1 + i % 5),
                 "preference": 1 + p, **stamps}
                for i, (pid, _sku, _path) in enumerate(products) for p, (_plant, code) in enumerate(plants)]
    session.execute(insert(Routing), routings)
    changeovers = [{"resource_id": rid, "from_family": a, "to_family": b, "hours": D(3) if "FOOD" in b else D(1)}
                   for ids in lines.values() for rid in ids for a in families for b in families if a != b]
    if changeovers:
        session.execute(insert(Changeover), changeovers)
    # Gift sets: every tenth product is a kit of the two before it (2 + 1 units, 1 % scrap on the first),
    # and of the previous kit in groups of three, so the structures are up to three levels deep.
    ids = [pid for pid, _sku, _path in products]
    bom = []
    for i in range(9, len(ids), 10):
        bom.append({"parent_id": ids[i], "component_id": ids[i - 1], "quantity_per": D(2), "scrap_pct": D(1),
                    **stamps})
        bom.append({"parent_id": ids[i], "component_id": ids[i - 2], "quantity_per": D(1), "scrap_pct": D(0),
                    **stamps})
        if (i // 10) % 3:
            bom.append({"parent_id": ids[i], "component_id": ids[i - 10], "quantity_per": D(1),
                        "scrap_pct": D(0), **stamps})
    if bom:
        session.execute(insert(BomLine), bom)
    # A few open orders on the first plant's lines, so the schedule and load have something to show.
    today = now.date()
    first_plant_id, first_plant = plants[0]
    orders = [{"code": f"WO-DEMO-{i + 1:03d}", "product_id": pid, "location_id": first_plant_id,
               "resource_id": lines[first_plant][line_of[family[pid]]], "quantity": D(2000 + 500 * (i % 7)),
               "completed_quantity": D(0), "status": WorkOrderStatus.released if i < 4 else WorkOrderStatus.planned,
               "due_date": today + timedelta(days=2 + 2 * i), "rush": False, "note": "demo", **stamps}
              for i, (pid, _sku, _path) in enumerate(products[:: max(len(products) // 12, 1)][:12])]
    session.execute(insert(WorkOrder), orders)
    return {"production_resources": sum(len(v) for v in lines.values()), "routings": len(routings),
            "bom_lines": len(bom), "work_orders": len(orders)}
