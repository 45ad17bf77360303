"""Importing a user's file into the store: ``gridmgmt import KIND FILE``.

One import is one transaction: the file is read, every row validated against the store
(counties, the user's scope, referenced retailers and depots), and only if nothing at all is
wrong are rows inserted or updated, upserting on each kind's natural key. Rows are written
in bulk (one query for the existing keys, then bulk inserts and updates; on PostgreSQL
``COPY`` into the table and into a staging table, :mod:`gridmgmt.store.bulk`), never one ORM
flush per row, so a county's 300,000 retailer rows take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from sqlalchemy import (
    Enum,
    LargeBinary,
    String,
    bindparam,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import Executable, Insert, Update

from gridmgmt.crs import UnknownCRSError, parse_crs
from gridmgmt.io.limits import import_limits
from gridmgmt.io.problems import ImportValidationError, Problem
from gridmgmt.io.readers import read_source
from gridmgmt.io.schemas import get_schema
from gridmgmt.io.validate import LOCATION, Reference, ValidatedRows, validate_table
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.store import bulk
from gridmgmt.store.models import (
    Base,
    Checkpoint,
    County,
    Depot,
    Order,
    Province,
    Retailer,
    School,
    Staff,
    Vehicle,
)
from gridmgmt.store.models.prices import PriceObservation, RetailerGroup
from gridmgmt.store.types import Geometry

__all__ = ["ImportReport", "ImportValidationError", "Problem", "import_file"]

Progress = Callable[[int, int], None]

_CHUNK = 5_000
_GEOMETRY_TOLERANCE_DEG = 1e-9  # about 0.1 mm: what survives a round trip through text
_NUMBER_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ImportReport:
    """What an import did.

    Parameters
    ----------
    kind
        The kind imported.
    file
        The file as named by the user.
    rows
        Data rows in the file.
    inserted, updated, unchanged
        How many rows were new, changed an existing row, or matched one exactly.
    crs
        The coordinate system the file was read in.
    ignored_columns
        Columns that match no field of the kind (not stored).
    warnings
        What was imported but deserves a look: for counties, the overlaps and gaps between
        their outlines and the stored ones (area, where; see
        :mod:`gridmgmt.cooperation.adjacency`).
    """

    kind: str
    file: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    crs: str
    ignored_columns: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Target:
    """Where a kind is stored: the model, its natural key, and frame column per attribute."""

    model: type[Base]
    key: tuple[str, ...]
    attributes: dict[str, str]
    primary_key: str = "id"


_TARGETS: dict[str, _Target] = {
    "counties": _Target(
        County,
        ("code",),
        {"name": "name", "province_code": "province_code", "city": "city", "boundary": "geometry"},
        primary_key="code",
    ),
    "retailers": _Target(
        Retailer,
        ("licence_no",),
        {
            "name": "name",
            "address": "address",
            "county_code": "county_code",
            "tier": "tier",
            "business_type": "business_type",
            "status": "status",
            "key_retailer": "key_retailer",
            "phone": "phone",
            "delivery_weekday": "delivery_weekday",
            "location": LOCATION,
        },
    ),
    "schools": _Target(
        School,
        ("county_code", "name"),
        {"kind": "kind", "location": LOCATION, "campus": "campus"},
    ),
    "checkpoints": _Target(
        Checkpoint, ("county_code", "name"), {"kind": "kind", "location": LOCATION}
    ),
    "depots": _Target(
        Depot,
        ("code",),
        {
            "name": "name",
            "county_code": "county_code",
            "location": LOCATION,
            "opens": "opens",
            "closes": "closes",
        },
    ),
    "vehicles": _Target(
        Vehicle,
        ("plate",),
        {
            "depot_id": "depot_id",
            "county_code": "county_code",
            "capacity_cartons": "capacity_cartons",
            "shift_start": "shift_start",
            "shift_end": "shift_end",
        },
    ),
    "orders": _Target(
        Order,
        ("retailer_id", "order_date"),
        {"county_code": "county_code", "cartons": "cartons"},
    ),
    "staff": _Target(
        Staff,
        ("staff_no",),
        {
            "name": "name",
            "role": "role",
            "county_code": "county_code",
            "phone": "phone",
            "capacity": "capacity",
        },
    ),
    "groups": _Target(
        RetailerGroup,
        ("retailer_id",),
        {
            "county_code": "county_code",
            "group_code": "group_code",
            "group_name": "group_name",
            "leader": "leader",
        },
    ),
    "prices": _Target(
        PriceObservation,
        ("retailer_id", "brand", "pack", "observed_on"),
        {"county_code": "county_code", "price_yuan": "price", "observer": "observer"},
    ),
}
_BY_RETAILER = ("orders", "groups", "prices")
"""Kinds whose rows name a stored retailer by licence number."""


@requires(Action.IMPORT_DATA)
def import_file(
    session: Session,
    actor: Actor,
    kind: str,
    path: Path,
    *,
    crs: str = "wgs84",
    progress: Progress | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    label: str | None = None,
) -> ImportReport:
    """Import a file of one kind into the store, all or nothing.

    Parameters
    ----------
    session
        An open session; the rows and the audit line are written in its transaction, which
        the caller commits (or rolls back: nothing is written when a problem is found).
    actor
        Who imports; rows must belong to the actor's counties.
    kind
        One of :func:`gridmgmt.io.schemas.import_kinds`: counties, retailers, schools,
        checkpoints, depots, vehicles, orders, staff, groups (self-discipline groups,
        自律互助小组), prices (price observations, 价格采集).
    path
        A CSV, Excel, GeoJSON, GeoPackage or Shapefile (see ``docs/import-formats.md``).
    crs
        Coordinate system of the file's coordinates: wgs84, gcj02 (Amap, Tencent), bd09
        (Baidu) or cgcs2000, or any alias :func:`gridmgmt.crs.parse_crs` accepts.
    progress
        Called with ``(rows done, rows in file)`` while rows are written.
    encoding
        Text encoding of a non-UTF-8 file (``gbk``...); by default such files are refused.
    layer
        GeoPackage layer to read (default: the only layer, or the one named like ``kind``).
    label
        How to name the file in problems (default: ``path`` as given).

    Returns
    -------
    ImportReport
        Counts of inserted, updated and unchanged rows.

    Raises
    ------
    ImportValidationError
        If anything is wrong with the file; ``problems`` lists every problem and nothing
        has been written.
    InvalidInputError
        If ``kind`` is not an importable kind.
    AccessDeniedError
        If the actor's role may not import data.
    """
    schema = get_schema(kind)
    label = str(path) if label is None else label
    try:
        source_crs = parse_crs(crs)
    except UnknownCRSError as exc:
        raise ImportValidationError([Problem(label, None, "crs", str(exc))]) from None
    limits = import_limits()
    table = read_source(
        path,
        label=label,
        encoding=encoding,
        layer=layer,
        preferred_layer=schema.kind,
        limits=limits,
    )
    target = _TARGETS[schema.kind]
    reference, ids = _load_reference(session, schema.kind, actor)
    rows, problems = validate_table(
        table, schema, crs=source_crs, reference=reference, limits=limits
    )
    if len(table) == 0:  # nothing to store (an export of an empty kind has no columns)
        frame, plan = rows.frame, _Plan(pd.DataFrame(), pd.DataFrame(), 0, [])
    else:
        if problems:
            raise ImportValidationError(problems)
        frame = _store_columns(schema.kind, rows, ids)
        plan = _plan(session, target, frame, rows, actor, label)
        if plan.problems:
            raise ImportValidationError(plan.problems)
        if schema.kind == "counties":
            _upsert_provinces(session, rows.frame)
    _write(session, target, plan, len(frame), progress)
    report = ImportReport(
        kind=schema.kind,
        file=label,
        rows=len(frame),
        inserted=len(plan.inserts),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        crs=source_crs.value,
        ignored_columns=tuple(rows.ignored_columns),
        warnings=_boundary_warnings(session, schema.kind, frame),
    )
    _audit(session, actor, report, frame, path)
    return report


def _boundary_warnings(session: Session, kind: str, frame: pd.DataFrame) -> tuple[str, ...]:
    """Overlaps and gaps between the imported county outlines and every stored one."""
    if kind != "counties" or "code" not in frame.columns or not len(frame):
        return ()
    from gridmgmt.services.cooperation.adjacency import boundary_warnings

    return tuple(boundary_warnings(session, [str(code) for code in frame["code"]]))


def _load_reference(
    session: Session, kind: str, actor: Actor
) -> tuple[Reference, dict[str, pd.Series]]:
    """Counties, and for orders and vehicles the retailers or depots they refer to."""
    result = session.execute(select(County.code, County.boundary))
    counties = pd.DataFrame(result.all(), columns=["code", "boundary"])
    boundaries = pd.Series(
        counties["boundary"].to_numpy(dtype=object), index=counties["code"].astype(object)
    )
    scope = actor.counties
    if kind in _BY_RETAILER:
        parents = _frame(session, select(Retailer.licence_no, Retailer.id, Retailer.county_code))
        parents = parents.set_index("licence_no")
        return Reference(boundaries, scope, retailers=parents["county_code"]), {
            "retailer_id": parents["id"]
        }
    if kind == "vehicles":
        parents = _frame(session, select(Depot.code, Depot.id, Depot.county_code))
        parents = parents.set_index("code")
        return Reference(boundaries, scope, depots=parents["county_code"]), {
            "depot_id": parents["id"]
        }
    return Reference(boundaries, scope), {}


def _frame(session: Session, stmt: Executable) -> pd.DataFrame:
    """Rows of a select as a frame, built column by column (fast for 100,000s of rows)."""
    result = session.execute(stmt)
    names = list(result.keys())
    rows = result.all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pd.DataFrame(
        {name: np.array(values, dtype=object) for name, values in zip(names, columns, strict=True)},
        index=range(len(rows)),
    )


def _raw_column(session: Session, model: type[Base], attr: str, label: str) -> Any:
    """A column as its stored value, skipping per-row result processing.

    Geometries come as WKB bytes (decoded later in one vectorised call) and enumerations as
    their string values, which compare equal to the parsed members.
    """
    column = getattr(model, attr)
    column_type = model.__table__.c[attr].type
    if isinstance(column_type, Geometry):
        if session.get_bind().dialect.name == "postgresql":
            return func.ST_AsBinary(column).label(label)
        return type_coerce(column, LargeBinary).label(label)
    if isinstance(column_type, Enum):
        return type_coerce(column, String).label(label)
    return column.label(label)


def _store_columns(kind: str, rows: ValidatedRows, ids: dict[str, pd.Series]) -> pd.DataFrame:
    """The validated frame with the columns the store needs (foreign ids, renamed keys)."""
    frame = rows.frame.copy()
    if kind in _BY_RETAILER:
        frame["retailer_id"] = frame["licence_no"].map(ids["retailer_id"]).astype(object)
    if kind == "orders":
        frame["order_date"] = frame["date"]
    if kind == "prices":
        frame["observed_on"] = frame["date"]
    if kind == "vehicles":
        frame["depot_id"] = frame["depot_code"].map(ids["depot_id"]).astype(object)
    return frame


@dataclass
class _Plan:
    """What an import will write: new rows, changed rows (with their primary key), the rest.

    ``inserts`` and ``updates`` have one column per model attribute; ``updates`` also has
    the primary key in :data:`_PK`.
    """

    inserts: pd.DataFrame
    updates: pd.DataFrame
    unchanged: int
    problems: list[Problem]


_PK = "_pk"


def _plan(
    session: Session,
    target: _Target,
    frame: pd.DataFrame,
    rows: ValidatedRows,
    actor: Actor,
    label: str,
) -> _Plan:
    """Split rows into inserts, updates and unchanged by comparing with the stored rows."""
    present = _present_attributes(target, rows)
    existing = _existing(session, target, frame, present)
    key = list(target.key)
    keyed = frame.reset_index(drop=True)
    # A left merge keeps the file's row order.
    matched = keyed.merge(
        existing, how="left", on=key, suffixes=("", "_old"), indicator=True, validate="one_to_one"
    )
    found = (matched["_merge"] == "both").to_numpy(dtype=bool)
    problems = _existing_out_of_scope(matched, found, actor, target, label)
    new_rows = matched.loc[~found]
    old_rows = matched.loc[found]
    insert_attributes = _insert_attributes(target, frame, present)
    inserts = _select(
        new_rows, {attr: target.attributes.get(attr, attr) for attr in insert_attributes}
    )
    changed = _changed(old_rows, target, present)
    update_columns = {_PK: f"{target.primary_key}_pk"} | {
        attr: target.attributes[attr] for attr in present
    }
    updates = _select(old_rows.loc[changed], update_columns)
    return _Plan(inserts, updates, int((~changed).sum()), problems)


def _select(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``frame``'s columns renamed to model attributes (``attribute -> column``)."""
    return pd.DataFrame(
        {attr: frame[column].to_numpy(dtype=object) for attr, column in columns.items()},
        index=range(len(frame)),
    )


