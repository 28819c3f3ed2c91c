"""Loyalty programme rules, members (partners) with a balance row, the append-only points ledger, tier changes.

Points are whole numbers. The member row's ``balance`` is the sum of its ledger rows, kept in step in the same
transaction; it is also the row every debit updates conditionally (``balance >= :points``), so two
concurrent redemptions can never both spend the same points.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.db import Base, BigId, IdMixin, TimestampMixin, utcnow


class EntryKind:
    accrual = "accrual"  # points earned on an order
    redemption = "redemption"  # points spent (negative)
    expiry = "expiry"  # points lapsed, oldest first (negative)
    adjustment = "adjustment"  # a correction by staff (either sign)

    ALL = ("accrual", "redemption", "expiry", "adjustment")


class LoyaltyProgramme(IdMixin, TimestampMixin, Base):
    """Rules: points per currency unit spent, tiers by rolling 12-month points, expiry after N months."""

    __tablename__ = "loyalty_programmes"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    points_per_unit: Mapped[Decimal] = mapped_column(default=Decimal(1))
    expiry_months: Mapped[int] = mapped_column(Integer, default=24)
    # [{"code": "silver", "min_points": 1000}, ...] ascending; below the first threshold: base_tier.
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    base_tier: Mapped[str] = mapped_column(String(40), default="member")
    active: Mapped[bool] = mapped_column(default=True)


class LoyaltyMember(IdMixin, TimestampMixin, Base):
    """A partner enrolled in a programme; ``balance`` = sum of its ledger (the row debits lock)."""

    __tablename__ = "loyalty_members"
    __table_args__ = (UniqueConstraint("programme_id", "partner_id", name="uq_loyalty_members_programme_partner"),)

    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    balance: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    tier: Mapped[str] = mapped_column(String(40), default="member")
    joined_on: Mapped[date] = mapped_column(Date)


class LoyaltyEntry(IdMixin, Base):
    """One ledger row: never updated or deleted. Credits carry the date their points expire."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        UniqueConstraint("member_id", "order_id", "kind", name="uq_loyalty_entries_member_order_kind"),
        Index("ix_loyalty_entries_member_booked", "member_id", "booked_on"),
    )

    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    booked_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    amount: Mapped[Decimal | None] = mapped_column()  # the order amount an accrual was earned on
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoyaltyTierChange(IdMixin, Base):
    """A member moved from one tier to another, with the rolling points that decided it."""

    __tablename__ = "loyalty_tier_changes"

    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_members.id", ondelete="CASCADE"), index=True)
    from_tier: Mapped[str] = mapped_column(String(40))
    to_tier: Mapped[str] = mapped_column(String(40))
    rolling_points: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    changed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
