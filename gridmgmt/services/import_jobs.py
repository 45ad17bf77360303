"""Importing a file as a background job (后台任务: 数据导入), all or nothing.

A big file takes long to check and store, so the API queues it: the upload is saved to a
folder of its own, the job imports it with progress (rows written) and cancel, and removes
the folder when it ends. A file with problems imports nothing, and the job still succeeds
with the row-by-row report of what is wrong (``imported`` false, ``problems``): the check
itself is the work done. A cancelled or crashed job stores nothing either.

The folder must be readable by the worker that runs the job: in process (the default) any
temporary folder is; on a Dask cluster use a folder every worker mounts.

Job kind (importable for batch runs): :data:`IMPORT_FILE` runs :func:`import_file_job` with
:class:`ImportParams`.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError
from gridmgmt.jobs import JobContext, job
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.results import Result

__all__ = [
    "IMPORT_FILE",
    "ImportOutcome",
    "ImportParams",
    "import_any",
    "import_file_job",
    "import_params",
]

IMPORT_FILE: Final = "imports.file"


@requires(Action.IMPORT_DATA)
def import_any(
    session: Session,
    actor: Actor,
    kind: str,
    path: Path,
    *,
    crs: str,
    encoding: str | None,
    progress: Any = None,
) -> Any:
    """Import ``path`` as ``kind`` (cases or any base-data kind) in a savepoint: nothing
    stays of it on error. The import's report."""
    with session.begin_nested():
        if kind == "cases":
            from gridmgmt.services.cases import import_cases

            return import_cases(session, actor, path, crs=crs, label=path.name)
        from gridmgmt.services.imports import import_file

        return import_file(
            session,
            actor,
            kind,
            path,
            crs=crs,
            encoding=encoding,
            label=path.name,
            progress=progress,
        )


class ImportParams(BaseModel):
    """Import the file at ``path`` (saved by the face) as ``kind``."""

    kind: str = Field(min_length=1, description="What the file holds (retailers, cases...).")
    path: str = Field(min_length=1, description="The saved upload, in a folder of its own.")
    crs: str = Field(default="wgs84", description="The file's coordinate system.")
    encoding: str | None = Field(default=None, description="A non-UTF-8 text encoding.")
    county_codes: list[str] = Field(
        default_factory=list, description="The importer's counties (the job's scope)."
    )


class ImportOutcome(Result):
    """Whether the file was imported, its report, or every problem found (nothing stored)."""

    imported: bool
    file: str
    report: dict[str, Any] | None = None
    message: str = ""
    problems: list[dict[str, Any]] = Field(default_factory=list)


@requires(Action.IMPORT_DATA)
def import_params(
    actor: Actor, kind: str, path: Path, *, crs: str, encoding: str | None
) -> ImportParams:
    """The params of an import job for ``actor`` (scope: their counties; admin: all)."""
    return ImportParams(
        kind=kind,
        path=str(path),
        crs=crs,
        encoding=encoding,
        county_codes=sorted(actor.counties or ()),
    )


def _report(report: Any) -> dict[str, Any]:
    if isinstance(report, BaseModel):
        return report.model_dump(mode="json")
    if is_dataclass(report) and not isinstance(report, type):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(report).items()}
    return {"report": str(report)}


@job(IMPORT_FILE, params=ImportParams, action=Action.IMPORT_DATA)
def import_file_job(ctx: JobContext, session: Session, params: ImportParams) -> ImportOutcome:
    """Import the saved upload; its folder is removed when the job has ended, whatever the
    outcome (not before a run again after a busy database: it reads the same file)."""
    path = Path(params.path)

    def progress(done: int, total: int) -> None:
        ctx.progress(0.05 + 0.9 * done / max(total, 1), f"{done}/{total}")

    ctx.when_ended(lambda: shutil.rmtree(path.parent, ignore_errors=True))
    try:
        ctx.progress(0.02, "reading")
        report = import_any(
            session,
            ctx.actor,
            params.kind,
            path,
            crs=params.crs,
            encoding=params.encoding,
            progress=progress,
        )
    except InvalidInputError as error:
        problems = [dict(p) for p in error.problems]
        return ImportOutcome(
            imported=False, file=path.name, message=error.message, problems=problems
        )
    return ImportOutcome(imported=True, file=path.name, report=_report(report))
