"""Executing a queued run in-process, off the request: a background thread with its own sessions.

The thread never shares the request's session: it opens one short unit of work per step on the
application's session factory (see ``service.execute_run``). When that factory is bound to one open
connection rather than an engine (the test suite's rolled-back transaction), a second thread may not use
the connection, so the run executes in the caller's thread instead.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from qudao.common.actor import Actor
from qudao.db import unit_of_work
from qudao.forecasting import service

log = logging.getLogger("qudao.forecasting")


def execute_in_units_of_work(factory: sessionmaker[Session], actor: Actor, run_id: int,
                             dask_scheduler: str | None = None) -> None:
    try:
        service.execute_run(lambda: unit_of_work(factory), actor, run_id, dask_scheduler=dask_scheduler)
    except Exception:  # the thread has no caller to report to; execute_run records failures on the run itself
        log.exception("forecast run %s could not be executed", run_id)


def launch(factory: sessionmaker[Session], actor: Actor, run_id: int, dask_scheduler: str | None = None) -> None:
    """Execute the run in a daemon thread (or inline when the factory shares one connection)."""
    if isinstance(factory.kw.get("bind"), Connection):
        execute_in_units_of_work(factory, actor, run_id, dask_scheduler)
        return
    thread = threading.Thread(target=execute_in_units_of_work, args=(factory, actor, run_id, dask_scheduler),
                              name=f"forecast-run-{run_id}", daemon=True)
    thread.start()
