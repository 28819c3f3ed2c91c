"""``qudao purchasing``: a purchase order and a transfer driven end to end from the command line, with
clean refusals for bad input."""

from __future__ import annotations

from decimal import Decimal

from qudao.cli import context
from qudao.db import unit_of_work
from qudao.inventory import service as inventory
from tests import factories
from tests.cli import run_cli as run


def _network() -> dict[str, int]:
    with unit_of_work(context.session_factory()) as session:
        factories.partner(session, code="SUP-1", roles=["supplier"])
        dc = factories.location(session, code="DC-1")
        store = factories.location(session, code="ST-1", kind="store")
        tea = factories.product(session, sku="TEA-1")
        return {"dc": dc.id, "store": store.id, "tea": tea.id}


def _balance(ids: dict[str, int], location: str) -> Decimal:
    with unit_of_work(context.session_factory()) as session:
        return inventory.available_by_location(session, [ids["tea"]], [ids[location]]).get(
            (ids["tea"], ids[location]), Decimal(0))


def test_purchase_order_and_transfer_from_the_command_line(cli_db: str) -> None:
    ids = _network()
    code, out = run("purchasing", "po-create", "--supplier", "SUP-1", "--location", "DC-1",
                    "--line", "TEA-1:10:5.50", "--tolerance", "10", "--code", "PO-CLI-1")
    assert code == 0 and "PO-CLI-1 is draft" in out
    assert run("purchasing", "po-confirm", "PO-CLI-1")[1].endswith("is confirmed")
    code, out = run("purchasing", "po-receive", "PO-CLI-1", "--line", "TEA-1:4")
    assert code == 0 and "partially_received" in out
    assert _balance(ids, "dc") == 4
    # 10 ordered, 10% tolerance: 4 + 8 = 12 > 11 is refused, naming the line; nothing is received.
    code, out = run("purchasing", "po-receive", "PO-CLI-1", "--line", "TEA-1:8")
    assert code == 2 and "lines[0].quantity" in out
    assert _balance(ids, "dc") == 4
    assert run("purchasing", "po-receive", "PO-CLI-1", "--line", "TEA-1:7")[1].endswith("is received")
    assert _balance(ids, "dc") == 11

    assert run("purchasing", "transfer-create", "--from", "DC-1", "--to", "ST-1", "--line", "TEA-1:3",
               "--code", "TR-CLI-1")[0] == 0
    assert run("purchasing", "transfer-confirm", "TR-CLI-1")[0] == 0
    assert _balance(ids, "dc") == 8 and _balance(ids, "store") == 0  # three units in transit
    assert run("purchasing", "transfer-receive", "TR-CLI-1", "--line", "TEA-1:3")[0] == 0
    assert _balance(ids, "store") == 3
    code, out = run("purchasing", "list", "transfer")
    assert code == 0 and "TR-CLI-1" in out and "1 document(s)" in out


def test_bad_input_is_a_message_and_nothing_is_written(cli_db: str) -> None:
    _network()
    code, out = run("purchasing", "po-create", "--supplier", "SUP-1", "--location", "DC-1", "--line", "TEA-1")
    assert code == 2 and "--line 1" in out
    code, out = run("purchasing", "po-create", "--supplier", "SUP-1", "--location", "DC-1",
                    "--line", "TEA-1:-5:1")
    assert code == 2 and "lines.0.quantity" in out
    code, out = run("purchasing", "po-confirm", "PO-NOPE")
    assert code == 2 and "PO-NOPE" in out
    code, out = run("purchasing", "list", "po")
    assert code == 0 and "0 document(s)" in out
