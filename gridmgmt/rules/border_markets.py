"""Border markets (边界市场): retailers near county and province borders.

A border is the edge two counties share: the part of one county's boundary within a
tolerance of the other's (digitised boundaries rarely match exactly). It is a province
border when the two counties are in different provinces (``province_code``, else the
first two digits of the 6-digit county code). The outer edge of the study area is not a
border, because nothing is known of what lies beyond it, unless the caller flags it
(``outer_edge``), for instance when the counties beyond are simply not loaded.

A retailer within the county-border distance of any border (a province border is a
county border too) is a border-market retailer; within the province-border distance of
a province border it is also a province-border retailer. Summaries count them per border
segment (one per county pair) and per neighbouring county.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from gridmgmt.crs import WGS84
from gridmgmt.errors import InvalidInputError
from gridmgmt.rules._inputs import (
    TOLERANCE_M,
    ObjectArray,
    PolygonLookup,
    geo_series,
    metric_geoms,
    metric_points,
    require_frame,
    require_kind,
    resolve_crs,
)
from gridmgmt.rules.settings import BorderSettings

__all__ = [
    "BorderKind",
    "BorderMarkets",
    "border_distances",
    "border_markets",
    "county_of_points",
    "shared_borders",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
OUTSIDE = "outside"  # the other side of a flagged outer edge


class BorderKind(StrEnum):
    """Kind of border (边界)."""

    COUNTY = "county"  # 县界
    PROVINCE = "province"  # 省界


def shared_borders(
    counties: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 50.0,
    outer_edge: BorderKind | str | Mapping[str, BorderKind | str] | None = None,
    crs: pyproj.CRS | str | None = None,
    code: str = "code",
) -> gpd.GeoDataFrame:
    """The borders between counties, one segment per neighbouring pair.

    Parameters
    ----------
    counties
        County polygons with a ``code`` column and, optionally, ``province_code``.
    tolerance_m
        Boundary lines this close count as one shared border.
    outer_edge
        Treat the study area's outer edge as a border of this kind, either for every
        county or per county code (counties not named have none).
    crs
        Metric CRS to work in; by default the local one of the counties.
    code
        Column with the county code.

    Returns
    -------
    geopandas.GeoDataFrame
        ``county_a``, ``county_b`` (``"outside"`` for an outer edge), ``kind``,
        ``length_m`` and the border line in WGS-84.
    """
    require_frame(counties, "counties", [code])
    require_kind(counties, "counties", ["Polygon", "MultiPolygon"])
    metric = resolve_crs(crs, counties)
    polys = shapely.make_valid(metric_geoms(counties, metric))
    codes = counties[code].astype(str).to_numpy()
    provinces = _provinces(counties, codes)
    boundaries = shapely.boundary(polys)
    a, b = shapely.STRtree(polys).query(polys, predicate="dwithin", distance=tolerance_m)
    keep = a < b
    a, b = a[keep], b[keep]
    near_b = shapely.buffer(boundaries[b], tolerance_m)
    lines = _linear(shapely.intersection(boundaries[a], near_b))
    real = shapely.length(lines) > 2 * tolerance_m  # corner contacts leave short stubs
    rows = pd.DataFrame(
        {
            "county_a": codes[a[real]],
            "county_b": codes[b[real]],
            "kind": np.where(
                provinces[a[real]] != provinces[b[real]], BorderKind.PROVINCE, BorderKind.COUNTY
            ),
            "geometry": lines[real],
        }
    )
    outer = _outer_edges(polys, codes, outer_edge, tolerance_m)
    rows = pd.concat([rows, outer], ignore_index=True)
    rows["kind"] = [BorderKind(k).value for k in rows["kind"]]
    rows["length_m"] = shapely.length(rows["geometry"].to_numpy(dtype=object))
    geoms = geo_series(rows.pop("geometry").to_numpy(dtype=object), metric).array
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84)


def county_of_points(
    points: ObjectArray, counties: gpd.GeoDataFrame, crs: pyproj.CRS, *, code: str = "code"
) -> ObjectArray:
    """County code of each metric point (``None`` outside every county; lowest code on a border)."""
    lookup = PolygonLookup(counties.assign(**{code: counties[code].astype(str)}), code, crs)
    return lookup.at(points)


def border_distances(
    points: ObjectArray,
    borders: gpd.GeoDataFrame,
    crs: pyproj.CRS,
    *,
    kind: BorderKind | None = None,
    max_distance: float | None = None,
) -> tuple[FloatArray, IntArray]:
    """Distance from each metric point to the nearest border (of one kind, if given).

    Returns
    -------
    tuple of numpy.ndarray
        Distance in metres (``inf`` beyond ``max_distance`` or with no border) and the
        row position in ``borders`` of the nearest segment (-1 for none).
    """
    dist = np.full(len(points), np.inf)
    segment = np.full(len(points), -1, dtype=np.int64)
    rows = np.arange(len(borders))
    if kind is not None:
        rows = rows[borders["kind"].to_numpy() == BorderKind(kind).value]
    if len(rows) == 0 or len(points) == 0:
        return dist, segment
    lines = metric_geoms(borders.iloc[rows], crs)
    reach = None if max_distance is None else max_distance + TOLERANCE_M
    pt_i, line_i = shapely.STRtree(lines).query_nearest(
        points, max_distance=reach, all_matches=False
    )
    dist[pt_i] = shapely.distance(points[pt_i], lines[line_i])
    segment[pt_i] = rows[line_i]
    return dist, segment


@dataclass(frozen=True)
class BorderMarkets:
    """Border-market retailers and their summaries."""

    retailers: gpd.GeoDataFrame
    """Flagged retailers: id, ``county_code``, ``county_border_m``, ``province_border_m``,
    ``near_county_border``, ``near_province_border``, ``neighbour`` (the county across the
    nearest border) and the point in WGS-84."""
    segments: pd.DataFrame
    """Per border segment: ``county_a``, ``county_b``, ``kind``, ``length_m``,
    ``county_band`` and ``province_band`` (retailers whose nearest border it is)."""
    neighbours: pd.DataFrame
    """Per county and neighbouring county: ``county_code``, ``neighbour``, ``kind``,
    ``county_band``, ``province_band``."""
    borders: gpd.GeoDataFrame
    """The borders, as :func:`shared_borders` returns them."""


def border_markets(
    retailers: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    settings: BorderSettings,
    borders: gpd.GeoDataFrame | None = None,
    outer_edge: BorderKind | str | Mapping[str, BorderKind | str] | None = None,
    crs: pyproj.CRS | str | None = None,
    retailer_id: str = "licence_no",
    code: str = "code",
) -> BorderMarkets:
    """Flag the retailers near county and province borders and summarise them.

    Parameters
    ----------
    retailers
        Retailers with ``retailer_id``, point geometries and, optionally, ``county_code``
        (otherwise the county containing each point).
    counties
        County polygons with ``code`` and, optionally, ``province_code``.
    settings
        Border distances and tolerance.
    borders
        Borders from :func:`shared_borders`, when the caller already has them.
    outer_edge
        See :func:`shared_borders`.
    crs
        Metric CRS to measure in; by default the local one of the counties.
    retailer_id, code
        Identifying columns.
    """
    require_frame(retailers, "retailers", [retailer_id])
    metric = resolve_crs(crs, counties, retailers)
    if borders is None:
        borders = shared_borders(
            counties, tolerance_m=settings.tolerance_m, outer_edge=outer_edge, crs=metric, code=code
        )
    points = metric_points(retailers, "retailers", metric)
    if "county_code" in retailers.columns:
        own = retailers["county_code"].astype(str).to_numpy(dtype=object)
    else:
        own = county_of_points(points, counties, metric, code=code)
    c_dist, c_seg = border_distances(points, borders, metric, max_distance=settings.county_border_m)
    p_dist, p_seg = border_distances(
        points, borders, metric, kind=BorderKind.PROVINCE, max_distance=settings.province_border_m
    )
    near_c, near_p = np.isfinite(c_dist), np.isfinite(p_dist)
    # The segment a retailer is counted on: its nearest province border when it is in
    # that band (that is why it is watched), else its nearest border.
    segment = np.where(near_p, p_seg, c_seg)
    neighbour = _neighbour(borders, segment, own)
    flagged = near_c | near_p
    table = gpd.GeoDataFrame(
        {
            retailer_id: retailers[retailer_id].to_numpy(),
            "county_code": own,
            "county_border_m": np.where(near_c, c_dist, np.nan),
            "province_border_m": np.where(near_p, p_dist, np.nan),
            "near_county_border": near_c,
            "near_province_border": near_p,
            "neighbour": neighbour,
            "_segment": segment,
        },
        geometry=retailers.geometry.to_crs(WGS84).array,
        crs=WGS84,
    )[flagged]
    table = table.sort_values(["county_border_m", retailer_id], ignore_index=True)
    return BorderMarkets(
        retailers=table.drop(columns="_segment"),
        segments=_segment_summary(borders, table),
        neighbours=_neighbour_summary(borders, table),
        borders=borders,
    )


def _provinces(counties: gpd.GeoDataFrame, codes: npt.NDArray[np.str_]) -> ObjectArray:
    if "province_code" in counties.columns:
        provinces: ObjectArray = counties["province_code"].astype(str).to_numpy(dtype=object)
        return provinces
    return np.array([c[:2] for c in codes], dtype=object)


def _linear(geoms: ObjectArray) -> ObjectArray:
    """Only the line parts of each geometry, merged."""
    out = np.empty(len(geoms), dtype=object)
    for i, geom in enumerate(geoms):
        parts = shapely.get_parts(geom)
        lines = parts[
            np.isin(
                shapely.get_type_id(parts),
                [shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING],
            )
        ]
        merged = shapely.line_merge(shapely.union_all(lines)) if len(lines) else None
        out[i] = merged if merged is not None else shapely.LineString()
    return out


def _outer_edges(
    polys: ObjectArray,
    codes: npt.NDArray[np.str_],
    outer_edge: BorderKind | str | Mapping[str, BorderKind | str] | None,
    tolerance_m: float,
) -> pd.DataFrame:
    columns = ["county_a", "county_b", "kind", "geometry"]
    if outer_edge is None:
        return pd.DataFrame(columns=columns)
    if isinstance(outer_edge, Mapping):
        kinds = {str(k): BorderKind(v) for k, v in outer_edge.items()}
    else:
        kinds = dict.fromkeys(map(str, codes), BorderKind(outer_edge))
    unknown = sorted(set(kinds) - set(codes))
    if unknown:
        msg = (
            f"outer_edge names counties {unknown} that are not in counties; known: {sorted(codes)}"
        )
        raise InvalidInputError(msg)
    # The study area with the slivers between counties closed, and a band along its edge.
    study = shapely.buffer(shapely.buffer(shapely.union_all(polys), tolerance_m), -tolerance_m)
    edge_band = shapely.buffer(shapely.boundary(study), tolerance_m)
    rows = []
    for i, county in enumerate(codes):
        if county not in kinds:
            continue
        edge = _linear(np.array([shapely.intersection(shapely.boundary(polys[i]), edge_band)]))[0]
        if shapely.length(edge) > 2 * tolerance_m:
            rows.append((county, OUTSIDE, kinds[county], edge))
    return pd.DataFrame(rows, columns=columns)


def _neighbour(borders: gpd.GeoDataFrame, segment: IntArray, own: ObjectArray) -> ObjectArray:
    result = np.full(len(segment), None, dtype=object)
    has = segment >= 0
    a = borders["county_a"].to_numpy(dtype=object)[segment[has]]
    b = borders["county_b"].to_numpy(dtype=object)[segment[has]]
    result[has] = np.where(a == own[has], b, a)
    return result


def _segment_summary(borders: gpd.GeoDataFrame, table: pd.DataFrame) -> pd.DataFrame:
    counts = table.groupby("_segment").agg(
        county_band=("near_county_border", "sum"), province_band=("near_province_border", "sum")
    )
    summary = pd.DataFrame(borders.drop(columns="geometry")).reset_index(drop=True)
    summary = summary.join(counts).fillna({"county_band": 0, "province_band": 0})
    summary[["county_band", "province_band"]] = summary[["county_band", "province_band"]].astype(
        np.int64
    )
    return summary.sort_values(["county_band", "length_m"], ascending=False, ignore_index=True)


def _neighbour_summary(borders: gpd.GeoDataFrame, table: pd.DataFrame) -> pd.DataFrame:
    kind = borders["kind"].to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "county_code": table["county_code"].to_numpy(dtype=object),
            "neighbour": table["neighbour"].to_numpy(dtype=object),
            "kind": kind[table["_segment"].to_numpy()],
            "near_county_border": table["near_county_border"].to_numpy(),
            "near_province_border": table["near_province_border"].to_numpy(),
        }
    )
    summary = frame.groupby(["county_code", "neighbour", "kind"], as_index=False).agg(
        county_band=("near_county_border", "sum"), province_band=("near_province_border", "sum")
    )
    return summary.sort_values(
        ["county_code", "county_band"], ascending=[True, False], ignore_index=True
    )
