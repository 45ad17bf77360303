"""Validating a source table against a kind's schema: every problem, named by row and field.

:func:`validate_table` is pure: what it needs to know about the store (the counties, the
caller's scope, existing licences and depots) comes in a :class:`Reference`. It reads every
column, converts coordinates to WGS-84, places points in counties, and collects every
problem instead of stopping at the first, so a user fixes a file in one go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from gridmgmt.crs import WGS84, CoordinateSystem, convert_geometry, in_china, metric_crs, to_wgs84
from gridmgmt.io.headers import LOCATION_COLUMN, accepted_headers, map_headers
from gridmgmt.io.limits import ImportLimits
from gridmgmt.io.parsing import clean_text, parse_column
from gridmgmt.io.problems import Problem, ProblemList
from gridmgmt.io.readers import SourceTable
from gridmgmt.io.schemas import FieldType, GeometryRole, KindSchema

BOUNDARY_TOLERANCE_M = 5.0
"""How far outside its county polygon a point may lie (digitising noise at the border)."""

ROW = "row"
LOCATION = "location"
_GEOGRAPHIC = (CoordinateSystem.WGS84, CoordinateSystem.CGCS2000)
_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Reference:
    """What validation needs to know about the store.

    Parameters
    ----------
    counties
        Boundaries of the stored counties (shapely geometries in WGS-84; a GeoSeries or a
        plain Series), indexed by county code.
    scope
        County codes the importing user may write; ``None`` for every county.
    retailers
        County code of each stored retailer, indexed by licence number (for orders).
    depots
        County code of each stored depot, indexed by depot code (for vehicles).
    """

    counties: pd.Series
    scope: frozenset[str] | None = None
    retailers: pd.Series | None = None
    depots: pd.Series | None = None


@dataclass
class ValidatedRows:
    """Rows that passed validation, ready to store.

    Parameters
    ----------
    schema
        The kind.
    frame
        One row per input row: ``row`` (user row number), every supplied canonical field
        parsed, ``county_code`` filled in, ``location`` (WGS-84 points) for point kinds and
        polygon fields as WGS-84 MultiPolygons.
    present
        Fields the file supplies; stored rows keep their values of the others.
    ignored_columns
        Source columns that match no field.
    """

    schema: KindSchema
    frame: pd.DataFrame
    present: frozenset[str]
    ignored_columns: list[str] = field(default_factory=list)


class _Collector:
    """Collects problems of one file as arrays (a garbage file has millions of them).

    Problems are kept per call as row positions and messages; only the first
    ``max_problems`` in file order become :class:`Problem` objects, the rest are counted.
    """

    def __init__(self, label: str, rows: npt.NDArray[np.int64]) -> None:
        self.label = label
        self.rows = rows
        self.whole_file: list[Problem] = []
        self.file_fields: set[str | None] = set()
        self._batches: list[tuple[npt.NDArray[np.int64], str, list[str]]] = []
        self._flagged: dict[str, npt.NDArray[np.bool_]] = {}

    def file(self, field_name: str | None, message: str) -> None:
        self.file_fields.add(field_name)
        self.whole_file.append(Problem(self.label, None, field_name, message))

    def at(self, positions: Iterable[int], field_name: str, messages: Iterable[str]) -> None:
        where = np.fromiter((int(p) for p in positions), dtype=np.int64)
        texts = [str(message) for message in messages]
        if len(texts) != len(where):
            msg = f"{len(where)} rows but {len(texts)} messages for {field_name}"
            raise AssertionError(msg)
        if not len(where):
            return
        flagged = self._flagged.setdefault(field_name, np.zeros(len(self.rows), dtype=bool))
        flagged[where] = True
        self._batches.append((where, field_name, texts))

    def mask(self, bad: npt.NDArray[np.bool_], field_name: str, messages: Iterable[str]) -> None:
        self.at(np.flatnonzero(bad), field_name, messages)

    def flagged(self, fields: Iterable[str | None]) -> npt.NDArray[np.bool_]:
        """Rows with a problem in any of ``fields``."""
        result = np.zeros(len(self.rows), dtype=bool)
        for name in fields:
            if name in self._flagged:
                result |= self._flagged[name]
        return result

    def problems(self, limit: int) -> ProblemList:
        """The first ``limit`` problems in file order (whole-file ones first), and the total."""
        total = len(self.whole_file) + sum(len(where) for where, _, _ in self._batches)
        listed = self.whole_file[:limit]
        room = limit - len(listed)
        if room <= 0 or not self._batches:
            return ProblemList(listed, total=total)
        rows = np.concatenate([self.rows[where] for where, _, _ in self._batches])
        batch = np.concatenate([np.full(len(w), i) for i, (w, _, _) in enumerate(self._batches)])
        offset = np.concatenate([np.arange(len(w)) for w, _, _ in self._batches])
        first = np.argsort(rows, kind="stable")[:room]
        for i in first:
            _, field_name, texts = self._batches[int(batch[i])]
            listed.append(Problem(self.label, int(rows[i]), field_name, texts[int(offset[i])]))
        return ProblemList(listed, total=total)


def validate_table(
    table: SourceTable,
    schema: KindSchema,
    *,
    crs: CoordinateSystem,
    reference: Reference,
    limits: ImportLimits | None = None,
) -> tuple[ValidatedRows, ProblemList]:
    """Read and check every row of ``table`` as rows of ``schema``.

    Parameters
    ----------
    table
        The file as read by :func:`gridmgmt.io.readers.read_source`.
    schema
        The kind being imported.
    crs
        Coordinate system of the file's longitudes and latitudes.
    reference
        What the store holds that rows refer to.
    limits
        How many problems to list and how many vertices a polygon may have (default:
        :class:`~gridmgmt.io.limits.ImportLimits` defaults).

    Returns
    -------
    tuple
        The validated rows and the first problems found in file order, with their total
        (empty if the file can be stored).
    """
    limits = limits or ImportLimits()
    out = _Collector(table.label, table.rows)
    mapping = map_headers(list(table.frame.columns), schema)
    for name, sources in mapping.conflicts.items():
        out.file(name, f"columns {sources} all give {name}; keep one of them")
    frame = pd.DataFrame({ROW: table.rows}, index=range(len(table)))
    present: set[str] = set()

    if not _crs_applies(table, crs, out):
        # Coordinates cannot be read at all: row checks would only repeat that.
        rows = ValidatedRows(schema, frame, frozenset(), mapping.ignored)
        return rows, out.problems(limits.max_problems)
    geometry = _spatial_geometry(table, schema)
    polygons_from_file = schema.polygon_field is not None and _any_polygon(geometry)
    for spec in schema.fields:
        if spec.value_type in (FieldType.LON, FieldType.LAT):
            continue
        if spec.name == schema.polygon_field and polygons_from_file:
            continue
        column = mapping.columns.get(spec.name)
        if column is None:
            if spec.required and not _supplied_otherwise(spec.name, schema, geometry):
                _missing_column(out, schema, spec.name)
            continue
        present.add(spec.name)
        frame[spec.name] = _read_field(table.frame[column], spec.name, schema, out)

    if schema.geometry is GeometryRole.POINT:
        _read_locations(table, schema, mapping.columns, geometry, crs, frame, present, out)
    if schema.polygon_field is not None:
        _read_polygons(schema, geometry, crs, frame, present, out, limits.max_vertices)
    if schema.geometry is GeometryRole.POINT:
        _report_rows_without_location(frame, out)
    if schema.kind == "counties":
        _fill_provinces(frame, present, out)
    _assign_counties(schema, frame, present, reference, out)
    _check_scope(schema, frame, reference, out)
    _check_duplicates(schema, frame, out)
    rows = ValidatedRows(schema, frame, frozenset(present), mapping.ignored)
    return rows, out.problems(limits.max_problems)


def _any_polygon(geometry: npt.NDArray[np.object_] | None) -> bool:
    if geometry is None:
        return False
    return bool(np.isin(shapely.get_type_id(geometry), (3, 6)).any())


def _any_point(geometry: npt.NDArray[np.object_]) -> bool:
    return bool(np.isin(shapely.get_type_id(geometry), (0, 4)).any())


_LOCATION_FIELDS = frozenset({"lon", "lat", LOCATION_COLUMN, "geometry", "campus", "crs"})


def _report_rows_without_location(frame: pd.DataFrame, out: _Collector) -> None:
    """Rows that ended up with no location and no other problem saying why."""
    if LOCATION not in frame.columns:
        frame[LOCATION] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if out.file_fields & _LOCATION_FIELDS:
        return  # a missing lon/lat column explains every row
    missing = pd.isna(frame[LOCATION].to_numpy(dtype=object)) & ~out.flagged(_LOCATION_FIELDS)
    out.mask(missing, "lon", ["no location: lon/lat are empty"] * int(missing.sum()))


def _supplied_otherwise(
    name: str, schema: KindSchema, geometry: npt.NDArray[np.object_] | None
) -> bool:
    return name == schema.polygon_field and geometry is not None


def _missing_column(out: _Collector, schema: KindSchema, name: str) -> None:
    accepted = ", ".join(accepted_headers(schema, name))
    out.file(name, f"missing required column {name!r}; accepted headers: {accepted}")


def _read_field(column: pd.Series, name: str, schema: KindSchema, out: _Collector) -> pd.Series:
    spec = schema.field(name)
    text = clean_text(column)
    parsed = parse_column(spec, text)
    bad = parsed.errors.notna().to_numpy(dtype=bool)
    out.mask(bad, name, parsed.errors[bad])
    empty = (text == "").to_numpy(dtype=bool)
    if spec.required:
        out.mask(empty, name, [f"{name} is required but empty"] * int(empty.sum()))
    values = parsed.values
    if spec.default is not None and empty.any():
        values = values.copy()
        values[empty] = spec.default
    return values


def _crs_applies(table: SourceTable, crs: CoordinateSystem, out: _Collector) -> bool:
    """GCJ-02 and BD-09 are longitude/latitude systems: a projected file cannot be in them."""
    projected = table.geometry is not None and table.crs is not None and table.crs.is_projected
    if projected and crs not in _GEOGRAPHIC:
        assert table.crs is not None
        out.file(
            "crs",
            f"the file is in the projected CRS {table.crs.name!r}; --crs {crs.value} only "
            "applies to longitude/latitude data (use --crs wgs84 or cgcs2000)",
        )
        return False
    return True


def _spatial_geometry(table: SourceTable, schema: KindSchema) -> npt.NDArray[np.object_] | None:
    """Feature geometries in longitude/latitude (projected files are unprojected)."""
    if table.geometry is None or schema.geometry is GeometryRole.NONE:
        return None
    geoms = table.geometry
    if pd.isna(geoms).all():
        return None
    if table.crs is not None and table.crs.is_projected:
        import geopandas as gpd  # projected spatial files only

        series = gpd.GeoSeries(geoms, crs=table.crs).to_crs(WGS84)
        geoms = np.asarray(series.array, dtype=object)
    return geoms


def _read_locations(
    table: SourceTable,
    schema: KindSchema,
    columns: dict[str, str],
    geometry: npt.NDArray[np.object_] | None,
    crs: CoordinateSystem,
    frame: pd.DataFrame,
    present: set[str],
    out: _Collector,
) -> None:
    """Fill ``location`` (WGS-84 points) from lon/lat columns or Point features."""
    n = len(frame)
    if geometry is not None:
        if schema.polygon_field is not None and not _any_point(geometry):
            return  # campus polygons only: locations come from them
        lon, lat, have = _points_from_features(geometry, schema, out)
    elif "lon" in columns or "lat" in columns:
        lon, lat, have = _lonlat_columns(table, schema, columns, out)
    elif LOCATION_COLUMN in columns:
        lon, lat, have = _location_column(clean_text(table.frame[columns[LOCATION_COLUMN]]), out)
    else:
        if not (schema.polygon_field and schema.polygon_field in present):
            for name in ("lon", "lat"):
                _missing_column(out, schema, name)
        frame[LOCATION] = pd.Series([None] * n, dtype=object)
        return
    good = have & _check_coordinates(lon, lat, out)
    points = np.full(n, None, dtype=object)
    if good.any():
        wgs_lon, wgs_lat = to_wgs84(lon[good], lat[good], crs)
        points[good] = shapely.points(wgs_lon, wgs_lat)
    frame[LOCATION] = pd.Series(points, index=frame.index, dtype=object)
    present.add(LOCATION)


def _points_from_features(
    geometry: npt.NDArray[np.object_], schema: KindSchema, out: _Collector
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    n = len(geometry)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    type_ids = shapely.get_type_id(geometry)
    single = shapely.get_num_geometries(geometry) == 1
    is_point = (type_ids == 0) | ((type_ids == 4) & single)
    points = np.asarray(geometry, dtype=object).copy()
    multi = (type_ids == 4) & single
    if multi.any():
        points[multi] = shapely.get_geometry(points[multi], 0)
    is_point &= ~shapely.is_empty(points)
    lon[is_point] = shapely.get_x(points[is_point])
    lat[is_point] = shapely.get_y(points[is_point])
    missing = type_ids == -1
    out.mask(missing, "geometry", ["feature has no geometry"] * int(missing.sum()))
    polygon = np.isin(type_ids, (3, 6))
    other = ~is_point & ~missing & ~(polygon & bool(schema.polygon_field))
    names = shapely.get_type_id(geometry[other])
    out.mask(
        other,
        "geometry",
        [f"expected a Point feature, got {_TYPE_NAMES.get(int(t), 'another type')}" for t in names],
    )
    return lon, lat, is_point


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _lonlat_columns(
    table: SourceTable, schema: KindSchema, columns: dict[str, str], out: _Collector
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    values: dict[str, npt.NDArray[np.float64]] = {}
    have = np.ones(len(table), dtype=bool)
    for name in ("lon", "lat"):
        if name not in columns:
            _missing_column(out, schema, name)
            values[name] = np.full(len(table), np.nan)
            have[:] = False
            continue
        spec = schema.field(name)
        text = clean_text(table.frame[columns[name]])
        parsed = parse_column(spec, text)
        bad = parsed.errors.notna().to_numpy(dtype=bool)
        out.mask(bad, name, [f"cannot read {value!r} as a number" for value in text[bad]])
        empty = (text == "").to_numpy(dtype=bool)
        out.mask(empty, name, [f"{name} is required but empty"] * int(empty.sum()))
        values[name] = parsed.values.astype(np.float64).to_numpy()
        have &= ~bad & ~empty
    return values["lon"], values["lat"], have


def _location_column(
    text: pd.Series, out: _Collector
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    parts = text.str.replace("，", ",", regex=False).str.split(r"[,;\s]+", regex=True)
    two = parts.map(len).to_numpy() == 2
    lon_text = parts.map(lambda p: p[0] if len(p) == 2 else "")
    lat_text = parts.map(lambda p: p[1] if len(p) == 2 else "")
    lon = pd.to_numeric(lon_text, errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(lat_text, errors="coerce").to_numpy(dtype=np.float64)
    good = two & np.isfinite(lon) & np.isfinite(lat)
    empty = (text == "").to_numpy(dtype=bool)
    bad = ~good & ~empty
    out.mask(bad, LOCATION_COLUMN, [f"cannot read {v!r} as 'lon,lat'" for v in text[bad]])
    out.mask(empty, LOCATION_COLUMN, ["location is required but empty"] * int(empty.sum()))
    return lon, lat, good


def _check_coordinates(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], out: _Collector
) -> npt.NDArray[np.bool_]:
    """Report swapped, out-of-range, null-island and foreign points; return the usable ones.

    The data is Chinese: a point outside the box around China (the one the GCJ-02 rule
    uses) is a typing or projection error, and (0, 0) is an empty GPS fix.
    """
    finite = np.isfinite(lon) & np.isfinite(lat)
    swapped = finite & ~in_china(lon, lat) & in_china(lat, lon)
    out.mask(
        swapped,
        "lon",
        [
            f"lon/lat look swapped: lon={x}, lat={y} (in China longitude is about 73-135 "
            "and latitude 18-54)"
            for x, y in zip(lon[swapped].tolist(), lat[swapped].tolist(), strict=True)
        ],
    )
    bad_lon = finite & ~swapped & (np.abs(lon) > 180)
    out.mask(
        bad_lon, "lon", [f"longitude {x} is out of range -180..180" for x in lon[bad_lon].tolist()]
    )
    bad_lat = finite & ~swapped & (np.abs(lat) > 90)
    out.mask(
        bad_lat, "lat", [f"latitude {y} is out of range -90..90" for y in lat[bad_lat].tolist()]
    )
    usable = finite & ~swapped & ~bad_lon & ~bad_lat
    null_island = usable & (lon == 0) & (lat == 0)
    out.mask(
        null_island,
        "lon",
        ["lon/lat are (0, 0): an empty GPS fix, not a location"] * int(null_island.sum()),
    )
    foreign = usable & ~null_island & ~in_china(lon, lat)
    out.mask(
        foreign,
        "lon",
        [
            f"point ({x}, {y}) lies outside China (longitude 72-138, latitude 0.8-55.8)"
            for x, y in zip(lon[foreign].tolist(), lat[foreign].tolist(), strict=True)
        ],
    )
    return np.asarray(usable & ~null_island & ~foreign, dtype=bool)


def _read_polygons(
    schema: KindSchema,
    geometry: npt.NDArray[np.object_] | None,
    crs: CoordinateSystem,
    frame: pd.DataFrame,
    present: set[str],
    out: _Collector,
    max_vertices: int,
) -> None:
    """Check and convert the polygon field (from features, or WKT read as a column)."""
    name = schema.polygon_field
    assert name is not None
    if _any_polygon(geometry):
        assert geometry is not None
        polygons = pd.Series(geometry, index=frame.index, dtype=object)
        if schema.geometry is GeometryRole.POLYGON:
            _report_non_polygons(polygons, out, name)
        polygons = polygons.where(
            polygons.map(lambda g: getattr(g, "geom_type", None) in _POLYGONAL), None
        )
        present.add(name)
    elif name in frame.columns:
        polygons = frame[name]
        _report_non_polygons(polygons, out, name)
    else:
        return
    geoms = polygons.to_numpy(dtype=object)
    usable = _check_polygons(geoms, name, out, max_vertices)
    converted = np.full(len(geoms), None, dtype=object)
    if usable.any():
        multi = _as_multipolygons(geoms[usable])
        converted[usable] = convert_geometry(multi, source=crs, target=CoordinateSystem.WGS84)
    frame[name] = pd.Series(converted, index=frame.index, dtype=object)
    if schema.geometry is GeometryRole.POINT:
        # A school known only by its campus is located at a point inside it.
        if LOCATION not in frame.columns:
            frame[LOCATION] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        derive = pd.isna(frame[LOCATION].to_numpy(dtype=object)) & ~pd.isna(converted)
        if derive.any():
            frame.loc[derive, LOCATION] = shapely.point_on_surface(converted[derive])


def _report_non_polygons(polygons: pd.Series, out: _Collector, name: str) -> None:
    kinds = polygons.map(lambda g: None if g is None else g.geom_type)
    bad = (kinds.notna() & ~kinds.isin(_POLYGONAL)).to_numpy(dtype=bool)
    out.mask(bad, name, [f"expected a Polygon or MultiPolygon, got {k}" for k in kinds[bad]])


def _check_polygons(
    geoms: npt.NDArray[np.object_], name: str, out: _Collector, max_vertices: int
) -> npt.NDArray[np.bool_]:
    have = ~pd.isna(geoms)
    have[have] = ~shapely.is_empty(geoms[have])
    vertices = np.zeros(len(geoms), dtype=np.int64)
    vertices[have] = shapely.get_num_coordinates(geoms[have])
    huge = vertices > max_vertices
    out.mask(
        huge,
        name,
        [
            f"the polygon has {n:,} vertices, more than the {max_vertices:,} allowed "
            "(setting GRIDMGMT_IMPORT_MAX_VERTICES); simplify it"
            for n in vertices[huge].tolist()
        ],
    )
    have &= ~huge
    valid = np.zeros(len(geoms), dtype=bool)
    valid[have] = shapely.is_valid(geoms[have])
    invalid = have & ~valid
    reasons = shapely.is_valid_reason(geoms[invalid]) if invalid.any() else []
    out.mask(invalid, name, [f"invalid geometry: {reason}" for reason in reasons])
    bounds = np.full((len(geoms), 4), np.nan)
    if valid.any():
        bounds[valid] = shapely.bounds(geoms[valid])
    outside = valid & (
        (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    )
    out.mask(
        outside,
        name,
        ["coordinates are outside -180..180 / -90..90: is the file projected without a .prj?"]
        * int(outside.sum()),
    )
    return np.asarray(valid & ~outside, dtype=bool)


def _as_multipolygons(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    single = shapely.get_type_id(geoms) == 3
    result = geoms.copy()
    if single.any():
        result[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
    return result


def _fill_provinces(frame: pd.DataFrame, present: set[str], out: _Collector) -> None:
    """Province code defaults to the county code's first two digits + 0000 (e.g. 150000)."""
    if "code" not in frame.columns:
        return
    derived = frame["code"].map(lambda code: None if code is None else code[:2] + "0000")
    if "province_code" in frame.columns:
        frame["province_code"] = frame["province_code"].where(
            frame["province_code"].notna(), derived
        )
    else:
        frame["province_code"] = derived
    present.add("province_code")
    if "province" not in frame.columns:
        return
    named = frame.dropna(subset=["province_code", "province"])
    first = named.groupby("province_code")["province"].transform("first")
    clash = named["province"] != first
    out.at(
        clash[clash].index,
        "province",
        [
            f"province {p!r} differs from {f!r} given earlier for province code {c}"
            for p, f, c in zip(
                named.loc[clash, "province"],
                first[clash],
                named.loc[clash, "province_code"],
                strict=True,
            )
        ],
    )


