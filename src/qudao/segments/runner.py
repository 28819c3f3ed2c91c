"""Executing a queued segmentation run off the request: a daemon thread with its own units of work.

When the session factory is bound to one open connection (the test suite's rolled-back transaction), a second
thread may not use it, so the run executes in the caller's thread instead.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from qudao.common.actor import Actor
from qudao.db import unit_of_work
from qudao.segments import service

log = logging.getLogger("qudao.segments")


def execute_in_units_of_work(factory: sessionmaker[Session], actor: Actor, run_id: int) -> None:
    try:
        service.execute_run(lambda: unit_of_work(factory), actor, run_id)
    except Exception:  # no caller to report to; execute_run records failures on the run itself
        log.exception("segmentation run %s could not be executed", run_id)


def launch(factory: sessionmaker[Session], actor: Actor, run_id: int) -> None:
    if isinstance(factory.kw.get("bind"), Connection):
        execute_in_units_of_work(factory, actor, run_id)
        return
    threading.Thread(target=execute_in_units_of_work, args=(factory, actor, run_id),
                     name=f"segmentation-run-{run_id}", daemon=True).start()