def _present_attributes(target: _Target, rows: ValidatedRows) -> list[str]:
    """Model attributes the file gives values for (others keep their stored values)."""
    supplied = set(rows.present) | {"retailer_id", "order_date", "observed_on", "depot_id"}
    return [attr for attr, column in target.attributes.items() if column in supplied]


def _insert_attributes(target: _Target, frame: pd.DataFrame, present: list[str]) -> list[str]:
    """New rows get every attribute the frame has: supplied, derived, or defaulted."""
    derived = [
        attr
        for attr, column in target.attributes.items()
        if attr not in present and column in frame.columns
    ]
    return [*target.key, *present, *derived]


def _existing(
    session: Session, target: _Target, frame: pd.DataFrame, present: list[str]
) -> pd.DataFrame:
    """Stored rows this file may match, in one query, with the attributes to compare."""
    model = target.model
    pk: InstrumentedAttribute[Any] = getattr(model, target.primary_key)
    columns = [pk.label(f"{target.primary_key}_pk")]
    columns += [getattr(model, name) for name in target.key if name != target.primary_key]
    if target.primary_key in target.key:
        columns.append(pk.label(target.primary_key))
    compared = [attr for attr in present if attr not in target.key]
    if (
        "county_code" not in compared
        and hasattr(model, "county_code")
        and "county_code" not in target.key
    ):
        compared.append("county_code")
    geometries = [
        f"{target.attributes[attr]}_old" for attr in compared if _is_geometry(model, attr)
    ]
    columns += [
        _raw_column(session, model, attr, f"{target.attributes[attr]}_old") for attr in compared
    ]
    stmt = select(*columns)
    if "county_code" in target.key and "county_code" in frame.columns:
        codes = sorted(frame["county_code"].dropna().unique())
        stmt = stmt.where(model.__table__.c.county_code.in_(codes))
    if target.model is Order:
        stmt = stmt.where(Order.order_date.in_(sorted(frame["order_date"].dropna().unique())))
    if target.model is PriceObservation:
        dates = sorted(frame["observed_on"].dropna().unique())
        stmt = stmt.where(PriceObservation.observed_on.in_(dates))
    existing = _frame(session, stmt)
    for name in geometries:
        wkb = existing[name].to_numpy(dtype=object)
        if len(wkb) and isinstance(wkb[0], memoryview):  # psycopg returns bytea as memoryview
            wkb = np.array([None if v is None else bytes(v) for v in wkb], dtype=object)
        existing[name] = shapely.from_wkb(wkb)
    if "county_code_old" not in existing.columns and "county_code" in target.key:
        existing["county_code_old"] = existing["county_code"]
    return existing


