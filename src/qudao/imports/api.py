"""REST routes for master-data files: upload an import, download an export (admin and planner)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from qudao.api.deps import ActorDep, SessionDep, SettingsDep
from qudao.api.problems import PROBLEM_RESPONSES
from qudao.errors import invalid
from qudao.imports import service
from qudao.imports.schemas import FileFormat, ImportReport, TransferKind

router = APIRouter(tags=["imports"], responses=PROBLEM_RESPONSES)

UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "CSV (UTF-8) or .xlsx; the first row names the columns"}}}}}}}


@router.post("/imports/{kind}", response_model=ImportReport, openapi_extra=UPLOAD_BODY)
async def import_file(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    kind: TransferKind,
    skip_invalid: Annotated[bool, Query(description="Write the valid rows and report the others")] = False,
    dry_run: Annotated[bool, Query(description="Validate only; write nothing")] = False,
    format: Annotated[FileFormat | None, Query(description="Defaults to the file name's extension")] = None,
) -> ImportReport:
    # The form is read here rather than declared as a File parameter, so request-wide dependencies that
    # look at the raw body run first and the upload is still readable afterwards.
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise invalid("file", "send the file as the multipart/form-data field 'file'")
    # One byte past the limit is enough for the service to refuse an oversized file.
    content = await upload.read(settings.import_max_bytes + 1)
    return await run_in_threadpool(service.import_master_data, session, actor, settings, kind, content,
                                   upload.filename or "upload", format, skip_invalid=skip_invalid, dry_run=dry_run)


@router.get("/exports/{kind}", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, service.XLSX_MEDIA: {}}}})
def export_file(session: SessionDep, actor: ActorDep, kind: TransferKind,
                format: FileFormat = FileFormat.csv) -> StreamingResponse:
    exported = service.export_master_data(session, actor, kind, format)
    return StreamingResponse(iter(exported.chunks), media_type=exported.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'})
