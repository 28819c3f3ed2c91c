"""Portable column types: timestamps are always aware UTC, money is exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from qudao.db import Money, UTCDateTime, make_engine


def test_utc_datetime_round_trip_and_naive_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    meta = MetaData()
    table = Table("t", meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime()),
                  Column("amount", Money))
    meta.create_all(engine)
    shanghai = timezone(timedelta(hours=8))
    local = datetime(2026, 11, 11, 8, 0, tzinfo=shanghai)
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=local, amount=Decimal("0.10") + Decimal("0.20")))
        row = conn.execute(select(table.c.at, table.c.amount)).one()
    assert row.at == datetime(2026, 11, 11, 0, 0, tzinfo=UTC) and row.at.tzinfo is not None
    assert row.amount == Decimal("0.30")
    with engine.begin() as conn, pytest.raises(Exception, match="naive datetime"):
        conn.execute(insert(table).values(id=2, at=datetime(2026, 1, 1)))
    engine.dispose()
