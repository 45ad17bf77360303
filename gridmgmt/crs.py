"""Coordinate systems: WGS-84, GCJ-02, BD-09, CGCS2000, and a local metric CRS per area.

Data at rest is WGS-84 (EPSG:4326). Chinese web maps publish obfuscated coordinates:
AutoNavi/Amap (高德) and Tencent (腾讯) use GCJ-02 (国测局坐标, "Mars coordinates", 火星坐标),
Baidu (百度) uses BD-09, a further shift on top of GCJ-02. Official surveying data uses
CGCS2000 (2000国家大地坐标系), which differs from WGS-84 by centimetres; at the precision
of this system the two are treated as identical and no shift is applied between them.

The GCJ-02 and BD-09 formulas are those of prcoords (Mingye Wang, CC0), rewritten here for
numpy arrays with the same constants and the same order of operations, so the results agree
with prcoords' scalar functions to the last few bits. The inverse transforms have no closed
form; they are solved by fixed-point iteration (Caijun 2014, prcoords' ``*_bored`` functions)
to about a micrometre instead of prcoords' millimetre tolerance.

The obfuscation applies only inside China, judged by the rough bounding box of prcoords and
eviltransform (see :func:`in_china`); points outside it pass through unchanged. NaN inputs
give NaN outputs and no warnings.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgmt.errors import InvalidInputError

__all__ = [
    "CRS_NAMES",
    "WGS84",
    "CoordinateSystem",
    "UnknownCRSError",
    "convert",
    "convert_geometry",
    "convert_geoseries",
    "from_wgs84",
    "in_china",
    "metric_crs",
    "parse_crs",
    "to_metric",
    "to_wgs84",
    "transformer",
]

WGS84: Final = "EPSG:4326"
"""The CRS of all data at rest (and of every frame services pass around)."""

FloatArray = npt.NDArray[np.float64]
_Transform = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]
if TYPE_CHECKING:  # geopandas takes a few tenths of a second: imported where it is used
    import geopandas as gpd

    _Frame = TypeVar("_Frame", gpd.GeoDataFrame, gpd.GeoSeries)


class CoordinateSystem(StrEnum):
    """Geographic coordinate system of longitude/latitude data (坐标系)."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"
    CGCS2000 = "cgcs2000"


class UnknownCRSError(InvalidInputError):
    """Raised when a coordinate-system name is not one :func:`parse_crs` knows."""


_ALIASES: Final[dict[str, CoordinateSystem]] = {
    "wgs84": CoordinateSystem.WGS84,
    "wgs-84": CoordinateSystem.WGS84,
    "wgs_84": CoordinateSystem.WGS84,
    "wgs84ll": CoordinateSystem.WGS84,
    "epsg:4326": CoordinateSystem.WGS84,
    "4326": CoordinateSystem.WGS84,
    "gps": CoordinateSystem.WGS84,
    "gcj02": CoordinateSystem.GCJ02,
    "gcj-02": CoordinateSystem.GCJ02,
    "gcj_02": CoordinateSystem.GCJ02,
    "gcj02ll": CoordinateSystem.GCJ02,
    "amap": CoordinateSystem.GCJ02,
    "autonavi": CoordinateSystem.GCJ02,
    "gaode": CoordinateSystem.GCJ02,
    "tencent": CoordinateSystem.GCJ02,
    "高德": CoordinateSystem.GCJ02,
    "腾讯": CoordinateSystem.GCJ02,
    "火星坐标": CoordinateSystem.GCJ02,
    "bd09": CoordinateSystem.BD09,
    "bd-09": CoordinateSystem.BD09,
    "bd_09": CoordinateSystem.BD09,
    "bd09ll": CoordinateSystem.BD09,
    "baidu": CoordinateSystem.BD09,
    "百度": CoordinateSystem.BD09,
    "cgcs2000": CoordinateSystem.CGCS2000,
    "cgcs-2000": CoordinateSystem.CGCS2000,
    "epsg:4490": CoordinateSystem.CGCS2000,
    "4490": CoordinateSystem.CGCS2000,
}

# Position on the chain WGS-84 (= CGCS2000) -> GCJ-02 -> BD-09.
_LEVEL: Final[dict[CoordinateSystem, int]] = {
    CoordinateSystem.WGS84: 0,
    CoordinateSystem.CGCS2000: 0,
    CoordinateSystem.GCJ02: 1,
    CoordinateSystem.BD09: 2,
}

# prcoords' constants. GCJ-02 measures its shift on the Krasovsky 1940 ellipsoid.
_GCJ_A: Final = 6378245
_GCJ_EE: Final = 0.00669342162296594323
_BD_DLAT: Final = 0.0060
_BD_DLON: Final = 0.0065

