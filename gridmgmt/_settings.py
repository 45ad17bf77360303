"""The settings class behind :mod:`gridmgmt.config` (which loads this module on first use)."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gridmgmt.config import DEFAULT_DATABASE_URL, REPO_ROOT

_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "changethis"}


class Settings(BaseSettings):
    """Runtime configuration of gridmgmt.

    Every field can be set as an environment variable, e.g. ``GRIDMGMT_DATABASE_URL``.
    """

    model_config = SettingsConfigDict(env_prefix="GRIDMGMT_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: a SQLite file or postgresql+psycopg://... with PostGIS.",
    )
    secret_key: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        description="Signs session cookies and API tokens. Set it in production, or every "
        "restart logs everyone out.",
    )
    token_minutes: int = Field(default=8 * 60, description="Lifetime of a login, in minutes.")
    tile_url: str | None = Field(
        default=None,
        description="XYZ tile URL template for map backgrounds (an intranet tile server), "
        "e.g. http://tiles.bureau.local/{z}/{x}/{y}.png. Empty: a plain background.",
    )
    tile_attribution: str = Field(default="", description="Attribution shown for the tiles.")
    tile_crs: str = Field(
        default="wgs84",
        description="Coordinate system of the tile server's imagery: wgs84 or gcj02 (Amap-style).",
    )
    roads_file: Path | None = Field(
        default=None,
        description="OSM XML or PBF road network of the region, for routes and walking "
        "distances. Empty: the demo region's roads.osm.",
    )
    dask_scheduler: str | None = Field(
        default=None,
        description="Address of a Dask scheduler running background jobs, e.g. "
        "tcp://scheduler.bureau.local:8786. Empty: an in-process cluster of threads.",
    )
    federation_key: str | None = Field(
        default=None,
        description="The cooperation area's key(s) for private matching between county "
        "servers, as kid:secret pairs separated by commas (e.g. 2026q1:<secret>,2025q4:<old>); "
        "the first exports bundles, any of them is accepted on import. Empty: no bundles.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="How long a write to a SQLite database waits for another writer before "
        "the request answers 503 (busy, retry later), in milliseconds.",
    )
    demo_dir: Path = Field(
        default=REPO_ROOT / "data" / "demo", description="Folder with the demo region's files."
    )

    @field_validator("secret_key")
    @classmethod
    def _refuse_placeholder(cls, value: str) -> str:
        if value.strip().lower() in _PLACEHOLDER_SECRETS or len(value) < 16:
            msg = (
                "GRIDMGMT_SECRET_KEY is a placeholder or shorter than 16 characters; set a real one"
            )
            raise ValueError(msg)
        return value

    @field_validator("tile_url")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None
