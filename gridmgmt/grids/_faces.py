"""The planar arrangement all grids are built from: faces and the segments between them.

Every line that may become a grid border (base-cell edges, the county boundary, fixed
lines, existing grid borders) is noded once, together, and polygonised into faces. Two
faces that touch share the very same segment coordinates, so any union of faces is exact:
grids assembled from faces tile the county without slivers, gaps or overlaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgmt.crs import WGS84, transformer

# A segment whose midpoint lies this close (degrees, ~0.1 mm) to a fixed line is on it.
_ON_LINE_DEG = 1e-9


@dataclass(frozen=True)
class Faces:
    """Faces of the arrangement inside the county and the segments bounding them.

    Attributes
    ----------
    polygons
        Face polygons in WGS-84.
    points
        A point inside each face (WGS-84).
    area_m2
        Metric area of each face.
    centroid_xy
        ``(n, 2)`` metric centroid of each face.
    seg_faces
        ``(m, 2)`` faces on either side of each boundary segment; -1 for the outside of
        the county.
    seg_length_m
        Metric length of each segment.
    seg_fixed
        Whether a segment lies on a fixed line.
    seg_mid
        ``(m, 2)`` segment midpoints, longitude/latitude.
    """

    polygons: np.ndarray
    points: np.ndarray
    area_m2: np.ndarray
    centroid_xy: np.ndarray
    seg_faces: np.ndarray
    seg_length_m: np.ndarray
    seg_fixed: np.ndarray
    seg_mid: np.ndarray


def build_faces(
    segments: np.ndarray,
    county: BaseGeometry,
    *,
    crs: pyproj.CRS,
    extra_lines: list[BaseGeometry],
    fixed_lines: BaseGeometry | None,
) -> Faces:
    """Node all lines, polygonise them and keep the faces inside the county.

    Parameters
    ----------
    segments
        ``(m, 2, 2)`` straight segments (lon/lat) of base-cell edges.
    county
        County (multi)polygon, WGS-84.
    crs
        Metric CRS for lengths and areas.
    extra_lines
        Further borders to respect (existing grid boundaries).
    fixed_lines
        Lines grids must not cross; their segments are flagged.
    """
    lines = list(shapely.linestrings(segments)) if len(segments) else []
    lines.append(county.boundary)
    lines.extend(extra_lines)
    clipped_fixed = None
    if fixed_lines is not None:
        clipped_fixed = shapely.intersection(fixed_lines, county.buffer(1e-6))
        if not clipped_fixed.is_empty:
            lines.append(clipped_fixed)
    noded = shapely.union_all(np.asarray(lines, dtype=object))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 0]
    points = shapely.point_on_surface(faces)
    shapely.prepare(county)
    inside = shapely.contains(county, points)
    faces, points = faces[inside], points[inside]
    to_crs = transformer(WGS84, crs)

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = to_crs.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    metric = shapely.transform(faces, project)
    area = shapely.area(metric)
    centroid = shapely.get_coordinates(shapely.centroid(metric))
    seg_faces, seg_xy = _segment_topology(faces)
    start = project(seg_xy[:, 0])
    end = project(seg_xy[:, 1])
    length = np.hypot(*(end - start).T)
    mid = seg_xy.mean(axis=1)
    fixed = np.zeros(len(seg_faces), dtype=bool)
    if clipped_fixed is not None and not clipped_fixed.is_empty:
        shapely.prepare(clipped_fixed)
        fixed = shapely.dwithin(clipped_fixed, shapely.points(mid), _ON_LINE_DEG)
    return Faces(faces, points, area, centroid, seg_faces, length, fixed, mid)


def _segment_topology(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair each boundary segment with the faces on both sides.

    Polygonised faces share identical coordinates along common edges, so a segment is
    recognised by its exact endpoints, in either direction.
    """
    rings, ring_face = shapely.get_rings(faces, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same_ring = coord_ring[1:] == coord_ring[:-1]
    starts = coords[:-1][same_ring]
    ends = coords[1:][same_ring]
    seg_face = ring_face[coord_ring[:-1][same_ring]]
    swap = (starts[:, 0] > ends[:, 0]) | (
        (starts[:, 0] == ends[:, 0]) & (starts[:, 1] > ends[:, 1])
    )
    a = np.where(swap[:, None], ends, starts)
    b = np.where(swap[:, None], starts, ends)
    keys = np.ascontiguousarray(np.hstack([a, b]))
    degenerate = (keys[:, 0] == keys[:, 2]) & (keys[:, 1] == keys[:, 3])
    keys, seg_face = keys[~degenerate], seg_face[~degenerate]
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    pair = np.full((len(unique), 2), -1, dtype=np.int64)
    order = np.argsort(inverse, kind="stable")
    sorted_seg = inverse[order]
    position = np.arange(len(order)) - np.searchsorted(sorted_seg, sorted_seg)
    keep = position < 2
    pair[sorted_seg[keep], position[keep]] = seg_face[order][keep]
    return pair, unique.reshape(-1, 2, 2)