# prcoords' sanity_in_china_p and eviltransform's outOfChina use the same box.
_CHINA_LON: Final = (72.004, 137.8347)
_CHINA_LAT: Final = (0.8293, 55.8271)

# The inverse's fixed-point step contracts the error by a factor below 0.01 (the shift
# changes by at most a few hundred metres per degree), so once a step moves less than
# 1e-9 degrees (0.1 mm) the answer is within ~1e-11 degrees: three steps after the rough
# first guess. The cap only guards against pathological input.
_INVERSE_TOLERANCE_DEG: Final = 1e-9
_INVERSE_MAX_ITERATIONS: Final = 30

# CGCS2000 3-degree Gauss-Kruger zones with central meridians 75E..135E (EPSG:4534..4554);
# each covers 1.5 degrees either side of its meridian.
_GK_FIRST_EPSG: Final = 4534
_GK_FIRST_CM: Final = 75
_GK_ZONE_COUNT: Final = 21
_GK_WEST: Final = _GK_FIRST_CM - 1.5
_GK_EAST: Final = _GK_FIRST_CM + 3 * (_GK_ZONE_COUNT - 1) + 1.5


CRS_NAMES: Final[tuple[str, ...]] = tuple(_ALIASES)
"""Every name :func:`parse_crs` accepts (lower case)."""


def parse_crs(name: str | CoordinateSystem) -> CoordinateSystem:
    """Return the coordinate system a name or alias stands for.

    Parameters
    ----------
    name
        A :class:`CoordinateSystem` or a name, case-insensitive and ignoring surrounding
        spaces: ``wgs84``, ``wgs-84``, ``epsg:4326``, ``4326``, ``gcj02``, ``gcj-02``,
        ``amap``, ``gaode``, ``tencent``, ``bd09``, ``bd-09``, ``baidu``, ``cgcs2000``,
        ``epsg:4490``, ``4490``, Baidu API names (``wgs84ll``, ``gcj02ll``, ``bd09ll``) and
        the Chinese names 高德, 腾讯, 火星坐标, 百度.

    Returns
    -------
    CoordinateSystem
        The coordinate system.

    Raises
    ------
    UnknownCRSError
        If the name is not known; the message lists the accepted names.
    """
    if isinstance(name, CoordinateSystem):
        return name
    key = name.strip().lower() if isinstance(name, str) else None
    if key is not None and key in _ALIASES:
        return _ALIASES[key]
    allowed = ", ".join(f'"{alias}"' for alias in _ALIASES)
    msg = f"coordinate system {name!r} is not known; expected one of [{allowed}]"
    raise UnknownCRSError(msg)


def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Tell which points the GCJ-02 and BD-09 obfuscation applies to.

    The rule is the rough bounding box used by prcoords and eviltransform:
    72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271, bounds included. It is a box,
    not a border: it also covers Mongolia, the Koreas, most of Japan west of Tokyo and parts
    of South and Southeast Asia, which is what the web maps' own libraries do too. NaN is
    never inside.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees; broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Boolean array of the broadcast shape (0-d for scalar input).
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    return (
        (lon_a >= _CHINA_LON[0])
        & (lon_a <= _CHINA_LON[1])
        & (lat_a >= _CHINA_LAT[0])
        & (lat_a <= _CHINA_LAT[1])
    )


def convert(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    source: str | CoordinateSystem,
    target: str | CoordinateSystem,
) -> tuple[FloatArray, FloatArray]:
    """Convert longitudes and latitudes from one coordinate system to another.

    Forward shifts (WGS-84 to GCJ-02 to BD-09) use prcoords' formulas; inverse shifts are
    solved iteratively to about 1e-11 degrees (a micrometre). CGCS2000 is treated as WGS-84
    (they differ by centimetres). Points outside :func:`in_china`'s box, NaN and infinities
    pass through unchanged; whether a point is inside is judged on the input coordinates.
    Vectorised throughout: a million points take about a second.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees, anything numpy can turn into float64 arrays;
        they are broadcast against each other and never modified.
    source, target
        Coordinate systems or any name :func:`parse_crs` accepts.

    Returns
    -------
    tuple of numpy.ndarray
        New float64 ``(lon, lat)`` arrays of the broadcast input shape; scalar input gives
        0-d arrays (use ``float()`` to unwrap them).

    Raises
    ------
    UnknownCRSError
        If ``source`` or ``target`` is not known.
    """
    source_level = _LEVEL[parse_crs(source)]
    target_level = _LEVEL[parse_crs(target)]
    lon_a, lat_a = _as_float_arrays(lon, lat)
    out_lon, out_lat = lon_a.copy(), lat_a.copy()
    if source_level == target_level:
        return out_lon, out_lat
    mask = in_china(lon_a, lat_a)
    x, y = lon_a[mask], lat_a[mask]
    if source_level < target_level:
        for level in range(source_level, target_level):
            x, y = _FORWARD[level](x, y)
    else:
        for level in range(source_level, target_level, -1):
            x, y = _inverse(level, x, y)
    out_lon[mask] = x
    out_lat[mask] = y
    return out_lon, out_lat


