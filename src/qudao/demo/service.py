"""Loading the demo data set into the database: bulk inserts in one transaction.

The master data and the fact table are written with set-based statements (executemany, or PostgreSQL
COPY for the sell-through facts) rather than through each area's one-row service functions: the large
set holds millions of rows, and a demo load is a single decision by the operator. Users are still made
through ``qudao.auth.service`` so their passwords are Argon2-hashed like any other account.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from qudao.audit import service as audit
from qudao.auth import service as auth_service
from qudao.auth.models import User
from qudao.auth.permissions import authorize
from qudao.auth.schemas import UserCreate
from qudao.catalog.models import Category, Product
from qudao.channels.models import Channel
from qudao.common.actor import SYSTEM, Actor
from qudao.db import is_postgres, make_engine, make_session_factory, unit_of_work, utcnow
from qudao.demand.models import RetailEvent, SellThrough
from qudao.demo.generator import SCALES, DemoDataSet, generate
from qudao.errors import Conflict, invalid
from qudao.locations.models import Location
from qudao.logistics.demo import seed_demo_logistics
from qudao.partners.models import Partner, PartnerRoleAssignment
from qudao.production.demo import seed_demo_production

# Demo accounts (username, password, role): demo data, so the passwords are simple and printed.
DEMO_PARTNER_CODE = "DIST-001"
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("admin", "admin-demo", "admin"),
    ("planner", "planner-demo", "planner"),
    ("sales", "sales-demo", "sales"),
    ("warehouse", "warehouse-demo", "warehouse"),
    ("viewer", "viewer-demo", "viewer"),
    ("partner", "partner-demo", "partner"),
]
BATCH = 50_000
Progress = Callable[[str, int, int], None]
MASTER_TABLES = (Category, Product, Channel, Partner, Location)


def default_end() -> date:
    """History ends yesterday (UTC), so forecasts made today start where the data stops."""
    return utcnow().date() - timedelta(days=1)


def database_is_empty(session: Session) -> bool:
    """True when no master data exists yet (users alone do not count)."""
    return all(session.scalar(select(func.count()).select_from(m)) == 0 for m in MASTER_TABLES)


def load_demo(database_url: str, scale: str = "small", seed: int = 42, end: date | None = None,
              progress: Progress | None = None) -> dict[str, int]:
    """Generate and load the demo set into the (migrated, empty) database at ``database_url``."""
    if scale not in SCALES:
        raise invalid("scale", f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    engine = make_engine(database_url)
    try:
        data = generate(scale, seed, end or default_end())
        with unit_of_work(make_session_factory(engine)) as session:
            return load_demo_data(session, SYSTEM, data, progress=progress)
    finally:
        engine.dispose()


def load_demo_data(session: Session, actor: Actor, data: DemoDataSet,
                   progress: Progress | None = None) -> dict[str, int]:
    """Write a generated data set. Refuses a database that already holds master data."""
    authorize(actor, "demo:write")
    if not database_is_empty(session):
        raise Conflict(detail="the database already holds master data; the demo set loads only into an "
                              "empty database (point QUDAO_DATABASE_URL at a new one)")
    report = progress or (lambda stage, done, total: None)
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    steps = 8
    report("categories", 0, steps)
    category_ids = _insert_tree(session, Category, data.categories, stamps, path=True)
    report("channels", 1, steps)
    channel_ids = _insert_tree(session, Channel, data.channels, stamps)
    report("partners", 2, steps)
    partner_ids = _insert_partners(session, data.partners, channel_ids, stamps)
    report("locations", 3, steps)
    location_ids = _insert_locations(session, data.locations, partner_ids, channel_ids, stamps)
    report("products", 4, steps)
    product_rows = data.products.drop("profile", "abc", "top_category", "season_peak").to_dicts()
    for row in product_rows:
        row["category_id"] = category_ids[row.pop("category_code")]
        row.update(allows_fractional=False, **stamps)
    _bulk(session, Product, product_rows)
    product_ids = _ids(session, Product, Product.sku)
    report("events", 5, steps)
    event_rows = data.events.to_dicts()
    for row in event_rows:
        code = row.pop("channel_code")
        row["channel_id"] = channel_ids[code] if code else None
    _bulk(session, RetailEvent, event_rows)
    production = seed_demo_production(session, actor)  # lines, routings, BOMs, a few work orders
    logistics = seed_demo_logistics(session, actor)  # carrier services, rate cards, delivery vans
    report("users", 6, steps)
    users = _create_demo_users(session, actor)
    report("sell-through history", 7, steps)
    facts = _write_sell_through(session, data.sell_through, product_ids, location_ids, channel_ids, partner_ids)
    counts = {**data.counts(), "sell_through": facts, "users": users, **production, **logistics}
    # One summary audit row for the whole load rather than one per record: the set is generated, not
    # entered, and is fully reproducible from (scale, seed, end); a million audit rows would double the
    # load time and bury the trail. Later changes to any demo record are audited row by row as usual.
    audit.record(session, actor, action="demo_load", entity="demo", entity_id=f"{data.scale.name}:{data.seed}",
                 after={"scale": data.scale.name, "seed": data.seed, "start": data.start.isoformat(),
                        "end": data.end.isoformat(), "counts": counts})
    report("done", steps, steps)
    return counts


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for first in range(0, len(rows), BATCH):
        session.execute(model.__table__.insert(), rows[first:first + BATCH])


def _ids(session: Session, model: Any, column: Any) -> dict[str, int]:
    return {code: int(pk) for code, pk in session.execute(select(column, model.id))}


def _insert_tree(session: Session, model: Any, frame: pl.DataFrame, stamps: dict[str, Any],
                 path: bool = False) -> dict[str, int]:
    """Insert a parent-first tree frame: rows first, then parent ids in one bulk update."""
    rows = frame.to_dicts()
    parents = {row["code"]: row.pop("parent_code") for row in rows}
    for row in rows:
        row.update(stamps)
        if path:
            chain, code = [], row["code"]
            while code is not None:
                chain.append(code)
                code = parents[code]
            row["path"] = "/" + "/".join(reversed(chain)) + "/"
    _bulk(session, model, rows)
    ids = _ids(session, model, model.code)
    links = [{"id": ids[c], "parent_id": ids[p]} for c, p in parents.items() if p is not None]
    if links:
        session.execute(update(model), links)
    return ids


def _insert_partners(session: Session, frame: pl.DataFrame, channel_ids: dict[str, int],
                     stamps: dict[str, Any]) -> dict[str, int]:
    rows = frame.drop("city").to_dicts()
    parents: dict[str, str | None] = {}
    roles: dict[str, list[str]] = {}
    for row in rows:
        parents[row["code"]] = row.pop("parent_code")
        roles[row["code"]] = row.pop("roles")
        code = row.pop("channel_code")
        row["channel_id"] = channel_ids[code] if code else None
        row.update(stamps)
    _bulk(session, Partner, rows)
    ids = _ids(session, Partner, Partner.code)
    session.execute(update(Partner), [{"id": ids[c], "parent_id": ids[p]} for c, p in parents.items() if p])
    _bulk(session, PartnerRoleAssignment, [{"partner_id": ids[c], "role": r} for c, rs in roles.items() for r in rs])
    return ids


def _insert_locations(session: Session, frame: pl.DataFrame, partner_ids: dict[str, int],
                      channel_ids: dict[str, int], stamps: dict[str, Any]) -> dict[str, int]:
    rows = frame.to_dicts()
    for row in rows:
        owner, channel = row.pop("owner_partner_code"), row.pop("channel_code")
        row["owner_partner_id"] = partner_ids[owner] if owner else None
        row["channel_id"] = channel_ids[channel] if channel else None
        row.update(stamps)
    _bulk(session, Location, rows)
    return _ids(session, Location, Location.code)


def _create_demo_users(session: Session, actor: Actor) -> int:
    taken = set(session.scalars(select(User.username)))
    made = 0
    for username, password, role in DEMO_LOGINS:
        if username in taken:
            continue
        auth_service.create_user(session, actor, UserCreate(
            username=username, password=password, role=role, full_name=f"Demo {role}",
            partner_code=DEMO_PARTNER_CODE if role == "partner" else None))
        made += 1
    return made


FACT_COLUMNS = ("day", "product_id", "location_id", "channel_id", "partner_id", "quantity", "revenue",
                "on_promotion", "stockout")


def _write_sell_through(session: Session, frame: pl.DataFrame, product_ids: dict[str, int],
                        location_ids: dict[str, int], channel_ids: dict[str, int],
                        partner_ids: dict[str, int]) -> int:
    """Codes -> ids with polars joins, then COPY (PostgreSQL) or executemany (SQLite) in batches."""

    def lookup(name: str, ids: dict[str, int], id_name: str) -> pl.DataFrame:
        return pl.DataFrame({name: list(ids), id_name: list(ids.values())},
                            schema={name: pl.String, id_name: pl.Int64})

    facts = (
        frame.with_columns(pl.col(c).cast(pl.String) for c in ("sku", "location_code", "channel_code", "partner_code"))
        .join(lookup("sku", product_ids, "product_id"), on="sku", how="left")
        .join(lookup("location_code", location_ids, "location_id"), on="location_code", how="left")
        .join(lookup("channel_code", channel_ids, "channel_id"), on="channel_code", how="left")
        .join(lookup("partner_code", partner_ids, "partner_id"), on="partner_code", how="left")
        .select(*FACT_COLUMNS)
    )
    with _bulk_load_mode(session):
        return _copy_facts(session, facts)


@contextmanager
def _bulk_load_mode(session: Session) -> Iterator[None]:
    """Build the secondary index (and on PostgreSQL check the foreign keys) once after the load instead
    of row by row: the "Populating a Database" advice of the PostgreSQL manual (sec. 14.4.3-14.4.4).
    Only used on an empty fact table, inside the load's transaction, so a failure rolls it all back."""
    if not is_postgres(session):  # SQLite measured no faster this way (its checks are cheap B-tree probes)
        yield
        return
    table = SellThrough.__table__
    constraints = [fk.constraint for fk in table.foreign_keys]
    for index in table.indexes:
        session.execute(DropIndex(index))
    for constraint in constraints:
        session.execute(DropConstraint(constraint))
    session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    yield
    for index in table.indexes:
        session.execute(CreateIndex(index))
    for constraint in constraints:
        session.execute(AddConstraint(constraint))


def _copy_facts(session: Session, facts: pl.DataFrame) -> int:
    raw = session.connection().connection.driver_connection
    table = SellThrough.__tablename__
    if is_postgres(session):
        with raw.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
                f"COPY {table} ({', '.join(FACT_COLUMNS)}) FROM STDIN (FORMAT csv)") as copy:
            for first in range(0, facts.height, 200_000):
                buffer = io.BytesIO()
                facts.slice(first, 200_000).write_csv(buffer, include_header=False)
                copy.write(buffer.getvalue())
        return facts.height
    sql = f"INSERT INTO {table} ({', '.join(FACT_COLUMNS)}) VALUES ({', '.join('?' * len(FACT_COLUMNS))})"
    prepared = facts.with_columns(pl.col("day").dt.strftime("%Y-%m-%d"), pl.col("on_promotion").cast(pl.Int8),
                                  pl.col("stockout").cast(pl.Int8))
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        for first in range(0, prepared.height, 200_000):
            cursor.executemany(sql, prepared.slice(first, 200_000).iter_rows())
    finally:
        cursor.close()
    return facts.height
