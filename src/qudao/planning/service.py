"""Planning use cases: start and execute a planning run (database -> engines -> written proposals), and the
planner's inputs (parameters, sourcing rules). Approval of proposals lives in ``approval``.

A run is executed in its own transactions, not the caller's: one marks it running, one loads the snapshot,
plans and writes every output (all or nothing), and on bad input a last one marks it failed with a message
naming the item. Progress of a running run is kept in memory (``live_progress``) so that it can be read
while the planning transaction holds SQLite's write lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import polars as pl
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from qudao.audit import service as audit
from qudao.auth.permissions import authorize
from qudao.catalog.models import Product
from qudao.common import crud
from qudao.common.actor import Actor
from qudao.db import unit_of_work, utcnow
from qudao.engines.planning import PlanningInputError
from qudao.errors import Invalid, NotFound, QudaoError, invalid
from qudao.locations.models import Location
from qudao.partners.models import Partner
from qudao.planning import inputs
from qudao.planning.compute import Snapshot, compute
from qudao.planning.models import (
    ID_BLOCK,
    PlanningAllocation,
    PlanningException,
    PlanningParameter,
    PlanningPeg,
    PlanningProjection,
    PlanningProposal,
    PlanningRun,
    RunStatus,
    SourcingRule,
    run_proposals,
)
from qudao.planning.network import build_network, default_rules, resolve_rules
from qudao.planning.production_link import ProductionInputs
from qudao.planning.schemas import ParameterIn, RunCreate, SourcingIn
from qudao.planning.writer import write_frame

log = logging.getLogger("qudao.planning")
Progress = Callable[[str, float], None]
_LIVE: dict[int, tuple[str, float]] = {}
_LIVE_LOCK = threading.Lock()


def live_progress(run_id: int) -> tuple[str, float] | None:
    with _LIVE_LOCK:
        return _LIVE.get(run_id)


def _report(run_id: int, progress: Progress | None, timings: dict[str, float] | None = None) -> Progress:
    started = time.perf_counter()

    def tick(step: str, done: float) -> None:
        if timings is not None:
            timings.setdefault(step, round(time.perf_counter() - started, 3))
        with _LIVE_LOCK:
            _LIVE[run_id] = (step, done)
        if progress is not None:
            progress(step, done)
    return tick


def start_run(session: Session, actor: Actor, data: RunCreate) -> PlanningRun:
    """Record a queued run; the caller executes it (``execute_run``) after committing."""
    authorize(actor, "planning:write")
    run = PlanningRun(status=RunStatus.queued, progress=0.0, step="queued", bucket=data.bucket,
                      horizon=data.horizon, start_date=data.start or utcnow().date(),
                      options=data.model_dump(mode="json"), summary={}, created_by=actor.username)
    session.add(run)
    audit.record_create(session, actor, run)
    return run


def get_run(session: Session, actor: Actor, run_id: int) -> PlanningRun:
    authorize(actor, "planning:read")
    run = session.get(PlanningRun, run_id)
    if run is None:
        raise NotFound(detail=f"planning run {run_id} not found")
    live = live_progress(run_id) if run.status == RunStatus.running else None
    if live is not None:
        run.step, run.progress = live
    return run


def execute_run(factory: sessionmaker[Session], run_id: int, actor: Actor,
                progress: Progress | None = None) -> PlanningRun:
    """Execute a queued run to the end (succeeded or failed); returns the run as stored."""
    timings: dict[str, float] = {}
    tick = _report(run_id, progress, timings)
    with unit_of_work(factory) as session:
        run = session.get(PlanningRun, run_id)
        if run is None:
            raise NotFound(detail=f"planning run {run_id} not found")
        run.status, run.started_at, run.step = RunStatus.running, utcnow(), "load"
    started = time.perf_counter()
    try:
        with unit_of_work(factory) as session:
            run = session.get(PlanningRun, run_id)
            assert run is not None
            summary = plan(session, actor, run, tick)
            summary["seconds"] = round(time.perf_counter() - started, 3)
            summary["step_started_at_seconds"] = timings
            run.status, run.progress, run.step, run.summary = RunStatus.succeeded, 1.0, "done", summary
            run.finished_at = utcnow()
    except Exception as exc:
        known = isinstance(exc, QudaoError | PlanningInputError)
        if not known:
            log.exception("planning run %s failed", run_id)
        message = str(exc) if known else f"unexpected error ({type(exc).__name__}); see the server log"
        with unit_of_work(factory) as session:
            run = session.get(PlanningRun, run_id)
            assert run is not None
            run.status, run.step, run.error, run.finished_at = RunStatus.failed, "failed", message[:2000], utcnow()
            audit.record(session, actor, action="fail", entity="planning_runs", entity_id=run_id,
                         after={"error": message[:500]})
    finally:
        with _LIVE_LOCK:
            _LIVE.pop(run_id, None)
    with unit_of_work(factory) as session:
        done = session.get(PlanningRun, run_id)
        assert done is not None
        return done


def plan(session: Session, actor: Actor, run: PlanningRun, tick: Progress) -> dict[str, Any]:
    """Load the snapshot, plan, write the outputs of ``run`` (inside the caller's transaction).

    Bad input raises ``Invalid`` naming the item; the caller's rollback then leaves nothing written.
    """
    authorize(actor, "planning:write")
    opts = RunCreate.model_validate(run.options)
    cal = inputs.Calendar(run.start_date, run.bucket, run.horizon)
    tick("load", 0.05)
    available, receipts, issues = inputs.load_supply(session, cal)
    forecast, orders, per_bucket = inputs.load_demand(session, actor, cal, opts.history_days)
    params = inputs.load_parameters(session)
    rules = inputs.load_sourcing(session)
    suppliers = inputs.load_supplier_sourcing(session, actor, cal.start)
    locations = inputs.load_locations(session)
    products = inputs.load_products(session)
    prod, work_orders = _production(session, actor, cal)
    if work_orders.height:
        receipts = pl.concat([receipts, work_orders]).group_by("product_id", "location_id", "bucket").agg(
            pl.col("quantity").sum())
    tick("network", 0.2)
    keys = list(inputs.KEY)
    pairs = [f.select(keys) for f in (available, receipts, issues, orders, params)]
    pairs.append(forecast.filter(pl.col("mean") > 0).select(keys))
    pairs.append(rules.filter(pl.col("product_id").is_not_null()).select(keys))
    nodes = (pl.concat(pairs).unique()
             .join(products.select("product_id"), on="product_id", how="inner")
             .join(locations.select("location_id"), on="location_id", how="inner"))
    if not nodes.height:
        tick("done", 1.0)
        return {"sku_locations": 0, "buckets": run.horizon, "bucket": run.bucket, "proposals": 0,
                "written": {"proposals": 0, "pegs": 0, "exceptions": 0, "projections": 0, "allocations": 0}}
    try:
        makeable = None if prod is None else sorted(set(prod.bom["parent_id"].to_list())
                                                    | set(prod.routing["product_id"].to_list()))
        nodes, resolved = resolve_rules(nodes, rules, default_rules(locations), None if prod is None else prod.bom,
                                        makeable, suppliers)
        net = build_network(nodes, resolved, products, locations, cal)
        snap = Snapshot(available, receipts, issues, forecast, orders, params, per_bucket)
        result = compute(net, snap, cal, default_service_level=opts.default_service_level, peg=opts.peg,
                         excess_buckets=opts.excess_buckets, first_id=run.id * ID_BLOCK + 1, prod=prod,
                         priority=locations.select(pl.col("location_id").alias("to_location_id"), "priority"),
                         allocation_policy=opts.allocation_policy, min_service=opts.min_service, progress=tick)
    except PlanningInputError as exc:
        raise Invalid(detail=f"the plan cannot run: {exc}",
                      errors=[_field_error(exc)]) from None
    tick("write", 0.8)
    rid = pl.lit(run.id, pl.Int64).alias("run_id")
    written = {
        "proposals": write_frame(session, PlanningProposal, result.proposals.drop("order_id", strict=False)
                                 .with_columns(rid) if result.proposals.height else result.proposals),
        "pegs": write_frame(session, PlanningPeg, result.pegs.with_columns(rid) if result.pegs.height
                            else result.pegs),
        "exceptions": write_frame(session, PlanningException, result.exceptions.with_columns(rid)),
        "projections": write_frame(session, PlanningProjection, result.projections.with_columns(rid)),
        "allocations": write_frame(session, PlanningAllocation, result.allocations.with_columns(rid)),
    }
    tick("done", 1.0)
    return {**result.summary, "written": written}


def _production(session: Session, actor: Actor, cal: inputs.Calendar
                ) -> tuple[ProductionInputs | None, pl.DataFrame]:
    """BOMs, routings and resource capacity from the production area (None when it is not installed), and
    its open work orders as scheduled receipts of finished goods."""
    empty = pl.DataFrame(schema={**inputs.KEY, "bucket": pl.Int64, "quantity": pl.Float64})
    try:
        from qudao.production import queries as production
    except ImportError:
        return None, empty
    bom = production.bom_frame(session, actor, as_of=cal.start)
    prod = ProductionInputs(
        bom.select("parent_id", "component_id", pl.col("quantity_per_with_scrap").alias("quantity_per")),
        production.routing_frame(session, actor),
        production.resource_capacity(session, actor, cal.start, cal.horizon, cal.days).select(
            "resource_id", "resource_code", "bucket", "capacity_hours"))
    wo = production.open_work_orders(session, actor)
    receipts = (wo.select("product_id", "location_id", pl.col("due_date").alias("day"),
                          pl.col("open_quantity").alias("quantity"))
                .with_columns(cal.bucket_expr("day").alias("bucket")).filter(pl.col("bucket") < cal.horizon)
                .select("product_id", "location_id", "bucket", "quantity"))
    return prod, receipts if receipts.height else empty


def _field_error(exc: PlanningInputError) -> Any:
    from qudao.errors import FieldError

    item = exc.item if not isinstance(exc.item, list | tuple) else " -> ".join(map(str, exc.item))
    return FieldError(exc.field, f"{item}: {exc.reason}" if item is not None else exc.reason)


def delete_run(session: Session, actor: Actor, run_id: int) -> None:
    """Remove a run and every output row it wrote (the outputs carry no foreign keys, see models)."""
    authorize(actor, "planning:write")
    run = get_run(session, actor, run_id)
    session.execute(delete(PlanningProposal).where(run_proposals(PlanningProposal.id, run_id)))
    for model in (PlanningPeg, PlanningException, PlanningProjection, PlanningAllocation):
        session.execute(delete(model).where(model.run_id == run_id))
    audit.record(session, actor, action="delete", entity="planning_runs", entity_id=run_id,
                 after={"status": run.status})
    session.delete(run)


# ---- the planner's inputs ------------------------------------------------------------------------


def _product_id(session: Session, sku: str, field: str) -> int:
    pid = session.scalar(select(Product.id).where(Product.sku == sku, Product.archived_at.is_(None)))
    if pid is None:
        raise invalid(field, f"no active product with sku {sku!r}")
    return int(pid)


def save_parameters(session: Session, actor: Actor, rows: list[ParameterIn]) -> list[PlanningParameter]:
    """Create or replace the policy of each SKU x location given."""
    authorize(actor, "planning:write")
    saved = []
    for i, row in enumerate(rows):
        pid = _product_id(session, row.sku, f"[{i}].sku")
        lid = crud.resolve_ref(session, Location, Location.code, row.location_code, field=f"[{i}].location_code")
        values = row.model_dump(exclude={"sku", "location_code"})
        obj = session.scalar(select(PlanningParameter).where(PlanningParameter.product_id == pid,
                                                             PlanningParameter.location_id == lid))
        if obj is None:
            obj = PlanningParameter(product_id=pid, location_id=lid, **values)
            session.add(obj)
            audit.record_create(session, actor, obj)
        else:
            before = {k: getattr(obj, k) for k in values}
            for k, v in values.items():
                setattr(obj, k, v)
            audit.record(session, actor, action="update", entity="planning_parameters", entity_id=obj.id,
                         before={k: str(v) for k, v in before.items()},
                         after={k: str(v) for k, v in values.items()})
        saved.append(obj)
    session.flush()
    return saved


def save_sourcing(session: Session, actor: Actor, data: SourcingIn) -> list[SourcingRule]:
    """Replace the sourcing rules of one SKU x location (or of a whole location when ``sku`` is None).
    Shares and lead times are checked by the run (a missing lead time is stored and refused there)."""
    authorize(actor, "planning:write")
    pid = _product_id(session, data.sku, "sku") if data.sku else None
    lid = crud.resolve_ref(session, Location, Location.code, data.location_code, field="location_code")
    same_product = SourcingRule.product_id.is_(None) if pid is None else SourcingRule.product_id == pid
    session.execute(delete(SourcingRule).where(SourcingRule.location_id == lid, same_product))
    rules = []
    for i, r in enumerate(data.rules):
        src = crud.resolve_ref(session, Location, Location.code, r.source_location_code,
                               field=f"rules[{i}].source_location_code")
        sup = crud.resolve_ref(session, Partner, Partner.code, r.supplier_code, field=f"rules[{i}].supplier_code")
        if (r.kind == "transfer") != (src is not None):
            raise invalid(f"rules[{i}].source_location_code", "a transfer needs a source location; buy and make "
                          "take none")
        if r.kind != "buy" and sup is not None:
            raise invalid(f"rules[{i}].supplier_code", "only a buy rule has a supplier")
        rule = SourcingRule(product_id=pid, location_id=lid, kind=r.kind, source_location_id=src, supplier_id=sup,
                            share=r.share, lead_time_days=r.lead_time_days)
        session.add(rule)
        rules.append(rule)
    session.flush()
    audit.record(session, actor, action="replace", entity="planning_sourcing_rules", entity_id=f"{pid}@{lid}",
                 after={"rules": [r.model_dump(mode="json") for r in data.rules]})
    return rules