def to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, source: str | CoordinateSystem
) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates from ``source`` to WGS-84; see :func:`convert`."""
    return convert(lon, lat, source=source, target=CoordinateSystem.WGS84)


def from_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, target: str | CoordinateSystem
) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates from WGS-84 to ``target``; see :func:`convert`."""
    return convert(lon, lat, source=CoordinateSystem.WGS84, target=target)


def convert_geometry(
    geom: BaseGeometry | npt.ArrayLike,
    *,
    source: str | CoordinateSystem,
    target: str | CoordinateSystem,
) -> BaseGeometry | npt.NDArray[np.object_]:
    """Convert every vertex of a shapely geometry, or an array of them.

    Parameters
    ----------
    geom
        A shapely geometry or an array-like of geometries (``None`` allowed) with
        longitude/latitude coordinates in ``source``.
    source, target
        Coordinate systems or any name :func:`parse_crs` accepts.

    Returns
    -------
    shapely.Geometry or numpy.ndarray
        Geometry (or object array of geometries) of the same kinds; Z values are kept.
    """
    source_crs, target_crs = parse_crs(source), parse_crs(target)

    def transform_vertices(coords: FloatArray) -> FloatArray:
        out = coords.copy()
        out[:, 0], out[:, 1] = convert(
            coords[:, 0], coords[:, 1], source=source_crs, target=target_crs
        )
        return out

    result: BaseGeometry | npt.NDArray[np.object_] = shapely.transform(
        geom, transform_vertices, include_z=None
    )
    return result


def convert_geoseries(
    gs: gpd.GeoSeries,
    *,
    source: str | CoordinateSystem,
    target: str | CoordinateSystem,
) -> gpd.GeoSeries:
    """Convert a GeoSeries of longitude/latitude geometries between coordinate systems.

    The series' own CRS label is only checked to be geographic (or absent): files from
    Chinese web maps often label GCJ-02 or BD-09 data as EPSG:4326, so ``source`` is what
    decides how coordinates are read.

    Parameters
    ----------
    gs
        Geometries in ``source`` longitude/latitude.
    source, target
        Coordinate systems or any name :func:`parse_crs` accepts.

    Returns
    -------
    geopandas.GeoSeries
        A new series with the same index and name, with CRS EPSG:4326 (the label used for
        every longitude/latitude system, since GCJ-02 and BD-09 have no EPSG code).

    Raises
    ------
    ValueError
        If the series has a projected CRS.
    """
    if gs.crs is not None and not gs.crs.is_geographic:
        msg = (
            f"GeoSeries CRS {gs.crs.to_string()!r} is projected; expected longitude/latitude "
            "(a geographic CRS such as EPSG:4326 or EPSG:4490, or no CRS)"
        )
        raise ValueError(msg)
    geoms = convert_geometry(np.asarray(gs.array), source=source, target=target)
    import geopandas as gpd

    return gpd.GeoSeries(geoms, index=gs.index, name=gs.name, crs=WGS84)


def metric_crs(
    area: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | Sequence[float],
) -> pyproj.CRS:
    """Choose a local projected CRS in metres for an area.

    Inside China (:func:`in_china` and 73.5E-136.5E) this is the CGCS2000 3-degree
    Gauss-Kruger zone (EPSG:4534-4554, central meridians 75E-135E) whose central meridian is
    nearest the area's centre; elsewhere the WGS-84 UTM zone (EPSG:326xx north, 327xx south,
    without the Norway/Svalbard exceptions). Scale error stays under about 0.03% within a
    zone, so distances of a county are good to well under 0.1%.

    Parameters
    ----------
    area
        A shapely geometry in WGS-84 longitude/latitude (its centroid is used), a
        GeoSeries or GeoDataFrame with a CRS (the centre of its total bounds in WGS-84 is
        used), or a ``(lon, lat)`` pair.

    Returns
    -------
    pyproj.CRS
        The projected CRS.

    Raises
    ------
    ValueError
        If the area is empty, a GeoSeries/GeoDataFrame has no CRS, or the centre is not a
        finite longitude/latitude.
    """
    lon, lat = _area_centre(area)
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lat) <= 90):
        msg = f"cannot choose a metric CRS: area centre ({lon}, {lat}) is not a valid lon/lat"
        raise ValueError(msg)
    if bool(in_china(lon, lat)) and _GK_WEST <= lon < _GK_EAST:
        zone = math.floor((lon - _GK_WEST) / 3)
        return _crs_from_epsg(_GK_FIRST_EPSG + zone)
    utm_zone = math.floor((lon + 180) / 6) % 60 + 1
    return _crs_from_epsg((32600 if lat >= 0 else 32700) + utm_zone)


