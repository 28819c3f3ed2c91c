"""``qudao purchasing``: purchase orders and transfers from the command line (create, confirm, receive,
close, cancel, list). Lines are given as ``SKU:QUANTITY[:UNIT_COST]`` (purchase) or ``SKU:QUANTITY``."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from qudao.cli.context import command_transaction, console, fail
from qudao.common.actor import SYSTEM
from qudao.common.listing import ListParams
from qudao.purchasing import service
from qudao.purchasing.schemas import PurchaseOrderCreate, ReceiptIn, TransferCreate, TransferReceiptIn

app = typer.Typer(help="Purchase orders and transfers between locations.", no_args_is_help=True)

LineOption = typer.Option(..., "--line", help="SKU:QUANTITY (purchase orders: SKU:QUANTITY:UNIT_COST); repeat")


def _lines(specs: list[str], names: tuple[str, ...]) -> list[dict[str, str]]:
    """'TEA-1:10:5.5' -> {'sku': 'TEA-1', 'quantity': '10', 'unit_cost': '5.5'}; the schema checks the values."""
    lines = []
    for i, spec in enumerate(specs):
        parts = spec.split(":")
        if not 2 <= len(parts) <= len(names):
            raise fail(f"--line {i + 1} ({spec!r}): expected {':'.join(n.upper() for n in names)}")
        lines.append(dict(zip(names, parts, strict=False)))
    return lines


def _parse(schema: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None


def _show(kind: str, doc: Any) -> None:
    console.print(f"{kind} [bold]{doc.code}[/] is {doc.status}")


@app.command("po-create")
def po_create(
    supplier: str = typer.Option(..., help="Supplier partner code"),
    location: str = typer.Option(..., help="Receiving location code"),
    line: list[str] = LineOption,
    tolerance: str = typer.Option("0", help="Over-receipt tolerance in percent"),
    code: str | None = typer.Option(None, help="Order code (generated when omitted)"),
) -> None:
    """Create a draft purchase order."""
    data = _parse(PurchaseOrderCreate, {"code": code, "supplier_code": supplier, "location_code": location,
                                        "over_receipt_tolerance_pct": tolerance,
                                        "lines": _lines(line, ("sku", "quantity", "unit_cost"))})
    with command_transaction() as session:
        _show("purchase order", service.create_purchase_order(session, SYSTEM, data))


@app.command("po-confirm")
def po_confirm(code: str) -> None:
    """Send the order: its quantities go on order at the receiving location."""
    with command_transaction() as session:
        _show("purchase order", service.confirm_purchase_order(session, SYSTEM, code))


@app.command("po-receive")
def po_receive(code: str, line: list[str] = typer.Option(..., "--line", help="SKU:QUANTITY; repeat")) -> None:
    """Receive some or all lines (within the order's over-receipt tolerance)."""
    data = _parse(ReceiptIn, {"lines": _lines(line, ("sku", "quantity"))})
    with command_transaction() as session:
        _show("purchase order", service.receive_purchase_order(session, SYSTEM, code, data))


@app.command("po-close")
def po_close(code: str, reason: str = typer.Option("", help="Why")) -> None:
    """Close the order; what is still outstanding leaves 'on order'."""
    with command_transaction() as session:
        _show("purchase order", service.close_purchase_order(session, SYSTEM, code, reason))


@app.command("po-cancel")
def po_cancel(code: str, reason: str = typer.Option("", help="Why")) -> None:
    """Cancel an order that has no receipts."""
    with command_transaction() as session:
        _show("purchase order", service.cancel_purchase_order(session, SYSTEM, code, reason))


@app.command("transfer-create")
def transfer_create(
    from_location: str = typer.Option(..., "--from", help="Shipping location code"),
    to_location: str = typer.Option(..., "--to", help="Receiving location code"),
    line: list[str] = typer.Option(..., "--line", help="SKU:QUANTITY; repeat"),
    code: str | None = typer.Option(None, help="Transfer code (generated when omitted)"),
) -> None:
    """Create a draft transfer between two locations."""
    data = _parse(TransferCreate, {"code": code, "from_location_code": from_location,
                                   "to_location_code": to_location, "lines": _lines(line, ("sku", "quantity"))})
    with command_transaction() as session:
        _show("transfer", service.create_transfer(session, SYSTEM, data))


@app.command("transfer-confirm")
def transfer_confirm(code: str) -> None:
    """Ship the transfer: stock leaves the origin and is in transit."""
    with command_transaction() as session:
        _show("transfer", service.confirm_transfer(session, SYSTEM, code))


@app.command("transfer-receive")
def transfer_receive(code: str, line: list[str] = typer.Option(..., "--line", help="SKU:QUANTITY; repeat")) -> None:
    """Receive shipped quantities at the destination."""
    data = _parse(TransferReceiptIn, {"lines": _lines(line, ("sku", "quantity"))})
    with command_transaction() as session:
        _show("transfer", service.receive_transfer(session, SYSTEM, code, data))


@app.command("list")
def list_documents(
    kind: str = typer.Argument("po", help="po or transfer"),
    status: str | None = typer.Option(None, help="Only this status"),
) -> None:
    """The most recent purchase orders or transfers."""
    if kind not in ("po", "transfer"):
        raise fail("kind: use 'po' or 'transfer'")
    lister = service.list_purchase_orders if kind == "po" else service.list_transfers
    with command_transaction() as session:
        rows, total = lister(session, SYSTEM, ListParams(page_size=100), status=status)
        table = Table("code", "status", "lines", "created")
        for doc in rows:
            table.add_row(doc.code, doc.status, str(len(doc.lines)), doc.created_at.isoformat(timespec="minutes"))
    console.print(table)
    console.print(f"{total} document(s)")
