from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class TransferKind(StrEnum):
    products = "products"
    categories = "categories"
    partners = "partners"
    channels = "channels"
    locations = "locations"
    sell_through = "sell_through"  # daily POS facts, checked and written by qudao.demand
    partner_forecast = "partner_forecast"  # a partner's forecast version, checked and written by qudao.cpfr


class FileFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class RowError(BaseModel):
    row: int = Field(description="Line number in the file (the header is row 1)")
    field: str
    reason: str


class ImportReport(BaseModel):
    kind: TransferKind
    file: str
    format: FileFormat
    rows: int = Field(description="Data rows read (blank lines ignored)")
    valid: int
    created: int = Field(description="Records written (0 on a dry run)")
    skipped: int = Field(description="Invalid rows left out (only with skip_invalid)")
    dry_run: bool
    errors: list[RowError] = Field(description="Every problem found, by row and field")
    skipped_rows: list[int]
    replaced: int = Field(default=0, description="Existing rows replaced (sell-through: same SKU, location, "
                                                 "channel and day)")
