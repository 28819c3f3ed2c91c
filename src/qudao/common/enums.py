"""Closed vocabularies shared by models, schemas and pages (values are stored as strings)."""

from __future__ import annotations

from enum import StrEnum


class Lifecycle(StrEnum):
    new = "new"
    active = "active"
    phase_out = "phase_out"
    discontinued = "discontinued"


class PartnerRole(StrEnum):
    brand = "brand"
    supplier = "supplier"
    manufacturer = "manufacturer"
    distributor = "distributor"
    wholesaler = "wholesaler"
    retailer = "retailer"
    ecommerce_platform = "ecommerce_platform"
    logistics_provider = "logistics_provider"
    end_customer = "end_customer"


class PartnerStatus(StrEnum):
    prospect = "prospect"
    active = "active"
    on_hold = "on_hold"
    inactive = "inactive"


class ChannelKind(StrEnum):
    direct = "direct"
    distribution = "distribution"
    retail = "retail"
    ecommerce = "ecommerce"
    own_store = "own_store"
    hybrid = "hybrid"


class LocationKind(StrEnum):
    plant = "plant"
    distribution_centre = "distribution_centre"
    warehouse = "warehouse"
    partner_warehouse = "partner_warehouse"
    store = "store"
