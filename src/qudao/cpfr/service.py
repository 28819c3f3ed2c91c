"""CPFR use cases: partner forecast submissions (API, file, page), consensus overrides and bulk accepts.

Submission rules (``submit_partner_forecast``):

* **All or nothing.** Every row is checked first; any problem refuses the whole batch, every problem named by
  row (``rows[i]`` for the API, the file line for files).
* **Partner scope.** A partner user submits for its own organisation's locations only (another's, or an
  unknown one, is the same row error). Staff submit on a partner's behalf: every row's location must belong
  to one and the same partner organisation.
* **Periods.** Weeks are labelled by their Monday, months by their first day; a period that has already
  ended is refused (a forecast is about the future). The same line twice in one batch names both rows.
* **Versions.** Each accepted batch is a new version (1, 2, ...) of the partner's forecast, kept as sent with
  who and when. A line's current partner number is the one of the newest version that sent it; lines a
  version does not mention keep their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize, ensure_own, partner_filter
from qudao.catalog.models import Product
from qudao.channels.models import Channel
from qudao.common.actor import Actor
from qudao.common.listing import ListParams
from qudao.cpfr.models import ConsensusLine, ConsensusOverride, PartnerForecastLine, PartnerForecastSubmission
from qudao.cpfr.queries import LineFilter, Thresholds, comparison_frame
from qudao.cpfr.schemas import AcceptSource, ConsensusAcceptIn, ConsensusOverrideIn, PartnerForecastRowIn
from qudao.db import utcnow
from qudao.errors import FieldError, Invalid, NotFound, invalid
from qudao.locations.models import Location
from qudao.partners.models import Partner

MAX_REPORTED = 1000
CHUNK = 2000
KEY = ("product_id", "location_id", "channel_id", "grain", "period_start")


def _chunks(values: Sequence[Any], size: int = CHUNK) -> list[Sequence[Any]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


def _period_problem(row: PartnerForecastRowIn, today: Any) -> str | None:
    start = row.period_start
    if row.grain == "week":
        if start.weekday() != 0:
            return f"{start.isoformat()} is not a Monday (weeks are labelled by their Monday)"
        ends = start.toordinal() + 7
    else:
        if start.day != 1:
            return f"{start.isoformat()} is not the first day of a month"
        ends = (start.replace(year=start.year + 1, month=1) if start.month == 12
                else start.replace(month=start.month + 1)).toordinal()
    if ends <= today.toordinal():
        return f"the period starting {start.isoformat()} has already ended"
    return None


def check_rows(session: Session, actor: Actor, rows: Sequence[PartnerForecastRowIn],
               labels: Sequence[int]) -> tuple[list[dict[str, Any]], list[FieldError], int | None]:
    """Resolve and check every row; returns prepared rows, row errors and the one partner they belong to."""
    product_ids: dict[str, int] = {}
    for chunk in _chunks(sorted({r.sku for r in rows})):
        product_ids.update(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(chunk))).all())
    places: dict[str, tuple[int, int | None]] = {}
    for chunk in _chunks(sorted({r.location_code for r in rows})):
        for code, ident, owner in session.execute(
                select(Location.code, Location.id, Location.owner_partner_id).where(Location.code.in_(chunk))):
            places[code] = (ident, owner)
    channel_ids = dict(session.execute(select(Channel.code, Channel.id)
                                       .where(Channel.code.in_(sorted({r.channel_code for r in rows})))).all())
    today = utcnow().date()
    partner_id = actor.partner_id if actor.is_partner else None
    first_seen: dict[tuple[Any, ...], int] = {}
    prepared: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for label, row in zip(labels, rows, strict=True):
        problems: list[FieldError] = []
        if (product_id := product_ids.get(row.sku)) is None:
            problems.append(FieldError("sku", f"no product with sku {row.sku!r}", label))
        place = places.get(row.location_code)
        if place is None or (actor.is_partner and place[1] != actor.partner_id):
            whose = " among your organisation's locations" if actor.is_partner else ""
            problems.append(FieldError("location_code", f"no location {row.location_code!r}{whose}", label))
        elif place[1] is None:
            problems.append(FieldError("location_code", f"location {row.location_code!r} belongs to no partner; "
                                                        "partner forecasts are for partners' locations", label))
        elif partner_id is None:
            partner_id = place[1]
        elif place[1] != partner_id:
            problems.append(FieldError("location_code", f"location {row.location_code!r} belongs to another "
                                                        "partner than the batch's first rows; send one batch per "
                                                        "partner", label))
        if (channel_id := channel_ids.get(row.channel_code)) is None:
            problems.append(FieldError("channel_code", f"no channel {row.channel_code!r}", label))
        if (why := _period_problem(row, today)) is not None:
            problems.append(FieldError("period_start", why, label))
        key = (row.sku, row.location_code, row.channel_code, row.grain.value, row.period_start)
        if key in first_seen:
            problems.append(FieldError("period_start", f"duplicate line for sku {row.sku}, location "
                                                       f"{row.location_code}, channel {row.channel_code}, "
                                                       f"{row.grain.value} {row.period_start.isoformat()}: also "
                                                       f"on row {first_seen[key]}", label))
        else:
            first_seen[key] = label
        errors += problems
        if not problems and place is not None:
            prepared.append({"product_id": product_id, "location_id": place[0], "channel_id": channel_id,
                             "grain": row.grain.value, "period_start": row.period_start, "quantity": row.quantity})
    return prepared, errors, partner_id


def refuse(errors: list[FieldError], total: int) -> Invalid:
    shown = errors[:MAX_REPORTED]
    more = f" (first {len(shown)} problems listed)" if len(shown) < len(errors) else ""
    return Invalid(detail=f"{len({e.row for e in errors})} of {total} partner forecast rows are invalid; "
                          f"nothing was written{more}", errors=shown)


def submit_partner_forecast(session: Session, actor: Actor, rows: Sequence[PartnerForecastRowIn], *,
                            source: str = "api", filename: str = "",
                            labels: Sequence[int] | None = None) -> PartnerForecastSubmission:
    """Check and store a batch as a new version of the partner's forecast (module docstring rules)."""
    authorize(actor, "demand:write")
    numbered = labels is not None
    prepared, errors, partner_id = check_rows(session, actor, rows, labels or list(range(len(rows))))
    if errors or partner_id is None:
        if not numbered:
            for e in errors:
                e.field = f"rows[{e.row}].{e.field}"
        raise refuse(errors or [FieldError("rows", "no rows", None)], len(rows))
    version = (session.scalar(select(func.max(PartnerForecastSubmission.version))
                              .where(PartnerForecastSubmission.partner_id == partner_id)) or 0) + 1
    submission = PartnerForecastSubmission(partner_id=partner_id, version=version, source=source,
                                           filename=filename[-200:], rows=len(prepared),
                                           submitted_by=actor.username, submitted_at=utcnow())
    session.add(submission)
    session.flush()
    for chunk in _chunks(prepared):
        session.execute(insert(PartnerForecastLine),
                        [{**r, "submission_id": submission.id, "partner_id": partner_id} for r in chunk])
    _carry_to_consensus(session, submission, prepared)
    audit.record(session, actor, action="submit", entity="cpfr_submissions", entity_id=submission.id,
                 after={"partner_id": partner_id, "version": version, "source": source, "rows": len(prepared),
                        "file": filename or None})
    return submission


