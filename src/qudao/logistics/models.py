"""Tables of the logistics area.

A ``FreightShipment`` is the carrier-facing record of one movement: it points at the fulfilment record
of a sales order (``shipments`` in orders) or at a transfer (purchasing), and adds packages, carrier and
service, tracking number, ETA, proof of delivery, cost and emissions. Orders' tables are never written
here; delivery is confirmed through the orders fulfilment service.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qudao.db import Base, IdMixin, Money, Quantity, TimestampMixin, utcnow

SERVICE_LEVELS = ("express", "standard", "ltl", "ftl")
MODES = ("road", "rail", "air", "sea")
TRACKING_STATUSES = ("picked_up", "in_transit", "out_for_delivery", "delivered", "exception")


class CarrierService(IdMixin, TimestampMixin, Base):
    """A service a logistics provider sells (express, standard, LTL, FTL) on one transport mode."""

    __tablename__ = "carrier_services"

    carrier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))
    # Volumetric weight divisor in cm³ per kg (6000: IATA / express convention).
    volume_divisor: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(6000))
    transit_days: Mapped[int] = mapped_column(Integer, default=1)
    # kg CO2e per tonne-km replacing the mode's default factor (see engines.logistics.emissions).
    co2e_factor: Mapped[Decimal | None] = mapped_column(Quantity)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RateCard(IdMixin, TimestampMixin, Base):
    __tablename__ = "rate_cards"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("carrier_services.id", ondelete="CASCADE"), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    min_charge: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    fuel_surcharge_pct: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    zones: Mapped[list[RateZone]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                 order_by="RateZone.id")
    lanes: Mapped[list[RateLane]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                 order_by="RateLane.id")


class RateZone(IdMixin, Base):
    """The card's zone table: which zone a province belongs to."""

    __tablename__ = "rate_zones"
    __table_args__ = (UniqueConstraint("rate_card_id", "province", name="uq_rate_zones_card_province"),)

    rate_card_id: Mapped[int] = mapped_column(ForeignKey("rate_cards.id", ondelete="CASCADE"), index=True)
    zone: Mapped[str] = mapped_column(String(40))
    province: Mapped[str] = mapped_column(String(100))


class RateLane(IdMixin, Base):
    __tablename__ = "rate_lanes"

    rate_card_id: Mapped[int] = mapped_column(ForeignKey("rate_cards.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(100))  # province, zone or *
    destination: Mapped[str] = mapped_column(String(100))
    basis: Mapped[str] = mapped_column(String(4), default="kg")  # kg | m3
    min_charge: Mapped[Decimal | None] = mapped_column(Money)
    transit_days: Mapped[int | None] = mapped_column(Integer)

    breaks: Mapped[list[RateBreak]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                   order_by="RateBreak.min_quantity")


class RateBreak(IdMixin, Base):
    __tablename__ = "rate_breaks"
    __table_args__ = (CheckConstraint("min_quantity >= 0", name="min_not_negative"),)

    lane_id: Mapped[int] = mapped_column(ForeignKey("rate_lanes.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    flat_charge: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class CarrierWebhookSecret(IdMixin, TimestampMixin, Base):
    """The carrier's webhook signing secret, encrypted with a key derived from the server secret;
    ``fingerprint`` (first hex digits of its SHA-256) lets staff recognise it without seeing it."""

    __tablename__ = "carrier_webhook_secrets"

    carrier_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), unique=True)
    ciphertext: Mapped[str] = mapped_column(String(400))
    fingerprint: Mapped[str] = mapped_column(String(16))


class FreightShipment(IdMixin, TimestampMixin, Base):
    __tablename__ = "freight_shipments"
    __table_args__ = (
        CheckConstraint("(order_shipment_id IS NULL) <> (transfer_id IS NULL)", name="one_source"),
        UniqueConstraint("carrier_id", "tracking_number", name="uq_freight_shipments_carrier_tracking"),
    )

    order_shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"),
                                                          unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"), unique=True)
    origin_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    destination_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("carrier_services.id"))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    # pending -> picked_up -> in_transit -> out_for_delivery -> delivered; exception at any point.
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    last_event_at: Mapped[datetime | None] = mapped_column()
    delivery_date: Mapped[date | None] = mapped_column(Date, index=True)  # planned day (route plans)
    promised_date: Mapped[date | None] = mapped_column(Date)
    eta: Mapped[date | None] = mapped_column(Date)
    window_start_min: Mapped[int | None] = mapped_column(Integer)  # delivery window, minutes after midnight
    window_end_min: Mapped[int | None] = mapped_column(Integer)
    service_minutes: Mapped[int] = mapped_column(Integer, default=10)
    delivered_at: Mapped[datetime | None] = mapped_column()
    pod_signed_by: Mapped[str] = mapped_column(String(200), default="")
    pod_reference: Mapped[str] = mapped_column(String(300), default="")
    freight_cost: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    units: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    distance_km: Mapped[Decimal | None] = mapped_column(Quantity)
    co2e_kg: Mapped[Decimal | None] = mapped_column(Quantity)
    late_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    exception_flagged: Mapped[bool] = mapped_column(Boolean, default=False)

    packages: Mapped[list[FreightPackage]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                          order_by="FreightPackage.id")

    @property
    def weight_kg(self) -> Decimal:
        return sum((p.weight_kg for p in self.packages), Decimal(0))

    @property
    def volume_m3(self) -> Decimal:
        return sum((p.volume_m3 for p in self.packages), Decimal(0))


class FreightPackage(IdMixin, Base):
    __tablename__ = "freight_packages"
    __table_args__ = (CheckConstraint("weight_kg >= 0 AND volume_m3 >= 0", name="sizes_not_negative"),)

    freight_shipment_id: Mapped[int] = mapped_column(ForeignKey("freight_shipments.id", ondelete="CASCADE"),
                                                     index=True)
    reference: Mapped[str] = mapped_column(String(60), default="")
    weight_kg: Mapped[Decimal] = mapped_column(Quantity)
    volume_m3: Mapped[Decimal] = mapped_column(Quantity)


class TrackingEvent(IdMixin, Base):
    """Every event received is kept, in or out of order; ``applied`` says whether it moved the status."""

    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("carrier_id", "carrier_event_id", name="uq_tracking_events_carrier_event"),)

    freight_shipment_id: Mapped[int] = mapped_column(ForeignKey("freight_shipments.id", ondelete="CASCADE"),
                                                     index=True)
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    carrier_event_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    place: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(10), default="api")  # api | webhook | csv
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_by: Mapped[str] = mapped_column(String(200), default="")


