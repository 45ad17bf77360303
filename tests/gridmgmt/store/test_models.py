"""The store keeps what it is given, on SQLite and on PostgreSQL+PostGIS."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from gridmgmt.domain import BusinessType, RetailerStatus, UserRole
from gridmgmt.store import db
from gridmgmt.store.models import County, Province, Retailer, User, UserCounty


def _county(code: str = "150924") -> County:
    return County(
        code=code,
        name="兴和县",
        province_code="150000",
        city="乌兰察布市",
        boundary=MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]),
    )


def _retailer(licence_no: str = "150924000001", tier: int = 10) -> Retailer:
    return Retailer(
        licence_no=licence_no,
        name="兴和县城关镇张记便利店",
        address="城关镇人民路12号",
        county_code="150924",
        tier=tier,
        business_type=BusinessType.CONVENIENCE,
        status=RetailerStatus.ACTIVE,
        key_retailer=False,
        location=Point(113.834567, 40.872345),
    )


def _seed(url: str) -> None:
    with db.transaction(url) as session:
        session.add(Province(code="150000", name="内蒙古自治区"))
        session.flush()
        session.add(_county())


def test_geometries_round_trip_exactly(store_url: str) -> None:
    _seed(store_url)
    with db.transaction(store_url) as session:
        session.add(_retailer())
    with db.transaction(store_url) as session:
        retailer = session.scalars(select(Retailer)).one()
        county = session.get(County, "150924")
    assert county is not None
    assert retailer.location.equals_exact(Point(113.834567, 40.872345), tolerance=0)
    assert shapely.equals(county.boundary, MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]))
    assert retailer.business_type is BusinessType.CONVENIENCE
    assert retailer.status is RetailerStatus.ACTIVE


def test_licence_number_is_unique(store_url: str) -> None:
    _seed(store_url)
    with db.transaction(store_url) as session:
        session.add(_retailer())
    with pytest.raises(IntegrityError), db.transaction(store_url) as session:
        session.add(_retailer())


def test_tier_outside_1_to_30_is_refused(store_url: str) -> None:
    _seed(store_url)
    with pytest.raises(IntegrityError), db.transaction(store_url) as session:
        session.add(_retailer(tier=31))


def test_failed_transaction_writes_nothing(store_url: str) -> None:
    _seed(store_url)

    def write_a_row_then_a_duplicate() -> None:
        with db.transaction(store_url) as session:
            session.add(_retailer("150924000001"))
            session.flush()
            session.add(_retailer("150924000001"))

    with pytest.raises(IntegrityError):
        write_a_row_then_a_duplicate()
    with db.transaction(store_url) as session:
        assert session.scalars(select(Retailer)).all() == []


def test_user_counties_are_kept(store_url: str) -> None:
    _seed(store_url)
    with db.transaction(store_url) as session:
        user = User(username="li", role=UserRole.OFFICER, password_hash="x")
        user.county_links.append(UserCounty(county_code="150924"))
        session.add(user)
    with db.transaction(store_url) as session:
        stored = session.scalars(select(User)).one()
        assert stored.county_codes == ["150924"]
        assert stored.created_at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_migrations_reach_head(store_url: str) -> None:
    engine = db.get_engine(store_url)
    assert db.current_revision(engine) == db.head_revision()
    assert {"retailers", "counties", "audit_log"} <= set(inspect(engine).get_table_names())


@pytest.mark.postgres
def test_postgis_types_and_spatial_indexes(postgres_url: str) -> None:
    engine = db.get_engine(postgres_url)
    inspector = inspect(engine)
    columns = {c["name"]: c for c in inspector.get_columns("retailers")}
    assert "geometry" in str(columns["location"]["type"]).lower()
    index_names = {ix["name"] for ix in inspector.get_indexes("retailers")}
    assert "ix_retailers_location_gist" in index_names
