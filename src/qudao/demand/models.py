"""Demand history: daily sell-through facts and the calendar of retail events that shape them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qudao.db import Base, IdMixin, Quantity, TimestampMixin, utcnow


class SellThrough(IdMixin, Base):
    """One day of sales to end customers for a SKU at a distribution point.

    Grain: SKU x distribution point (brand DC, distributor warehouse, e-commerce warehouse) x day, not
    SKU x store, so that the large demo set stays loadable. Days without sales and without a stockout
    are not stored: an absent row means zero observed demand.
    """

    __tablename__ = "sell_through"
    __table_args__ = (Index("ix_sell_through_product_location_day", "product_id", "location_id", "day"),)

    day: Mapped[date] = mapped_column(Date)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    # One composite index only: every extra index on this table slows the bulk loads.
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    revenue: Mapped[Decimal] = mapped_column()
    on_promotion: Mapped[bool] = mapped_column(Boolean, default=False)
    stockout: Mapped[bool] = mapped_column(Boolean, default=False)


class RetailEvent(IdMixin, Base):
    """A dated event that moves demand: Spring Festival, 618, Double 11, or a brand promotion.

    ``channel_id`` is null when the event applies to every channel.
    """

    __tablename__ = "retail_events"
    __table_args__ = (Index("ix_retail_events_starts_on", "starts_on"),)

    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # spring_festival | 618 | double_11 | promotion
    kind: Mapped[str] = mapped_column(String(30), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # The day demand peaks (the festival or shopping day itself); run-up days lie between starts_on and it.
    peak_on: Mapped[date | None] = mapped_column(Date)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), index=True)
    # Discount depth of a promotion, in percent of the list price (null for holidays and festivals).
    depth_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))


class NewProductProfile(IdMixin, TimestampMixin, Base):
    """How a product without history is forecast: from an analogue SKU's launch curve or its category's.

    ``scale`` multiplies the analogue's (or the category's average per-SKU) demand; ``launch_on`` is the
    first day of sale (age 0), unknown until set.
    """

    __tablename__ = "new_product_profiles"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), unique=True)
    method: Mapped[str] = mapped_column(String(20))  # analogue | category
    analogue_product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    scale: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal(1))
    launch_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")


class EventUplift(IdMixin, Base):
    """The last learnt uplift of an event kind (``qudao.engines.forecast.events.learn_uplift``), kept so
    pages and forecast runs need not re-read two years of daily history. ``channel_id`` null: all channels."""

    __tablename__ = "event_uplifts"
    __table_args__ = (Index("ix_event_uplifts_channel_kind", "channel_id", "kind"),)

    kind: Mapped[str] = mapped_column(String(30))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    uplift: Mapped[float] = mapped_column(Float)
    observations: Mapped[int] = mapped_column(Integer)
    event_days: Mapped[int] = mapped_column(Integer)
    event_demand: Mapped[float] = mapped_column(Float)
    baseline_demand: Mapped[float] = mapped_column(Float)
    history_start: Mapped[date | None] = mapped_column(Date)
    history_end: Mapped[date | None] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