def _carry_to_consensus(session: Session, submission: PartnerForecastSubmission,
                        prepared: list[dict[str, Any]]) -> None:
    """The submission's numbers become the lines' current partner numbers (new lines are created)."""
    c = ConsensusLine
    existing: dict[tuple[Any, ...], int] = {}
    for chunk in _chunks(sorted({r["product_id"] for r in prepared})):
        for ident, *key in session.execute(select(c.id, c.product_id, c.location_id, c.channel_id, c.grain,
                                                  c.period_start).where(c.product_id.in_(chunk))):
            existing[tuple(key)] = ident
    updates, inserts = [], []
    for r in prepared:
        ident = existing.get(tuple(r[k] for k in KEY))
        if ident is None:
            inserts.append({**{k: r[k] for k in KEY}, "partner_id": submission.partner_id,
                            "partner_quantity": r["quantity"], "submission_id": submission.id,
                            "override_reason": "", "overridden_by": ""})
        else:
            updates.append({"id": ident, "partner_quantity": r["quantity"], "submission_id": submission.id})
    for chunk in _chunks(updates):
        session.execute(update(ConsensusLine), list(chunk))
    for chunk in _chunks(inserts):
        session.execute(insert(ConsensusLine), list(chunk))


# ---- reading ----------------------------------------------------------------------------------


