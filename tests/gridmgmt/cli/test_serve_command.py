"""``gridmgmt serve --demo`` preparation: demo users with fresh passwords, printed once."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, select

from gridmgmt.cli.serve import demo_users_table, prepare_demo
from gridmgmt.services.users import authenticate
from gridmgmt.store import db
from gridmgmt.store.models import County, Province, Retailer


def test_prepare_demo_keeps_existing_data_and_prints_working_logins(
    sqlite_url: str, tmp_path: Path
) -> None:
    with db.transaction(sqlite_url) as session:
        session.add(Province(code="150000", name="内蒙古自治区"))
        session.flush()
        session.add(
            County(
                code="150924",
                name="兴和县",
                province_code="150000",
                boundary=MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]),
            )
        )
    # An empty demo folder: nothing would load from it, and nothing must be needed.
    users = prepare_demo(sqlite_url, tmp_path)
    assert {u.username for u in users} == {"officer150924", "dispatcher", "liaison", "admin"}
    with db.transaction(sqlite_url) as session:
        # The database had counties, so no demo data was loaded into it.
        assert session.scalar(select(func.count()).select_from(Retailer)) == 0
        assert authenticate(session, "officer150924", users[0].password) is not None
    console = Console(width=200, record=True)
    console.print(demo_users_table(users))
    text = console.export_text()
    for user in users:
        assert user.username in text
        assert user.password in text


def test_prepare_demo_loads_the_demo_region_into_an_empty_database(sqlite_url: str) -> None:
    demo_dir = Path(__file__).resolve().parents[3] / "data" / "demo"
    users = prepare_demo(sqlite_url, demo_dir)
    with db.transaction(sqlite_url) as session:
        counties = session.scalar(select(func.count()).select_from(County))
        retailers = session.scalar(select(func.count()).select_from(Retailer))
    assert counties == 6
    assert retailers == 6000
    assert {u.username for u in users} >= {"dispatcher", "liaison", "admin"}
