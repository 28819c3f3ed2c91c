"""Sell-through (POS) intake: batches by API and CSV/Excel files, checked whole, written in bulk.

Rules:

* **All or nothing.** Every row is checked (fields, SKU, location, channel, duplicates, partner scope)
  before anything is written; any problem refuses the whole batch with every problem listed by row.
* **Duplicates.** The same (SKU, location, channel, day) twice in one batch is an error naming both rows.
* **Re-upload replaces.** A row for a (SKU, location, channel, day) already stored replaces the stored row;
  rows of other SKUs, locations, channels or days are left alone. To correct a day down to nothing, send
  the row with quantity 0 (an absent row means "no change", not "zero").
* **Partner scope.** A partner user submits for its own organisation's locations only; another
  organisation's location (or an unknown one) is a row error, without saying which of the two it is. The
  row's partner is the location's owner.
* Days in the future are refused (sales cannot have happened yet).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.db import utcnow
from qudao.demand.models import SellThrough
from qudao.demand.schemas import SellThroughRowIn
from qudao.errors import FieldError, Invalid, invalid
from qudao.imports.files import format_of, read_rows
from qudao.imports.schemas import FileFormat
from qudao.locations.models import Location

MAX_REPORTED = 1000
CHUNK = 5000
FILE_COLUMNS = tuple(SellThroughRowIn.model_fields)


@dataclass
class Written:
    rows: int
    created: int
    replaced: int


def _chunks(values: Sequence[Any], size: int = CHUNK) -> list[Sequence[Any]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


def check_rows(session: Session, actor: Actor, rows: Sequence[SellThroughRowIn],
               labels: Sequence[int]) -> tuple[list[dict[str, Any]], list[FieldError]]:
    """Resolve codes and check every row; ``labels`` are the row numbers errors carry (index or file line)."""
    errors: list[FieldError] = []
    skus = sorted({r.sku for r in rows})
    locations = sorted({r.location_code for r in rows})
    channels = sorted({r.channel_code for r in rows})
    product_ids: dict[str, int] = {}
    for chunk in _chunks(skus):
        product_ids.update(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(chunk))).all())
    location_rows: dict[str, tuple[int, int | None]] = {}
    for chunk in _chunks(locations):
        for code, ident, owner in session.execute(
                select(Location.code, Location.id, Location.owner_partner_id).where(Location.code.in_(chunk))):
            location_rows[code] = (ident, owner)
    channel_ids = dict(session.execute(select(Channel.code, Channel.id).where(Channel.code.in_(channels))).all())
    today = utcnow().date()
    first_seen: dict[tuple[str, str, str, Any], int] = {}
    prepared: list[dict[str, Any]] = []
    for label, row in zip(labels, rows, strict=True):
        problems: list[FieldError] = []
        product_id = product_ids.get(row.sku)
        if product_id is None:
            problems.append(FieldError("sku", f"no product with sku {row.sku!r}", label))
        place = location_rows.get(row.location_code)
        if place is None or (actor.is_partner and place[1] != actor.partner_id):
            whose = " among your organisation's locations" if actor.is_partner else ""
            problems.append(FieldError("location_code", f"no location {row.location_code!r}{whose}", label))
        channel_id = channel_ids.get(row.channel_code)
        if channel_id is None:
            problems.append(FieldError("channel_code", f"no channel {row.channel_code!r}", label))
        if row.day > today:
            problems.append(FieldError("day", f"{row.day.isoformat()} is in the future", label))
        key = (row.sku, row.location_code, row.channel_code, row.day)
        if key in first_seen:
            problems.append(FieldError("day", f"duplicate row for sku {row.sku}, location {row.location_code}, "
                                              f"channel {row.channel_code}, day {row.day.isoformat()}: also on "
                                              f"row {first_seen[key]}", label))
        else:
            first_seen[key] = label
        errors.extend(problems)
        if not problems and place is not None:
            prepared.append(dict(day=row.day, product_id=product_id, location_id=place[0], channel_id=channel_id,
                                 partner_id=place[1], quantity=row.quantity, revenue=row.revenue,
                                 on_promotion=row.on_promotion, stockout=row.stockout))
    return prepared, errors


def refuse(errors: list[FieldError], total: int) -> Invalid:
    rows = len({e.row for e in errors})
    shown = errors[:MAX_REPORTED]
    more = f" (first {len(shown)} problems listed)" if len(shown) < len(errors) else ""
    return Invalid(detail=f"{rows} of {total} sell-through rows are invalid; nothing was written{more}",
                   errors=shown)


def write_rows(session: Session, prepared: list[dict[str, Any]]) -> Written:
    """Replace stored rows of the same keys, then insert, in bulk."""
    if not prepared:
        return Written(0, 0, 0)
    table = SellThrough.__table__
    wanted = {(r["product_id"], r["location_id"], r["channel_id"], r["day"]) for r in prepared}
    first, last = min(r["day"] for r in prepared), max(r["day"] for r in prepared)
    product_ids = sorted({r["product_id"] for r in prepared})
    stale: list[int] = []
    for chunk in _chunks(product_ids):
        for ident, *key in session.execute(
                select(table.c.id, table.c.product_id, table.c.location_id, table.c.channel_id, table.c.day)
                .where(table.c.product_id.in_(chunk), table.c.day >= first, table.c.day <= last)):
            if tuple(key) in wanted:
                stale.append(ident)
    for chunk in _chunks(stale):
        session.execute(delete(table).where(table.c.id.in_(chunk)))
    for chunk in _chunks(prepared):
        session.execute(insert(table), list(chunk))
    return Written(len(prepared), len(prepared), len(stale))


def record_sell_through(session: Session, actor: Actor, rows: Sequence[SellThroughRowIn], *,
                        source: str = "api") -> Written:
    """Check and store a batch (see the module docstring); errors name ``rows[i]`` by index ``i``."""
    authorize(actor, "demand:write")
    prepared, errors = check_rows(session, actor, rows, list(range(len(rows))))
    if errors:
        for e in errors:
            e.field = f"rows[{e.row}].{e.field}"
        raise refuse(errors, len(rows))
    written = write_rows(session, prepared)
    audit.record(session, actor, action="import", entity="sell_through", entity_id=source,
                 after={"source": source, "rows": written.rows, "replaced": written.replaced,
                        "first_day": min(r.day for r in rows).isoformat(),
                        "last_day": max(r.day for r in rows).isoformat()})
    return written


def import_sell_through_file(session: Session, actor: Actor, content: bytes, filename: str, *,
                             file_format: FileFormat | None = None, max_bytes: int, max_rows: int,
                             dry_run: bool = False, progress: Callable[[str, int, int], None] | None = None
                             ) -> tuple[Written, int]:
    """A CSV or Excel file of sell-through rows (columns: ``FILE_COLUMNS``); errors name the file line."""
    authorize(actor, "demand:write")  # before the file is even looked at
    if len(content) > max_bytes:
        raise invalid("file", f"{len(content):,} bytes is over the limit of {max_bytes:,} bytes; split the file")
    header, data = read_rows(content, format_of(filename, file_format), max_rows)
    return import_sell_through_rows(session, actor, header, data, filename, dry_run=dry_run, progress=progress)


def import_sell_through_rows(session: Session, actor: Actor, header: list[str],
                             data: list[tuple[int, list[str | None]]], filename: str, *, dry_run: bool = False,
                             progress: Callable[[str, int, int], None] | None = None) -> tuple[Written, int]:
    """A file already split into a header and numbered rows (``qudao.imports.files.read_rows``).

    Returns what was written and the number of valid rows; raises ``Invalid`` listing every problem by file
    line when any row is bad (nothing is written then).
    """
    authorize(actor, "demand:write")
    report = progress or (lambda stage, done, total: None)
    problems = [FieldError(name or "header", "unknown column; expected some of: " + ", ".join(FILE_COLUMNS), 1)
                for name in header if name not in FILE_COLUMNS]
    problems += [FieldError(name, "required column is missing", 1) for name in
                 ("sku", "location_code", "channel_code", "day", "quantity") if name not in header]
    if problems:
        raise Invalid(detail="the header row does not match; nothing was written", errors=problems)
    parsed: list[SellThroughRowIn] = []
    labels: list[int] = []
    errors: list[FieldError] = []
    for i, (line, cells) in enumerate(data):
        if i % 5000 == 0:
            report("validating", i, len(data))
        values = {name: cell for name, cell in zip(header, cells, strict=False) if cell is not None}
        nul = [name for name, cell in values.items() if "\x00" in cell]
        if nul:  # PostgreSQL cannot even compare such text; refuse the row rather than fail the request
            errors += [FieldError(name, "contains a NUL character", line) for name in nul]
            continue
        try:
            parsed.append(SellThroughRowIn.model_validate(values))
            labels.append(line)
        except ValidationError as exc:
            for e in exc.errors():
                loc = e.get("loc") or ("row",)
                got = f" (got {e['input']!r})" if e.get("type") != "missing" and "input" in e else ""
                errors.append(FieldError(str(loc[0]), f"{e['msg']}{got}", line))
    prepared, reference_errors = check_rows(session, actor, parsed, labels)
    errors = sorted(errors + reference_errors, key=lambda e: e.row or 0)
    if errors:
        raise refuse(errors, len(data))
    if dry_run:
        return Written(len(data), 0, 0), len(data)
    report("writing", 0, len(prepared))
    written = write_rows(session, prepared)
    audit.record(session, actor, action="import", entity="sell_through", entity_id=filename[-80:],
                 after={"file": filename, "rows": written.rows, "replaced": written.replaced})
    report("done", len(data), len(data))
    return written, len(data)
