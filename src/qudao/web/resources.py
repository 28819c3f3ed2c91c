"""What each master-data page shows: list columns, filters, form fields and the service calls behind them.

Pages only call these area services; every rule (partner scoping, who may change what) stays there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from qudao.catalog import schemas as catalog_schemas
from qudao.catalog import service as catalog
from qudao.channels import schemas as channel_schemas
from qudao.channels import service as channels
from qudao.common.enums import ChannelKind, LocationKind, PartnerRole, PartnerStatus
from qudao.common.enums import Lifecycle as LifecycleEnum
from qudao.locations import schemas as location_schemas
from qudao.locations import service as locations
from qudao.partners import schemas as partner_schemas
from qudao.partners import service as partners
from qudao.web.forms import FormField

Refs = dict[str, dict[int, str]]


def _values(enum: Any) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _ref(attr: str, ref: str) -> Callable[[Any, Refs], str | None]:
    """The code of a referenced row (id -> code from the reference lists loaded for the page)."""

    def get(obj: Any, refs: Refs) -> str | None:
        ref_id = getattr(obj, attr)
        return None if ref_id is None else refs.get(ref, {}).get(ref_id, f"#{ref_id}")

    return get


@dataclass(frozen=True)
class Column:
    label: str  # catalogue key
    attr: str  # attribute shown; "name" shows the name in the page language
    sort: str | None = None  # sort key understood by the service
    sort_en: str | None = None  # sort key in the English UI when it differs (name_en vs name_zh)
    prefix: str = ""  # catalogue prefix for enum values
    value: Callable[[Any, Refs], Any] | None = None
    numeric: bool = False


@dataclass(frozen=True)
class Filter:
    name: str  # query parameter passed to the service's list function
    label: str
    choices: tuple[str, ...] | str  # enum values, or the name of a reference list
    prefix: str = ""


@dataclass(frozen=True)
class Resource:
    name: str  # URL segment and nav key
    key: str  # identifying attribute in URLs (sku / code)
    area: str  # permission prefix: "<area>:read" / "<area>:write"
    entity: str  # table name, as written in the audit trail
    columns: tuple[Column, ...]
    fields: tuple[FormField, ...]
    list_rows: Callable[..., tuple[list[Any], int]]
    get: Callable[..., Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    archive: Callable[..., Any]
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    filters: tuple[Filter, ...] = ()
    refs: tuple[str, ...] = ()  # reference lists the pages need (for selects and id -> code)
    detail_extra: tuple[str, ...] = ("created_at", "updated_at", "archived_at")
    partner_editable: frozenset[str] | None = None  # fields a partner user may edit (the service's own list)
    staff_creates: bool = False  # only staff create or archive these (the service enforces it)
    detail_include: str | None = None


def _name_fields_zh_en() -> tuple[FormField, FormField]:
    return FormField("name_zh", required=True), FormField("name_en", required=True)


PRODUCTS = Resource(
    name="products", key="sku", area="catalog", entity="products",
    columns=(
        Column("field.sku", "sku", sort="sku"),
        Column("field.name", "name", sort="name_zh", sort_en="name_en"),
        Column("field.category_code", "category_code"),
        Column("field.brand", "brand", sort="brand"),
        Column("field.list_price", "list_price", sort="list_price", numeric=True),
        Column("field.lifecycle", "lifecycle", sort="lifecycle", prefix="lifecycle."),
    ),
    fields=(
        FormField("sku", required=True, create_only=True),
        *_name_fields_zh_en(),
        FormField("category_code", kind="select", choices="categories"),
        FormField("brand", empty=""),
        FormField("barcode"),
        FormField("uom"),
        FormField("pack_size", kind="number"),
        FormField("allows_fractional", kind="checkbox"),
        FormField("list_price", kind="number"),
        FormField("standard_cost", kind="number"),
        FormField("currency"),
        FormField("weight_kg", kind="number"),
        FormField("volume_m3", kind="number"),
        FormField("shelf_life_days", kind="number", step="1"),
        FormField("lifecycle", kind="select", choices=_values(LifecycleEnum), choice_prefix="lifecycle."),
        FormField("successor_sku"),
        FormField("substitute_skus", kind="list"),
    ),
    filters=(
        Filter("lifecycle", "field.lifecycle", _values(LifecycleEnum), "lifecycle."),
        Filter("category", "field.category_code", "categories"),
    ),
    refs=("categories",),
    list_rows=catalog.list_products, get=catalog.get_product, create=catalog.create_product,
    update=catalog.update_product, archive=catalog.archive_product,
    create_schema=catalog_schemas.ProductCreate, update_schema=catalog_schemas.ProductUpdate,
)

CATEGORIES = Resource(
    name="categories", key="code", area="catalog", entity="categories",
    columns=(
        Column("field.code", "code", sort="code"),
        Column("field.name", "name"),
        Column("field.path", "path", sort="path"),
    ),
    fields=(
        FormField("code", required=True, create_only=True),
        *_name_fields_zh_en(),
        FormField("parent_code", kind="select", choices="categories", value=_ref("parent_id", "categories")),
    ),
    refs=("categories",),
    detail_extra=("path", "created_at", "updated_at", "archived_at"),
    list_rows=catalog.list_categories, get=catalog.get_category, create=catalog.create_category,
    update=catalog.update_category, archive=catalog.archive_category,
    create_schema=catalog_schemas.CategoryIn, update_schema=catalog_schemas.CategoryUpdate,
)

PARTNERS = Resource(
    name="partners", key="code", area="partners", entity="partners",
    columns=(
        Column("field.code", "code", sort="code"),
        Column("field.name", "name", sort="name"),
        Column("field.roles", "roles", prefix="partner_role."),
        Column("field.region", "region", sort="region"),
        Column("field.tier", "tier", sort="tier"),
        Column("field.status", "status", prefix="partner_status."),
    ),
    fields=(
        FormField("code", required=True, create_only=True),
        FormField("name", required=True),
        FormField("name_en", empty=""),
        FormField("roles", kind="checks", choices=_values(PartnerRole), choice_prefix="partner_role.",
                  required=True),
        FormField("parent_code", kind="select", choices="partners", value=_ref("parent_id", "partners")),
        FormField("channel_code", kind="select", choices="channels", value=_ref("channel_id", "channels")),
        FormField("region", empty=""),
        FormField("territory", empty=""),
        FormField("tier"),
        FormField("credit_limit", kind="number"),
        FormField("payment_terms_days", kind="number", step="1"),
        FormField("currency"),
        FormField("tax_id"),
        FormField("status", kind="select", choices=_values(PartnerStatus), choice_prefix="partner_status."),
    ),
    filters=(
        Filter("role", "field.roles", _values(PartnerRole), "partner_role."),
        Filter("status", "field.status", _values(PartnerStatus), "partner_status."),
    ),
    refs=("partners", "channels"),
    partner_editable=frozenset(partners.PARTNER_SELF_SERVICE_FIELDS),
    staff_creates=True,
    detail_include="md/_contacts.html",
    list_rows=partners.list_partners, get=partners.get_partner, create=partners.create_partner,
    update=partners.update_partner, archive=partners.archive_partner,
    create_schema=partner_schemas.PartnerCreate, update_schema=partner_schemas.PartnerUpdate,
)

CHANNELS = Resource(
    name="channels", key="code", area="channels", entity="channels",
    columns=(
        Column("field.code", "code", sort="code"),
        Column("field.name", "name", sort_en="name_en"),
        Column("field.kind", "kind", sort="kind", prefix="channel_kind."),
        Column("field.parent_code", "parent_id", value=_ref("parent_id", "channels")),
    ),
    fields=(
        FormField("code", required=True, create_only=True),
        *_name_fields_zh_en(),
        FormField("kind", kind="select", choices=_values(ChannelKind), choice_prefix="channel_kind.",
                  required=True),
        FormField("parent_code", kind="select", choices="channels", value=_ref("parent_id", "channels")),
    ),
    filters=(Filter("kind", "field.kind", _values(ChannelKind), "channel_kind."),),
    refs=("channels",),
    detail_extra=("created_at", "archived_at"),
    list_rows=channels.list_channels, get=channels.get_channel, create=channels.create_channel,
    update=channels.update_channel, archive=channels.archive_channel,
    create_schema=channel_schemas.ChannelCreate, update_schema=channel_schemas.ChannelUpdate,
)

LOCATIONS = Resource(
    name="locations", key="code", area="locations", entity="locations",
    columns=(
        Column("field.code", "code", sort="code"),
        Column("field.name", "name", sort="name"),
        Column("field.kind", "kind", sort="kind", prefix="location_kind."),
        Column("field.city", "city", sort="city"),
        Column("field.owner_partner_code", "owner_partner_id", value=_ref("owner_partner_id", "partners")),
        Column("field.priority", "priority", sort="priority", numeric=True),
    ),
    fields=(
        FormField("code", required=True, create_only=True),
        FormField("name", required=True),
        FormField("kind", kind="select", choices=_values(LocationKind), choice_prefix="location_kind.",
                  required=True),
        FormField("owner_partner_code", kind="select", choices="partners", staff_only=True,
                  value=_ref("owner_partner_id", "partners")),
        FormField("channel_code", kind="select", choices="channels", value=_ref("channel_id", "channels")),
        FormField("address", empty=""),
        FormField("city", empty=""),
        FormField("province", empty=""),
        FormField("country"),
        FormField("latitude", kind="number"),
        FormField("longitude", kind="number"),
        FormField("priority", kind="number", step="1"),
    ),
    filters=(Filter("kind", "field.kind", _values(LocationKind), "location_kind."),),
    refs=("partners", "channels"),
    list_rows=locations.list_locations, get=locations.get_location, create=locations.create_location,
    update=locations.update_location, archive=locations.archive_location,
    create_schema=location_schemas.LocationCreate, update_schema=location_schemas.LocationUpdate,
)

RESOURCES: dict[str, Resource] = {r.name: r for r in (PRODUCTS, CATEGORIES, PARTNERS, CHANNELS, LOCATIONS)}

# Reference lists for selects and id -> code display; each comes from its area's list service, so a
# partner user's lists are already scoped to what it may see.
REF_LOADERS: dict[str, Callable[..., tuple[list[Any], int]]] = {
    "categories": catalog.list_categories,
    "partners": partners.list_partners,
    "channels": channels.list_channels,
}
