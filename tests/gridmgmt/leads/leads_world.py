"""A small world for the lead tests: three counties, a few cases, one user per side and role.

兴和县 (150924, 乌兰察布市) and 天镇县 (140222, 大同市) touch; 怀安县 (130728, 张家口市)
touches 天镇县 but lies 0.3° from 兴和县: the third county of the scope tests.

X-100 (兴和县) mentions an address in 天镇县 and a 大同 phone: a lead to 天镇县 is suggested.
X-200 (兴和县) mentions a 张家口 phone only: 怀安县 is no neighbour of 兴和县, nothing is
suggested. T-100 (天镇县) mentions an address in 兴和县.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shapely.geometry import MultiPolygon, box

from gridmgmt.domain import UserRole
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases import create_case
from gridmgmt.store import db
from gridmgmt.store.models import County, Province

XINGHE, TIANZHEN, HUAIAN = "150924", "140222", "130728"
T0 = dt.datetime(2026, 3, 2, 9, 0)
"""The fixed clock the tests start from (naive UTC)."""


def actor(name: str, role: UserRole, county: str) -> Actor:
    """A user of one county."""
    return Actor(name, role, frozenset({county}))


X_LIAISON = actor("xl", UserRole.LIAISON, XINGHE)
T_LIAISON = actor("tl", UserRole.LIAISON, TIANZHEN)
H_LIAISON = actor("hl", UserRole.LIAISON, HUAIAN)
X_OFFICER = actor("xo", UserRole.OFFICER, XINGHE)
T_OFFICER = actor("to", UserRole.OFFICER, TIANZHEN)
H_OFFICER = actor("ho", UserRole.OFFICER, HUAIAN)
T_DISPATCHER = actor("td", UserRole.DISPATCHER, TIANZHEN)
T_ADMIN = actor("ta", UserRole.ADMIN, TIANZHEN)
H_ADMIN = actor("ha", UserRole.ADMIN, HUAIAN)


def cases() -> list[dict[str, Any]]:
    """The cases, in the service's create form."""
    return [
        {
            "case_no": "X-100",
            "county_code": XINGHE,
            "opened_on": "2026-02-01",
            "type": "counterfeit",
            "lon": 114.25,
            "lat": 40.80,
            "summary": "边界查获假烟",
            "entities": [
                {"kind": "person", "name": "王强", "role": "货主"},
                {"kind": "address", "value": "天镇县南河堡乡东街8号", "role": "仓库"},
                {"kind": "phone", "value": "13835281111", "role": "联系人"},
            ],
        },
        {
            "case_no": "X-200",
            "county_code": XINGHE,
            "opened_on": "2026-02-03",
            "type": "unlicensed_sale",
            "entities": [{"kind": "phone", "value": "15612345678", "role": "买家"}],
        },
        {
            "case_no": "T-100",
            "county_code": TIANZHEN,
            "opened_on": "2026-02-05",
            "type": "smuggled",
            "entities": [{"kind": "address", "value": "兴和县城关镇人民路1号", "role": "收货地"}],
        },
    ]


def add_cases(url: str) -> None:
    """The cases, into a database that holds the three counties."""
    with db.transaction(url) as session:
        for data in cases():
            create_case(session, SYSTEM, data)


def seed(url: str) -> None:
    """Counties (with their cities) and the cases, into a migrated database."""
    with db.transaction(url) as session:
        session.add_all(
            [
                Province(code="150000", name="内蒙古自治区"),
                Province(code="140000", name="山西省"),
                Province(code="130000", name="河北省"),
            ]
        )
        session.flush()
        for code, name, province, city, shape in (
            (XINGHE, "兴和县", "150000", "乌兰察布市", box(113.5, 40.7, 114.3, 41.2)),
            (TIANZHEN, "天镇县", "140000", "大同市", box(114.3, 40.4, 115.0, 41.0)),
            (HUAIAN, "怀安县", "130000", "张家口市", box(114.3, 40.0, 115.0, 40.4)),
        ):
            session.add(
                County(
                    code=code,
                    name=name,
                    province_code=province,
                    city=city,
                    boundary=MultiPolygon([shape]),
                )
            )
    add_cases(url)
