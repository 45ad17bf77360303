"""A dispatcher's world over the API tests' one: dispatcher dora (兴和县), a depot with two
vans and a day of orders from a dozen named shops with phones, one named like an attack."""

from __future__ import annotations

import datetime as dt
import secrets

import shapely

from gridmgmt.domain import BusinessType, RetailerStatus, UserRole
from gridmgmt.store import db
from gridmgmt.store.models import Retailer
from tests.api.conftest import add_test_user
from tests.gridmgmt.services.routes_world import DAY, seed_delivery

XINGHE = "150924"
DEPOT = "XH1"
EVIL = "<img src=x onerror=alert(1)>"
__all__ = ["DAY", "DEPOT", "EVIL", "XINGHE", "seed_dispatch"]


def _shops(url: str, n: int) -> None:
    with db.transaction(url) as session:
        for k in range(n):
            name = EVIL if k == 0 else f"兴和县城关镇第{k}烟酒店"
            session.add(
                Retailer(
                    licence_no=f"1509241000{k:02d}",
                    name=name,
                    address=f"兴和县城关镇人民路{k + 1}号",
                    county_code=XINGHE,
                    tier=5,
                    business_type=BusinessType.CONVENIENCE,
                    status=RetailerStatus.ACTIVE,
                    key_retailer=False,
                    phone=f"139474100{k:02d}",
                    location=shapely.Point(113.86 + (k % 4) * 0.03, 40.86 + (k // 4) * 0.03),
                )
            )


def seed_dispatch(url: str, *, shops: int = 12) -> tuple[str, dict[str, str]]:
    """Add the shops, depot XH1 with orders on :data:`DAY` and dispatcher dora.

    Returns
    -------
    tuple
        dora's password and licence number -> shop name of the orders on DAY.
    """
    _shops(url, shops)
    licences = seed_delivery(url, XINGHE, DEPOT, 113.9, 40.9, n_orders=shops + 3)
    password = secrets.token_urlsafe(12)
    add_test_user(url, "dora", password, UserRole.DISPATCHER, [XINGHE], full_name="Dora")
    with db.transaction(url) as session:
        names = {
            r.licence_no: r.name
            for r in session.query(Retailer).where(Retailer.licence_no.in_(licences))
        }
    on_day = {lic: names[lic] for k, lic in enumerate(licences) if k % 4}
    return password, on_day


def day_of_orders() -> dt.date:
    """The delivery date with orders."""
    return DAY
