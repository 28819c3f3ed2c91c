"""Logistics benchmark on a throwaway SQLite database: quote speed over many rate lanes, tracking-event
ingestion (batches through the same service the API and webhooks use), and a day's route plan built from
the database (load, engine, stored trips).

    .venv/bin/python bench/logistics.py                 # 2,000 events, 150 stops, 5 s search
    .venv/bin/python bench/logistics.py --events 10000 --stops 400 --seconds 10
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import factories

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.engines.logistics import rating
from qudao.logistics import routes, tracking
from qudao.logistics.models import FreightPackage, FreightShipment
from qudao.logistics.schemas import CarrierEventIn, RoutePlanIn, VehicleIn

PROVINCES = [f"P{n:02d}" for n in range(31)]


def bench_quotes(services: int, rounds: int) -> None:
    rng = random.Random(1)
    cards = []
    for s in range(services):
        lanes = tuple(rating.Lane(o, d, (rating.RateBreak(Decimal(0), Decimal(rng.randint(2, 6))),
                                         rating.RateBreak(Decimal(30), Decimal(rng.randint(1, 3)))),
                                  transit_days=rng.randint(1, 5)) for o in PROVINCES for d in PROVINCES)
        cards.append(rating.ServiceRates(f"S{s}", "C", lanes, min_charge=Decimal(15), fuel_surcharge_pct=Decimal(8)))
    start = time.perf_counter()
    for r in range(rounds):
        rating.rate(cards, rating.Consignment(PROVINCES[r % 31], PROVINCES[(r * 7) % 31], Decimal(r % 90 + 1),
                                              Decimal("0.05"), date(2026, 3, 2), date(2026, 3, 5)), "promised_date")
    took = time.perf_counter() - start
    print(f"quotes: {rounds} consignments x {services} services ({31 * 31} lanes each): "
          f"{took * 1000 / rounds:.2f} ms per quote")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--stops", type=int, default=150)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    bench_quotes(services=8, rounds=200)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        factory = make_session_factory(make_engine(url))
        with unit_of_work(factory) as session:
            carrier = factories.partner(session, code="B-CAR", roles=["logistics_provider"])
            dc = factories.location(session, code="B-DC", latitude=31.23, longitude=121.47)
            rng = random.Random(7)
            stores = [factories.location(session, kind="store", latitude=31.23 + rng.uniform(-0.3, 0.3),
                                         longitude=121.47 + rng.uniform(-0.3, 0.3)) for _ in range(args.stops)]
            for v in range(max(3, args.stops // 8)):  # about 8 stops of 20-120 kg per 800 kg van
                routes.create_vehicle(session, SYSTEM, VehicleIn(code=f"B-V{v}", depot_code="B-DC",
                                                                 capacity_weight_kg=Decimal(800),
                                                                 capacity_volume_m3=Decimal(8)))
            # Transfers are the cheapest way to make many freight records: one per store.
            from qudao.purchasing import service as purchasing
            from qudao.purchasing.schemas import TransferCreate

            product = factories.product(session, sku="B-SKU")
            freights = []
            for n, store in enumerate(stores):
                transfer = purchasing.create_transfer(session, SYSTEM, TransferCreate(
                    from_location_code="B-DC", to_location_code=store.code, lines=[{"sku": "B-SKU", "quantity": "5"}]))
                start_min = rng.choice([480, 540, 600, 720, 840])
                freights.append(FreightShipment(
                    transfer_id=transfer.id, origin_location_id=dc.id, destination_location_id=store.id,
                    carrier_id=carrier.id, tracking_number=f"B{n:06d}", delivery_date=date(2026, 3, 10),
                    window_start_min=start_min, window_end_min=start_min + 180, service_minutes=10, units=Decimal(5),
                    packages=[FreightPackage(weight_kg=Decimal(rng.randint(20, 120)), volume_m3=Decimal("0.3"))]))
            session.add_all(freights)
            session.flush()
            del product
        statuses = ["picked_up", "in_transit", "out_for_delivery"]
        base = datetime(2026, 3, 10, 1, tzinfo=UTC)
        events = [CarrierEventIn(tracking_number=f"B{n % args.stops:06d}", event_id=f"e{n}",
                                 status=statuses[(n // args.stops) % 3], occurred_at=base + timedelta(minutes=n))
                  for n in range(args.events)]
        start = time.perf_counter()
        with unit_of_work(factory) as session:
            carrier_row = session.get(type(carrier), carrier.id)
            for i in range(0, len(events), 1000):
                tracking.add_carrier_events(session, SYSTEM, carrier_row, events[i:i + 1000], "webhook")
        took = time.perf_counter() - start
        print(f"tracking: {args.events} events in batches of 1,000 over {args.stops} shipments: {took:.2f} s "
              f"({args.events / took:,.0f} events/s)")
        with unit_of_work(factory) as session:
            session.execute(FreightShipment.__table__.update().values(status="pending"))
            start = time.perf_counter()
            plan = routes.plan_routes(session, SYSTEM, RoutePlanIn(depot_code="B-DC", plan_date=date(2026, 3, 10),
                                                                   seconds=args.seconds))
            took = time.perf_counter() - start
            print(f"route plan: {plan.stops} stops, {len(plan.trips)} trips, {len(plan.unserved)} unserved, "
                  f"{plan.total_distance_km} km, feasible={plan.feasible}; {took:.2f} s in all "
                  f"({args.seconds:g} s search)")


if __name__ == "__main__":
    main()