def _is_geometry(model: type[Base], attr: str) -> bool:
    return isinstance(model.__table__.c[attr].type, Geometry)


def _existing_out_of_scope(
    matched: pd.DataFrame, found: npt.NDArray[np.bool_], actor: Actor, target: _Target, label: str
) -> list[Problem]:
    """A stored row of another county may not be taken over by a file of this one."""
    if actor.counties is None or "county_code_old" not in matched.columns:
        return []
    old = matched["county_code_old"]
    outside = (
        found & old.notna().to_numpy(dtype=bool) & ~old.isin(actor.counties).to_numpy(dtype=bool)
    )
    key = {"retailer_id": "licence_no", "county_code": "name"}.get(target.key[0], target.key[0])
    return [
        Problem(
            label,
            int(row),
            key,
            f"{key} {value!r} is stored for county {code}, which is not one of your counties",
        )
        for row, value, code in zip(
            matched.loc[outside, "row"],
            matched.loc[outside, key],
            old[outside],
            strict=True,
        )
    ]


def _changed(old_rows: pd.DataFrame, target: _Target, present: list[str]) -> npt.NDArray[np.bool_]:
    """Which matched rows differ from the stored row in any supplied attribute."""
    changed = np.zeros(len(old_rows), dtype=bool)
    for attr in present:
        if attr in target.key:
            continue
        column = target.attributes[attr]
        new = old_rows[column].to_numpy(dtype=object)
        old = old_rows[f"{column}_old"].to_numpy(dtype=object)
        changed |= ~_same(new, old)
    return changed


