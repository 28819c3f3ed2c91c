"""The FastAPI application: routers of every area under /api/v1, problem+json errors, web pages."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from qudao import __version__
from qudao.api import problems
from qudao.api.deps import SessionDep, reject_nul_characters
from qudao.api.idempotency import IdempotencyMiddleware
from qudao.common.health import check_database
from qudao.config import Settings, get_settings
from qudao.db import make_engine, make_session_factory

log = logging.getLogger("qudao")


class Health(BaseModel):
    status: str
    database: str
    version: str


def api_router() -> APIRouter:
    from qudao.audit.api import router as audit_router
    from qudao.auth.api import router as auth_router
    from qudao.catalog.api import router as catalog_router
    from qudao.channelperf.api import router as channelperf_router
    from qudao.channels.api import router as channels_router
    from qudao.cpfr.api import router as cpfr_router
    from qudao.crm.api import router as crm_router
    from qudao.demand.api import router as demand_router
    from qudao.forecasting.api import router as forecasting_router
    from qudao.imports.api import router as imports_router
    from qudao.inventory.api import router as inventory_router
    from qudao.locations.api import router as locations_router
    from qudao.logistics.api import router as logistics_router
    from qudao.loyalty.api import router as loyalty_router
    from qudao.orders.api import intake_router as order_intake_router
    from qudao.orders.api import router as orders_router
    from qudao.partners.api import router as partners_router
    from qudao.planning.api import router as planning_router
    from qudao.production.api import router as production_router
    from qudao.purchasing.api import router as purchasing_router
    from qudao.segments.api import router as segments_router
    from qudao.suppliers.api import router as suppliers_router

    router = APIRouter(prefix="/api/v1", dependencies=[Depends(reject_nul_characters)])

    @router.get("/health", response_model=Health, tags=["health"])
    def health(session: SessionDep) -> Health:
        return Health(status="ok", database=check_database(session), version=__version__)

    # First: POST /orders (single-order intake) is the hottest route, and routes are matched in order.
    router.include_router(order_intake_router)
    for area in (auth_router, catalog_router, partners_router, channels_router, locations_router, audit_router):
        router.include_router(area)
    router.include_router(inventory_router)
    router.include_router(purchasing_router)
    router.include_router(suppliers_router)
    router.include_router(production_router)
    # Before orders: POST /shipments/{id}/tracking-events must not be taken by orders' /shipments/{id}/{step}.
    router.include_router(logistics_router)
    router.include_router(orders_router)
    router.include_router(imports_router)
    router.include_router(planning_router)
    router.include_router(demand_router)
    router.include_router(forecasting_router)
    router.include_router(crm_router)
    router.include_router(cpfr_router)
    router.include_router(loyalty_router)
    router.include_router(segments_router)
    router.include_router(channelperf_router)
    return router


def create_app(settings: Settings | None = None, session_factory: sessionmaker[Session] | None = None) -> FastAPI:
    settings = settings or get_settings()
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))
    app = FastAPI(
        title="Qudao 渠道",
        version=__version__,
        description="Channel supply chain and customer relationships: master data, orders, inventory, "
        "forecasting, planning, logistics and CRM.",
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    problems.install(app)
    app.add_middleware(IdempotencyMiddleware)
    app.include_router(api_router())
    from qudao.web.pages import install as install_web

    install_web(app)
    return app
