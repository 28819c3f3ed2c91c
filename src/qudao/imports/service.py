"""Import and export of master data (products, categories, partners, channels, locations) as CSV or Excel.

Import semantics: **create only**. Every row becomes a new record; a key (SKU or code) that already exists
in the database, or twice in the file, is a row error naming the row and field. Existing records are
changed through the regular update endpoints, where every field change is audited one by one.
Validation is complete before anything is written: with any invalid row nothing is written, unless
``skip_invalid`` (then the valid rows are written and the report lists the skipped ones, including rows
that point at a skipped row). Rows are checked with the area's own Pydantic create schema; duplicates
and references are checked set-wise against one query per referenced table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from qudao.audit import service as audit
from qudao.auth.permissions import authorize
from qudao.catalog.schemas import CategoryIn, ProductCreate
from qudao.channels.schemas import ChannelCreate
from qudao.common.actor import Actor
from qudao.config import Settings
from qudao.errors import FieldError, Invalid, invalid
from qudao.imports import store
from qudao.imports.files import CSV_MEDIA, LIST_SEPARATOR, XLSX_MEDIA, format_of, read_rows, write_table
from qudao.imports.schemas import FileFormat, ImportReport, RowError, TransferKind
from qudao.locations.schemas import LocationCreate
from qudao.partners.schemas import PartnerCreate

Progress = Callable[[str, int, int], None]
MAX_REPORTED_ERRORS = 1000


@dataclass(frozen=True)
class KindSpec:
    schema: type[BaseModel]
    key: str
    columns: tuple[str, ...]
    lists: frozenset[str]
    # reference column -> (referenced kind, may it point at another row of the same file?)
    refs: dict[str, tuple[TransferKind, bool]]


K = TransferKind
SPECS: dict[TransferKind, KindSpec] = {
    K.products: KindSpec(
        ProductCreate, "sku",
        ("sku", "name_zh", "name_en", "category_code", "brand", "barcode", "uom", "allows_fractional", "pack_size",
         "weight_kg", "volume_m3", "list_price", "standard_cost", "currency", "shelf_life_days", "lifecycle",
         "successor_sku", "substitute_skus"),
        frozenset({"substitute_skus"}),
        {"category_code": (K.categories, False), "successor_sku": (K.products, True),
         "substitute_skus": (K.products, True)}),
    K.categories: KindSpec(CategoryIn, "code", ("code", "name_zh", "name_en", "parent_code"), frozenset(),
                           {"parent_code": (K.categories, True)}),
    K.partners: KindSpec(
        PartnerCreate, "code",
        ("code", "name", "name_en", "roles", "parent_code", "channel_code", "region", "territory", "tier",
         "credit_limit", "payment_terms_days", "currency", "tax_id", "status"),
        frozenset({"roles"}),
        {"parent_code": (K.partners, True), "channel_code": (K.channels, False)}),
    K.channels: KindSpec(ChannelCreate, "code", ("code", "name_zh", "name_en", "kind", "parent_code"), frozenset(),
                         {"parent_code": (K.channels, True)}),
    K.locations: KindSpec(
        LocationCreate, "code",
        ("code", "name", "kind", "owner_partner_code", "channel_code", "address", "city", "province", "country",
         "latitude", "longitude", "priority"),
        frozenset(),
        {"owner_partner_code": (K.partners, False), "channel_code": (K.channels, False)}),
}
SINGULAR = {K.products: "product", K.categories: "category", K.partners: "partner", K.channels: "channel",
            K.locations: "location"}


def columns_of(kind: TransferKind) -> tuple[str, ...]:
    return SPECS[kind].columns


def import_master_data(
    session: Session,
    actor: Actor,
    settings: Settings,
    kind: TransferKind,
    content: bytes,
    filename: str,
    fmt: FileFormat | None = None,
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a whole file, then write its rows in bulk (see the module docstring for the rules)."""
    authorize(actor, "imports:write")
    report = progress or (lambda stage, done, total: None)
    if kind == K.sell_through:
        return _import_sell_through(session, actor, settings, content, filename, fmt, skip_invalid=skip_invalid,
                                    dry_run=dry_run, progress=report)
    if kind == K.partner_forecast:
        return _import_partner_forecast(session, actor, settings, content, filename, fmt, skip_invalid=skip_invalid,
                                        dry_run=dry_run)
    spec = SPECS[kind]
    file_format = format_of(filename, fmt)
    if len(content) > settings.import_max_bytes:
        raise invalid("file", f"{len(content):,} bytes is over the limit of {settings.import_max_bytes:,} bytes "
                              "(import_max_bytes); split the file")
    header, data = read_rows(content, file_format, settings.import_max_rows)
    _check_header(spec, header)
    errors: dict[int, list[RowError]] = {}
    parsed: dict[int, Any] = {}
    for i, (row, cells) in enumerate(data):
        if i % 5000 == 0:
            report("validating", i, len(data))
        values = _row_values(spec, header, cells)
        for name, cell in zip(header, cells, strict=False):
            if cell is not None and "\x00" in cell:
                errors.setdefault(row, []).append(RowError(row=row, field=name, reason="contains a NUL character"))
        if len(cells) > len(header) and any(c is not None for c in cells[len(header):]):
            errors.setdefault(row, []).append(RowError(row=row, field="file", reason="more cells than columns"))
        try:
            parsed[row] = spec.schema.model_validate(values)
        except ValidationError as exc:
            for e in exc.errors():
                loc = e.get("loc") or ("row",)
                got = f" (got {e['input']!r})" if e.get("type") not in ("missing",) and "input" in e else ""
                errors.setdefault(row, []).append(RowError(row=row, field=str(loc[0]), reason=f"{e['msg']}{got}"))
    lookups = store.Lookups(session)
    _check_keys_and_references(kind, spec, parsed, errors, lookups)
    valid_rows = [row for row, _ in data if row not in errors]
    all_errors = [e for row in sorted(errors) for e in errors[row]]
    if errors and not skip_invalid and not dry_run:
        shown = all_errors[:MAX_REPORTED_ERRORS]
        raise Invalid(
            detail=f"{len(errors)} of {len(data)} rows are invalid; nothing was written"
                   + (f" (first {len(shown)} problems listed)" if len(shown) < len(all_errors) else ""),
            errors=[FieldError(e.field, e.reason, e.row) for e in shown])
    created = 0
    if not dry_run and valid_rows:
        created = store.WRITERS[kind](session, [parsed[row] for row in valid_rows], lookups,
                                      lambda done: report("writing", done, len(valid_rows)))
        # One audit row per import (file, counts, skipped rows) rather than one per record: a 100,000-row
        # import would otherwise write 100,000 JSON snapshots and take about twice as long, and the file
        # is the "after" image. Every later change to an imported record is audited row by row as usual.
        audit.record(session, actor, action="import", entity=kind.value, entity_id=filename[-80:],
                     after={"file": filename, "format": file_format.value, "rows": len(data), "created": created,
                            "skipped_rows": sorted(errors)[:MAX_REPORTED_ERRORS]})
    report("done", len(data), len(data))
    return ImportReport(kind=kind, file=filename, format=file_format, rows=len(data), valid=len(valid_rows),
                        created=created, skipped=len(errors) if (skip_invalid and not dry_run) else 0,
                        dry_run=dry_run, errors=all_errors[:MAX_REPORTED_ERRORS],
                        skipped_rows=sorted(errors) if (skip_invalid and not dry_run) else [])


