"""Concurrency proof: redemptions racing from real threads with real commits never take a balance below zero
(SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from qudao.audit.models import AuditRecord
from qudao.common.actor import SYSTEM
from qudao.db import make_session_factory, unit_of_work
from qudao.errors import Conflict
from qudao.loyalty import ledger, service
from qudao.loyalty.models import LoyaltyEntry, LoyaltyMember, LoyaltyProgramme, LoyaltyTierChange
from qudao.loyalty.schemas import AdjustmentIn, MemberCreate, ProgrammeCreate, RedemptionIn
from qudao.partners.models import Partner
from tests import factories

pytestmark = pytest.mark.concurrency
THREADS = 8
ATTEMPTS = 4


@pytest.fixture
def committed_member(engine: Engine) -> Iterator[int]:
    """A member holding 100 points, committed; everything it made is removed afterwards."""
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        partner = factories.partner(s, roles=["end_customer"])
        programme = service.create_programme(s, SYSTEM, ProgrammeCreate(code=factories.unique("LPC"), name="Race"))
        member = service.enroll_member(s, SYSTEM, MemberCreate(programme=programme.code, partner=partner.code))
        service.adjust_points(s, SYSTEM, member.id, AdjustmentIn(points=100, reason="opening"))
        ids = (partner.id, programme.id, member.id)
    yield ids[2]
    with unit_of_work(factory) as s:
        entry_ids = [str(i) for i in s.scalars(select(LoyaltyEntry.id).where(LoyaltyEntry.member_id == ids[2]))]
        s.execute(delete(LoyaltyEntry).where(LoyaltyEntry.member_id == ids[2]))
        s.execute(delete(LoyaltyTierChange).where(LoyaltyTierChange.member_id == ids[2]))
        s.execute(delete(LoyaltyMember).where(LoyaltyMember.id == ids[2]))
        s.execute(delete(LoyaltyProgramme).where(LoyaltyProgramme.id == ids[1]))
        s.execute(delete(Partner).where(Partner.id == ids[0]))
        s.execute(delete(AuditRecord).where(
            ((AuditRecord.entity == "loyalty_entries") & AuditRecord.entity_id.in_(entry_ids))
            | ((AuditRecord.entity == "loyalty_members") & (AuditRecord.entity_id == str(ids[2])))
            | ((AuditRecord.entity == "loyalty_programmes") & (AuditRecord.entity_id == str(ids[1])))
            | ((AuditRecord.entity == "partners") & (AuditRecord.entity_id == str(ids[0])))))


def test_concurrent_redemptions_never_overdraw(engine: Engine, committed_member: int) -> None:
    factory = make_session_factory(engine)
    barrier = threading.Barrier(THREADS)
    granted: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(ATTEMPTS):
                try:
                    with unit_of_work(factory) as s:
                        service.redeem_points(s, SYSTEM, committed_member, RedemptionIn(points=7))
                    with lock:
                        granted.append(7)
                except Conflict:
                    with lock:
                        refused.append(7)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    # 32 attempts of 7 points against 100: exactly 14 succeed (98 points), 18 are refused, 2 points remain
    assert (len(granted), len(refused)) == (14, 18)
    with unit_of_work(factory) as s:
        member = s.get(LoyaltyMember, committed_member)
        assert member is not None
        assert member.balance == 2 == ledger.ledger_sum(s, committed_member)
