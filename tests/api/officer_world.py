"""The API tests' world made ready for an officer's day: grids, staff, a draw, tickets.

Adds to 兴和县 (150924): two grids covering its retailers, three monopoly officers, a
retailer whose name is markup (``<img src=x onerror=alert(1)>``), a current inspection draw
of every active retailer, an overdue ticket about that retailer and a fresh one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from shapely.geometry import MultiPolygon, Point, box

from gridmgmt.domain import BusinessType, RetailerStatus, StaffRole, TicketKind
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.rules import create_ticket, make_draw
from gridmgmt.store import db
from gridmgmt.store.models import Retailer, Staff
from gridmgmt.store.models.grids import GridRecord, RetailerGrid

XINGHE: Final = "150924"
EVIL_NAME: Final = "<img src=x onerror=alert(1)>"
EVIL_LICENCE: Final = "150924000099"


@dataclass(frozen=True)
class OfficerWorld:
    """What was added: the draw's id and the tickets' numbers (overdue one first)."""

    draw_id: int
    tickets: list[str]
    drawn: list[str]


def _grids(session: object) -> None:
    west = GridRecord(
        county_code=XINGHE,
        grid_id="XH-01",
        geometry=MultiPolygon([box(113.5, 40.7, 113.805, 41.2)]),
        designed_by="test",
        n_retailers=2,
    )
    east = GridRecord(
        county_code=XINGHE,
        grid_id="XH-02",
        geometry=MultiPolygon([box(113.805, 40.7, 114.3, 41.2)]),
        designed_by="test",
        n_retailers=2,
    )
    session.add_all([west, east])  # type: ignore[attr-defined]


def add_officer_world(url: str) -> OfficerWorld:
    """Fill the seeded world (``tests/api/conftest.seed``) with an officer's work."""
    with db.transaction(url) as session:
        evil = Retailer(
            licence_no=EVIL_LICENCE,
            name=EVIL_NAME,
            address="<b>东街</b>3号",
            county_code=XINGHE,
            tier=12,
            business_type=BusinessType.GROCERY,
            status=RetailerStatus.ACTIVE,
            key_retailer=True,
            location=Point(113.802, 40.905),
        )
        session.add(evil)
        session.add_all(
            Staff(
                staff_no=f"150924-M0{i}",
                name=f"专管员{i}",
                role=StaffRole.MONOPOLY_OFFICER,
                county_code=XINGHE,
            )
            for i in (1, 2, 3)
        )
        _grids(session)
        session.flush()
        for retailer in session.query(Retailer).filter(Retailer.county_code == XINGHE):
            grid = "XH-01" if retailer.location.x < 113.805 else "XH-02"
            session.add(RetailerGrid(retailer_id=retailer.id, county_code=XINGHE, grid_id=grid))
        session.flush()
        draw = make_draw(session, SYSTEM, county=XINGHE, period="2026-Q1", share=1.0, seed=7)
        old = create_ticket(
            session,
            SYSTEM,
            county=XINGHE,
            kind=TicketKind.COMPLAINT,
            summary=f"举报 {EVIL_NAME} 无证销售",
            licence_no=EVIL_LICENCE,
            collected_at=dt.datetime(2025, 1, 2, 9, 0),
        )
        fresh = create_ticket(
            session, SYSTEM, county=XINGHE, kind=TicketKind.MARKET_INFO, summary="新店开业"
        )
        drawn = [row.licence_no for row in draw.inspections]
        return OfficerWorld(draw_id=draw.id, tickets=[old.ticket_no, fresh.ticket_no], drawn=drawn)
