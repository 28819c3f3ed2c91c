"""Pegging of one proposal computed when asked for, for runs too big to store every peg.

The same first-in first-out pegging as the run (``engines.planning.peg``), on what the run stored for the
proposal's SKU-location: its stock at the start and scheduled receipts (the projection row), its proposals
(supplies, by due date) and the transfers its downstream locations release on it (demands, by release date);
what is left of the gross requirement per bucket is its own customers' demand (forecast and open orders, and
components for production proposals at the same location are included in it).
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from qudao.engines.planning import peg
from qudao.planning.inputs import BUCKET_DAYS
from qudao.planning.models import PlanningProjection, PlanningProposal, PlanningRun, run_proposals

_ITEM = "x"


def peg_on_request(session: Session, run: PlanningRun, proposal: PlanningProposal) -> list[dict]:
    days = BUCKET_DAYS[run.bucket]
    pr = PlanningProjection
    row = session.scalar(select(pr).where(pr.run_id == run.id, pr.product_id == proposal.product_id,
                                          pr.location_id == proposal.to_location_id))
    if row is None:
        return []
    gross = np.array(json.loads(row.gross), dtype=float)
    sched = np.array(json.loads(row.scheduled), dtype=float)
    p = PlanningProposal
    same = [run_proposals(p.id, run.id), p.product_id == proposal.product_id]
    own = session.execute(select(p.id, p.due_date, p.proposed_quantity).where(
        *same, p.to_location_id == proposal.to_location_id).order_by(p.id)).all()
    down = session.execute(select(p.id, p.release_date, p.proposed_quantity).where(
        *same, p.from_location_id == proposal.to_location_id).order_by(p.id)).all()

    def bucket(d: date) -> int:
        return (d - run.start_date).days // days

    dependent = np.zeros_like(gross)
    for _, released, q in down:
        b = max(bucket(released), 0)  # a past-due release is owed now: the run put it in bucket 0
        if b < gross.size:
            dependent[b] += float(q)
    rest = np.maximum(gross - dependent, 0.0)
    t = np.flatnonzero(sched > 0)
    supplies = pl.DataFrame({
        "item": _ITEM, "bucket": [-1, *t.tolist(), *[bucket(d) for _, d, _ in own]],
        "supply_id": ["on hand", *[f"scheduled:{b}" for b in t], *[f"order:{i}" for i, _, _ in own]],
        "quantity": [row.on_hand, *sched[t].tolist(), *[float(q) for _, _, q in own]]})
    f = np.flatnonzero(rest > 0)
    demands = pl.DataFrame({
        "item": _ITEM, "bucket": [*f.tolist(), *[bucket(d) for _, d, _ in down]],
        "demand_id": [*[f"forecast:{b}" for b in f], *[f"proposal:{i}" for i, _, _ in down]],
        "quantity": [*rest[f].tolist(), *[float(q) for _, _, q in down]]},
        schema_overrides={"bucket": pl.Int64, "quantity": pl.Float64})
    pegs = peg(supplies.with_columns(pl.col("bucket").cast(pl.Int64)), demands).filter(
        (pl.col("supply_id") == f"order:{proposal.id}") & pl.col("demand_id").is_not_null())
    out = []
    for demand_id, b, q in pegs.select("demand_id", "demand_bucket", "quantity").iter_rows():
        kind, ref = demand_id.split(":", 1)
        out.append({"proposal_id": proposal.id, "demand_kind": kind, "demand_ref": ref,
                    "demand_date": run.start_date.fromordinal(run.start_date.toordinal() + days * int(b)),
                    "quantity": round(q, 4)})
    return out
