"""The settings class behind :mod:`gridmgmt.config` (which loads this module on first use)."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gridmgmt.config import DEFAULT_DATABASE_URL, REPO_ROOT
from gridmgmt.errors import InvalidInputError


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) only reaches this machine."""
    if host.strip("[]").lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
        "tcp://scheduler.bureau.local:8786. Empty: `serve` starts a local cluster (a worker "
        "process), other commands run jobs in threads of their own process.",
    )
    federation_key: str | None = Field(
        default=None,
        description="The cooperation area's key(s) for private matching between county "
        "servers, as kid:secret pairs separated by commas (e.g. 2026q1:<secret>,2025q4:<old>); "
        "the first exports bundles, any of them is accepted on import. Empty: no bundles.",
    )
    max_grids: int = Field(
        default=500,
        ge=1,
        description="Most grids one design of a county may have (the number of retailers "
        "to visit bounds it too): an absurd request is refused at once (422).",
    )
    max_solver_seconds: float = Field(
        default=120.0,
        gt=0,
        description="Largest solver time budget one route plan may ask for, per day "
        "(seconds); a request over it is refused (422).",
    )
    max_upload_mb: float = Field(
        default=50.0, gt=0, description="Largest file the import page accepts, in megabytes."
    )
    import_max_file_mb: float = Field(
        default=1024.0,
        gt=0,
        description="Largest file an import reads (command line and API), in megabytes; "
        "larger files are refused before they are read.",
    )
    import_max_header_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Longest header line of a CSV file, in bytes (a 50 MB header is refused "
        "before the file is decoded).",
    )
    import_max_columns: int = Field(
        default=500, ge=10, description="Most columns an imported file may have."
    )
    import_max_problems: int = Field(
        default=100,
        ge=1,
        description="Problems of a refused import that are listed; the rest are counted.",
    )
    import_max_vertices: int = Field(
        default=200_000,
        ge=100,
        description="Most vertices one imported polygon (a county, a campus) may have.",
    )
    import_max_archive_mb: float = Field(
        default=2048.0,
        gt=0,
        description="Largest total size of the files unpacked from a .zip import, in megabytes.",
    )
    import_max_archive_members: int = Field(
        default=64, ge=1, description="Most files a .zip import may hold."
    )
    import_max_compression_ratio: float = Field(
        default=500.0,
        gt=1,
        description="Largest unpacked-to-packed size ratio of a file over 1 MB in a .zip "
        "import (a zip bomb packs far tighter than any real data).",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="How long a write to a SQLite database waits for another writer before "
        "the request answers 503 (busy, retry later), in milliseconds.",
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins of one account that lock it."
    )
    login_max_address_failures: int = Field(
        default=20, ge=1, description="Failed logins from one address that lock it."
    )
    login_window_minutes: int = Field(
        default=15, ge=1, description="The window in which failed logins are counted."
    )
    login_lockout_minutes: int = Field(
        default=15, ge=1, description="How long a locked account or address waits."
    )
    trust_proxy: bool = Field(
        default=False,
        description="Behind a reverse proxy: trust the X-Forwarded-Proto (HTTPS: Secure "
        "session cookies) and X-Forwarded-For (the client's address for login throttling "
        "and the logs) of requests that come from `trusted_proxies`. Off: both are ignored.",
    )
    trusted_proxies: str = Field(
        default="127.0.0.1,::1",
        description="With trust_proxy: the reverse proxies' addresses or networks, separated "
        "by commas (e.g. 10.0.0.5,10.0.1.0/24; * for any). Forwarded headers from any other "
        "peer are ignored, and X-Forwarded-For is read from the right, past these proxies.",
    )
    demo_dir: Path = Field(
        default=REPO_ROOT / "data" / "demo", description="Folder with the demo region's files."
    )
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="How `gridmgmt serve` writes its log: one JSON object per line (with the "
        "request id) or plain text.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="The least severe log level written by `gridmgmt serve`."
    )

    def require_secret_for(self, host: str) -> None:
        """Refuse to serve on ``host`` with a generated key unless it is a loopback address.

        A generated key changes at every start and is nobody's choice; on a network address
        the key must be set (``GRIDMGMT_SECRET_KEY``).

        Raises
        ------
        InvalidInputError
            ``host`` is not loopback and no secret key was set.
        """
        if "secret_key" in self.model_fields_set or is_loopback(host):
            return
        msg = (
            f"refusing to serve on {host}: set GRIDMGMT_SECRET_KEY (e.g. `python -c "
            '"import secrets; print(secrets.token_urlsafe(32))"`) or listen on 127.0.0.1'
        )
        raise InvalidInputError(msg)

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
