"""Heavy map answers come from a per-process cache checked against the data version: every
change made by anyone (another worker, an import, a grid design) shows in the next answer,
and two databases never share an answer."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy import delete, select, update

from api.main import create_app
from gridmgmt.domain import SchoolKind, UserRole
from gridmgmt.store import db
from gridmgmt.store.models import Retailer, School
from gridmgmt.store.models.grids import GridRecord

from .conftest import TIANZHEN, add_test_user, make_settings
from .officer_world import EVIL_LICENCE, XINGHE, add_officer_world

Headers = dict[str, str]


@pytest.fixture
def officer(api_url: str, bearer: Callable[..., Headers]) -> Iterator[tuple[TestClient, Headers]]:
    add_officer_world(api_url)
    with TestClient(create_app(make_settings(api_url))) as client:
        yield client, bearer("alice")


def _names(data: dict[str, object]) -> set[str]:
    columns = data["retailer_columns"]
    assert isinstance(columns, list)
    rows = data["retailers"]
    assert isinstance(rows, list)
    return {row[columns.index("name")] for row in rows}


def test_map_data_shows_each_change_in_the_next_answer(
    officer: tuple[TestClient, Headers], api_url: str
) -> None:
    client, alice = officer
    path = f"/api/v1/officer/map?county={XINGHE}"
    first = client.get(path, headers=alice)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert client.get(path, headers=alice).content == first.content  # the cached answer
    with db.transaction(api_url) as session:  # as another worker or an import would
        shop = session.scalars(select(Retailer).where(Retailer.licence_no == EVIL_LICENCE)).one()
        shop.name = "改名后的店"
        session.add(
            School(
                name="新建小学",
                kind=SchoolKind.PRIMARY,
                county_code=XINGHE,
                location=Point(113.8, 40.9),
            )
        )
    changed = client.get(path, headers=alice).json()
    assert "改名后的店" in _names(changed)
    assert "新建小学" in {row[0] for row in changed["schools"]}
    closed = "150924000003"  # a closed licence, in no draw or ticket
    with db.transaction(api_url) as session:
        name = session.scalars(select(Retailer.name).where(Retailer.licence_no == closed)).one()
        session.execute(delete(Retailer).where(Retailer.licence_no == closed))
    assert name not in _names(client.get(path, headers=alice).json())
    assert client.get("/api/v1/officer/map?county=140222", headers=alice).status_code == 404


def test_grid_outlines_follow_a_changed_design(
    officer: tuple[TestClient, Headers], api_url: str, bearer: Callable[..., Headers]
) -> None:
    client, alice = officer
    grids = client.get(f"/api/v1/grids/{XINGHE}", headers=alice).json()
    assert {f["properties"]["grid_id"] for f in grids["features"]} == {"XH-01", "XH-02"}
    with db.transaction(api_url) as session:
        session.execute(delete(GridRecord).where(GridRecord.grid_id == "XH-02"))
    grids = client.get(f"/api/v1/grids/{XINGHE}", headers=alice).json()
    assert [f["properties"]["grid_id"] for f in grids["features"]] == ["XH-01"]
    assert client.get("/api/v1/grids/140222", headers=alice).status_code == 404
    add_test_user(api_url, "root", secrets.token_urlsafe(12), UserRole.ADMIN, [XINGHE, TIANZHEN])
    assert client.get("/api/v1/grids/999999", headers=bearer("root")).status_code == 404


def test_rule_layers_follow_new_schools_in_each_language(
    officer: tuple[TestClient, Headers], api_url: str
) -> None:
    client, alice = officer
    path = f"/api/v1/officer/layers/red_lines?county={XINGHE}"
    chinese = client.get(path, headers={**alice, "Accept-Language": "zh-CN"}).json()
    english = client.get(path, headers={**alice, "Accept-Language": "en"}).json()
    assert chinese["points"] == english["points"]
    assert chinese["notes"] != english["notes"]  # each language its own texts
    with db.transaction(api_url) as session:  # a school opens next to a shop
        shop = session.scalars(select(Retailer).where(Retailer.licence_no == EVIL_LICENCE)).one()
        session.add(
            School(
                name="贴邻小学", kind=SchoolKind.PRIMARY, county_code=XINGHE, location=shop.location
            )
        )
    found = client.get(path, headers={**alice, "Accept-Language": "en"}).json()
    assert len(found["points"]) > len(english["points"])


def test_two_databases_never_share_an_answer(
    api_url: str, tmp_path: Path, bearer: Callable[..., Headers]
) -> None:
    add_officer_world(api_url)
    other = tmp_path / "other.db"
    with (
        closing(sqlite3.connect(api_url.removeprefix("sqlite:///"))) as source,
        closing(sqlite3.connect(other)) as copy,
    ):
        source.backup(copy)
    other_url = f"sqlite:///{other}"
    with db.transaction(other_url) as session:  # same data version, another name
        shop = session.scalars(select(Retailer).where(Retailer.licence_no == EVIL_LICENCE)).one()
        stamp = shop.updated_at
        session.execute(
            update(Retailer)
            .where(Retailer.licence_no == EVIL_LICENCE)
            .values(name="另一个库的店", updated_at=stamp)
        )
    path = f"/api/v1/officer/map?county={XINGHE}"
    answers = []
    for url in (api_url, other_url, api_url):
        with TestClient(create_app(make_settings(url))) as client:
            answers.append(_names(client.get(path, headers=bearer("alice")).json()))
    db.dispose_engine(other_url)
    assert "另一个库的店" not in answers[0]
    assert "另一个库的店" in answers[1]
    assert answers[2] == answers[0]
