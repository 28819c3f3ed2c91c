"""Pydantic shapes of the logistics API (input validated at the door, output from the ORM rows)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Level = Literal["express", "standard", "ltl", "ftl"]
Mode = Literal["road", "rail", "air", "sea"]
TrackingStatus = Literal["picked_up", "in_transit", "out_for_delivery", "delivered", "exception"]
Amount = Field(ge=0, max_digits=18, decimal_places=4)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- carriers and rates ------------------------------------------------------------------------------


class ServiceIn(Strict):
    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    carrier_code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    level: Level
    mode: Mode
    volume_divisor: Decimal = Field(default=Decimal(6000), gt=0, le=1_000_000, max_digits=18, decimal_places=4)
    transit_days: int = Field(default=1, ge=0, le=365)
    co2e_factor: Decimal | None = Field(default=None, ge=0, le=100, max_digits=18, decimal_places=6)


class ServiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    carrier_id: int
    name: str
    level: str
    mode: str
    volume_divisor: Decimal
    transit_days: int
    co2e_factor: Decimal | None
    active: bool


class CarrierOut(BaseModel):
    code: str
    name: str
    services: list[ServiceOut]
    webhook_secret_fingerprint: str | None


class BreakIn(Strict):
    min_quantity: Decimal = Amount
    unit_price: Decimal = Amount
    flat_charge: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=4)


class LaneIn(Strict):
    origin: str = Field(min_length=1, max_length=100)
    destination: str = Field(min_length=1, max_length=100)
    basis: Literal["kg", "m3"] = "kg"
    min_charge: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    transit_days: int | None = Field(default=None, ge=0, le=365)
    breaks: list[BreakIn] = Field(min_length=1, max_length=50)


class ZoneIn(Strict):
    zone: str = Field(min_length=1, max_length=40)
    provinces: list[str] = Field(min_length=1, max_length=100)


class RateCardIn(Strict):
    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    service_code: str = Field(min_length=1, max_length=40)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    min_charge: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=4)
    fuel_surcharge_pct: Decimal = Field(default=Decimal(0), ge=0, le=500, max_digits=18, decimal_places=4)
    valid_from: date
    valid_to: date | None = None
    zones: list[ZoneIn] = Field(default_factory=list, max_length=100)
    lanes: list[LaneIn] = Field(min_length=1, max_length=2000)


class RateCardActive(Strict):
    active: bool


class BreakOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    min_quantity: Decimal
    unit_price: Decimal
    flat_charge: Decimal


class LaneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    origin: str
    destination: str
    basis: str
    min_charge: Decimal | None
    transit_days: int | None
    breaks: list[BreakOut]


class ZoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    zone: str
    province: str


class RateCardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    service_id: int
    currency: str
    min_charge: Decimal
    fuel_surcharge_pct: Decimal
    valid_from: date
    valid_to: date | None
    active: bool
    zones: list[ZoneOut]
    lanes: list[LaneOut]


class QuoteIn(Strict):
    origin_province: str = Field(min_length=1, max_length=100)
    destination_province: str = Field(min_length=1, max_length=100)
    weight_kg: Decimal = Field(ge=0, le=10_000_000, max_digits=18, decimal_places=4)
    volume_m3: Decimal = Field(default=Decimal(0), ge=0, le=100_000, max_digits=18, decimal_places=4)
    ship_date: date | None = None
    promised_date: date | None = None
    choose_by: Literal["cheapest", "promised_date"] = "cheapest"


class QuoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    service_code: str
    carrier_code: str
    level: str
    mode: str
    currency: str
    actual_weight: Decimal
    volumetric_weight: Decimal
    chargeable_weight: Decimal
    basis: str
    billed_quantity: Decimal
    linehaul: Decimal
    minimum_applied: bool
    fuel_surcharge: Decimal
    total: Decimal
    transit_days: int
    eta: date
    on_time: bool | None
    lane: str


class Unrated(BaseModel):
    service_code: str
    reason: str


class QuoteResult(BaseModel):
    quotes: list[QuoteOut]
    chosen: QuoteOut | None
    rule: str
    unrated: list[Unrated]


class WebhookSecretOut(BaseModel):
    carrier_code: str
    secret: str = Field(description="Shown once: give it to the carrier; only its fingerprint is kept readable")
    fingerprint: str


# ---- freight shipments -------------------------------------------------------------------------------


class PackageIn(Strict):
    reference: str = Field(default="", max_length=60)
    weight_kg: Decimal = Field(ge=0, le=1_000_000, max_digits=18, decimal_places=4)
    volume_m3: Decimal = Field(default=Decimal(0), ge=0, le=10_000, max_digits=18, decimal_places=4)


class FreightIn(Strict):
    """Either ``shipment_id`` (a sales-order shipment) or ``transfer_code``."""

    shipment_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    transfer_code: str | None = Field(default=None, min_length=1, max_length=40)
    service_code: str | None = Field(default=None, min_length=1, max_length=40)
    choose_by: Literal["cheapest", "promised_date"] | None = None
    tracking_number: str | None = Field(default=None, min_length=1, max_length=100)
    packages: list[PackageIn] = Field(default_factory=list, max_length=500)
    delivery_date: date | None = None
    promised_date: date | None = None
    window_start_min: int | None = Field(default=None, ge=0, le=1440)
    window_end_min: int | None = Field(default=None, ge=0, le=1440)
    service_minutes: int = Field(default=10, ge=0, le=600)


class PackageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reference: str
    weight_kg: Decimal
    volume_m3: Decimal


class FreightOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_shipment_id: int | None
    order_id: int | None
    transfer_id: int | None
    origin_location_id: int
    destination_location_id: int
    carrier_id: int | None
    service_id: int | None
    tracking_number: str | None
    status: str
    last_event_at: datetime | None
    delivery_date: date | None
    promised_date: date | None
    eta: date | None
    delivered_at: datetime | None
    pod_signed_by: str
    pod_reference: str
    freight_cost: Decimal | None
    currency: str
    units: Decimal
    distance_km: Decimal | None
    co2e_kg: Decimal | None
    weight_kg: Decimal
    volume_m3: Decimal
    late_flagged: bool
    exception_flagged: bool
    packages: list[PackageOut]


# ---- tracking --------------------------------------------------------------------------------------


class TrackingEventIn(Strict):
    status: TrackingStatus
    occurred_at: datetime
    event_id: str | None = Field(default=None, min_length=1, max_length=100, description="The carrier's event id")
    place: str = Field(default="", max_length=200)
    message: str = Field(default="", max_length=500)
    signed_by: str = Field(default="", max_length=200, description="Proof of delivery: who signed")
    pod_reference: str = Field(default="", max_length=300, description="Proof of delivery: photo/document ref")
    eta: date | None = Field(default=None, description="The carrier's new delivery estimate, if it sends one")

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a timezone (e.g. 2026-11-25T09:30:00+08:00)")
        return value


class TrackingBatchIn(Strict):
    events: list[TrackingEventIn] = Field(min_length=1, max_length=1000)


class CarrierEventIn(TrackingEventIn):
    """An event as a carrier sends it: by tracking number."""

    tracking_number: str = Field(min_length=1, max_length=100)


class WebhookIn(Strict):
    events: list[CarrierEventIn] = Field(min_length=1, max_length=1000)


class TrackingEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    freight_shipment_id: int
    carrier_event_id: str | None
    status: str
    occurred_at: datetime
    received_at: datetime
    place: str
    message: str
    source: str
    applied: bool
    signed_by: str


class TrackingResult(BaseModel):
    received: int
    duplicates: int
    applied: int
    status: dict[int, str] = Field(description="freight shipment id -> status after the events")


# ---- vehicles, route plans -----------------------------------------------------------------------------


class VehicleIn(Strict):
    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    depot_code: str = Field(min_length=1, max_length=40)
    capacity_weight_kg: Decimal = Field(gt=0, le=1_000_000, max_digits=18, decimal_places=4)
    capacity_volume_m3: Decimal = Field(gt=0, le=10_000, max_digits=18, decimal_places=4)
    shift_start_min: int = Field(default=480, ge=0, le=1440)
    shift_end_min: int = Field(default=1080, ge=0, le=1440)
    max_duration_min: int | None = Field(default=None, ge=1, le=1440)
    speed_kmh: Decimal = Field(default=Decimal(40), gt=0, le=200, max_digits=18, decimal_places=4)
    cost_per_km: Decimal = Field(default=Decimal(3), ge=0, le=10_000, max_digits=18, decimal_places=4)
    fixed_cost: Decimal = Field(default=Decimal(0), ge=0, le=1_000_000, max_digits=18, decimal_places=4)


class VehicleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    depot_location_id: int
    capacity_weight_kg: Decimal
    capacity_volume_m3: Decimal
    shift_start_min: int
    shift_end_min: int
    max_duration_min: int | None
    speed_kmh: Decimal
    cost_per_km: Decimal
    fixed_cost: Decimal
    active: bool


class RoutePlanIn(Strict):
    depot_code: str = Field(min_length=1, max_length=40)
    plan_date: date
    seconds: float = Field(default=2.0, gt=0, le=120)


class TripStopOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    freight_shipment_id: int
    location_id: int
    arrival_min: int
    departure_min: int
    weight_kg: Decimal
    volume_m3: Decimal
    latitude: float | None
    longitude: float | None


class TripOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    route_plan_id: int
    vehicle_id: int
    start_min: int
    end_min: int
    distance_km: Decimal
    load_weight_kg: Decimal
    load_volume_m3: Decimal
    stops: list[TripStopOut]


class UnservedOut(BaseModel):
    freight_shipment_id: int
    code: str
    reason: str


class RoutePlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    depot_location_id: int
    plan_date: date
    feasible: bool
    stops: int
    total_distance_km: Decimal
    total_cost: Decimal
    unserved: list[UnservedOut]
    trips: list[TripOut]


# ---- freight cost and emissions ------------------------------------------------------------------------


class ChannelFreightOut(BaseModel):
    channel_code: str | None
    shipments: int
    units: Decimal
    weight_kg: Decimal
    freight_cost: Decimal
    cost_per_unit: Decimal | None
    co2e_kg: Decimal
