"""Bulk writes for the orders area: ``bulk_insert`` (COPY or multi-row INSERT), ``insert_together`` (a few
rows into several tables in one PostgreSQL statement) and statements compiled once per shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import JSON, bindparam, insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qudao.db import is_postgres

COPY_THRESHOLD = 200


def bulk_insert(session: Session, table: Any, rows: Sequence[dict[str, Any]], *, with_ids: bool = False) -> list[int]:
    """Insert many rows (all with the same keys) in bulk; with ``with_ids`` return their new ids in order
    (without it the return value may be empty).

    PostgreSQL, from ``COPY_THRESHOLD`` rows: ids are drawn from the table's sequence in one query and the
    rows go in with ``COPY`` (the bulk path its documentation recommends for loading many rows). Otherwise
    (SQLite, or a few rows of a single order): an executemany with RETURNING, which SQLAlchemy batches
    into multi-row INSERTs ("insertmanyvalues") in one round trip per 1,000 rows.
    """
    if not rows:
        return []
    if not is_postgres(session) or len(rows) < COPY_THRESHOLD:
        if not with_ids:  # no RETURNING needed: a plain executemany (multi-row INSERT), nothing returned
            session.connection().execute(_insert_for(table, False), list(rows))
            return []
        return list(session.connection().execute(_insert_for(table, True), list(rows)).scalars().all())
    ids = list(session.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                               {"t": table.name, "n": len(rows)}).scalars().all())
    keys = [k for k in rows[0] if k != "id"]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    columns = ", ".join(f'"{k}"' for k in ["id", *keys])
    raw = session.connection().connection.driver_connection
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row_id, row in zip(ids, rows, strict=True):
                copy.write_row([row_id, *(Json(row[k]) if k in json_columns and row[k] is not None else row[k]
                                          for k in keys)])
    except psycopg.errors.IntegrityError as exc:
        # Same exception type as every other statement, so callers and adapters treat it alike.
        raise IntegrityError(statement, None, exc) from exc
    return ids


def insert_together(session: Session, parts: Sequence[tuple[Any, Sequence[dict[str, Any]]]]) -> None:
    """Insert a few rows into several tables: on PostgreSQL in ONE statement (each table but the last in a
    data-modifying ``WITH``), elsewhere one statement per table. For the small writes of a single order,
    where every round trip counts; big sets go through ``bulk_insert``."""
    parts = [(table, rows) for table, rows in parts if rows]
    if len(parts) < 2 or not is_postgres(session):
        for table, rows in parts:
            bulk_insert(session, table, rows)
        return
    def build() -> Any:
        *first, stmt = [insert(table).values(values_bound(table, n, len(rows), list(rows[0])))
                        for n, (table, rows) in enumerate(parts)]
        for n, part in enumerate(first):
            stmt = stmt.add_cte(part.cte(f"written_{n}"))
        return stmt

    shape = ("together", *((table.name, len(rows), tuple(rows[0])) for table, rows in parts))
    params: dict[str, Any] = {}
    for n, (table, rows) in enumerate(parts):
        params.update(values_params(table, n, rows))
    execute_compiled(session, shape, build, params)


def values_bound(table: Any, n: int, count: int, keys: list[str]) -> list[dict[str, Any]]:
    """Multi-row VALUES of ``count`` rows as bind parameters ``t{n}_{row}_{key}`` (typed by the column)."""
    return [{k: bindparam(f"t{n}_{i}_{k}", type_=table.c[k].type) for k in keys} for i in range(count)]


def values_params(table: Any, n: int, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The parameters for ``values_bound`` on PostgreSQL, JSON columns wrapped for the driver."""
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    return {f"t{n}_{i}_{k}": Json(v) if k in json_columns and v is not None else v
            for i, row in enumerate(rows) for k, v in row.items()}


def execute_compiled(session: Session, shape: tuple[Any, ...], build: Any, params: dict[str, Any]) -> Any:
    """PostgreSQL: run the statement ``build()`` makes, compiled once per ``shape``. SQLAlchemy does not
    cache statements with multi-row VALUES, and compiling one costs more than running it. The parameters
    go to the driver as given (``values_params``; column defaults are not applied: pass every value)."""
    sql = _COMPILED.get(shape)
    if sql is None:
        sql = str(build().compile(dialect=session.get_bind().dialect))
        if len(_COMPILED) < 512:
            _COMPILED[shape] = sql
    return session.connection().exec_driver_sql(sql, params)


_COMPILED: dict[tuple[Any, ...], str] = {}
_INSERTS: dict[tuple[str, bool], Any] = {}


def _insert_for(table: Any, with_ids: bool) -> Any:
    """The INSERT statement for ``table`` (built once per table: the hot path only binds values)."""
    key = (table.name, with_ids)
    stmt = _INSERTS.get(key)
    if stmt is None:
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True) if with_ids else insert(table)
        _INSERTS[key] = stmt
    return stmt
