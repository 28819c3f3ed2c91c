"""Minimum advertised prices per SKU x channel and partner territories (the rules conflicts are judged by)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.db import Base, IdMixin, TimestampMixin


class MapPrice(IdMixin, TimestampMixin, Base):
    """The lowest price a channel may sell a SKU at from ``effective_from`` to ``effective_to`` (inclusive;
    null: open-ended). A later row for the same SKU x channel supersedes an earlier open one."""

    __tablename__ = "map_prices"
    __table_args__ = (
        UniqueConstraint("product_id", "channel_id", "effective_from", name="uq_map_prices_product_channel_from"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    min_price: Mapped[Decimal] = mapped_column()
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)


class Territory(IdMixin, TimestampMixin, Base):
    """One province assigned to a partner; a partner's territory is the set of its rows."""

    __tablename__ = "partner_territories"
    __table_args__ = (UniqueConstraint("partner_id", "province", name="uq_partner_territories_partner_province"),)

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    province: Mapped[str] = mapped_column(String(100))
