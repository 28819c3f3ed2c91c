"""``qudao import`` and ``qudao export``: master data as CSV or Excel files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qudao.cli.context import command_transaction, console, err_console, fail, settings
from qudao.common.actor import SYSTEM
from qudao.errors import FieldError, Invalid
from qudao.imports import service
from qudao.imports.files import format_of
from qudao.imports.schemas import FileFormat, RowError, TransferKind

SHOWN = 50


def _error_table(errors: list[FieldError] | list[RowError], total: int) -> Table:
    table = Table("row", "field", "reason", title=f"{total} problem(s)" + (f", first {SHOWN} shown" if total > SHOWN
                                                                                 else ""))
    for e in errors[:SHOWN]:
        table.add_row("" if e.row is None else str(e.row), e.field, e.reason)
    return table


def import_command(
    kind: TransferKind = typer.Argument(..., help="products, categories, partners, channels or locations"),
    file: Path = typer.Argument(..., help="A .csv (UTF-8) or .xlsx file whose first row names the columns"),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Write the valid rows, list the skipped ones"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only; write nothing"),
    file_format: FileFormat | None = typer.Option(None, "--format", help="csv or xlsx (default: from the name)"),
) -> None:
    """Import master data from FILE; nothing is written if any row is invalid (unless --skip-invalid).

    Imports create new records only: an SKU or code that already exists is reported as a row error.
    Columns are the create API's fields; list columns (roles, substitute_skus) separate values with ';'.
    """
    config = settings()
    if not file.is_file():
        raise fail(f"{file}: no such file")
    size = file.stat().st_size
    if size > config.import_max_bytes:
        raise fail(f"file: {size:,} bytes is over the limit of {config.import_max_bytes:,} bytes "
                   "(QUDAO_IMPORT_MAX_BYTES); split the file")
    content = file.read_bytes()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("reading", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        with command_transaction() as session:
            try:
                report = service.import_master_data(session, SYSTEM, config, kind, content, file.name, file_format,
                                                    skip_invalid=skip_invalid, dry_run=dry_run, progress=progress)
            except Invalid as exc:  # the transaction rolls back: nothing is written
                bar.stop()
                err_console.print(_error_table(exc.errors, len(exc.errors)))
                raise fail(exc.detail) from None
    if report.errors:
        console.print(_error_table(report.errors, len(report.errors)))
    verb = "would create" if dry_run else "created"
    skipped = f", skipped rows {', '.join(map(str, report.skipped_rows[:SHOWN]))}" if report.skipped_rows else ""
    console.print(f"{report.kind}: {report.rows} row(s) read, {report.valid} valid, {verb} "
                  f"{report.valid if dry_run else report.created}{skipped}")
    if dry_run and report.errors:
        raise typer.Exit(1)


def export_command(
    kind: TransferKind = typer.Argument(..., help="products, categories, partners, channels or locations"),
    file: Path = typer.Argument(..., help="Where to write (.csv or .xlsx)"),
    file_format: FileFormat | None = typer.Option(None, "--format", help="csv or xlsx (default: from the name)"),
) -> None:
    """Export every active record of KIND with the columns the import accepts."""
    with command_transaction() as session:
        exported = service.export_master_data(session, SYSTEM, kind, format_of(file.name, file_format))
    with file.open("wb") as out:
        for chunk in exported.chunks:
            out.write(chunk)
    console.print(f"wrote {exported.rows} {kind} to {file}")