def to_metric(gdf: _Frame, crs: pyproj.CRS | None = None) -> _Frame:
    """Project geometries into a metric CRS for distances, buffers and areas.

    Parameters
    ----------
    gdf
        GeoDataFrame (or GeoSeries) with a CRS, normally EPSG:4326.
    crs
        Target projected CRS in metres; by default :func:`metric_crs` of ``gdf``'s total
        bounds.

    Returns
    -------
    geopandas.GeoDataFrame or geopandas.GeoSeries
        A projected copy.

    Raises
    ------
    ValueError
        If ``gdf`` has no CRS, is empty while ``crs`` is not given, or ``crs`` is not a
        projected CRS in metres.
    """
    if gdf.crs is None:
        msg = "gdf has no CRS; set it first (data at rest is EPSG:4326)"
        raise ValueError(msg)
    if crs is None:
        target = metric_crs(gdf)
    else:
        target = pyproj.CRS.from_user_input(crs)
        units = {axis.unit_name for axis in target.axis_info}
        if not target.is_projected or not units <= {"metre", "meter"}:
            msg = f"crs {target.to_string()!r} is not a projected CRS in metres"
            raise ValueError(msg)
    return gdf.to_crs(target)


def _as_float_arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    if lon_a.shape == lat_a.shape:
        return lon_a, lat_a
    try:
        lon_b, lat_b = np.broadcast_arrays(lon_a, lat_a)
    except ValueError:
        msg = f"lon and lat shapes {lon_a.shape} and {lat_a.shape} cannot be broadcast together"
        raise ValueError(msg) from None
    return lon_b, lat_b