def _import_sell_through(session: Session, actor: Actor, settings: Settings, content: bytes, filename: str,
                         fmt: FileFormat | None, *, skip_invalid: bool, dry_run: bool,
                         progress: Progress) -> ImportReport:
    """Sell-through files follow the demand area's rules (all or nothing, a re-sent day replaces the stored
    one; see ``qudao.demand.sell_through``): the rows are checked and written by that area's service."""
    from qudao.demand.service import import_sell_through_file

    if skip_invalid:
        raise invalid("skip_invalid", "sell-through imports are all or nothing; fix the listed rows instead")
    file_format = format_of(filename, fmt)
    written, rows = import_sell_through_file(session, actor, content, filename, file_format=file_format,
                                             max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows,
                                             dry_run=dry_run, progress=progress)
    return ImportReport(kind=K.sell_through, file=filename, format=file_format, rows=rows, valid=rows,
                        created=written.created, skipped=0, dry_run=dry_run, errors=[], skipped_rows=[],
                        replaced=written.replaced)


def _import_partner_forecast(session: Session, actor: Actor, settings: Settings, content: bytes, filename: str,
                             fmt: FileFormat | None, *, skip_invalid: bool, dry_run: bool) -> ImportReport:
    """A partner's forecast file becomes a new version of its forecast (all or nothing, one partner per file;
    see ``qudao.cpfr.service``): the rows are checked and written by that area's service."""
    from qudao.cpfr.files import import_partner_forecast_file

    if skip_invalid:
        raise invalid("skip_invalid", "partner forecast imports are all or nothing; fix the listed rows instead")
    file_format = format_of(filename, fmt)
    submission, rows = import_partner_forecast_file(
        session, actor, content, filename, file_format=file_format, max_bytes=settings.import_max_bytes,
        max_rows=settings.import_max_rows, dry_run=dry_run)
    return ImportReport(kind=K.partner_forecast, file=filename, format=file_format, rows=rows, valid=rows,
                        created=submission.rows if submission else 0, skipped=0, dry_run=dry_run, errors=[],
                        skipped_rows=[])


