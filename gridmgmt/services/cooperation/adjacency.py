"""County adjacency from the stored outlines, their overlaps and gaps, and who is a neighbour.

Boundaries are public administrative geography, read unscoped (as border markets do); the
engine is :mod:`gridmgmt.cooperation.adjacency`. Results are cached per content of the
``counties`` table (codes, provinces and outlines), so a re-import is seen at once and an
unchanged table costs one small query.

A county's *neighbours* (:func:`neighbour_codes`) are the counties it shares a border with,
plus the other members of any cooperation area it belongs to: the counties that agreed to
work together. Lead suggestions (及时互通) use them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.cooperation.adjacency import boundary_defects, county_adjacency, overlap_owner
from gridmgmt.crs import WGS84
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.cooperation.results import AdjacentPair, BoundaryDefect
from gridmgmt.store.models import County
from gridmgmt.store.models.cooperation import CooperationAreaCounty

__all__ = [
    "adjacent_pairs",
    "boundary_warnings",
    "defect_views",
    "list_adjacency",
    "list_boundary_defects",
    "neighbour_codes",
    "stored_adjacency",
    "stored_counties",
    "stored_defects",
]

_CACHE_SIZE: Final = 8
_cache: dict[tuple[str, str], gpd.GeoDataFrame] = {}
_lock = threading.Lock()


def stored_counties(session: Session) -> gpd.GeoDataFrame:
    """Every stored county's code, name, province and outline (WGS-84), in code order."""
    rows = session.execute(
        select(County.code, County.name, County.province_code, County.boundary).order_by(
            County.code
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["code", "name", "province_code", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def _key(counties: gpd.GeoDataFrame) -> str:
    digest = hashlib.sha256()
    for code, province, shape in zip(
        counties["code"], counties["province_code"], counties.geometry, strict=True
    ):
        digest.update(f"{code}|{province}|".encode())
        digest.update(shapely.to_wkb(shape) if shape is not None else b"")
    return digest.hexdigest()


def _cached(kind: str, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    key = (kind, _key(counties))
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    usable = counties[counties.geometry.notna() & ~counties.geometry.is_empty]
    result = county_adjacency(usable) if kind == "adjacency" else boundary_defects(usable)
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = result
    return result


def stored_adjacency(session: Session) -> gpd.GeoDataFrame:
    """:func:`~gridmgmt.cooperation.adjacency.county_adjacency` of the stored counties."""
    return _cached("adjacency", stored_counties(session))


def stored_defects(session: Session) -> gpd.GeoDataFrame:
    """:func:`~gridmgmt.cooperation.adjacency.boundary_defects` of the stored counties."""
    return _cached("defects", stored_counties(session))


def adjacent_pairs(session: Session, names: dict[str, str] | None = None) -> list[AdjacentPair]:
    """Every adjacent pair of stored counties, province lines first, then by code."""
    if names is None:
        names = dict(session.execute(select(County.code, County.name)).all())
    table = stored_adjacency(session)
    pairs = [
        AdjacentPair(
            county_a=str(row.county_a),
            county_b=str(row.county_b),
            name_a=names.get(str(row.county_a), str(row.county_a)),
            name_b=names.get(str(row.county_b), str(row.county_b)),
            province_crossing=bool(row.province_crossing),
            border_km=round(float(row.border_m) / 1000, 3),
            overlap_km2=round(float(row.overlap_m2) / 1e6, 4),
        )
        for row in table.itertuples(index=False)
    ]
    return sorted(pairs, key=lambda p: (not p.province_crossing, p.county_a, p.county_b))


@requires(Action.READ_BASE_DATA)
def list_adjacency(
    session: Session, actor: Actor, *, county: str | None = None
) -> list[AdjacentPair]:
    """Adjacent county pairs (public geography); with ``county``, only that county's."""
    pairs = adjacent_pairs(session)
    if county is not None:
        pairs = [p for p in pairs if county in (p.county_a, p.county_b)]
    return pairs


def _sentence(names: dict[str, str], row: Any) -> str:
    a, b = str(row.county_a), str(row.county_b)
    where = f"largest piece at ({float(row.lon):.5f}, {float(row.lat):.5f})"
    size = f"{float(row.area_m2) / 1e6:.3f} km² in {int(row.pieces)} piece(s)"
    label = f"{names.get(a, a)} {a} / {names.get(b, b)} {b}"
    if str(row.kind) == "overlap":
        owner = overlap_owner([a, b])
        return f"overlap between {label}: {size}, {where}; a point there belongs to {owner}"
    return f"gap between {label}: {size}, {where}"


def defect_views(session: Session) -> list[BoundaryDefect]:
    """The overlaps and gaps of the stored outlines, largest first."""
    names = dict(session.execute(select(County.code, County.name)).all())
    return [
        BoundaryDefect(
            kind=str(row.kind),
            county_a=str(row.county_a),
            county_b=str(row.county_b),
            area_km2=round(float(row.area_m2) / 1e6, 6),
            pieces=int(row.pieces),
            lon=round(float(row.lon), 6),
            lat=round(float(row.lat), 6),
            text=_sentence(names, row),
        )
        for row in stored_defects(session).itertuples(index=False)
    ]


@requires(Action.READ_BASE_DATA)
def list_boundary_defects(session: Session, actor: Actor) -> list[BoundaryDefect]:
    """Overlaps and gaps between the stored county outlines (public geography)."""
    return defect_views(session)


def boundary_warnings(session: Session, codes: list[str]) -> list[str]:
    """The overlaps and gaps that involve ``codes``, as sentences (the import's warnings)."""
    wanted = set(codes)
    return [d.text for d in defect_views(session) if d.county_a in wanted or d.county_b in wanted]


def neighbour_codes(session: Session) -> dict[str, set[str]]:
    """County -> its neighbours: adjacent counties and fellow members of cooperation areas."""
    found: dict[str, set[str]] = defaultdict(set)
    table = stored_adjacency(session)
    for a, b in zip(table["county_a"].astype(str), table["county_b"].astype(str), strict=True):
        found[a].add(b)
        found[b].add(a)
    members: dict[int, set[str]] = defaultdict(set)
    for area_id, code in session.execute(
        select(CooperationAreaCounty.area_id, CooperationAreaCounty.county_code)
    ):
        members[area_id].add(code)
    for codes in members.values():
        for code in codes:
            found[code] |= codes - {code}
    return dict(found)
