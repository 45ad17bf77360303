"""Licence check: can a retailer be licensed at this point? (许可证申请 选址审查)

One answer with every reason: inside which school red line (blocking), too close to which
retailers (blocking), outside every county of the bureau (blocking), and for information
the county, the grid, the area type and whether the point is in a border-market zone.
:class:`LicenceChecker` builds its indexes once, so checking a point takes milliseconds;
:func:`check_licence` is the one-off form.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import shapely

from gridmgmt.crs import WGS84, CoordinateSystem, to_wgs84, transformer
from gridmgmt.domain import label_zh
from gridmgmt.rules._inputs import (
    TOLERANCE_M,
    ObjectArray,
    PolygonLookup,
    metric_geoms,
    require_frame,
    resolve_crs,
)
from gridmgmt.rules._walk import WalkNetwork
from gridmgmt.rules.border_markets import BorderKind, shared_borders
from gridmgmt.rules.red_lines import RedLineIndex
from gridmgmt.rules.settings import RuleSettings
from gridmgmt.rules.spacing import SpacingIndex

__all__ = ["LicenceCheck", "LicenceChecker", "Reason", "check_licence"]

_FROM = {"gate": "gate", "campus": "campus boundary", "point": "location"}


@dataclass(frozen=True)
class Reason:
    """One finding of a licence check.

    ``code`` is one of ``red_line``, ``spacing`` and ``outside_counties`` (blocking), or
    ``county``, ``grid``, ``area_type``, ``border_market`` and ``province_border_market``
    (information).
    """

    code: str
    blocking: bool
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LicenceCheck:
    """The answer to "can a retailer be licensed here?" with every reason."""

    allowed: bool
    reasons: list[Reason]
    lon: float
    lat: float
    county_code: str | None = None
    grid_id: Any = None
    area_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


class LicenceChecker:
    """Indexes of one bureau's retailers, schools, counties and grids for licence checks.

    Parameters
    ----------
    retailers
        Retailers with ``retailer_id``, points and, optionally, ``status``.
    schools
        Schools with ``school_id``, ``kind``, points and, optionally, ``campus``.
    counties
        County polygons with ``code`` (and ``name``, ``province_code`` when known).
    grids
        Grid polygons with ``grid_id``.
    settings
        The county's rule settings.
    gates, graph
        School gates and the road graph for walk mode (see
        :class:`~gridmgmt.rules.red_lines.RedLineIndex`).
    areas, area_column
        Area-type polygons for the spacing rule.
    borders
        Borders from :func:`~gridmgmt.rules.border_markets.shared_borders`; computed from
        ``counties`` when not given.
    outer_edge
        See :func:`~gridmgmt.rules.border_markets.shared_borders`.
    crs
        Metric CRS; by default the local one of the counties.
    retailer_id, school_id, gate_school, code, grid_id
        Identifying columns.
    """

    def __init__(
        self,
        retailers: gpd.GeoDataFrame,
        schools: gpd.GeoDataFrame,
        counties: gpd.GeoDataFrame,
        grids: gpd.GeoDataFrame | None = None,
        *,
        settings: RuleSettings,
        gates: gpd.GeoDataFrame | None = None,
        graph: nx.Graph | WalkNetwork | None = None,
        areas: gpd.GeoDataFrame | None = None,
        area_column: str = "area_type",
        borders: gpd.GeoDataFrame | None = None,
        outer_edge: BorderKind | str | Mapping[str, BorderKind | str] | None = None,
        crs: pyproj.CRS | str | None = None,
        retailer_id: str = "licence_no",
        school_id: str = "name",
        gate_school: str = "school",
        code: str = "code",
        grid_id: str = "grid_id",
    ) -> None:
        require_frame(retailers, "retailers", [retailer_id])
        require_frame(counties, "counties", [code])
        self.settings = settings
        self.crs = resolve_crs(crs, counties, retailers)
        self._to_metric = transformer(WGS84, self.crs)
        self.retailer_ids = retailers[retailer_id].to_numpy(dtype=object)
        self.red_lines = RedLineIndex(
            schools,
            rule=settings.red_line,
            crs=self.crs,
            gates=gates,
            graph=graph,
            school_id=school_id,
            gate_school=gate_school,
        )
        self.spacing = SpacingIndex(
            retailers, settings=settings.spacing, areas=areas, area_column=area_column, crs=self.crs
        )
        counties = counties.assign(**{code: counties[code].astype(str)})
        self.counties = PolygonLookup(counties, code, self.crs)
        self.county_names = dict(
            zip(counties[code], counties.get("name", counties[code]), strict=True)
        )
        self.grids = PolygonLookup(grids, grid_id, self.crs) if grids is not None else None
        if borders is None:
            borders = shared_borders(
                counties,
                tolerance_m=settings.borders.tolerance_m,
                outer_edge=outer_edge,
                crs=self.crs,
                code=code,
            )
        self._borders = borders.reset_index(drop=True)
        self._border_lines: ObjectArray = metric_geoms(self._borders, self.crs)
        self._border_tree = shapely.STRtree(self._border_lines)

    def check(
        self, lon: float, lat: float, *, source_crs: str | CoordinateSystem = "wgs84"
    ) -> LicenceCheck:
        """Check one point.

        Parameters
        ----------
        lon, lat
            The point, in ``source_crs`` longitude/latitude.
        source_crs
            Coordinate system of the point (``wgs84``, ``gcj02``, ``bd09``, ``cgcs2000`` or
            any alias :func:`gridmgmt.crs.parse_crs` accepts).
        """
        wlon, wlat = (float(c) for c in to_wgs84(lon, lat, source_crs))
        x, y = self._to_metric.transform(wlon, wlat)
        if not (math.isfinite(x) and math.isfinite(y)):
            # Too far from the bureau for its metric projection (e.g. near a pole): it is
            # outside every county, and no distance rule can be measured there.
            return LicenceCheck(False, [self._county_reason(None)], wlon, wlat)
        point = shapely.Point(x, y)
        reasons: list[Reason] = []
        county = self.counties.at(np.array([point], dtype=object))[0]
        reasons.append(self._county_reason(county))
        grid = None
        if self.grids is not None:
            grid = self.grids.at(np.array([point], dtype=object))[0]
            reasons.append(self._grid_reason(grid))
        reasons += self._red_line_reasons(point)
        area_type = str(self.spacing.area_types_at(np.array([point], dtype=object))[0])
        minimum = self.settings.spacing.minimum_m[area_type]
        reasons.append(
            Reason(
                "area_type",
                False,
                f"area type {area_type}: minimum spacing (合理布局) {minimum:g} m",
                {"area_type": area_type, "minimum_m": minimum},
            )
        )
        reasons += self._spacing_reasons(point, area_type)
        reasons += self._border_reasons(point, county)
        return LicenceCheck(
            allowed=not any(r.blocking for r in reasons),
            reasons=reasons,
            lon=wlon,
            lat=wlat,
            county_code=county,
            grid_id=grid,
            area_type=area_type,
        )

    def _county_reason(self, county: str | None) -> Reason:
        if county is None:
            return Reason(
                "outside_counties", True, "outside every county of the bureau (不在辖区内)"
            )
        name = self.county_names.get(county, county)
        detail = {"county_code": county, "county_name": name}
        return Reason("county", False, f"in county {county} {name}", detail)

    def _grid_reason(self, grid: object) -> Reason:
        if grid is None:
            return Reason("grid", False, "in no grid (不在任何网格内)", {"grid_id": None})
        return Reason("grid", False, f"in grid (网格) {grid}", {"grid_id": grid})

    def _red_line_reasons(self, point: shapely.Point) -> list[Reason]:
        index = self.red_lines
        found = index.match_point(point)
        src = index.sources
        reasons = []
        for school, dist, row in sorted(
            zip(found.school, found.distance_m, found.source, strict=True), key=lambda t: t[1]
        ):
            kind = index.kinds[school]
            limit = float(src["limit_m"].iloc[row])
            measured = str(src["measured_from"].iloc[row])
            name = index.school_ids[school]
            reasons.append(
                Reason(
                    "red_line",
                    True,
                    f"inside the school red line (学校红线) of {name} ({label_zh(kind)}): "
                    f"{dist:.1f} m from its {_FROM[measured]} by "
                    f"{index.rule.mode.value} distance, limit {limit:g} m",
                    {
                        "school": name,
                        "school_kind": kind.value,
                        "distance_m": float(dist),
                        "limit_m": limit,
                        "measured_from": measured,
                        "mode": index.rule.mode.value,
                    },
                )
            )
        return reasons

    def _spacing_reasons(self, point: shapely.Point, area_type: str) -> list[Reason]:
        index = self.spacing
        hits, dist = index.too_close(point, area_type)
        own = self.settings.spacing.minimum_m[area_type]
        reasons = []
        for pos, d in zip(hits, dist, strict=True):
            required = max(own, float(index.minimum[pos]))
            rid = self.retailer_ids[pos]
            reasons.append(
                Reason(
                    "spacing",
                    True,
                    f"too close (合理布局) to retailer {rid}: {d:.1f} m, minimum {required:g} m",
                    {
                        "licence_no": rid,
                        "distance_m": float(d),
                        "required_m": required,
                        "their_area_type": str(index.area_type[pos]),
                    },
                )
            )
        return reasons

    def _border_reasons(self, point: shapely.Point, county: str | None) -> list[Reason]:
        settings = self.settings.borders
        reach = max(settings.county_border_m, settings.province_border_m)
        rows = self._border_tree.query(point, predicate="dwithin", distance=reach)
        if len(rows) == 0:
            return []
        dist = shapely.distance(self._border_lines[rows], point)
        kinds = self._borders["kind"].to_numpy()[rows]
        reasons = []
        for kind, code, limit in [
            (BorderKind.COUNTY, "border_market", settings.county_border_m),
            (BorderKind.PROVINCE, "province_border_market", settings.province_border_m),
        ]:
            mask = dist <= limit + TOLERANCE_M
            if kind is BorderKind.PROVINCE:
                mask &= kinds == kind.value
            if not mask.any():
                continue
            best = int(np.flatnonzero(mask)[np.argmin(dist[mask])])
            row = self._borders.iloc[rows[best]]
            neighbour = row["county_b"] if row["county_a"] == county else row["county_a"]
            reasons.append(
                Reason(
                    code,
                    False,
                    f"border market (边界市场): {dist[best]:.0f} m from the {row['kind']} "
                    f"border with {neighbour}, within {limit:g} m",
                    {
                        "distance_m": float(dist[best]),
                        "border_kind": row["kind"],
                        "neighbour": neighbour,
                        "limit_m": limit,
                    },
                )
            )
        return reasons


def check_licence(
    point: tuple[float, float] | shapely.Point,
    *,
    retailers: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame | None = None,
    settings: RuleSettings,
    source_crs: str | CoordinateSystem = "wgs84",
    **options: Any,
) -> LicenceCheck:
    """Check one point for a new licence; see :class:`LicenceChecker` for the options.

    Parameters
    ----------
    point
        ``(lon, lat)`` or a shapely point in ``source_crs``.
    retailers, schools, counties, grids, settings
        As for :class:`LicenceChecker`.
    source_crs
        Coordinate system of the point.
    **options
        Further keyword options of :class:`LicenceChecker`.
    """
    lon, lat = (point.x, point.y) if isinstance(point, shapely.Point) else point
    checker = LicenceChecker(retailers, schools, counties, grids, settings=settings, **options)
    return checker.check(lon, lat, source_crs=source_crs)