def list_submissions(session: Session, actor: Actor, params: ListParams,
                     partner_code: str | None = None, submission_id: int | None = None
                     ) -> tuple[list[dict[str, Any]], int]:
    authorize(actor, "demand:read")
    s = PartnerForecastSubmission
    stmt = (select(s.id, Partner.code.label("partner_code"), s.version, s.source, s.filename, s.rows,
                   s.submitted_by, s.submitted_at).join(Partner, Partner.id == s.partner_id)
            .where(partner_filter(actor, s.partner_id)))
    if partner_code:
        stmt = stmt.where(Partner.code == partner_code)
    if submission_id is not None:
        stmt = stmt.where(s.id == submission_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(s.id.desc()).limit(params.page_size)
                           .offset((params.page - 1) * params.page_size)).mappings().all()
    return [dict(r) for r in rows], int(total)


def get_submission(session: Session, actor: Actor, submission_id: int) -> PartnerForecastSubmission:
    authorize(actor, "demand:read")
    submission = session.get(PartnerForecastSubmission, submission_id)
    if submission is None:
        raise NotFound(detail=f"partner forecast submission {submission_id} not found")
    ensure_own(actor, submission.partner_id, entity="partner forecast submission", key=submission_id)
    return submission


def submission_lines(session: Session, actor: Actor, submission_id: int) -> list[dict[str, Any]]:
    get_submission(session, actor, submission_id)
    line = PartnerForecastLine
    return [dict(r) for r in session.execute(
        select(Product.sku, Location.code.label("location_code"), Channel.code.label("channel_code"), line.grain,
               line.period_start, line.quantity).join(Product, Product.id == line.product_id)
        .join(Location, Location.id == line.location_id).join(Channel, Channel.id == line.channel_id)
        .where(line.submission_id == submission_id)
        .order_by(line.period_start, Product.sku, Location.code, Channel.code)).mappings()]


def _line(session: Session, actor: Actor, line_id: int) -> ConsensusLine:
    line = session.get(ConsensusLine, line_id)
    if line is None:
        raise NotFound(detail=f"consensus line {line_id} not found")
    ensure_own(actor, line.partner_id, entity="consensus line", key=line_id)
    return line


def consensus_line(session: Session, actor: Actor, line_id: int,
                   thresholds: Thresholds | None = None) -> dict[str, Any]:
    """One line as compared (both numbers, gap, consensus) with its override history, oldest first."""
    authorize(actor, "demand:read")
    _line(session, actor, line_id)
    row = comparison_frame(session, actor, LineFilter(ids=(line_id,)), thresholds).to_dicts()[0]
    row["overrides"] = session.scalars(select(ConsensusOverride).where(ConsensusOverride.consensus_line_id == line_id)
                                       .order_by(ConsensusOverride.id)).all()
    return row


# ---- changing the consensus -------------------------------------------------------------------


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


