"""Is the service up, and is its database reachable and migrated?"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Response, status
from sqlalchemy.exc import SQLAlchemyError

from api.deps import SettingsDep
from api.errors import ERROR_RESPONSES
from api.schemas import HealthOut
from gridmgmt.store import db

router = APIRouter(prefix="/api/v1", tags=["health"], responses=ERROR_RESPONSES)


def package_version() -> str:
    try:
        return version("gridmgmt")
    except PackageNotFoundError:
        return "unknown"


@router.get("/health")
def health(settings: SettingsDep, response: Response) -> HealthOut:
    """Status, database reachability, schema revision and version (no login needed)."""
    head = db.head_revision()
    try:
        revision = db.current_revision(db.get_engine(settings.database_url))
    except SQLAlchemyError:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return HealthOut(
            status="degraded",
            database="error",
            schema_revision=None,
            schema_head=head,
            version=package_version(),
        )
    healthy = revision == head
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut(
        status="ok" if healthy else "degraded",
        database="ok",
        schema_revision=revision,
        schema_head=head,
        version=package_version(),
    )
