"""A carrier retrying a webhook while the first delivery is still being written: real threads and commits
on a throwaway database (SQLite and PostgreSQL). The event is stored once; every other call is answered as
a duplicate or a 409 to retry, never a server error."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from qudao import migrate
from qudao.common.actor import SYSTEM, Actor, Role
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.errors import Conflict
from qudao.logistics import carriers, tracking
from qudao.logistics import service as logistics
from qudao.logistics.models import TrackingEvent
from qudao.logistics.schemas import CarrierEventIn, FreightIn, ServiceIn
from qudao.partners.models import Partner
from qudao.purchasing import service as purchasing
from qudao.purchasing.schemas import TransferCreate
from tests import factories

pytestmark = pytest.mark.concurrency
THREADS = 6


@pytest.fixture
def race_engine(backend: str, fresh_database_url: Callable[[str], str]) -> Iterator[Engine]:
    url = fresh_database_url(backend)
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_a_replayed_webhook_event_is_stored_once(race_engine: Engine) -> None:
    factory = make_session_factory(race_engine)
    with unit_of_work(factory) as session:
        carrier = factories.partner(session, code="RACE-CAR", roles=["logistics_provider"])
        factories.location(session, code="RACE-A")
        factories.location(session, code="RACE-B", kind="store")
        factories.product(session, sku="RACE-SKU")
        carriers.create_service(session, SYSTEM, ServiceIn(code="RACE-STD", carrier_code="RACE-CAR", name="Std",
                                                           level="standard", mode="road"))
        transfer = purchasing.create_transfer(session, SYSTEM, TransferCreate(
            from_location_code="RACE-A", to_location_code="RACE-B", lines=[{"sku": "RACE-SKU", "quantity": "1"}]))
        logistics.create_freight(session, SYSTEM, FreightIn(transfer_code=transfer.code, service_code="RACE-STD",
                                                            tracking_number="RACE-1"))
        carrier_id = carrier.id
    event = CarrierEventIn(tracking_number="RACE-1", event_id="race-event-1", status="picked_up",
                           occurred_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    actor = Actor(user_id=None, username="carrier-webhook:RACE-CAR", role=Role.warehouse)
    first_written = threading.Event()
    outcomes: list[str] = []
    lock = threading.Lock()

    def deliver(first: bool) -> None:
        # The first delivery writes the event and holds its transaction open a moment; the retries arrive
        # meanwhile (on PostgreSQL they do not see the uncommitted row and collide on the unique key).
        if not first:
            first_written.wait(timeout=30)
        try:
            with unit_of_work(factory) as session:
                found = session.get(Partner, carrier_id)
                assert found is not None
                result = tracking.add_carrier_events(session, actor, found, [event], "webhook")
                if first:
                    first_written.set()
                    time.sleep(0.5)
            outcome = "applied" if result.applied else "duplicate"
        except Conflict:
            outcome = "retry"
        except BaseException as exc:  # anything else is a failure of the rule under test
            outcome = f"error: {exc!r}"
        finally:
            first_written.set()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=deliver, args=(n == 0,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == THREADS and not [o for o in outcomes if o.startswith("error")], outcomes
    assert sorted(outcomes)[0] == "applied" and set(sorted(outcomes)[1:]) <= {"duplicate", "retry"}
    with unit_of_work(factory) as session:
        stored = session.scalar(select(func.count()).select_from(TrackingEvent)
                                .where(TrackingEvent.carrier_event_id == "race-event-1"))
    assert stored == 1
