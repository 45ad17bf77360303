"""A geometry column type that works on plain SQLite and on PostGIS.

On PostgreSQL the column is a PostGIS ``geometry(<type>, 4326)``; elsewhere it is a BLOB
holding ISO WKB. Either way Python code sees shapely geometries.

geoalchemy2 (most of a second to import) is only needed on PostgreSQL: it is imported when
an engine for PostgreSQL is made (:func:`gridmgmt.store.db.get_engine`), not for SQLite.
"""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

WGS84_SRID = 4326


class Geometry(TypeDecorator[BaseGeometry]):
    """Geometry column: PostGIS geometry on PostgreSQL, WKB blob elsewhere.

    Parameters
    ----------
    geometry_type
        OGC type name (``POINT``, ``MULTIPOLYGON``, ``GEOMETRY``...), enforced by PostGIS.
    srid
        Spatial reference id; everything at rest is WGS-84.
    """

    impl = LargeBinary
    cache_ok = True
    # Read by geoalchemy2's DDL hooks: GiST indexes are created explicitly by the migrations.
    spatial_index = False
    use_N_D_index = False  # noqa: N815  (geoalchemy2 reads this name)
    management = False

    def __init__(self, geometry_type: str = "GEOMETRY", srid: int = WGS84_SRID) -> None:
        super().__init__()
        self.geometry_type = geometry_type.upper()
        self.srid = srid

    def __repr__(self) -> str:
        return f"Geometry({self.geometry_type!r}, srid={self.srid})"

    def load_dialect_impl(self, dialect: Dialect | None) -> TypeEngine[Any]:
        # geoalchemy2's DDL hooks call this with no dialect; a plain blob keeps them out.
        if dialect is None:
            return LargeBinary()
        if dialect.name == "postgresql":
            from geoalchemy2 import Geometry as PostGISGeometry

            return dialect.type_descriptor(
                PostGISGeometry(
                    geometry_type=self.geometry_type, srid=self.srid, spatial_index=False
                )
            )
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, BaseGeometry):
            msg = f"expected a shapely geometry, got {type(value).__name__}"
            raise TypeError(msg)
        if dialect.name == "postgresql":
            from geoalchemy2.shape import from_shape

            return from_shape(value, srid=self.srid)
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        if value is None:
            return None
        if isinstance(value, bytes | memoryview):
            return shapely.from_wkb(bytes(value))
        from geoalchemy2.shape import to_shape  # a PostGIS WKBElement

        return to_shape(value)
