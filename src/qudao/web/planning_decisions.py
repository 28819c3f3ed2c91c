"""The approval form of the planner's page: read the ticked proposals and the edited quantities and dates,
call the planning area's change / approve / reject services, and name the table cell of every refusal
(``qty-<id>``, ``due-<id>``, ``ids``) so the page can show it beside the input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from qudao.common.actor import Actor
from qudao.errors import FieldError, Invalid, invalid
from qudao.planning import approval
from qudao.planning.schemas import ChangeIn

ACTIONS = ("approve", "reject", "change")
MAX_ID = 2**63 - 1
CHANGE_FIELD = re.compile(r"^changes\[(\d+)\]\.(quantity|due_date)$")
CELL = {"quantity": "qty", "due_date": "due"}


@dataclass
class Outcome:
    status: str
    count: int
    changed: int = 0
    orders: list[str] = field(default_factory=list)


def _proposal_id(text: str, name: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text[:20]) <= MAX_ID:
        raise invalid(name, f"{text[:30]!r} is not a proposal id")
    return int(text)


def _edits(form: Any) -> dict[int, dict[str, str]]:
    """Rows whose quantity or due date differs from what the page showed: {id: {"quantity": ..}}."""
    edits: dict[int, dict[str, str]] = {}
    for key, value in form.multi_items():
        for prefix, name in (("qty-", "quantity"), ("due-", "due_date")):
            if key.startswith(prefix) and isinstance(value, str):
                pid = _proposal_id(key[len(prefix):], key)
                if value.strip() != str(form.get(f"orig-{key}") or "").strip():
                    edits.setdefault(pid, {})[name] = value.strip()
    return edits


def _change(session: Session, actor: Actor, edits: dict[int, dict[str, str]]) -> int:
    order = list(edits)
    rows = [{"id": pid, **{k: (v or None) if k == "due_date" else v for k, v in edits[pid].items()}}
            for pid in order]
    try:
        data = ChangeIn(changes=rows)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = e.get("loc", ())
            if len(loc) >= 3 and loc[0] == "changes" and isinstance(loc[1], int) and loc[2] in CELL:
                errors.append(FieldError(f"{CELL[str(loc[2])]}-{order[loc[1]]}",
                                         str(e["msg"]).removeprefix("Value error, ")))
        raise Invalid(detail="some changes are not valid; see the marked cells",
                      errors=errors or [FieldError("ids", "invalid change")]) from None
    try:
        return len(approval.change_proposals(session, actor, data))
    except Invalid as exc:
        errors = []
        for e in exc.errors:
            m = CHANGE_FIELD.match(e.field)
            errors.append(FieldError(f"{CELL[m.group(2)]}-{order[int(m.group(1))]}", e.reason) if m else e)
        raise Invalid(detail=exc.detail, errors=errors) from None


def decide(session: Session, actor: Actor, form: Any) -> Outcome:
    """Apply the form's action; all or nothing (the caller rolls back on any error)."""
    action = str(form.get("action") or "")
    if action not in ACTIONS:
        raise invalid("action", f"use one of {', '.join(ACTIONS)}")
    ticked = list(dict.fromkeys(_proposal_id(str(t), "ids") for t in form.getlist("ids")))
    edits = _edits(form)
    if action == "change":
        if not edits:
            raise invalid("ids", "change a quantity or a due date in the table first")
        return Outcome("changed", _change(session, actor, edits))
    if not ticked:
        raise invalid("ids", "tick at least one proposal")
    if action == "reject":
        reason = str(form.get("reason") or "").strip()
        if len(reason) > 300:
            raise invalid("reason", "at most 300 characters")
        return Outcome("rejected", len(approval.reject_proposals(session, actor, ticked, reason)))
    # Approving a ticked row the planner has just edited approves the edited quantity and date.
    changed = _change(session, actor, {pid: e for pid, e in edits.items() if pid in ticked}) \
        if any(pid in ticked for pid in edits) else 0
    rows, codes = approval.approve_proposals(session, actor, ticked)
    return Outcome("approved", len(rows), changed, codes)