def _wgs_to_gcj(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    # prcoords.wgs_gcj term for term: shifts in metres, then metres to degrees on the
    # Krasovsky ellipsoid at the input latitude.
    x, y = lon - 105, lat - 35
    # Shared by both shifts; the sum is the same float prcoords computes twice.
    fast_x = 2 * np.sin(x * 6 * math.pi) + 2 * np.sin(x * 2 * math.pi)
    d_lat_m = (
        -100
        + 2 * x
        + 3 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (
            fast_x
            + 2 * np.sin(y * math.pi)
            + 4 * np.sin(y / 3 * math.pi)
            + 16 * np.sin(y / 12 * math.pi)
            + 32 * np.sin(y / 30 * math.pi)
        )
        * 20
        / 3
    )
    d_lon_m = (
        300
        + x
        + 2 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (
            fast_x
            + 2 * np.sin(x * math.pi)
            + 4 * np.sin(x / 3 * math.pi)
            + 15 * np.sin(x / 12 * math.pi)
            + 30 * np.sin(x / 30 * math.pi)
        )
        * 20
        / 3
    )
    rad_lat = np.radians(lat)
    magic = 1 - _GCJ_EE * np.sin(rad_lat) ** 2
    lat_deg_arclen = np.radians((_GCJ_A * (1 - _GCJ_EE)) / magic**1.5)
    lon_deg_arclen = np.radians(_GCJ_A * np.cos(rad_lat) / np.sqrt(magic))
    return lon + d_lon_m / lon_deg_arclen, lat + d_lat_m / lat_deg_arclen


def _gcj_to_bd(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    # prcoords.gcj_bd
    r = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(np.radians(lat) * 3000)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(np.radians(lon) * 3000)
    return r * np.cos(theta) + _BD_DLON, r * np.sin(theta) + _BD_DLAT


def _gcj_to_wgs_rough(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    # prcoords.gcj_wgs: subtract the shift measured at the GCJ point (metre-level).
    shifted_lon, shifted_lat = _wgs_to_gcj(lon, lat)
    return lon - (shifted_lon - lon), lat - (shifted_lat - lat)


def _bd_to_gcj_rough(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    # prcoords.bd_gcj (decimetre-level).
    x, y = lon - _BD_DLON, lat - _BD_DLAT
    r = np.sqrt(x * x + y * y) - 0.00002 * np.sin(np.radians(y) * 3000)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(np.radians(x) * 3000)
    return r * np.cos(theta), r * np.sin(theta)


_FORWARD: Final[dict[int, _Transform]] = {0: _wgs_to_gcj, 1: _gcj_to_bd}
_ROUGH_INVERSE: Final[dict[int, _Transform]] = {1: _gcj_to_wgs_rough, 2: _bd_to_gcj_rough}


def _inverse(level: int, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Undo the step into ``level`` by fixed-point iteration from the rough inverse."""
    forward = _FORWARD[level - 1]
    guess_lon, guess_lat = _ROUGH_INVERSE[level](lon, lat)
    for _ in range(_INVERSE_MAX_ITERATIONS):
        if guess_lon.size == 0:
            break
        fwd_lon, fwd_lat = forward(guess_lon, guess_lat)
        d_lon, d_lat = fwd_lon - lon, fwd_lat - lat
        guess_lon, guess_lat = guess_lon - d_lon, guess_lat - d_lat
        if max(np.abs(d_lon).max(), np.abs(d_lat).max()) < _INVERSE_TOLERANCE_DEG:
            break
    return guess_lon, guess_lat


@lru_cache(maxsize=32)
def transformer(source: pyproj.CRS | str, target: pyproj.CRS | str) -> pyproj.Transformer:
    """A cached longitude-first transformer from ``source`` to ``target``.

    pyproj gives every thread its own copy of a transformer, made the way the original was.
    One made from two CRSs looks its operation up in PROJ's database again per thread (20-40
    ms, paid by the first request each server thread serves); so the operation found once is
    kept as its PROJ pipeline, whose copies cost a tenth of a millisecond. Where the pipeline
    does not reproduce the found operation exactly, the original is kept.
    """
    found = pyproj.Transformer.from_crs(source, target, always_xy=True)
    try:
        pipeline = pyproj.Transformer.from_pipeline(found.definition)
        probe = found.transform(*_probe_point(source))
        if np.allclose(pipeline.transform(*_probe_point(source)), probe, rtol=0, atol=1e-9):
            return pipeline
    except pyproj.exceptions.ProjError:
        pass
    return found


def _probe_point(source: pyproj.CRS | str) -> tuple[float, float]:
    """A point inside ``source``'s area of use (its centre), in ``source``'s coordinates."""
    area = pyproj.CRS.from_user_input(source).area_of_use
    if area is None:
        return (0.0, 0.0)
    lon, lat = (area.west + area.east) / 2, (area.south + area.north) / 2
    geographic = pyproj.CRS.from_user_input(source).is_geographic
    if geographic:
        return (lon, lat)
    to_source = pyproj.Transformer.from_crs(WGS84, source, always_xy=True)
    return tuple(float(v) for v in to_source.transform(lon, lat))  # type: ignore[return-value]


@lru_cache(maxsize=64)
def _crs_from_epsg(code: int) -> pyproj.CRS:
    return pyproj.CRS.from_epsg(code)


def _area_centre(
    area: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | Sequence[float],
) -> tuple[float, float]:
    gpd = sys.modules.get("geopandas")  # not loaded: ``area`` cannot be a GeoSeries
    if gpd is not None and isinstance(area, gpd.GeoSeries | gpd.GeoDataFrame):
        if area.crs is None:
            msg = "cannot choose a metric CRS: the GeoSeries/GeoDataFrame has no CRS"
            raise ValueError(msg)
        lonlat = area if area.crs.equals(_crs_from_epsg(4326)) else area.to_crs(4326)
        if lonlat.is_empty.all():
            msg = "cannot choose a metric CRS for an empty GeoSeries/GeoDataFrame"
            raise ValueError(msg)
        min_lon, min_lat, max_lon, max_lat = lonlat.total_bounds
        return (min_lon + max_lon) / 2, (min_lat + max_lat) / 2
    if isinstance(area, BaseGeometry):
        if area.is_empty:
            msg = "cannot choose a metric CRS for an empty geometry"
            raise ValueError(msg)
        centroid = area.centroid
        return centroid.x, centroid.y
    pair = np.asarray(area, dtype=np.float64)
    if pair.shape != (2,):
        msg = (
            f"area must be a geometry, a GeoSeries/GeoDataFrame or a (lon, lat) pair; got {area!r}"
        )
        raise ValueError(msg)
    return float(pair[0]), float(pair[1])
