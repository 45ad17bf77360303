"""A world where every name is markup: ``<img src=x onerror=alert(1)>``.

Built on the API tests' world (``tests/api/conftest.seed``: 兴和县, 天镇县, 怀安县 with
retailers, schools and checkpoints; officers alice and bob, liaison lucy), the officer's world
(grids, staff, a draw, tickets, a retailer named like an attack) and the dispatcher's (depot
XH1 with vans, a day of orders, dispatcher dora, a shop named like an attack), then:

- a user of every role, with a markup full name for the administrator;
- a school, a checkpoint, a staff member, a depot and a county named with markup;
- cases whose person, address and summary are markup, linked into one network;
- a lead whose note is markup;
- the dispatcher's day planned and stored (its stops and manifests name the shops);
- border-market shops on both sides of the 兴和县 / 天镇县 border, named with markup, in a
  self-discipline group named with markup, with prices (a flagged gap, an outlier), and a
  joint sweep planned over that border.

Pages, popups, charts, manifests and maps drawn from it must show the name as text.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from shapely.geometry import Point
from sqlalchemy import select, update

from gridmgmt.config import Settings
from gridmgmt.domain import BusinessType, RetailerStatus, StaffRole, UserRole
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases import create_case
from gridmgmt.services.cooperation.areas import create_area
from gridmgmt.services.imports import import_file
from gridmgmt.services.leads.handover import send_lead
from gridmgmt.services.routes.requests import PlanRequest
from gridmgmt.services.routes.stored import plan_and_store_day
from gridmgmt.services.sweeps import SweepPlan, plan_sweep
from gridmgmt.store import db
from gridmgmt.store.models import Checkpoint, County, Depot, Retailer, School, Staff
from tests.gridmgmt.services.routes_world import write_grid_osm

from ..api.conftest import HUAIAN, TIANZHEN, XINGHE, add_test_user, seed
from ..api.dispatch_world import DAY, DEPOT, seed_dispatch
from ..api.officer_world import EVIL_LICENCE, EVIL_NAME, add_officer_world

EVIL: Final = EVIL_NAME
"""The name every place gets: markup that runs a script if pasted as HTML."""
CASE_NOS: Final = ("X-901", "X-902", "T-901")
AREA: Final = "area-1"
ROADS_BOUNDS: Final = (113.5, 40.7, 114.3, 41.2)


@dataclass(frozen=True)
class MarkupWorld:
    """Users by role (username, password), and the ids pages need in their paths."""

    users: dict[str, tuple[str, str]]
    licence: str
    ticket_no: str
    draw_id: int
    lead_id: int
    depot: str
    day: dt.date
    case_nos: tuple[str, ...]
    roads: Path
    area: str = AREA
    sweep_no: str = ""


def _rename(url: str) -> None:
    with db.transaction(url) as session:
        session.execute(update(School).where(School.county_code == XINGHE).values(name=EVIL))
        session.execute(
            update(Checkpoint).where(Checkpoint.county_code == XINGHE).values(name=EVIL)
        )
        session.execute(update(Staff).where(Staff.staff_no == "150924-M01").values(name=EVIL))
        session.execute(update(Depot).where(Depot.code == DEPOT).values(name=EVIL))
        session.execute(update(County).where(County.code == HUAIAN).values(name=EVIL))


def _cases() -> list[dict[str, object]]:
    phone = "13947469999"
    return [
        {
            "case_no": "X-901",
            "county_code": XINGHE,
            "opened_on": "2026-02-01",
            "type": "counterfeit",
            "lon": 113.81,
            "lat": 40.91,
            "summary": EVIL,
            "entities": [
                {"kind": "person", "name": EVIL, "role": EVIL},
                {"kind": "phone", "value": phone, "role": "联系人"},
                {"kind": "address", "value": EVIL, "role": "仓库"},
            ],
        },
        {
            "case_no": "X-902",
            "county_code": XINGHE,
            "opened_on": "2026-02-03",
            "type": "unlicensed_sale",
            "lon": 113.84,
            "lat": 40.93,
            "entities": [
                {"kind": "phone", "value": phone, "role": "买家"},
                {"kind": "address", "value": EVIL, "role": "仓库"},
            ],
        },
        {
            "case_no": "T-901",
            "county_code": TIANZHEN,
            "opened_on": "2026-02-05",
            "type": "smuggled",
            "lon": 114.6,
            "lat": 40.6,
            "entities": [
                {"kind": "phone", "value": phone, "role": "联系人"},
                {"kind": "company", "value": EVIL, "role": "收货方"},
            ],
        },
    ]


def _cases_and_lead(url: str) -> int:
    liaison = Actor("lucy", UserRole.LIAISON, frozenset({XINGHE, TIANZHEN}))
    with db.transaction(url) as session:
        for data in _cases():
            create_case(session, SYSTEM, data)
        session.flush()
        (lead,) = send_lead(session, liaison, "X-901", [TIANZHEN], note=EVIL)
        create_area(session, SYSTEM, AREA, EVIL, [XINGHE, TIANZHEN, HUAIAN], note=EVIL)
        return int(lead.id)


def _prices_and_sweep(url: str, folder: Path) -> str:
    """Shops named with markup on both sides of the border, their prices, a joint sweep."""
    shops = [(f"150924900{i:03d}", XINGHE, 114.299 - 0.002 * i) for i in range(1, 5)]
    shops += [(f"140222900{i:03d}", TIANZHEN, 114.301 + 0.002 * i) for i in range(1, 5)]
    with db.transaction(url) as session:
        for licence, county, lon in shops:
            session.add(
                Retailer(
                    licence_no=licence,
                    name=EVIL,
                    address=EVIL,
                    county_code=county,
                    tier=5,
                    business_type=BusinessType.CONVENIENCE,
                    status=RetailerStatus.ACTIVE,
                    location=Point(lon, 40.9),
                )
            )
        session.add(
            Staff(
                staff_no="140222-M01",
                name=EVIL,
                role=StaffRole.MONOPOLY_OFFICER,
                county_code=TIANZHEN,
            )
        )
    groups = folder / "groups.csv"
    groups.write_text(
        "licence_no,group_code,group_name\n"
        + "".join(f"{licence},G-{county},{EVIL}\n" for licence, county, _ in shops),
        encoding="utf-8",
    )
    prices = folder / "prices.csv"
    rows = [(licence, 40.0 if county == XINGHE else 46.0) for licence, county, _ in shops]
    rows[0] = (rows[0][0], 30.0)  # an outlier
    prices.write_text(
        "licence_no,brand,pack,price,date,observer\n"
        + "".join(f"{licence},{EVIL},{EVIL},{price},{DAY},{EVIL}\n" for licence, price in rows),
        encoding="utf-8",
    )
    for kind, path in (("groups", groups), ("prices", prices)):
        with db.transaction(url) as session:
            import_file(session, SYSTEM, kind, path)
    plan = SweepPlan(counties=[XINGHE, TIANZHEN], planned_for=DAY, title=EVIL, seed=3)
    with db.transaction(url) as session:
        return plan_sweep(session, SYSTEM, plan).sweep_no


def _plan_day(url: str, roads: Path) -> None:
    dispatcher = Actor("dora", UserRole.DISPATCHER, frozenset({XINGHE}))
    request = PlanRequest(depot_code=DEPOT, date=DAY, time_limit=1, seed=1)
    with db.transaction(url) as session:
        plan_and_store_day(session, dispatcher, request, roads=roads)


def _users(url: str, world_passwords: dict[str, str], dora: str) -> dict[str, tuple[str, str]]:
    users = {
        UserRole.OFFICER.value: ("alice", world_passwords["alice"]),
        UserRole.LIAISON.value: ("lucy", world_passwords["lucy"]),
        UserRole.DISPATCHER.value: ("dora", dora),
    }
    everyone = [XINGHE, TIANZHEN, HUAIAN]
    for role in UserRole:
        if role.value in users:
            continue
        name, password = f"{role.value}-user", secrets.token_urlsafe(12)
        add_test_user(url, name, password, role, everyone, full_name=EVIL)
        users[role.value] = (name, password)
    return users


def build_markup_world(url: str, folder: Path) -> MarkupWorld:
    """Fill an empty, migrated database at ``url``; the road file goes to ``folder``."""
    world = seed(url)
    officer = add_officer_world(url)
    dora, _ = seed_dispatch(url)
    _rename(url)
    lead_id = _cases_and_lead(url)
    roads = write_grid_osm(folder / "roads.osm", ROADS_BOUNDS, n=41)
    _plan_day(url, roads)
    sweep_no = _prices_and_sweep(url, folder)
    with db.transaction(url) as session:
        assert session.scalar(select(Depot.name).where(Depot.code == DEPOT)) == EVIL
    return MarkupWorld(
        users=_users(url, world.passwords, dora),
        licence=EVIL_LICENCE,
        ticket_no=officer.tickets[0],
        draw_id=officer.draw_id,
        lead_id=lead_id,
        depot=DEPOT,
        day=DAY,
        case_nos=CASE_NOS,
        roads=roads,
        sweep_no=sweep_no,
    )


def world_settings(url: str, roads: Path, **overrides: object) -> Settings:
    """The test app's settings over this world (its road file for the dispatcher)."""
    from ..api.conftest import make_settings

    return make_settings(url, roads_file=roads, **overrides)