def _change(session: Session, actor: Actor, line: ConsensusLine, current: dict[str, Any], *, action: str,
            new_override: Decimal | None, new_value: Decimal | None, reason: str) -> None:
    old = _dec(current["consensus"])
    line.override_quantity = new_override
    line.override_reason, line.overridden_by, line.overridden_at = reason, actor.username, utcnow()
    session.add(ConsensusOverride(consensus_line_id=line.id, action=action, old_quantity=old, new_quantity=new_value,
                                  reason=reason, changed_by=actor.username, changed_at=line.overridden_at))
    audit.record(session, actor, action=action, entity="cpfr_consensus_lines", entity_id=line.id,
                 before={"consensus": str(old) if old is not None else None, "source": current["consensus_source"]},
                 after={"consensus": str(new_value) if new_value is not None else None, "reason": reason})


def override_consensus(session: Session, actor: Actor, line_id: int, data: ConsensusOverrideIn) -> ConsensusLine:
    """Set a line's consensus quantity, with the reason (kept with who, when, old and new values)."""
    authorize(actor, "demand:write")
    line = _line(session, actor, line_id)
    current = comparison_frame(session, actor, LineFilter(ids=(line_id,))).to_dicts()[0]
    _change(session, actor, line, current, action="override", new_override=data.quantity, new_value=data.quantity,
            reason=data.reason)
    session.flush()
    return line


def accept_consensus(session: Session, actor: Actor, data: ConsensusAcceptIn) -> int:
    """Adopt the partner's number (an override equal to it) or return lines to the statistical default.

    All or nothing: an id the actor cannot see is 404; a line without a statistical number cannot return to it.
    """
    authorize(actor, "demand:write")
    ids = list(dict.fromkeys(data.ids))
    lines = {line.id: line for line in session.scalars(select(ConsensusLine).where(ConsensusLine.id.in_(ids)))}
    for ident in ids:
        line = lines.get(ident)
        if line is None:
            raise NotFound(detail=f"consensus line {ident} not found")
        ensure_own(actor, line.partner_id, entity="consensus line", key=ident)
    current = {r["id"]: r for r in comparison_frame(session, actor, LineFilter(ids=tuple(ids))).to_dicts()}
    if data.source == AcceptSource.statistical:
        missing = [i for i, ident in enumerate(ids) if current[ident]["statistical"] is None]
        if missing:
            raise Invalid(detail="some lines have no statistical forecast to return to; nothing was changed",
                          errors=[FieldError(f"ids[{i}]", f"line {ids[i]} has no statistical forecast", None)
                                  for i in missing])
    for ident in ids:
        line, row = lines[ident], current[ident]
        if data.source == AcceptSource.partner:
            _change(session, actor, line, row, action="accept_partner", new_override=line.partner_quantity,
                    new_value=line.partner_quantity, reason=data.reason)
        else:
            _change(session, actor, line, row, action="accept_statistical", new_override=None,
                    new_value=_dec(row["statistical"]), reason=data.reason)
    session.flush()
    return len(ids)


def comparison_rows(session: Session, actor: Actor, params: ListParams, f: LineFilter, thresholds: Thresholds,
                    *, exceptions_only: bool = False) -> tuple[list[dict[str, Any]], int]:
    """One page of compared lines (exceptions first when not restricted to them)."""
    frame = comparison_frame(session, actor, f, thresholds)
    if exceptions_only:
        frame = frame.filter(pl.col("exception"))
    else:
        frame = frame.sort("exception", descending=True, maintain_order=True)
    page = frame.slice((params.page - 1) * params.page_size, params.page_size)
    return page.to_dicts(), frame.height


def invalid_threshold(pct: float, units: float) -> Thresholds:
    if not 0 <= pct <= 10_000:
        raise invalid("threshold_pct", "use 0 to 10000")
    if not 0 <= units <= 1e12:
        raise invalid("threshold_units", "use 0 or more")
    return Thresholds(pct=pct, units=units)
