"""Bulk writes of a run's outputs inside the caller's transaction.

PostgreSQL: ``COPY ... FROM STDIN`` through the session's own psycopg connection, fed CSV that polars
writes in chunks (millions of rows in seconds; still the one transaction, so a failure leaves nothing).
SQLite: executemany inserts in chunks.
"""

from __future__ import annotations

import io

import polars as pl
from sqlalchemy import insert
from sqlalchemy.orm import Session

from qudao.db import is_postgres

CHUNK_ROWS = 200_000
INSERT_CHUNK = 5_000


def write_frame(session: Session, model: type, frame: pl.DataFrame) -> int:
    """Insert every row of ``frame`` (its columns named as ``model``'s) into ``model``'s table."""
    if not frame.height:
        return 0
    table = model.__table__  # type: ignore[attr-defined]
    columns = frame.columns
    if is_postgres(session):
        raw = session.connection().connection.driver_connection
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for start in range(0, frame.height, CHUNK_ROWS):
                buffer = io.BytesIO()
                frame.slice(start, CHUNK_ROWS).write_csv(buffer, include_header=False, null_value="",
                                                         quote_style="necessary")
                copy.write(buffer.getvalue())
        return frame.height
    for start in range(0, frame.height, INSERT_CHUNK):
        session.execute(insert(table), frame.slice(start, INSERT_CHUNK).to_dicts())
    return frame.height
