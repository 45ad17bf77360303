"""Imports (数据导入) over the JSON API, as background jobs.

``POST /api/v1/imports`` takes a file (multipart: ``file``, ``kind``, ``crs``, ``encoding``)
and answers ``202 Accepted`` with a job at once; follow it at ``GET /api/v1/jobs/{id}``. The
job's result says whether the file was imported (its report) or lists every problem row by
row, with nothing stored; a cancelled job stores nothing. Administrators only.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from api.declared import one_of
from api.deps import CurrentActor, SettingsDep, allow
from api.errors import ERROR_RESPONSES
from api.pages.admin_import import CRS_CHOICES, ENCODINGS, KINDS, _limit_bytes, _save
from api.routes.jobs import accepted
from gridmgmt import jobs
from gridmgmt.errors import InvalidInputError
from gridmgmt.jobs import JobView
from gridmgmt.policy import Action
from gridmgmt.services import import_jobs

router = APIRouter(prefix="/api/v1/imports", tags=["imports"], responses=ERROR_RESPONSES)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        msg = f"`{name}` was {value!r} but is expected to be in {list(allowed)}"
        raise InvalidInputError(msg, [{"field": name, "message": msg}])
    return value


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobView,
    dependencies=[allow(Action.IMPORT_DATA)],
)
def import_upload(
    file: Annotated[UploadFile, File(description="CSV, Excel, GeoJSON, GeoPackage, zip.")],
    kind: Annotated[str, Form(description="What the file holds.", json_schema_extra=one_of(KINDS))],
    actor: CurrentActor,
    settings: SettingsDep,
    response: Response,
    crs: Annotated[
        str,
        Form(description="wgs84, gcj02, bd09 or cgcs2000.", json_schema_extra=one_of(CRS_CHOICES)),
    ] = "wgs84",
    encoding: Annotated[
        str,
        Form(description="Empty (UTF-8), gbk, gb18030, big5.", json_schema_extra=one_of(ENCODINGS)),
    ] = "",
) -> JobView:
    """Import a file as a job: all or nothing, with every problem listed in its result."""
    _choice("kind", kind, KINDS)
    _choice("crs", crs, CRS_CHOICES)
    _choice("encoding", encoding, ENCODINGS)
    folder = Path(tempfile.mkdtemp(prefix="gridmgmt-import-"))
    try:
        path = _save(file, folder, _limit_bytes(settings), settings.max_upload_mb)
        params = import_jobs.import_params(actor, kind, path, crs=crs, encoding=encoding or None)
        view = jobs.submit(import_jobs.IMPORT_FILE, params, actor=actor, settings=settings)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return accepted(view, response)
