"""A small two-bureau world for the federation tests: what each county's cases hold.

兴和县 (150924, Inner Mongolia) and 天镇县 (140222, Shanxi), each with its own cases. They
share, written differently on each side:

- a person's ID number (lower-case ``x`` in 兴和, ``X`` and spaces in 天镇) and phone
  (``+86 139-4746-1234`` / ``13947461234``): FX-001 and FT-001;
- a plate (``晋B 12345`` / ``晋b12345``): FX-002 and FT-002;
- a waybill and a bank account (spaced, lower-case / plain): FX-003 and FT-003.

Things that must NOT match: the same invalid phone text on both sides (FX-004, FT-004), the
same address and the same name with no shared identifier (FX-004, FT-004), and a phone shared
by two cases of the same county (FX-001, FX-005: the county's own case graph links those).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from stdnum import luhn
from stdnum.cn import ric

from gridmgmt.cases.identifiers import normalise
from gridmgmt.store import db

from ..services.cases_world import (
    HUAIAN,
    TIANZHEN,
    XINGHE,
    import_case_file,
    seed_counties,
    write_case_file,
)

__all__ = ["HUAIAN", "TIANZHEN", "XINGHE"]

KEY = "area2026:" + "k" * 40
OTHER_KEY = "area2026:" + "q" * 40
ROTATED_KEY = "area2027:" + "n" * 40 + "," + KEY


def _id_with_x() -> str:
    for serial in range(100, 1000):
        body = f"15092419800101{serial}"
        if ric.calc_check_digit(body + "0") == "X":
            return body + "x"
    raise AssertionError("no ID number with an X check digit")  # pragma: no cover


def _id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


SHARED_ID = _id_with_x()  # 150924198001011XXx
SHARED_ID_B = " ".join([SHARED_ID[:6], SHARED_ID[6:14], SHARED_ID[14:].upper()])
ACCOUNT = "622202123456789012" + luhn.calc_check_digit("622202123456789012")
ACCOUNT_SPACED = " ".join(ACCOUNT[i : i + 4] for i in range(0, len(ACCOUNT), 4))
X_ONLY_ID = _id("15092419751212345")
T_ONLY_ID = _id("14022219880808234")


def _case(case_no: str, county: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "case_no": case_no,
        "county_code": county,
        "opened_on": "2025-05-01",
        "type": "counterfeit",
        "summary": "联合查处",
        "entities": entities,
    }


def xinghe_cases() -> list[dict[str, Any]]:
    """兴和县's cases."""
    return [
        _case(
            "FX-001",
            XINGHE,
            [
                {"kind": "person", "name": "王建国", "id_number": SHARED_ID, "role": "供货人"},
                {"kind": "phone", "value": "+86 139-4746-1234", "role": "供货人"},
            ],
        ),
        _case("FX-002", XINGHE, [{"kind": "plate", "value": "晋B 12345", "role": "车辆"}]),
        _case(
            "FX-003",
            XINGHE,
            [
                {"kind": "waybill", "value": "sf 1234 5678 90123", "role": "寄递"},
                {"kind": "bank_account", "value": ACCOUNT_SPACED, "role": "收款"},
            ],
        ),
        _case(
            "FX-004",
            XINGHE,
            [
                {"kind": "phone", "value": "139474612", "role": "联系人"},
                {"kind": "address", "value": "兴和县城关镇人民路12号", "role": "查获地点"},
                {"kind": "person", "name": "赵德柱", "id_number": X_ONLY_ID, "role": "当事人"},
            ],
        ),
        _case(
            "FX-005",
            XINGHE,
            [
                {"kind": "phone", "value": "13947461234", "role": "买家"},
                {"kind": "person", "name": "孙秀英", "phone": "15247461111", "role": "买家"},
            ],
        ),
    ]


def tianzhen_cases() -> list[dict[str, Any]]:
    """天镇县's cases."""
    return [
        _case(
            "FT-001",
            TIANZHEN,
            [
                {"kind": "person", "name": "王建国", "id_number": SHARED_ID_B, "role": "寄件人"},
                {"kind": "phone", "value": "13947461234", "role": "寄件人"},
            ],
        ),
        _case("FT-002", TIANZHEN, [{"kind": "plate", "value": "晋b12345", "role": "车辆"}]),
        _case(
            "FT-003",
            TIANZHEN,
            [
                {"kind": "waybill", "value": "SF1234567890123", "role": "寄递"},
                {"kind": "bank_account", "value": ACCOUNT, "role": "收款"},
            ],
        ),
        _case(
            "FT-004",
            TIANZHEN,
            [
                {"kind": "phone", "value": "139474612", "role": "联系人"},
                {"kind": "address", "value": "兴和县城关镇人民路12号", "role": "查获地点"},
                {"kind": "person", "name": "赵德柱", "id_number": T_ONLY_ID, "role": "当事人"},
            ],
        ),
    ]


EXPECTED_HITS = {
    # (local case, kind, other county)
    ("FX-001", "id_number", TIANZHEN),
    ("FX-001", "phone", TIANZHEN),
    ("FX-005", "phone", TIANZHEN),
    ("FX-002", "plate", TIANZHEN),
    ("FX-003", "waybill", TIANZHEN),
    ("FX-003", "bank_account", TIANZHEN),
    ("FT-001", "id_number", XINGHE),
    ("FT-001", "phone", XINGHE),
    ("FT-002", "plate", XINGHE),
    ("FT-003", "waybill", XINGHE),
    ("FT-003", "bank_account", XINGHE),
}


def clear_values(records: list[dict[str, Any]]) -> set[str]:
    """Every clear text of the cases, and the normalised form of each identifier."""
    found: set[str] = set()
    for record in records:
        found.add(record["case_no"])
        for entity in record["entities"]:
            for field in ("value", "name", "id_number", "phone"):
                text = entity.get(field)
                if not text:
                    continue
                found.add(text)
                kind = entity["kind"] if field == "value" else field
                kind = "person" if field == "name" else kind
                normalised = normalise(kind, text).value
                found.add(normalised)
                # The plain digits too (an E.164 phone without +86, an ID without spaces).
                found.add(normalised.removeprefix("+86"))
    return {value for value in found if value}


def make_database(template: Path, path: Path, records: list[dict[str, Any]]) -> str:
    """A migrated SQLite file with the three counties and ``records`` imported."""
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    seed_counties(url)
    if records:
        import_case_file(url, write_case_file(path.with_suffix(".cases.json"), records))
    return url


def dispose(*urls: str) -> None:
    """Close the test databases' pooled connections."""
    for url in urls:
        db.dispose_engine(url)
