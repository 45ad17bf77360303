"""``/admin/import``: upload a file to import, see its report or every problem row by row.

The upload is refused before it is read when the request says it is larger than the
``max_upload_mb`` setting, and while it is copied to a temporary file when it grows past it.
The import runs through the import services in a savepoint: on any problem nothing is
stored, and the page lists the problems (file, row, field, message).
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Any, Final

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api.deps import SessionDep, SettingsDep
from api.i18n import gettext_for
from api.pages.admin_common import render, user_for
from gridmgmt.config import Settings
from gridmgmt.errors import GridmgmtError, InvalidInputError
from gridmgmt.io.limits import ImportLimits
from gridmgmt.policy import Action
from gridmgmt.services.actor import Actor
from gridmgmt.services.import_jobs import import_any
from gridmgmt.services.users import UserInfo, actor_for

router = APIRouter()

KINDS: Final = (
    "retailers",
    "schools",
    "checkpoints",
    "counties",
    "depots",
    "vehicles",
    "orders",
    "staff",
    "cases",
)
CRS_CHOICES: Final = ("wgs84", "gcj02", "bd09", "cgcs2000")
ENCODINGS: Final = ("", "gbk", "gb18030", "big5")
"""``""``: UTF-8 (with or without BOM) or UTF-16 with a BOM, as the readers detect it."""
_CHUNK: Final = 1 << 20

ImportUser = user_for(Action.IMPORT_DATA)


class UploadTooLargeError(InvalidInputError):
    """The uploaded file is larger than the ``max_upload_mb`` setting."""


def _limit_bytes(settings: Settings) -> int:
    return ImportLimits.from_settings(settings).max_upload_bytes


def _too_large(max_mb: float) -> UploadTooLargeError:
    msg = f"the file is larger than {max_mb:g} MB, the most this page accepts"
    return UploadTooLargeError(msg, [{"field": "file", "message": msg}])


def _save(upload: UploadFile, folder: Path, limit: int, max_mb: float) -> Path:
    """Copy the upload to ``folder`` under its own name, refusing it past ``limit`` bytes."""
    name = PurePath(upload.filename or "upload").name or "upload"
    target = folder / name
    written = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise _too_large(max_mb)
            out.write(chunk)
    if written == 0:
        msg = "the file is empty"
        raise InvalidInputError(msg, [{"field": "file", "message": msg}])
    return target


def run_import(
    session: Session, actor: Actor, kind: str, path: Path, *, crs: str, encoding: str | None
) -> Any:
    """Import ``path`` as ``kind`` in a savepoint (nothing stays on error); its report."""
    return import_any(session, actor, kind, path, crs=crs, encoding=encoding)


def _page(
    request: Request,
    user: UserInfo,
    max_mb: float,
    *,
    chosen: dict[str, str] | None = None,
    report: Any = None,
    error: GridmgmtError | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    problems = list(getattr(error, "problems", []) or []) if error is not None else []
    context = {
        "kinds": KINDS,
        "crs_choices": CRS_CHOICES,
        "encodings": ENCODINGS,
        "chosen": chosen or {"kind": "retailers", "crs": "wgs84", "encoding": ""},
        "max_mb": f"{max_mb:g}",
        "report": report,
        "error": error,
        "problems": problems,
    }
    return render(request, "admin/import.html", user, context, status_code=status_code)


@router.get("/admin/import", response_class=HTMLResponse)
def import_page(
    request: Request, settings: SettingsDep, user: UserInfo = ImportUser
) -> HTMLResponse:
    """The upload form."""
    return _page(request, user, settings.max_upload_mb)


@router.post("/admin/import", response_class=HTMLResponse)
async def upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserInfo = ImportUser,
) -> HTMLResponse:
    """Import the uploaded file; show the report, or every problem (nothing stored)."""
    max_mb = settings.max_upload_mb
    limit = _limit_bytes(settings)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _CHUNK:
        return _page(
            request,
            user,
            max_mb,
            error=_too_large(max_mb),
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        )
    form = await request.form(max_files=1, max_fields=10)
    chosen = {key: str(form.get(key) or "") for key in ("kind", "crs", "encoding")}
    upload_file = form.get("file")
    _ = gettext_for(request)
    try:
        if chosen["kind"] not in KINDS or chosen["crs"] not in CRS_CHOICES:
            msg = _("Choose what the file holds and its coordinate system.")
            raise InvalidInputError(msg)
        if chosen["encoding"] not in ENCODINGS:
            raise InvalidInputError(_("Choose the file's text encoding."))
        if not isinstance(upload_file, UploadFile) or not upload_file.filename:
            raise InvalidInputError(_("Choose a file to upload."))
        with tempfile.TemporaryDirectory(prefix="gridmgmt-upload-") as folder:
            path = await run_in_threadpool(_save, upload_file, Path(folder), limit, max_mb)
            report = await run_in_threadpool(
                run_import,
                session,
                actor_for(user),
                chosen["kind"],
                path,
                crs=chosen["crs"],
                encoding=chosen["encoding"] or None,
            )
    except GridmgmtError as error:
        code = (
            status.HTTP_413_CONTENT_TOO_LARGE
            if isinstance(error, UploadTooLargeError)
            else error.http_status
        )
        return _page(request, user, max_mb, chosen=chosen, error=error, status_code=code)
    finally:
        await form.close()
    return _page(request, user, max_mb, chosen=chosen, report=report)


__all__ = ["router", "run_import"]
