"""A small two-province world for API tests: three counties, a few rows each, four users.

The world is built once per session into a migrated SQLite file (argon2 hashing is slow on
purpose) and copied for each test, so every test has its own real database file.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, Point, box

from api.main import create_app
from api.security import create_access_token
from gridmgmt.config import Settings
from gridmgmt.domain import BusinessType, CheckpointKind, RetailerStatus, SchoolKind, UserRole
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.users import add_user
from gridmgmt.store import db
from gridmgmt.store.models import Checkpoint, County, Province, Retailer, School

SECRET = "test-secret-key-" + "x" * 24
XINGHE, TIANZHEN, HUAIAN = "150924", "140222", "130728"


@dataclass(frozen=True)
class World:
    """What the seeded database holds: passwords by username, licence numbers by county."""

    passwords: dict[str, str]
    licences: dict[str, list[str]]


def _retailer(licence: str, county: str, x: float, y: float, status: RetailerStatus) -> Retailer:
    return Retailer(
        licence_no=licence,
        name=f"便利店{licence[-3:]}",
        address="人民路1号",
        county_code=county,
        tier=5,
        business_type=BusinessType.CONVENIENCE,
        status=status,
        key_retailer=status is RetailerStatus.CLOSED,
        location=Point(x, y),
    )


def seed(url: str) -> World:
    """Fill an empty, migrated database with the test world."""
    licences = {
        XINGHE: ["150924000001", "150924000002", "150924000003"],
        TIANZHEN: ["140222000001", "140222000002"],
        HUAIAN: ["130728000001"],
    }
    statuses = [RetailerStatus.ACTIVE, RetailerStatus.SUSPENDED, RetailerStatus.CLOSED]
    with db.transaction(url) as session:
        session.add_all(
            [
                Province(code="150000", name="内蒙古自治区"),
                Province(code="140000", name="山西省"),
                Province(code="130000", name="河北省"),
            ]
        )
        session.flush()
        session.add_all(
            [
                County(
                    code=XINGHE,
                    name="兴和县",
                    province_code="150000",
                    city="乌兰察布市",
                    boundary=MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]),
                ),
                County(
                    code=TIANZHEN,
                    name="天镇县",
                    province_code="140000",
                    city="大同市",
                    boundary=MultiPolygon([box(114.3, 40.4, 115.0, 41.0)]),
                ),
                County(
                    code=HUAIAN,
                    name="怀安县",
                    province_code="130000",
                    city="张家口市",
                    boundary=MultiPolygon([box(114.3, 40.0, 115.0, 40.4)]),
                ),
            ]
        )
        session.flush()
        origins = {XINGHE: (113.8, 40.9), TIANZHEN: (114.6, 40.6), HUAIAN: (114.6, 40.2)}
        for county, numbers in licences.items():
            x, y = origins[county]
            for i, licence in enumerate(numbers):
                session.add(_retailer(licence, county, x + i * 0.01, y, statuses[i % 3]))
            session.add(
                School(
                    name=f"{county}第一小学",
                    kind=SchoolKind.PRIMARY,
                    county_code=county,
                    location=Point(x, y + 0.02),
                )
            )
            session.add(
                Checkpoint(
                    name=f"{county}收费站",
                    kind=CheckpointKind.TOLL_STATION,
                    county_code=county,
                    location=Point(x + 0.05, y - 0.02),
                )
            )
    users = {
        "alice": (UserRole.OFFICER, [XINGHE]),
        "bob": (UserRole.OFFICER, [TIANZHEN]),
        "lucy": (UserRole.LIAISON, [XINGHE, TIANZHEN]),
    }
    passwords = {}
    for username, (role, counties) in users.items():
        passwords[username] = secrets.token_urlsafe(12)
        add_test_user(
            url, username, passwords[username], role, counties, full_name=username.title()
        )
    return World(passwords=passwords, licences=licences)


@pytest.fixture(scope="session", autouse=True)
def _dask_cluster() -> Iterator[None]:
    """Close the in-process Dask cluster (and distributed's offload thread) at the end."""
    yield
    from distributed.utils import _offload_executor

    from gridmgmt.jobs import cluster

    cluster.shutdown()
    _offload_executor.shutdown(wait=True)


def add_test_user(
    url: str,
    username: str,
    password: str,
    role: UserRole,
    counties: list[str],
    *,
    full_name: str | None = None,
) -> None:
    """Add a user to the database at ``url`` in a transaction of its own, as the CLI would."""
    with db.transaction(url) as session:
        add_user(session, SYSTEM, username, password, role, counties, full_name=full_name)


@pytest.fixture(scope="session")
def _seeded(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    path = tmp_path_factory.mktemp("api") / "seeded.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    world = seed(url)
    db.get_engine(url).dispose()
    return path, world


@pytest.fixture
def world(_seeded: tuple[Path, World]) -> World:
    """Passwords and licence numbers of the seeded world."""
    return _seeded[1]


@pytest.fixture
def api_url(_seeded: tuple[Path, World], tmp_path: Path) -> Iterator[str]:
    """A real SQLite file holding the seeded world, private to this test."""
    path = tmp_path / "api.db"
    shutil.copy(_seeded[0], path)
    url = f"sqlite:///{path}"
    yield url
    db.get_engine(url).dispose()


def make_settings(url: str, **overrides: object) -> Settings:
    """Settings for a test app: this database, a fixed key, no tiles."""
    values: dict[str, object] = {
        "database_url": url,
        "secret_key": SECRET,
        "token_minutes": 30,
        "tile_url": None,
        "tile_attribution": "",
        "tile_crs": "wgs84",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(api_url: str) -> Iterator[TestClient]:
    """A test client of the app on the seeded database."""
    with TestClient(create_app(make_settings(api_url))) as test_client:
        yield test_client


def _bearer(username: str, *, minutes: int = 30, key: str = SECRET) -> dict[str, str]:
    token = create_access_token(username, secret_key=key, minutes=minutes)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def bearer() -> Callable[..., dict[str, str]]:
    """Makes an Authorization header for a username, signed like the app signs tokens."""
    return _bearer


@pytest.fixture
def app_settings() -> Callable[..., Settings]:
    """Makes test settings for a database URL (fixed key, no tiles), with overrides."""
    return make_settings


def wait_for_job(
    client: TestClient,
    answer: Any,
    headers: dict[str, str] | None = None,
    *,
    timeout_s: float = 60,
) -> dict[str, Any]:
    """Follow a ``202 Accepted`` answer's job until it ends; the job's last view.

    ``answer`` is the response (its status must be 202) or the job's JSON.
    """
    if not isinstance(answer, dict):
        assert answer.status_code == 202, answer.text
        assert answer.headers["Location"] == f"/api/v1/jobs/{answer.json()['id']}"
        answer = answer.json()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view: dict[str, Any] = client.get(f"/api/v1/jobs/{answer['id']}", headers=headers).json()
        if view["state"] in {"succeeded", "failed", "cancelled"}:
            return view
        time.sleep(0.1)
    raise AssertionError(f"job {answer['id']} did not end within {timeout_s} s")