def _check_header(spec: KindSpec, header: list[str]) -> None:
    problems: list[FieldError] = []
    seen: set[str] = set()
    for name in header:
        if not name:
            problems.append(FieldError("header", "a column has no name", 1))
        elif name in seen:
            problems.append(FieldError(name, "column appears twice", 1))
        elif name not in spec.columns:
            problems.append(FieldError(name, f"unknown column; expected some of: {', '.join(spec.columns)}", 1))
        seen.add(name)
    required = [f for f, info in spec.schema.model_fields.items() if info.is_required()]
    for name in required:
        if name not in seen:
            problems.append(FieldError(name, "required column is missing", 1))
    if problems:
        raise Invalid(detail="the header row does not match; nothing was written", errors=problems)


def _row_values(spec: KindSpec, header: list[str], cells: list[str | None]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        if cell is None:
            continue
        values[name] = [p.strip() for p in cell.split(LIST_SEPARATOR) if p.strip()] if name in spec.lists else cell
    return values


def _check_keys_and_references(kind: TransferKind, spec: KindSpec, parsed: dict[int, Any],
                               errors: dict[int, list[RowError]], lookups: store.Lookups) -> None:
    def fail(row: int, field: str, reason: str) -> None:
        errors.setdefault(row, []).append(RowError(row=row, field=field, reason=reason))

    existing = lookups.get(kind)
    first_row: dict[str, int] = {}
    for row, obj in parsed.items():
        key = getattr(obj, spec.key)
        if key in first_row:
            fail(row, spec.key, f"duplicate {spec.key} {key!r}: also on row {first_row[key]}")
        elif key in existing:
            archived = " (archived)" if existing[key].archived else ""
            fail(row, spec.key, f"{SINGULAR[kind]} {key!r} already exists{archived}; imports only create "
                                "records, change existing ones through the API")
        else:
            first_row[key] = row
    depends: dict[int, list[tuple[str, int]]] = {}
    for field, (target, same_file) in spec.refs.items():
        known = lookups.get(target)
        for row, obj in parsed.items():
            value = getattr(obj, field)
            for code in value if isinstance(value, list) else ([] if value is None else [value]):
                if same_file and code == getattr(obj, spec.key):
                    fail(row, field, f"a {SINGULAR[kind]} cannot refer to itself")
                elif code in known:
                    if known[code].archived:
                        fail(row, field, f"{SINGULAR[target]} {code!r} is archived")
                elif same_file and code in first_row:
                    depends.setdefault(row, []).append((field, first_row[code]))
                else:
                    fail(row, field, f"no {SINGULAR[target]} with code {code!r}")
    if "parent_code" in spec.refs and spec.refs["parent_code"][1]:
        _check_cycles(parsed, first_row, fail)
    # A row pointing at an invalid row of the same file is invalid too (matters with skip_invalid).
    changed = True
    while changed:
        changed = False
        for row, deps in depends.items():
            if row in errors:
                continue
            bad = next(((f, dep) for f, dep in deps if dep in errors), None)
            if bad:
                fail(row, bad[0], f"refers to row {bad[1]}, which is invalid")
                changed = True


def _check_cycles(parsed: dict[int, Any], first_row: dict[str, int], fail: Callable[[int, str, str], None]) -> None:
    parent_of = {row: first_row.get(obj.parent_code) for row, obj in parsed.items() if obj.parent_code}
    state: dict[int, int] = {}
    for start in parent_of:
        path: list[int] = []
        node: int | None = start
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            path.append(node)
            node = parent_of.get(node)
        if node is not None and state.get(node) == 1:
            for row in path[path.index(node):]:
                fail(row, "parent_code", "the parent codes in this file form a cycle")
        for row in path:
            state[row] = 2


# ---- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    chunks: list[bytes]
    rows: int


def export_master_data(session: Session, actor: Actor, kind: TransferKind, fmt: FileFormat) -> ExportFile:
    """All active records of ``kind`` with exactly the columns the import accepts."""
    authorize(actor, "exports:read")
    if kind not in store.READERS:
        raise invalid("kind", f"{kind.value} is not exported as a file; read it through its area's API")
    rows = store.READERS[kind](session)
    columns = SPECS[kind].columns
    chunks = write_table(columns, ([row[c] for c in columns] for row in rows), fmt)
    media = CSV_MEDIA if fmt == FileFormat.csv else XLSX_MEDIA
    return ExportFile(filename=f"{kind.value}.{fmt.value}", media_type=media, chunks=chunks, rows=len(rows))


def plain_enum(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value
