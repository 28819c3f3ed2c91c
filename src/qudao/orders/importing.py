"""CSV / Excel order files: one row per order line, grouped into orders by (channel, external_order_id).

Columns (header row, any order, case-insensitive): ``channel``, ``external_order_id``, ``customer``,
``ship_to``, ``sku``, ``quantity``, optional ``unit_price``, ``promised_date`` (ISO), ``rush``,
``allow_split`` (true/false/1/0/yes/no), ``notes``. Errors name the file row (header = row 1).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.common.actor import Actor
from qudao.errors import FieldError, Invalid
from qudao.orders.schemas import OrderCreate, OrderLineIn
from qudao.orders.service import IntakeResult, create_orders

REQUIRED = ("channel", "external_order_id", "ship_to", "sku", "quantity")
OPTIONAL = ("customer", "unit_price", "promised_date", "rush", "allow_split", "notes")
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"", "0", "false", "no", "n", "f"}


def read_rows(content: bytes, filename: str, *, max_rows: int = 1_000_000) -> list[dict[str, Any]]:
    """Rows of a .csv (UTF-8, BOM tolerated) or .xlsx file as dicts keyed by lower-case header."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise Invalid(detail=f"file: not a readable Excel workbook ({exc.__class__.__name__})",
                          errors=[FieldError("file", "not a readable Excel workbook")]) from None
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip().lower() for h in next(values, ())]
        rows = [dict(zip(header, ("" if v is None else v for v in row), strict=False)) for row in values]
    elif name.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid(detail="file: not UTF-8 text", errors=[FieldError("file", "not UTF-8 text")]) from None
        reader = csv.DictReader(io.StringIO(text))
        reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
        header = reader.fieldnames
        rows = list(reader)
    else:
        raise Invalid(detail="file: use a .csv or .xlsx file", errors=[FieldError("file", "use .csv or .xlsx")])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Invalid(detail=f"file: missing column(s) {', '.join(missing)}",
                      errors=[FieldError("file", f"missing column {c}") for c in missing])
    if len(rows) > max_rows:
        raise Invalid(detail=f"file: more than {max_rows} rows", errors=[FieldError("file", "too many rows")])
    return [r for r in rows if any(str(v).strip() for v in r.values() if v is not None)]


def rows_to_orders(rows: list[dict[str, Any]]) -> tuple[list[OrderCreate], list[int]]:
    """Group line rows into orders (and the file row where each starts); every problem is reported with
    its file row number."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    errors: list[FieldError] = []
    for n, row in enumerate(rows, start=2):
        cell = {k: str(row.get(k, "") if row.get(k) is not None else "").strip() for k in (*REQUIRED, *OPTIONAL)}
        key = (cell["channel"], cell["external_order_id"])
        try:
            quantity = Decimal(cell["quantity"])
            price = Decimal(cell["unit_price"]) if cell["unit_price"] else None
        except InvalidOperation:
            errors.append(FieldError("quantity/unit_price", "not a number", row=n))
            continue
        flags = {}
        for flag in ("rush", "allow_split"):
            value = cell[flag].lower()
            if value not in TRUE | FALSE:
                errors.append(FieldError(flag, f"{cell[flag]!r} is not true/false", row=n))
            flags[flag] = value in TRUE
        promised = None
        if cell["promised_date"]:
            raw = row.get("promised_date")
            try:
                if isinstance(raw, datetime):
                    promised = raw.date()
                elif isinstance(raw, date):
                    promised = raw
                else:
                    promised = date.fromisoformat(cell["promised_date"][:10])
            except ValueError:
                errors.append(FieldError("promised_date", f"{cell['promised_date']!r} is not an ISO date", row=n))
        order = grouped.setdefault(key, {"channel_code": cell["channel"],
                                         "external_order_id": cell["external_order_id"],
                                         "customer_code": cell["customer"] or None, "ship_to_code": cell["ship_to"],
                                         "promised_date": promised, "notes": cell["notes"], "lines": [], "row": n,
                                         **flags})
        try:
            order["lines"].append(OrderLineIn(sku=cell["sku"], quantity=quantity, unit_price=price))
        except ValidationError as exc:
            errors.extend(FieldError(".".join(map(str, e["loc"])) or "line", e["msg"], row=n) for e in exc.errors())
    orders, first_rows = [], []
    for data in grouped.values():
        row = data.pop("row")
        try:
            orders.append(OrderCreate(**data))
            first_rows.append(row)
        except ValidationError as exc:
            errors.extend(FieldError(".".join(map(str, e["loc"])), e["msg"], row=row) for e in exc.errors())
    if errors:
        raise Invalid(detail=f"{len(errors)} problem(s) in the file; nothing was imported", errors=errors[:200])
    return orders, first_rows


def import_orders(session: Session, actor: Actor, content: bytes, filename: str) -> IntakeResult:
    authorize(actor, "orders:write")  # before reading the file, so a role without the right learns nothing
    orders, first_rows = rows_to_orders(read_rows(content, filename))
    if not orders:
        raise Invalid(detail="file: no order rows", errors=[FieldError("file", "no order rows")])
    try:
        return create_orders(session, actor, orders, source="import")
    except Invalid as exc:
        # Report the file row where the order starts instead of the order's index.
        for error in exc.errors:
            if error.row is not None:
                error.row = first_rows[error.row]
        raise
