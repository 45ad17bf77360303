"""A store with two counties, and the helpers the hostile-input tests share.

Every refused file is imported through the real import service in a unit of work of its
own, as the faces do, and the whole database is compared before and after: nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box, mapping
from sqlalchemy import select

from gridmgmt.io.limits import ImportLimits
from gridmgmt.services import imports
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.imports import ImportReport, ImportValidationError, import_file
from gridmgmt.store import db
from gridmgmt.store.models import Base

XINGHE, TIANZHEN = "150924", "140222"
WEST = box(113.5, 40.8, 114.0, 41.2)  # 150924 兴和县
EAST = box(114.0, 40.8, 114.5, 41.2)  # 140222 天镇县
HEADER = "licence_no,name,address,county_code,lon,lat,tier,business_type,status"


def retailer(n: int, *, name: str | None = None, lon: object = None, lat: object = None) -> str:
    """One good retailer row of 兴和县 (``lon``/``lat``/``name`` override)."""
    lon = f"{113.6 + n * 1e-4:.6f}" if lon is None else lon
    lat = "41.0" if lat is None else lat
    return (
        f"150924{n:06d},{name or f'兴和县城关镇{n}号便利店'},人民路{n}号,150924,{lon},{lat},"
        "10,convenience,active"
    )


def write_csv(
    path: Path, lines: list[str], *, header: str = HEADER, encoding: str = "utf-8"
) -> Path:
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


def counties_geojson(path: Path, west: object = WEST) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "province": province, "city": city},
            "geometry": geometry if isinstance(geometry, dict) else mapping(geometry),
        }
        for code, name, province, city, geometry in (
            (XINGHE, "兴和县", "内蒙古自治区", "乌兰察布市", west),
            (TIANZHEN, "天镇县", "山西省", "大同市", EAST),
        )
    ]
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def run_import(url: str, kind: str, path: Path, **options: Any) -> ImportReport:
    """Import in a unit of work of its own, as a face does."""
    with db.transaction(url) as session:
        return import_file(session, SYSTEM, kind, path, **options)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for before/after comparisons."""
    with db.transaction(url) as session:
        return {
            table.name: sorted(
                (tuple(row) for row in session.execute(select(table)).all()), key=repr
            )
            for table in Base.metadata.sorted_tables
        }


def refused(url: str, kind: str, path: Path, **options: Any) -> ImportValidationError:
    """Import a hostile file: it must be refused with problems and write nothing."""
    before = snapshot(url)
    with pytest.raises(ImportValidationError) as info:
        run_import(url, kind, path, **options)
    assert snapshot(url) == before
    error = info.value
    assert error.problems
    for problem in error.problems:
        assert "np.float" not in problem.message
        assert "np.int" not in problem.message
    return error


def use_limits(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> ImportLimits:
    """Make the import service read these limits instead of the settings'."""
    limits = ImportLimits(**changes)
    monkeypatch.setattr(imports, "import_limits", lambda: limits)
    return limits
