"""Closures (封控区, 施工路段) from files or GeoJSON features; errors name row and field."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from gridmgmt.crs import WGS84
from gridmgmt.errors import InvalidInputError
from gridmgmt.routing.closures import Closure


class ClosureFileError(InvalidInputError):
    """A closure file or feature that cannot be read, naming the file, row and field."""


def _closure_time(value: Any, *, where: str, field: str, default: dt.date) -> dt.date | dt.datetime:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return default
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        msg = (
            f"{where}: field {field!r}: {text!r} is not a date YYYY-MM-DD or a datetime "
            "YYYY-MM-DDTHH:MM[:SS]"
        )
        raise ClosureFileError(msg) from None


def _closure(
    properties: Mapping[str, Any], geometry: BaseGeometry | None, *, where: str, row: int
) -> Closure:
    """One closure from a feature's properties and WGS-84 geometry."""
    if geometry is None or geometry.is_empty:
        msg = f"{where}: field 'geometry': missing, expected a Polygon or MultiPolygon"
        raise ClosureFileError(msg)
    raw_id = properties.get("id")
    closure_id = str(row) if raw_id is None or pd.isna(raw_id) else str(raw_id)
    raw_reason = properties.get("reason")
    reason = "" if raw_reason is None or pd.isna(raw_reason) else str(raw_reason)
    start = _closure_time(properties.get("start"), where=where, field="start", default=dt.date.min)
    end = _closure_time(properties.get("end"), where=where, field="end", default=dt.date.max)
    try:
        return Closure(closure_id, geometry, start, end, reason)
    except (ValueError, TypeError) as error:
        msg = f"{where}: {error}"
        raise ClosureFileError(msg) from None


def read_closures(path: str | Path) -> list[Closure]:
    """Closures (封控区, 施工路段) from a GeoJSON or GeoPackage file of polygons.

    Each feature is a Polygon or MultiPolygon with optional properties ``id`` (default:
    its row number from 1), ``start`` and ``end`` (dates or datetimes; a missing start or
    end leaves the closure open on that side) and ``reason``.

    Parameters
    ----------
    path
        The file; any CRS (reprojected to WGS-84), none taken as WGS-84.

    Returns
    -------
    list of Closure
        One per feature.

    Raises
    ------
    ClosureFileError
        The file cannot be read, or a feature is bad (the message names file, row, field).
    """
    import geopandas as gpd

    path = Path(path)
    try:
        frame = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several kinds for unreadable files
        msg = f"{path}: cannot read closures as GeoJSON or GeoPackage: {error}"
        raise ClosureFileError(msg) from None
    if frame.crs is not None and not frame.crs.equals(WGS84):
        frame = frame.to_crs(WGS84)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    return [
        _closure(
            dict(zip(columns, values, strict=True)),
            geometry,
            where=f"{path}: row {row}",
            row=row,
        )
        for row, (geometry, *values) in enumerate(
            zip(frame.geometry, *(frame[c] for c in columns), strict=True), start=1
        )
    ]


def closures_from_features(features: Sequence[Mapping[str, Any]]) -> list[Closure]:
    """Closures from GeoJSON features in WGS-84 (as in an API body), same properties as
    :func:`read_closures`.

    Raises
    ------
    ClosureFileError
        A feature is bad (the message names its row, from 1, and field).
    """
    closures = []
    for row, feature in enumerate(features, start=1):
        where = f"closures: row {row}"
        try:
            geometry = shapely.geometry.shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            msg = f"{where}: field 'geometry': not a GeoJSON geometry ({error})"
            raise ClosureFileError(msg) from None
        closures.append(_closure(feature.get("properties") or {}, geometry, where=where, row=row))
    return closures


def closure_feature(closure: Closure) -> dict[str, Any]:
    """A closure as a GeoJSON feature, read back by :func:`closures_from_features`."""
    return {
        "type": "Feature",
        "properties": {
            "id": closure.closure_id,
            "start": closure.start.isoformat(),
            "end": closure.end.isoformat(),
            "reason": closure.reason,
        },
        "geometry": shapely.geometry.mapping(closure.geometry),
    }
