"""Benchmark of the CRM escalation job on a scratch database (fixed seed): N active tickets of mixed
priorities opened over the last 10 days, a quarter of them with a pause; prints the time of one
``escalate_breached`` pass (the cron job ``qudao crm escalate``) and of a second pass that finds nothing new.

    .venv/bin/python bench/crm_escalation.py                  # 20,000 tickets, SQLite
    .venv/bin/python bench/crm_escalation.py --tickets 50000 --url postgresql://postgres@127.0.0.1:5432/bench_crm
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import factories

from qudao import migrate
from qudao.common.actor import SYSTEM
from qudao.crm import service as tickets
from qudao.crm.models import Ticket, TicketPause
from qudao.crm.sla import PRIORITIES
from qudao.db import make_engine, make_session_factory, unit_of_work, utcnow


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'crm.db'}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    rng = random.Random(7)
    now = utcnow()
    with unit_of_work(factory) as session:
        customer = factories.partner(session)
        first_id = (session.scalar(select(func.max(Ticket.id))) or 0) + 1
        rows = [{"partner_id": customer.id, "subject": f"bench {i}", "description": "", "category": "other",
                 "priority": rng.choice(PRIORITIES), "status": "open", "escalation_level": 0, "csat_comment": "",
                 "opened_at": now - timedelta(minutes=rng.randint(0, 14_400)), "created_at": now, "updated_at": now}
                for i in range(args.tickets)]
        session.execute(insert(Ticket), rows)
        pauses = [{"ticket_id": first_id + i, "started_at": rows[i]["opened_at"] + timedelta(minutes=30),
                   "ended_at": rows[i]["opened_at"] + timedelta(minutes=90)}
                  for i in range(0, args.tickets, 4) if rows[i]["opened_at"] + timedelta(minutes=90) < now]
        session.execute(insert(TicketPause), pauses)
    for label in ("first pass", "second pass"):
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            checked, escalated = tickets.escalate_breached(session, SYSTEM, now=now)
        seconds = time.perf_counter() - started
        print(f"{label}: {checked} active tickets checked, {len(escalated)} escalated in {seconds:.2f} s "
              f"({checked / seconds:,.0f} tickets/s)")


if __name__ == "__main__":
    main()
