"""Retailers near a point, for an officer in the field ("where am I", 附近零售户)."""

from __future__ import annotations

from typing import Final

import numpy as np
from sqlalchemy.orm import Session

from gridmgmt.crs import to_wgs84
from gridmgmt.domain import RetailerStatus
from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.results import Result

__all__ = ["NearbyRetailer", "nearest_retailers"]

EARTH_RADIUS_M: Final = 6_371_008.8
MAX_COUNT: Final = 50


class NearbyRetailer(Result):
    """A retailer and its straight-line distance from the point asked about."""

    licence_no: str
    name: str
    address: str | None
    status: RetailerStatus
    key_retailer: bool
    grid_id: str | None
    lon: float
    lat: float
    distance_m: float


def _haversine_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    phi1, phi2 = np.radians(lat), np.radians(lats)
    dphi, dlmb = phi2 - phi1, np.radians(lons - lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _text(value: object) -> str | None:
    return None if value is None or value != value or value == "" else str(value)


@requires(Action.READ_BASE_DATA)
def nearest_retailers(
    session: Session,
    actor: Actor,
    *,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    count: int = 10,
) -> list[NearbyRetailer]:
    """The ``count`` retailers of the actor's counties nearest a point, nearest first.

    Parameters
    ----------
    session
        An open session.
    actor
        Whose counties are searched.
    lon, lat, crs
        The point (a phone's position is WGS-84).
    count
        How many, 1 to :data:`MAX_COUNT`.

    Raises
    ------
    InvalidInputError
        If ``count`` is out of range or the point is not a longitude/latitude.
    """
    if not 1 <= count <= MAX_COUNT:
        msg = f"`count` was {count} but is expected to be in [1, {MAX_COUNT}]"
        raise InvalidInputError(msg)
    if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"({lon}, {lat}) is not a longitude/latitude"
        raise InvalidInputError(msg)
    wlon, wlat = (float(v) for v in to_wgs84(lon, lat, crs))
    frame = load_frame(session, "retailers", actor)
    if not len(frame):
        return []
    lons, lats = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    distance = _haversine_m(wlon, wlat, lons, lats)
    order = np.argsort(distance, kind="stable")[:count]
    grids = frame.get("grid_id")
    return [
        NearbyRetailer(
            licence_no=str(frame["licence_no"].iloc[i]),
            name=str(frame["name"].iloc[i]),
            address=_text(frame["address"].iloc[i]),
            status=RetailerStatus(frame["status"].iloc[i]),
            key_retailer=bool(frame["key_retailer"].iloc[i]),
            grid_id=_text(grids.iloc[i]) if grids is not None else None,
            lon=float(lons[i]),
            lat=float(lats[i]),
            distance_m=round(float(distance[i]), 1),
        )
        for i in order
    ]
