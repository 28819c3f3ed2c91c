"""Tracking status rules and webhook signatures, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidTag

from qudao.logistics import secrets
from qudao.logistics.tracking import applies

T9, T10, T11 = (datetime(2026, 3, 2, h, tzinfo=UTC) for h in (9, 10, 11))


@pytest.mark.parametrize(("current", "last", "new", "at", "expected"), [
    ("pending", None, "picked_up", T9, True),
    ("picked_up", T9, "in_transit", T10, True),
    ("picked_up", T9, "delivered", T10, True),  # carriers skip scans: forward jumps are fine
    ("in_transit", T10, "picked_up", T11, False),  # a step back never regresses the status
    ("out_for_delivery", T10, "out_for_delivery", T11, False),
    ("in_transit", T10, "out_for_delivery", T9, True),  # late but forward: still progress
    ("in_transit", T10, "exception", T11, True),
    ("in_transit", T10, "exception", T9, False),  # an old exception is history, not news
    ("exception", T10, "in_transit", T11, True),  # moving again after the exception
    ("exception", T10, "in_transit", T9, False),
    ("delivered", T10, "exception", T11, False),  # delivered is final
])
def test_which_events_move_the_status(current: str, last: datetime | None, new: str, at: datetime,
                                      expected: bool) -> None:
    assert applies(current, last, new, at) is expected


def test_secrets_are_sealed_per_carrier_and_signatures_checked_in_full() -> None:
    sealed = secrets.encrypt("server-key-1", "s3cret", "SF")
    assert "s3cret" not in sealed and secrets.decrypt("server-key-1", sealed, "SF") == "s3cret"
    with pytest.raises(InvalidTag):
        secrets.decrypt("server-key-1", sealed, "ZTO")  # a row copied to another carrier does not open
    with pytest.raises(InvalidTag):
        secrets.decrypt("server-key-2", sealed, "SF")
    body = b'{"events": []}'
    good = secrets.signature("s3cret", body)
    assert len(good) == 64 and secrets.signature_matches("s3cret", body, f"sha256={good}")
    assert secrets.signature_matches("s3cret", body, good.upper())
    assert not secrets.signature_matches("s3cret", body + b" ", good)
    assert not secrets.signature_matches("other", body, good)
    assert not secrets.signature_matches("s3cret", body, good[:-1])
