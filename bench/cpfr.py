"""Benchmark of CPFR on a scratch database (fixed seed): one partner submits a forecast for N series x 13
weeks, a daily forecast run of 91 days covers the same series; prints the time to submit (check + write +
consensus lines), to compare every line (statistical summed to the week, exceptions) and to read the
consensus plan, in lines per second.

    .venv/bin/python bench/cpfr.py                    # 1,000 series x 13 weeks = 13,000 lines, SQLite
    .venv/bin/python bench/cpfr.py --series 5000 --url postgresql://postgres@127.0.0.1:5432/bench_cpfr
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.cpfr.queries import comparison_frame, consensus_plan
from qudao.cpfr.schemas import PartnerForecastRowIn
from qudao.cpfr.service import submit_partner_forecast
from qudao.db import make_engine, make_session_factory, unit_of_work, utcnow
from qudao.forecasting.models import ForecastRun, ForecastValue

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import factories

WEEKS = 13


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--url", help="an empty database (default: a scratch SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'cpfr.db'}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    rng = random.Random(7)
    today = utcnow().date()
    monday = today + timedelta(days=7 - today.weekday())
    with unit_of_work(factory) as session:
        channel = factories.channel(session)
        partner = factories.partner(session)
        place = factories.location(session, kind="partner_warehouse", owner_partner_code=partner.code)
        category = factories.category(session)
        products = [factories.product(session, category_code=category.code) for _ in range(args.series)]
        run = ForecastRun(status="succeeded", grain="day", horizon=WEEKS * 7, scope={}, requested_by="bench")
        session.add(run)
        session.flush()
        values = [{"run_id": run.id, "product_id": p.id, "location_id": place.id, "channel_id": channel.id,
                   "ds": monday + timedelta(days=d), "forecast": 10.0, "lo_80": 5.0, "hi_80": 15.0, "lo_95": 2.0,
                   "hi_95": 18.0, "model": "bench"} for p in products for d in range(WEEKS * 7)]
        for i in range(0, len(values), 5000):
            session.execute(insert(ForecastValue), values[i:i + 5000])
        rows = [PartnerForecastRowIn(sku=p.sku, location_code=place.code, channel_code=channel.code,
                                     period_start=monday + timedelta(days=7 * w), quantity=str(rng.randint(40, 110)))
                for p in products for w in range(WEEKS)]
    lines = len(rows)
    with unit_of_work(factory) as session:
        started = time.perf_counter()
        submit_partner_forecast(session, SYSTEM, rows)
        submit_s = time.perf_counter() - started
    with unit_of_work(factory) as session:
        started = time.perf_counter()
        frame = comparison_frame(session, SYSTEM)
        compare_s = time.perf_counter() - started
        started = time.perf_counter()
        plan = consensus_plan(session, SYSTEM)
        plan_s = time.perf_counter() - started
    print(f"database: {url.split('://')[0]}; {args.series:,} series x {WEEKS} weeks = {lines:,} lines; "
          f"statistical 10/day from a {WEEKS * 7}-day run")
    print(f"submit (check, write version, consensus lines): {submit_s:.2f} s ({lines / submit_s:,.0f} lines/s)")
    print(f"comparison of every line: {compare_s:.2f} s ({lines / compare_s:,.0f} lines/s); "
          f"exceptions: {int(frame['exception'].sum()):,}")
    print(f"consensus_plan: {plan_s:.2f} s ({plan.height:,} rows)")


if __name__ == "__main__":
    main()