def _same(new: npt.NDArray[np.object_], old: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    """Element-wise equality that treats missing as equal, floats and shapes with tolerance."""
    new_missing = pd.isna(new)
    old_missing = pd.isna(old)
    same = np.asarray(new_missing & old_missing, dtype=bool)
    both = ~new_missing & ~old_missing
    if not both.any():
        return same
    sample = new[both][0]
    if isinstance(sample, shapely.Geometry):
        a, b = new[both], old[both]
        if not (shapely.get_type_id(a) == 0).all():  # vertex order only matters for shapes
            a, b = shapely.normalize(a), shapely.normalize(b)
        equal = shapely.equals_exact(a, b, tolerance=_GEOMETRY_TOLERANCE_DEG)
    elif isinstance(sample, float):
        equal = np.isclose(
            new[both].astype(np.float64),
            old[both].astype(np.float64),
            rtol=0,
            atol=_NUMBER_TOLERANCE,
        )
    else:
        equal = np.equal(new[both], old[both]).astype(bool)
    same[both] = equal
    return same


def _bind_records(table: Any, chunk: pd.DataFrame) -> list[dict[str, Any]]:
    """Row dicts keyed by bind name, geometries encoded to WKB in one vectorised call."""
    data: dict[str, list[Any]] = {}
    for attr in chunk.columns:
        values = chunk[attr].to_numpy(dtype=object)
        column_type = None if attr == _PK else table.c[attr].type
        if isinstance(column_type, Geometry):
            data[_bind_name(attr)] = list(shapely.to_wkb(values))
        elif isinstance(column_type, Enum):
            data[_bind_name(attr)] = [
                None if pd.isna(v) else str(getattr(v, "value", v)) for v in values
            ]
        else:
            data[_bind_name(attr)] = _plain_values(values)
    names = list(data)
    return [dict(zip(names, row, strict=True)) for row in zip(*data.values(), strict=True)]


def _bind_name(attr: str) -> str:
    # Bind names may not be column names in executemany INSERT/UPDATE statements.
    return attr if attr == _PK else f"v_{attr}"


def _bind(session: Session, table: Any, attr: str) -> Any:
    """The value expression of one column: geometries arrive as WKB (SRID 4326)."""
    column_type = table.c[attr].type
    if isinstance(column_type, Geometry):
        wkb = bindparam(_bind_name(attr), type_=LargeBinary)
        if session.get_bind().dialect.name == "postgresql":
            return func.ST_GeomFromWKB(wkb, column_type.srid)
        return wkb
    if isinstance(column_type, Enum):  # validated already: bind the plain value
        return bindparam(_bind_name(attr), type_=String(column_type.length))
    return bindparam(_bind_name(attr), type_=column_type)


def _plain_values(values: npt.NDArray[np.object_]) -> list[Any]:
    """Values a database driver takes: ``None`` for every kind of missing, no numpy scalars."""
    missing = pd.isna(values)
    result = values.copy()
    result[missing] = None
    if any(isinstance(value, np.generic) for value in result[~missing]):
        return [value.item() if isinstance(value, np.generic) else value for value in result]
    return list(result)


def _upsert_provinces(session: Session, frame: pd.DataFrame) -> None:
    """Create provinces named by county rows; rename them when the file says otherwise."""
    if "province" not in frame.columns:
        return
    given = frame.dropna(subset=["province_code", "province"]).drop_duplicates("province_code")
    stored = dict(session.execute(select(Province.code, Province.name)).all())
    new = [
        {"code": code, "name": name}
        for code, name in zip(given["province_code"], given["province"], strict=True)
        if code not in stored
    ]
    renamed = [
        {"code": code, "name": name}
        for code, name in zip(given["province_code"], given["province"], strict=True)
        if code in stored and stored[code] != name
    ]
    if new:
        session.execute(insert(Province), new)
    if renamed:
        session.execute(update(Province), renamed)


def _write(
    session: Session, target: _Target, plan: _Plan, total: int, progress: Progress | None
) -> None:
    """Bulk-insert and bulk-update in chunks, reporting progress as rows are written."""
    done = plan.unchanged
    if progress is not None:
        progress(done, total)
    table = Base.metadata.tables[target.model.__tablename__]
    if bulk.supports_copy(session):
        _copy_write(session, table, target, plan, done, total, progress)
        return
    statements: list[tuple[Insert | Update, pd.DataFrame]] = []
    if len(plan.inserts):
        values = {attr: _bind(session, table, attr) for attr in plan.inserts.columns}
        statements.append((insert(table).values(values), plan.inserts))
    if len(plan.updates):
        values = {attr: _bind(session, table, attr) for attr in plan.updates.columns if attr != _PK}
        key = table.c[target.primary_key]
        where = key == bindparam(_PK, type_=key.type)
        statements.append((update(table).where(where).values(values), plan.updates))
    for statement, rows in statements:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows.iloc[start : start + _CHUNK]
            session.execute(statement, _bind_records(table, chunk))
            done += len(chunk)
            if progress is not None:
                progress(done, total)


def _copy_write(
    session: Session,
    table: Any,
    target: _Target,
    plan: _Plan,
    done: int,
    total: int,
    progress: Progress | None,
) -> None:
    """PostgreSQL: new rows by ``COPY``, changed rows by ``COPY`` to staging + one ``UPDATE``."""

    def advance(start: int) -> Callable[[int], None]:
        return lambda written: progress(start + written, total) if progress else None

    bulk.copy_insert(session, table, plan.inserts, advance(done))
    updates = plan.updates.rename(columns={_PK: target.primary_key})
    bulk.copy_update(session, table, updates, target.primary_key, advance(done + len(plan.inserts)))


def _audit(
    session: Session, actor: Actor, report: ImportReport, frame: pd.DataFrame, path: Path
) -> None:
    column = "code" if report.kind == "counties" else "county_code"
    counties = sorted(frame[column].dropna().unique()) if column in frame.columns else []
    audit.record(
        session,
        actor,
        "import",
        kind=report.kind,
        county_code=counties[0] if len(counties) == 1 else None,
        detail={
            "file": path.name,
            "crs": report.crs,
            "rows": report.rows,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "counties": [str(code) for code in counties],
            "warnings": list(report.warnings),
        },
    )
