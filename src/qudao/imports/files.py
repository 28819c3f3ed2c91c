"""Reading and writing master-data tables as CSV (UTF-8) or Excel (.xlsx) files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from qudao.errors import FieldError, Invalid, invalid
from qudao.imports.schemas import FileFormat

LIST_SEPARATOR = ";"
CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def format_of(filename: str, explicit: FileFormat | None) -> FileFormat:
    if explicit is not None:
        return explicit
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        return FileFormat.csv
    if suffix in (".xlsx", ".xlsm"):
        return FileFormat.xlsx
    raise invalid("format", f"cannot tell the format of {filename!r}; name it .csv or .xlsx or give the format")


def cell_text(value: Any) -> str | None:
    """A cell as the text a CSV would hold; empty cells become None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def read_rows(content: bytes, fmt: FileFormat, max_rows: int) -> tuple[list[str], list[tuple[int, list[str | None]]]]:
    """Header and data rows (with their 1-based line numbers); blank rows are dropped."""
    rows = _csv_rows(content) if fmt == FileFormat.csv else _xlsx_rows(content)
    header_cells = next(rows, None)
    if header_cells is None:
        raise invalid("file", "the file is empty; the first row must name the columns")
    header = [(cell_text(c) or "").lower() for c in header_cells]
    data: list[tuple[int, list[str | None]]] = []
    # CSV cells are already text: strip them; workbook cells carry numbers, booleans and dates.
    to_text = (lambda c: c.strip() or None) if fmt == FileFormat.csv else cell_text
    for number, cells in enumerate(rows, start=2):
        values = [to_text(c) for c in cells]
        if all(v is None for v in values):
            continue
        if len(data) >= max_rows:
            raise invalid("file", f"more than {max_rows:,} data rows; split the file (limit import_max_rows)")
        data.append((number, values))
    return header, data


def _csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Excel on Chinese Windows saves "CSV" in GBK; GB18030 is its superset.
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise invalid("file", f"neither UTF-8 nor GB18030 text (byte {exc.start}); save the CSV as UTF-8"
                          ) from None
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise invalid("file", f"malformed CSV: {exc}") from None


def _xlsx_rows(content: bytes) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) on a damaged file
        raise _unreadable(exc) from None
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True)) if workbook.worksheets else []
    except Exception as exc:
        raise _unreadable(exc) from None
    finally:
        workbook.close()
    yield from rows


def _unreadable(exc: Exception) -> Invalid:
    reason = f"not a readable .xlsx workbook ({exc.__class__.__name__})"
    return Invalid(detail=f"file: {reason}", errors=[FieldError("file", reason)])


def export_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value) or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def write_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: FileFormat) -> list[bytes]:
    """The file as a list of byte chunks (CSV in blocks of rows; a workbook in one piece)."""
    if fmt == FileFormat.csv:
        chunks: list[bytes] = []
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for i, row in enumerate(rows, start=1):
            writer.writerow(["" if v is None else export_value(v) for v in row])
            if i % 5000 == 0:
                chunks.append(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
        chunks.append(buffer.getvalue().encode())
        return chunks
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(list(columns))
    for row in rows:
        # Text cells throughout, so codes such as "00123" keep their leading zeros.
        values = (export_value(v) for v in row)
        # XML cannot hold most control characters; a workbook cell drops them (a CSV export keeps them).
        sheet.append([None if v is None else ILLEGAL_CHARACTERS_RE.sub("", str(v)) for v in values])
    out = io.BytesIO()
    workbook.save(out)
    return [out.getvalue()]
