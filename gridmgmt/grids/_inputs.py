"""Checks and normalisation of the engine's geographic inputs (all WGS-84)."""

from __future__ import annotations

from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgmt.crs import WGS84
from gridmgmt.errors import InvalidInputError

_WGS84 = pyproj.CRS(WGS84)

GeometryInput: TypeAlias = BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame

RETAILER_COLUMNS = ("licence_no", "tier", "business_type", "status")


def county_geometry(county: GeometryInput) -> BaseGeometry:
    """Return the county as one valid (multi)polygon in WGS-84.

    Raises
    ------
    ValueError
        If the input is empty, not polygonal, or has a CRS other than WGS-84.
    """
    geom = _single_geometry(county, "county_boundary")
    polygons = [
        g
        for g in _flat_parts(shapely.make_valid(geom))
        if shapely.get_type_id(g) == shapely.GeometryType.POLYGON
    ]
    if not polygons:
        msg = "county_boundary has no polygon area; expected a Polygon or MultiPolygon"
        raise InvalidInputError(msg)
    merged = shapely.union_all(polygons)
    if merged.is_empty or merged.area == 0:
        msg = "county_boundary is empty"
        raise InvalidInputError(msg)
    return merged


def line_geometry(lines: GeometryInput | None, name: str) -> BaseGeometry | None:
    """Return barrier lines as one (multi)linestring; polygons give their boundaries."""
    if lines is None:
        return None
    geom = _single_geometry(lines, name, allow_empty=True)
    if geom.is_empty:
        return None
    linear = []
    for part in _flat_parts(geom):
        kind = shapely.get_type_id(part)
        if kind == shapely.GeometryType.POLYGON:
            linear.append(part.boundary)
        elif kind in (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING):
            linear.append(part)
    if not linear:
        msg = f"{name} has no lines or polygons; expected LineString or Polygon geometries"
        raise InvalidInputError(msg)
    return shapely.union_all(linear)


def check_wgs84(frame: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> None:
    """Raise when a frame's CRS is missing or not WGS-84 longitude/latitude."""
    if frame.crs is None:
        msg = f"{name} has no CRS; expected EPSG:4326 (WGS-84)"
        raise InvalidInputError(msg)
    if not pyproj.CRS.from_user_input(frame.crs).equals(_WGS84):
        msg = f"{name} has CRS {frame.crs.to_string()!r}; expected EPSG:4326 (WGS-84)"
        raise InvalidInputError(msg)


def check_retailers(retailers: gpd.GeoDataFrame) -> None:
    """Raise when the retailer frame lacks the columns or point geometries the engine needs."""
    if not isinstance(retailers, gpd.GeoDataFrame):
        msg = "retailers must be a GeoDataFrame with point geometries"
        raise TypeError(msg)
    check_wgs84(retailers, "retailers")
    missing = [c for c in RETAILER_COLUMNS if c not in retailers.columns]
    if missing:
        msg = f"retailers lack columns {missing}; need {list(RETAILER_COLUMNS)} and geometry"
        raise InvalidInputError(msg)
    geoms = np.asarray(retailers.geometry.array)
    kinds = shapely.get_type_id(geoms)
    bad = (kinds != shapely.GeometryType.POINT) | shapely.is_empty(geoms)
    if bad.any():
        msg = f"{int(bad.sum())} retailers have no point geometry; every retailer needs a point"
        raise InvalidInputError(msg)


def check_grids(grids: gpd.GeoDataFrame, name: str = "grids") -> None:
    """Raise when a grid frame lacks ids or has duplicate or missing ones."""
    if not isinstance(grids, gpd.GeoDataFrame):
        msg = f"{name} must be a GeoDataFrame with 'grid_id' and polygon geometries"
        raise TypeError(msg)
    check_wgs84(grids, name)
    if "grid_id" not in grids.columns:
        msg = f"{name} lacks a 'grid_id' column"
        raise InvalidInputError(msg)
    ids = grids["grid_id"]
    if ids.isna().any() or ids.duplicated().any():
        msg = f"{name} has missing or duplicate grid ids"
        raise InvalidInputError(msg)


def _single_geometry(value: GeometryInput, name: str, *, allow_empty: bool = False) -> BaseGeometry:
    if isinstance(value, gpd.GeoDataFrame | gpd.GeoSeries):
        check_wgs84(value, name)
        geoms = np.asarray(
            value.geometry.array if isinstance(value, gpd.GeoDataFrame) else value.array
        )
        geoms = geoms[~shapely.is_missing(geoms)]
        if geoms.size == 0:
            if allow_empty:
                return shapely.GeometryCollection()
            msg = f"{name} is empty"
            raise InvalidInputError(msg)
        return shapely.union_all(shapely.make_valid(geoms)) if geoms.size > 1 else geoms[0]
    if isinstance(value, BaseGeometry):
        if value.is_empty and not allow_empty:
            msg = f"{name} is empty"
            raise InvalidInputError(msg)
        return value
    msg = (
        f"{name} must be a shapely geometry, GeoSeries or GeoDataFrame; got {type(value).__name__}"
    )
    raise TypeError(msg)


def _flat_parts(geom: BaseGeometry) -> list[BaseGeometry]:
    """Split multi-part geometries and collections, recursively, into simple parts."""
    parts = []
    for part in shapely.get_parts(geom):
        if shapely.get_type_id(part) in (
            shapely.GeometryType.MULTIPOLYGON,
            shapely.GeometryType.MULTILINESTRING,
            shapely.GeometryType.MULTIPOINT,
            shapely.GeometryType.GEOMETRYCOLLECTION,
        ):
            parts.extend(_flat_parts(part))
        else:
            parts.append(part)
    return parts