class Vehicle(IdMixin, TimestampMixin, Base):
    __tablename__ = "vehicles"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    depot_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    capacity_weight_kg: Mapped[Decimal] = mapped_column(Quantity)
    capacity_volume_m3: Mapped[Decimal] = mapped_column(Quantity)
    shift_start_min: Mapped[int] = mapped_column(Integer, default=8 * 60)
    shift_end_min: Mapped[int] = mapped_column(Integer, default=18 * 60)
    max_duration_min: Mapped[int | None] = mapped_column(Integer)
    speed_kmh: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(40))
    cost_per_km: Mapped[Decimal] = mapped_column(Money, default=Decimal(3))
    fixed_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoutePlan(IdMixin, TimestampMixin, Base):
    __tablename__ = "route_plans"

    depot_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    plan_date: Mapped[date] = mapped_column(Date, index=True)
    feasible: Mapped[bool] = mapped_column(Boolean, default=True)
    stops: Mapped[int] = mapped_column(Integer, default=0)
    total_distance_km: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    total_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # [{"freight_shipment_id", "code", "reason"}]: stops the plan leaves out, and why.
    unserved: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    seconds: Mapped[float] = mapped_column(default=0.0)

    trips: Mapped[list[Trip]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="Trip.id")


class Trip(IdMixin, Base):
    __tablename__ = "trips"

    route_plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    start_min: Mapped[int] = mapped_column(Integer)
    end_min: Mapped[int] = mapped_column(Integer)
    distance_km: Mapped[Decimal] = mapped_column(Quantity)
    load_weight_kg: Mapped[Decimal] = mapped_column(Quantity)
    load_volume_m3: Mapped[Decimal] = mapped_column(Quantity)

    stops: Mapped[list[TripStop]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                 order_by="TripStop.sequence")


class TripStop(IdMixin, Base):
    __tablename__ = "trip_stops"
    __table_args__ = (UniqueConstraint("trip_id", "sequence", name="uq_trip_stops_trip_sequence"),)

    trip_id: Mapped[int] = mapped_column(ForeignKey("trips.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    freight_shipment_id: Mapped[int] = mapped_column(ForeignKey("freight_shipments.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    arrival_min: Mapped[int] = mapped_column(Integer)
    departure_min: Mapped[int] = mapped_column(Integer)
    weight_kg: Mapped[Decimal] = mapped_column(Quantity)
    volume_m3: Mapped[Decimal] = mapped_column(Quantity)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
