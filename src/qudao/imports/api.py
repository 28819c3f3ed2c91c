"""REST routes for master-data files: upload an import, download an export (admin and planner)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import StreamingResponse

from qudao.api.deps import ActorDep, SessionDep, SettingsDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.imports import service
from qudao.imports.schemas import FileFormat, ImportReport, TransferKind

router = APIRouter(tags=["imports"], responses=PROBLEM_RESPONSES)


@router.post("/imports/{kind}", response_model=ImportReport)
def import_file(
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    kind: TransferKind,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or .xlsx; the first row names the columns")],
    skip_invalid: Annotated[bool, Query(description="Write the valid rows and report the others")] = False,
    dry_run: Annotated[bool, Query(description="Validate only; write nothing")] = False,
    format: Annotated[FileFormat | None, Query(description="Defaults to the file name's extension")] = None,
) -> ImportReport:
    # Read one byte past the limit so the service can refuse an oversized file without reading all of it.
    content = file.file.read(settings.import_max_bytes + 1)
    return service.import_master_data(session, actor, settings, kind, content, file.filename or "upload",
                                      format, skip_invalid=skip_invalid, dry_run=dry_run)


@router.get("/exports/{kind}", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, service.XLSX_MEDIA: {}}}})
def export_file(session: SessionDep, actor: ActorDep, kind: TransferKind,
                format: FileFormat = FileFormat.csv) -> StreamingResponse:
    exported = service.export_master_data(session, actor, kind, format)
    return StreamingResponse(iter(exported.chunks), media_type=exported.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'})
