"""OpenStreetMap tags of drivable roads: road classes, speeds, one-way, access; raw OSM data.

Shared by the XML reader (:mod:`gridmgmt.routing.network`) and the PBF reader
(:mod:`gridmgmt.routing._pbf`), which import it rather than each other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from gridmgmt.errors import InvalidInputError

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "OsmData",
    "SpeedSettings",
    "is_drivable",
    "parse_maxspeed",
    "way_direction",
]

#: Typical driving speed in km/h by OSM road class, for a delivery van on Chinese county
#: roads. Classes missing here (footway, path, cycleway, steps, ...) are not drivable.
DEFAULT_SPEEDS_KMH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 100.0,
        "motorway_link": 60.0,
        "trunk": 80.0,
        "trunk_link": 50.0,
        "primary": 60.0,
        "primary_link": 40.0,
        "secondary": 50.0,
        "secondary_link": 35.0,
        "tertiary": 40.0,
        "tertiary_link": 30.0,
        "unclassified": 30.0,
        "residential": 25.0,
        "living_street": 10.0,
        "service": 15.0,
        "road": 25.0,
        "track": 15.0,
    }
)

_NO_ACCESS = frozenset({"no", "private"})
_FORWARD = frozenset({"yes", "true", "1"})
_BACKWARD = frozenset({"-1", "reverse"})
_TWO_WAY = frozenset({"no", "false", "0"})
_MPH_TO_KMH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)
_NAMED_SPEEDS_KMH = {"walk": 5.0, "living_street": 10.0}


@dataclass(frozen=True)
class SpeedSettings:
    """How fast each road class is driven.

    Attributes
    ----------
    speeds_kmh
        Speed by ``highway`` tag; classes not listed are not drivable.
    honour_maxspeed
        Use a road's parseable ``maxspeed`` tag (km/h, or ``"30 mph"``) instead of its class
        speed.
    maxspeed_factor
        Share of the posted limit actually driven (1.0: at the limit).
    min_speed_kmh
        Floor for any speed, so a bad tag cannot make a road impassably slow.
    """

    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    honour_maxspeed: bool = True
    maxspeed_factor: float = 1.0
    min_speed_kmh: float = 5.0

    def __post_init__(self) -> None:
        bad = {k: v for k, v in self.speeds_kmh.items() if not v > 0}
        if bad:
            msg = f"speeds must be positive km/h, got {bad}"
            raise InvalidInputError(msg)
        if not 0 < self.maxspeed_factor <= 2:
            msg = f"`maxspeed_factor` must be in (0, 2], got {self.maxspeed_factor}"
            raise InvalidInputError(msg)

    def speed_kmh(self, tags: Mapping[str, str]) -> float | None:
        """Driving speed on a way with these tags, or ``None`` if it is not drivable."""
        highway = tags.get("highway")
        if highway is None or highway not in self.speeds_kmh:
            return None
        speed = self.speeds_kmh[highway]
        if self.honour_maxspeed and (posted := parse_maxspeed(tags.get("maxspeed"))):
            speed = posted * self.maxspeed_factor
        return max(speed, self.min_speed_kmh)


def parse_maxspeed(value: str | None) -> float | None:
    """Parse an OSM ``maxspeed`` value to km/h.

    Parameters
    ----------
    value
        For example ``"60"``, ``"30 mph"``, ``"50;70"`` (the first is used) or ``"walk"``.
        Zone codes such as ``"CN:urban"`` and ``"none"`` give ``None``.

    Returns
    -------
    float or None
        Speed in km/h, or ``None`` when the value gives no number.
    """
    if not value:
        return None
    first = value.split(";")[0].strip().lower()
    if first in _NAMED_SPEEDS_KMH:
        return _NAMED_SPEEDS_KMH[first]
    match = _NUMBER.match(first)
    if not match:
        return None
    speed = float(match.group(1))
    if match.group(2) and match.group(2).lower() == "mph":
        speed *= _MPH_TO_KMH
    return speed if speed > 0 else None


def way_direction(tags: Mapping[str, str]) -> int:
    """Direction a way may be driven: 1 along its nodes only, -1 against them only, 0 both.

    Parameters
    ----------
    tags
        The way's tags. ``oneway`` decides; without it roundabouts and motorways are one-way.

    Returns
    -------
    int
        1, -1 or 0.
    """
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in _FORWARD:
        return 1
    if oneway in _BACKWARD:
        return -1
    if oneway in _TWO_WAY:
        return 0
    if tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway":
        return 1
    return 0


def is_drivable(tags: Mapping[str, str], speeds: SpeedSettings) -> bool:
    """Whether a way with these tags is open to delivery vans."""
    if tags.get("highway") not in speeds.speeds_kmh or tags.get("area") == "yes":
        return False
    for key in ("motor_vehicle", "motorcar", "vehicle", "access"):
        if key in tags:
            return tags[key] not in _NO_ACCESS
    return True


@dataclass
class OsmData:
    """Raw OSM nodes and drivable ways, before the graph is built.

    Attributes
    ----------
    node_coords
        OSM node id to ``(lon, lat)``.
    ways
        ``(way id, node ids, tags)`` of drivable ways.
    """

    node_coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)
