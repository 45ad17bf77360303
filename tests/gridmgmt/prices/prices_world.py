"""A small stored world for the price and sweep services: the engine fixture's two
counties and eight retailers, their groups and prices, and monopoly officers, imported
through the ordinary all-or-nothing import."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import box, mapping

from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.imports import import_file
from gridmgmt.store import db

WEST, EAST = "150924", "140222"
LONS = {
    "W1": 113.990,
    "W2": 113.995,
    "W3": 113.998,
    "W4": 113.600,
    "E1": 114.002,
    "E2": 114.005,
    "E3": 114.010,
    "E4": 114.400,
}
# 中华 硬盒: west band 40, 42, 44 (median 42), east band 45, 46, 50 (median 46); far away
# W4 30 and E4 20. County medians: west 41, east 45.5.
PRICES = {
    "W1": 40.0,
    "W2": 42.0,
    "W3": 44.0,
    "W4": 30.0,
    "E1": 45.0,
    "E2": 46.0,
    "E3": 50.0,
    "E4": 20.0,
}


def licence(key: str) -> str:
    """The licence number of a fixture retailer (``W1`` -> ``150924000001``)."""
    return f"{WEST if key[0] == 'W' else EAST}{int(key[1:]):06d}"


def write_world(folder: Path) -> dict[str, Path]:
    """The fixture's files, one per kind."""
    counties = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code, "name": name, "province": province},
                "geometry": mapping(geom),
            }
            for code, name, province, geom in (
                (WEST, "兴和县", "内蒙古自治区", box(113.5, 40.8, 114.0, 41.2)),
                (EAST, "天镇县", "山西省", box(114.0, 40.8, 114.5, 41.2)),
            )
        ],
    }
    files = {"counties": folder / "counties.geojson"}
    files["counties"].write_text(json.dumps(counties, ensure_ascii=False), encoding="utf-8")
    retailers = ["licence_no,name,county_code,lon,lat,tier,business_type,status"]
    retailers += [
        f"{licence(k)},{k}号店,{licence(k)[:6]},{lon},41.0,10,convenience,active"
        for k, lon in LONS.items()
    ]
    groups = ["许可证号,小组编号,小组名称,组长"]
    groups += [
        f"{licence(k)},G-{k[0]},{'兴和' if k[0] == 'W' else '天镇'}边界自律小组,{'是' if k[1] == '1' else '否'}"
        for k in LONS
    ]
    prices = ["许可证号,品牌,规格,价格,采集日期,采集人"]
    prices += [f"{licence(k)},中华,硬盒,{p},2026-11-01,S-{k[0]}" for k, p in PRICES.items()]
    prices.append(f"{licence('W1')},中华,硬盒,38,2026-10-01,S-W")  # older: W1's latest is 40
    staff = ["staff_no,name,role,county_code"]
    staff += [f"W-O{i},西{i},monopoly_officer,{WEST}" for i in range(1, 4)]
    staff += [f"E-O{i},东{i},monopoly_officer,{EAST}" for i in range(1, 3)]
    for kind, lines in (
        ("retailers", retailers),
        ("groups", groups),
        ("prices", prices),
        ("staff", staff),
    ):
        files[kind] = folder / f"{kind}.csv"
        files[kind].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files


def load_world(url: str, folder: Path) -> dict[str, Path]:
    """Import the fixture into the store at ``url``."""
    files = write_world(folder)
    for kind in ("counties", "retailers", "staff", "groups", "prices"):
        with db.transaction(url) as session:
            import_file(session, SYSTEM, kind, files[kind])
    return files