def _assign_counties(
    schema: KindSchema,
    frame: pd.DataFrame,
    present: set[str],
    reference: Reference,
    out: _Collector,
) -> None:
    """Check given county codes and fill missing ones from location, retailer or depot."""
    if schema.kind == "counties":
        return
    if "county_code" not in frame.columns:
        frame["county_code"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    given = frame["county_code"].notna().to_numpy(dtype=bool)
    known = frame["county_code"].isin(reference.counties.index).to_numpy(dtype=bool)
    unknown = given & ~known
    listed = ", ".join(sorted(reference.counties.index)[:20]) or "none: import counties first"
    out.mask(
        unknown,
        "county_code",
        [f"unknown county code {c}; known: {listed}" for c in frame.loc[unknown, "county_code"]],
    )
    if schema.county_from == "location":
        _place_points(frame, given & known, reference, out)
    elif schema.county_from in ("retailer", "depot"):
        _county_from_parent(schema, frame, given & known, ~given, reference, out)
    present.add("county_code")


def _place_points(
    frame: pd.DataFrame, given: npt.NDArray[np.bool_], reference: Reference, out: _Collector
) -> None:
    points = frame[LOCATION].to_numpy(dtype=object) if LOCATION in frame.columns else None
    if points is None:
        return
    has_point = ~pd.isna(points)
    check = given & has_point
    codes = frame["county_code"].to_numpy(dtype=object)
    for code in pd.unique(codes[check]):
        rows = np.flatnonzero(check & (codes == code))
        outside = _outside(points[rows], reference.counties[code])
        out.at(
            rows[outside],
            "county_code",
            [
                f"point ({p.x:.6f}, {p.y:.6f}) in WGS-84 lies outside county {code} "
                f"(by more than {BOUNDARY_TOLERANCE_M:g} m)"
                for p in points[rows[outside]]
            ],
        )
    find = ~frame["county_code"].notna().to_numpy(dtype=bool) & has_point
    if not find.any():
        return
    found = _locate(points[find], reference.counties)
    positions = np.flatnonzero(find)
    frame.loc[positions, "county_code"] = found
    missing = pd.isna(found)
    out.at(
        positions[missing],
        "county_code",
        [
            f"no stored county contains the point ({p.x:.6f}, {p.y:.6f}) in WGS-84; "
            "give county_code or import the county first"
            for p in points[positions[missing]]
        ],
    )


def _outside(points: npt.NDArray[np.object_], boundary: shapely.Geometry) -> npt.NDArray[np.bool_]:
    """Which points lie more than the tolerance outside ``boundary``, measured in metres."""
    shapely.prepare(boundary)
    inside = shapely.contains_xy(boundary, shapely.get_x(points), shapely.get_y(points))
    result = np.asarray(~inside, dtype=bool)
    if result.any():
        distance = _metric_distance(points[result], boundary)
        result[result] = ~(distance <= BOUNDARY_TOLERANCE_M)
    return result


def _metric_distance(
    points: npt.NDArray[np.object_], boundary: shapely.Geometry
) -> npt.NDArray[np.float64]:
    transformer = pyproj.Transformer.from_crs(WGS84, metric_crs(boundary), always_xy=True)
    projected = shapely.transform(
        boundary, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )
    x, y = transformer.transform(shapely.get_x(points), shapely.get_y(points))
    return np.asarray(shapely.distance(projected, shapely.points(x, y)), dtype=np.float64)


def _locate(points: npt.NDArray[np.object_], counties: pd.Series) -> npt.NDArray[np.object_]:
    """The code of the county containing each point (lowest code on a shared border)."""
    result = np.full(len(points), None, dtype=object)
    if counties.empty:
        return result
    ordered = counties.sort_index()
    codes = ordered.index.to_numpy(dtype=object)
    geoms = np.asarray(ordered.array, dtype=object)
    tree = shapely.STRtree(geoms)
    point_idx, county_idx = tree.query(points, predicate="intersects")
    first = pd.Series(county_idx).groupby(point_idx).min()
    result[first.index.to_numpy()] = codes[first.to_numpy()]
    missing = np.flatnonzero(pd.isna(result))
    if missing.size == 0:
        return result
    # Points just outside every polygon (on a border, within the tolerance) go to the nearest.
    best = np.full(missing.size, np.inf)
    for code, geom in zip(codes, geoms, strict=True):
        distance = _metric_distance(points[missing], geom)
        closer = distance < best
        best[closer] = distance[closer]
        result[missing[closer & (distance <= BOUNDARY_TOLERANCE_M)]] = code
    return result


def _county_from_parent(
    schema: KindSchema,
    frame: pd.DataFrame,
    given: npt.NDArray[np.bool_],
    absent: npt.NDArray[np.bool_],
    reference: Reference,
    out: _Collector,
) -> None:
    """Orders take the retailer's county, vehicles the depot's."""
    if schema.county_from == "retailer":
        key, parents, what = "licence_no", reference.retailers, "retailer with licence_no"
        hint = "import retailers first"
    else:
        key, parents, what = "depot_code", reference.depots, "depot with code"
        hint = "import depots first"
    if key not in frame.columns or parents is None:
        return
    keys = frame[key]
    parent_county = keys.map(parents).astype(object)
    has_key = keys.notna().to_numpy(dtype=bool)
    unknown = has_key & parent_county.isna().to_numpy(dtype=bool)
    out.mask(unknown, key, [f"no {what} {k!r}; {hint}" for k in keys[unknown]])
    mismatch = (
        given & ~unknown & has_key & (frame["county_code"] != parent_county).to_numpy(dtype=bool)
    )
    out.mask(
        mismatch,
        "county_code",
        [
            f"county_code {c} differs from the {schema.county_from}'s county {p}"
            for c, p in zip(
                frame.loc[mismatch, "county_code"], parent_county[mismatch], strict=True
            )
        ],
    )
    fill = absent & ~unknown & has_key
    frame.loc[fill, "county_code"] = parent_county[fill]


def _check_scope(
    schema: KindSchema, frame: pd.DataFrame, reference: Reference, out: _Collector
) -> None:
    if reference.scope is None:
        return
    column = "code" if schema.kind == "counties" else "county_code"
    if column not in frame.columns:
        return
    codes = frame[column]
    outside = codes.notna() & ~codes.isin(reference.scope)
    if schema.kind != "counties":
        outside &= codes.isin(reference.counties.index)  # unknown codes are reported already
    outside = outside.to_numpy(dtype=bool)
    yours = ", ".join(sorted(reference.scope)) or "none"
    out.mask(
        outside,
        column,
        [f"county {c} is not one of your counties ({yours})" for c in codes[outside]],
    )


def _check_duplicates(schema: KindSchema, frame: pd.DataFrame, out: _Collector) -> None:
    """Each natural key may appear once in a file; later copies name the first row."""
    if not all(name in frame.columns for name in schema.key):
        return
    keys = frame[list(schema.key)]
    complete = keys.notna().all(axis=1)
    keyed = keys[complete].astype(str)
    duplicated = keyed.duplicated(keep=False)
    if not duplicated.any():
        return
    groups = keyed[duplicated].groupby(list(schema.key), sort=False)
    field_name = schema.key[-1] if schema.key[0] == "county_code" else schema.key[0]
    for _, group in groups:
        first_row = int(frame.at[group.index[0], ROW])
        label = ", ".join(f"{k}={v!r}" for k, v in zip(schema.key, group.iloc[0], strict=True))
        out.at(
            group.index[1:],
            field_name,
            [f"duplicate {label} (first on row {first_row})"] * (len(group) - 1),
        )
