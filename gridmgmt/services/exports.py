"""Exporting a stored kind to a file: ``gridmgmt export KIND``.

Exports are WGS-84 and carry every stored attribute under its canonical import name, so an
exported file imports back unchanged. CSV has ``lon``/``lat`` columns for points and WKT in
``geometry`` for polygons (UTF-8 with a byte-order mark, which Excel needs to show Chinese);
GeoJSON and GeoPackage carry the geometry as features. A second geometry (a school's campus)
travels as WKT in an attribute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import frame_kinds, load_frame

ExportFormat = Literal["geojson", "csv", "gpkg"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
SUFFIXES: dict[str, str] = {"geojson": ".geojson", "csv": ".csv", "gpkg": ".gpkg"}
POLYGON_KINDS = frozenset({"counties", "grids"})

Enricher = Callable[[Session, pd.DataFrame], pd.DataFrame]

ENRICHERS: dict[str, Enricher] = {}
"""Columns computed from other tables and joined onto an exported kind, by kind.

This is the one place exports gain derived columns that engines do not need. A retailer's
``grid_id`` (and a person's ``grid_id`` / ``grid_ids``) come with :func:`load_frame` once
grids are stored, so engines see them too; every export format carries them and imports
ignore them.
"""


@requires(Action.READ_BASE_DATA)
def export_kind(
    session: Session,
    actor: Actor,
    kind: str,
    *,
    fmt: str = "geojson",
    out: Path,
) -> Path:
    """Write every row of ``kind`` the actor may see to a file.

    Parameters
    ----------
    session
        An open session; the export's audit line is added to its transaction.
    actor
        Whose county scope applies; the export is recorded in the audit log.
    kind
        A stored kind: counties, retailers, schools, checkpoints, depots, vehicles, orders,
        staff.
    fmt
        ``geojson``, ``csv`` or ``gpkg``.
    out
        The file to write (replaced if it exists).

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    InvalidInputError
        If ``kind`` or ``fmt`` is not known.
    """
    if fmt not in EXPORT_FORMATS:
        msg = f"`fmt` was {fmt!r} but is expected to be in {list(EXPORT_FORMATS)}"
        raise InvalidInputError(msg, [{"field": "format", "message": msg}])
    if kind not in frame_kinds():
        msg = f"`kind` was {kind!r} but is expected to be in {frame_kinds()}"
        raise InvalidInputError(msg, [{"field": "kind", "message": msg}])
    frame = load_frame(session, kind, actor)
    enrich = ENRICHERS.get(kind)
    if enrich is not None:
        frame = enrich(session, frame)
    audit.record(
        session,
        actor,
        "export",
        kind=kind,
        detail={"file": out.name, "format": fmt, "rows": len(frame)},
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    WRITERS[fmt](_plain_columns(frame), out, kind)
    return out


def _plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and times as ISO text, extra geometries as WKT: what every format can hold."""
    result = frame.copy()
    geometry = result.geometry.name if isinstance(result, gpd.GeoDataFrame) else None
    for column in result.columns:
        if column == geometry or result[column].dtype != object:
            continue
        values = result[column].to_numpy(dtype=object)
        sample = next((v for v in values if v is not None and not pd.isna(v)), None)
        if isinstance(sample, shapely.Geometry):
            result[column] = [_wkt(v) for v in values]
        elif isinstance(sample, dt.time):
            result[column] = [None if v is None else _time_text(v) for v in values]
        elif isinstance(sample, dt.date):
            result[column] = [None if v is None else v.isoformat() for v in values]
    return result


def _wkt(geom: shapely.Geometry | None) -> str | None:
    if geom is None:
        return None
    return str(shapely.to_wkt(geom, rounding_precision=-1, trim=True))


def _time_text(value: dt.time) -> str:
    return value.strftime("%H:%M" if value.second == 0 and value.microsecond == 0 else "%H:%M:%S")


def _write_csv(frame: pd.DataFrame, out: Path, kind: str) -> None:
    table = pd.DataFrame(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        geoms = np.asarray(frame.geometry.array, dtype=object)
        position = list(frame.columns).index(frame.geometry.name)
        table = table.drop(columns=frame.geometry.name)
        if kind not in POLYGON_KINDS:
            table.insert(position, "lat", shapely.get_y(geoms))
            table.insert(position, "lon", shapely.get_x(geoms))
        else:
            table.insert(position, "geometry", [_wkt(g) for g in geoms])
    # float_format=None keeps Python's shortest round-tripping repr: no precision is lost.
    table.to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\n")


def _write_spatial(driver: str) -> Callable[[pd.DataFrame, Path, str], None]:
    def write(frame: pd.DataFrame, out: Path, kind: str) -> None:
        import pyogrio  # GDAL takes a second to load: only when writing such a file

        layer = kind if driver == "GPKG" else None
        if isinstance(frame, gpd.GeoDataFrame):
            geometry_type = "MultiPolygon" if kind in POLYGON_KINDS else "Point"
            pyogrio.write_dataframe(
                frame, out, layer=layer, driver=driver, geometry_type=geometry_type
            )
        else:
            pyogrio.write_dataframe(frame, out, layer=layer, driver=driver)

    return write


WRITERS: dict[str, Callable[[pd.DataFrame, Path, str], None]] = {
    "csv": _write_csv,
    "geojson": _write_spatial("GeoJSON"),
    "gpkg": _write_spatial("GPKG"),
}


def default_output(kind: str, fmt: str) -> Path:
    """The file an export writes when none is named: ``KIND.FORMAT`` in the current folder."""
    return Path(f"{kind}{SUFFIXES.get(fmt, '.' + fmt)}")
