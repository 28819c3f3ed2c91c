"""Partner forecast files (CSV or Excel): the same rules as the API batch, errors named by file line."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.orm import Session

from qudao.auth.permissions import authorize
from qudao.common.actor import Actor
from qudao.cpfr.models import PartnerForecastSubmission
from qudao.cpfr.schemas import PartnerForecastRowIn
from qudao.cpfr.service import check_rows, refuse, submit_partner_forecast
from qudao.errors import FieldError, Invalid, invalid
from qudao.imports.files import format_of, read_rows
from qudao.imports.schemas import FileFormat

FILE_COLUMNS = tuple(PartnerForecastRowIn.model_fields)
REQUIRED = ("sku", "location_code", "channel_code", "period_start", "quantity")


def import_partner_forecast_file(session: Session, actor: Actor, content: bytes, filename: str, *,
                                 file_format: FileFormat | None = None, max_bytes: int, max_rows: int,
                                 dry_run: bool = False, source: str = "file"
                                 ) -> tuple[PartnerForecastSubmission | None, int]:
    """Columns ``FILE_COLUMNS`` (grain defaults to week). Returns the new submission (None on a dry run)
    and the number of data rows; any bad row refuses the whole file."""
    authorize(actor, "demand:write")  # before the file is even looked at
    if len(content) > max_bytes:
        raise invalid("file", f"{len(content):,} bytes is over the limit of {max_bytes:,} bytes; split the file")
    header, data = read_rows(content, format_of(filename, file_format), max_rows)
    problems = [FieldError(name or "header", "unknown column; expected some of: " + ", ".join(FILE_COLUMNS), 1)
                for name in header if name not in FILE_COLUMNS]
    problems += [FieldError(name, "column appears twice", 1) for i, name in enumerate(header)
                 if name in header[:i]]
    problems += [FieldError(name, "required column is missing", 1) for name in REQUIRED if name not in header]
    if problems:
        raise Invalid(detail="the header row does not match; nothing was written", errors=problems)
    if not data:
        raise invalid("file", "the file has no data rows")
    parsed: list[PartnerForecastRowIn] = []
    labels: list[int] = []
    errors: list[FieldError] = []
    for line, cells in data:
        values = {name: cell for name, cell in zip(header, cells, strict=False) if cell is not None}
        nul = [name for name, cell in values.items() if "\x00" in cell]
        if nul:  # PostgreSQL cannot compare such text; the row is refused rather than the request failing
            errors += [FieldError(name, "contains a NUL character", line) for name in nul]
            continue
        try:
            parsed.append(PartnerForecastRowIn.model_validate(values))
            labels.append(line)
        except ValidationError as exc:
            for e in exc.errors():
                loc = e.get("loc") or ("row",)
                got = f" (got {e['input']!r})" if e.get("type") != "missing" and "input" in e else ""
                errors.append(FieldError(str(loc[0]), f"{e['msg']}{got}", line))
    if errors:
        # Reference checks too, so one round of fixes is enough.
        _, more, _ = check_rows(session, actor, parsed, labels)
        raise refuse(sorted(errors + more, key=lambda e: e.row or 0), len(data))
    if dry_run:
        _, more, _ = check_rows(session, actor, parsed, labels)
        if more:
            raise refuse(more, len(data))
        return None, len(data)
    return submit_partner_forecast(session, actor, parsed, source=source, filename=filename, labels=labels), len(data)
