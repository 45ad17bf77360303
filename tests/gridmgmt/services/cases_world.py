"""A small case world for the case service, CLI and API tests.

Three counties in three provinces (兴和县 150924, 天镇县 140222, 怀安县 130728) and six cases:
X-001, X-002 and T-001 share a person (by ID number) or a phone, H-001 shares a plate with
T-001: one network across all three provinces (:data:`NETWORK_ID`). X-003 holds invalid identifiers; T-002 is on
its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, box
from stdnum.cn import ric

from gridmgmt.domain import UserRole
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases import CaseImportReport, import_cases
from gridmgmt.services.cases.networks import case_key, stable_network_id
from gridmgmt.store import db
from gridmgmt.store.models import County, Province

XINGHE, TIANZHEN, HUAIAN = "150924", "140222", "130728"
COUNTY_OF_PREFIX = {"X": XINGHE, "T": TIANZHEN, "H": HUAIAN}


def key(case_no: str) -> str:
    """The key (``county_code/case_no``) of a case of this world, by its number's prefix."""
    return case_key(COUNTY_OF_PREFIX[case_no[0]], case_no)


MEMBERS = ((HUAIAN, "H-001"), (TIANZHEN, "T-001"), (XINGHE, "X-001"), (XINGHE, "X-002"))
"""The network's cases as (county, case number)."""
NETWORK = tuple(case_key(county, case_no) for county, case_no in MEMBERS)
"""The network's cases as networks list them: by key."""
NETWORK_ID = stable_network_id(case_key(county, case_no) for county, case_no in MEMBERS)
"""The network's id over all counties, the same for every viewer."""


def id_number(body17: str) -> str:
    """An ID number with its check digit."""
    return body17 + ric.calc_check_digit(body17 + "0")


ZHANG_ID = id_number("15092419850315123")
LI_ID = id_number("14022219790611456")
BAD_ID = ZHANG_ID[:-1] + ("0" if ZHANG_ID[-1] != "0" else "1")

ALICE = Actor("alice", UserRole.OFFICER, frozenset({XINGHE}))
BOB = Actor("bob", UserRole.OFFICER, frozenset({TIANZHEN}))
LUCY = Actor("lucy", UserRole.LIAISON, frozenset({XINGHE, TIANZHEN}))
HUGO = Actor("hugo", UserRole.LIAISON, frozenset({HUAIAN}))
DAN = Actor("dan", UserRole.DISPATCHER, frozenset({XINGHE, TIANZHEN}))


def case_records() -> list[dict[str, Any]]:
    """The six cases in the JSON import form."""
    return [
        {
            "case_no": "X-001",
            "county_code": XINGHE,
            "opened_on": "2023-03-01",
            "type": "counterfeit",
            "lon": 113.80,
            "lat": 40.90,
            "seized_cartons": 120,
            "value_yuan": 36000,
            "summary": "城关镇查获假烟",
            "entities": [
                {"kind": "person", "name": "张伟", "id_number": ZHANG_ID, "role": "供货人"},
                {"kind": "phone", "value": "139 4746 1234", "role": "供货人"},
            ],
        },
        {
            "case_no": "X-002",
            "county_code": XINGHE,
            "opened_on": "2023-04-02",
            "type": "unlicensed_sale",
            "lon": 113.82,
            "lat": 40.92,
            "entities": [
                {"kind": "phone", "value": "+86 13947461234", "role": "买家"},
                {"kind": "address", "value": "兴和县城关镇人民路12号", "role": "查获地点"},
            ],
        },
        {
            "case_no": "T-001",
            "county_code": TIANZHEN,
            "opened_on": "2023-05-10",
            "type": "courier_shipment",
            "lon": 114.60,
            "lat": 40.60,
            "entities": [
                {"kind": "person", "name": "张伟", "id_number": ZHANG_ID, "role": "寄件人"},
                {"kind": "waybill", "value": "SF1234567890123", "role": "寄递"},
                {"kind": "plate", "value": "晋B12345", "role": "车辆"},
            ],
        },
        {
            "case_no": "H-001",
            "county_code": HUAIAN,
            "opened_on": "2023-06-01",
            "type": "smuggled",
            "lon": 114.60,
            "lat": 40.20,
            "entities": [
                {"kind": "plate", "value": "晋B 12345", "role": "车辆"},
                {"kind": "person", "name": "李强", "id_number": LI_ID, "role": "司机"},
            ],
        },
        {
            "case_no": "X-003",
            "county_code": XINGHE,
            "opened_on": "2023-07-01",
            "type": "counterfeit",
            "entities": [
                {"kind": "id_number", "value": BAD_ID, "role": "关系人"},
                {"kind": "phone", "value": "12345", "role": "联系人"},
            ],
        },
        {
            "case_no": "T-002",
            "county_code": TIANZHEN,
            "opened_on": "2023-08-01",
            "type": "genuine_outflow",
            "entities": [{"kind": "phone", "value": "13835281111", "role": "联系人"}],
        },
    ]


def seed_counties(url: str) -> None:
    """The three provinces and counties (boxes side by side), into a migrated database."""
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
                    boundary=MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]),
                ),
                County(
                    code=TIANZHEN,
                    name="天镇县",
                    province_code="140000",
                    boundary=MultiPolygon([box(114.3, 40.4, 115.0, 41.0)]),
                ),
                County(
                    code=HUAIAN,
                    name="怀安县",
                    province_code="130000",
                    boundary=MultiPolygon([box(114.3, 40.0, 115.0, 40.4)]),
                ),
            ]
        )


def write_case_file(path: Path, records: list[dict[str, Any]] | None = None) -> Path:
    """The cases as a JSON file."""
    data = case_records() if records is None else records
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def import_case_file(
    url: str, path: Path, *, actor: Actor = SYSTEM, **options: Any
) -> CaseImportReport:
    """Import a case file in a transaction of its own, as a face would."""
    with db.transaction(url) as session:
        return import_cases(session, actor, path, **options)
