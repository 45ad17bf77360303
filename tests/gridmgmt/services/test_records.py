"""Scoped look-ups behind the API: other counties' rows look exactly like missing ones."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, Point, box

from gridmgmt.domain import BusinessType, RetailerStatus, UserRole
from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.services import records
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.store import db
from gridmgmt.store.models import County, Province, Retailer

XINGHE = Actor("alice", UserRole.OFFICER, frozenset({"150924"}))


@pytest.fixture
def url(store_url: str) -> str:
    with db.transaction(store_url) as session:
        session.add_all(
            [Province(code="150000", name="内蒙古"), Province(code="140000", name="山西")]
        )
        session.flush()
        session.add_all(
            [
                County(
                    code="150924",
                    name="兴和县",
                    province_code="150000",
                    boundary=MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]),
                ),
                County(
                    code="140222",
                    name="天镇县",
                    province_code="140000",
                    boundary=MultiPolygon([box(114.3, 40.4, 115.0, 41.0)]),
                ),
            ]
        )
        session.flush()
        statuses = [RetailerStatus.ACTIVE, RetailerStatus.ACTIVE, RetailerStatus.CLOSED]
        for county, x in (("150924", 113.8), ("140222", 114.6)):
            for i, status in enumerate(statuses):
                session.add(
                    Retailer(
                        licence_no=f"{county}00000{i}",
                        name=f"店{i}",
                        county_code=county,
                        tier=3,
                        business_type=BusinessType.GROCERY,
                        status=status,
                        location=Point(x + i / 100, 40.8),
                    )
                )
    return store_url


def test_counties_are_scoped(url: str) -> None:
    with db.transaction(url) as session:
        assert [c.code for c in records.list_counties(session, XINGHE)] == ["150924"]
        assert records.county_codes(session, SYSTEM) == ["140222", "150924"]
        detail = records.get_county(session, XINGHE, "150924")
        assert (detail.code, detail.province, detail.retailers_by_status["active"]) == (
            "150924",
            "内蒙古",
            2,
        )
        with pytest.raises(NotFoundError):
            records.get_county(session, XINGHE, "140222")
        with pytest.raises(NotFoundError):
            records.get_county(session, XINGHE, "999999")
        assert records.retailer_counts(session, XINGHE, "150924") == {
            "active": 2,
            "suspended": 0,
            "closed": 1,
        }
        assert records.retailer_counts(session, XINGHE, "140222") == {
            "active": 0,
            "suspended": 0,
            "closed": 0,
        }


def test_retailer_pages(url: str) -> None:
    with db.transaction(url) as session:
        page = records.list_retailers(session, XINGHE, limit=2)
        assert page.total == 3
        assert [r.licence_no for r in page.items] == ["150924000000", "150924000001"]
        assert records.list_retailers(session, XINGHE, county="140222").total == 0
        assert records.list_retailers(session, SYSTEM, status="停业").total == 2
        with pytest.raises(InvalidInputError, match="active"):
            records.list_retailers(session, XINGHE, status="open")
        with pytest.raises(InvalidInputError, match="limit"):
            records.list_retailers(session, XINGHE, limit=0)


def test_overview_frames_are_scoped(url: str) -> None:
    with db.transaction(url) as session:
        frames = records.overview_frames(session, XINGHE)
        everything = records.overview_frames(session, SYSTEM, county_codes=["140222"])
    assert set(frames) == set(records.OVERVIEW_KINDS)
    assert set(frames["retailers"]["county_code"]) == {"150924"}
    assert list(frames["counties"]["code"]) == ["150924"]
    assert set(everything["retailers"]["county_code"]) == {"140222"}
    assert str(frames["retailers"].crs) == "EPSG:4326"
