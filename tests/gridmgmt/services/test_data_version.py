"""The data version stamp: changes with every added, changed or removed row of its kinds and
counties, and with nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import delete, insert, select, update

from gridmgmt.domain import BusinessType, RetailerStatus
from gridmgmt.services.data_version import KINDS, data_version
from gridmgmt.store import db
from gridmgmt.store.models import County, Retailer, School
from gridmgmt.store.models.grids import GridRecord, RetailerGrid

from .rules_world import A, B, point, seed_world


@pytest.fixture
def url(store_url: str) -> str:
    seed_world(store_url)
    return store_url


def _stamp(url: str, codes: list[str] | None, *kinds: str, everywhere: tuple[str, ...] = ()) -> Any:
    with db.transaction(url) as session:
        return data_version(session, codes, kinds, everywhere=everywhere)


def _shop(licence: str) -> Retailer:
    return Retailer(
        licence_no=licence,
        name="新店",
        county_code=A,
        tier=5,
        business_type=BusinessType.GROCERY,
        status=RetailerStatus.ACTIVE,
        key_retailer=False,
        location=point(-5_000, 15_000),
    )


def test_a_row_added_changed_or_removed_changes_the_stamp(url: str) -> None:
    stamps = [_stamp(url, [A], "retailers", "schools")]
    with db.transaction(url) as session:
        session.add(_shop("150924999999"))
    stamps.append(_stamp(url, [A], "retailers", "schools"))
    with db.transaction(url) as session:  # the ORM's way
        session.scalars(
            select(Retailer).where(Retailer.licence_no == "150924999999")
        ).one().name = "改名"
    stamps.append(_stamp(url, [A], "retailers", "schools"))
    with db.transaction(url) as session:  # a bulk UPDATE, the importer's way
        session.execute(update(School).where(School.county_code == A).values(name="新名"))
    stamps.append(_stamp(url, [A], "retailers", "schools"))
    with db.transaction(url) as session:
        session.execute(delete(Retailer).where(Retailer.licence_no == "150924999999"))
    stamps.append(_stamp(url, [A], "retailers", "schools"))
    assert len(set(stamps)) == len(stamps)


def test_another_countys_change_leaves_the_stamp_alone(url: str) -> None:
    before = _stamp(url, [A], "retailers")
    everywhere = _stamp(url, None, "retailers")
    with db.transaction(url) as session:
        session.execute(update(Retailer).where(Retailer.county_code == B).values(tier=1))
    assert _stamp(url, [A], "retailers") == before
    assert _stamp(url, None, "retailers") != everywhere


def test_counties_everywhere_and_grid_posts_are_stamped(url: str) -> None:
    stamps = [_stamp(url, [A], "grids", "retailer_grids", everywhere=("counties",))]
    with db.transaction(url) as session:  # a neighbour's outline: borders change
        session.execute(update(County).where(County.code == B).values(name="天镇县（新）"))
    stamps.append(_stamp(url, [A], "grids", "retailer_grids", everywhere=("counties",)))
    with db.transaction(url) as session:
        session.add(GridRecord(county_code=A, grid_id="G01", geometry=_square(), designed_by="t"))
        shop = session.scalars(select(Retailer).where(Retailer.county_code == A)).first()
        assert shop is not None
        session.flush()
        session.add(RetailerGrid(retailer_id=shop.id, county_code=A, grid_id="G01"))
        shop_id = shop.id
    stamps.append(_stamp(url, [A], "grids", "retailer_grids", everywhere=("counties",)))
    with db.transaction(url) as session:  # posts deleted and written again, as assign does
        session.execute(delete(RetailerGrid).where(RetailerGrid.county_code == A))
        session.execute(
            insert(RetailerGrid), [{"retailer_id": shop_id, "county_code": A, "grid_id": "G01"}]
        )
    stamps.append(_stamp(url, [A], "grids", "retailer_grids", everywhere=("counties",)))
    assert len(set(stamps)) == len(stamps)


def _square() -> MultiPolygon:
    return MultiPolygon([box(113.0, 40.0, 115.0, 42.0)])


def test_every_kind_can_be_stamped(url: str) -> None:
    stamp = _stamp(url, [A, B], *KINDS)
    assert len(stamp) == 2 * len(KINDS)
    with pytest.raises(KeyError):
        _stamp(url, [A], "weather")
