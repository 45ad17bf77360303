"""Rules of request values declared in the OpenAPI schema (接口约定): enumerations and formats.

The services check every value and answer 422 naming the field. These declarations put the
same rules in the schema, so a client (and schemathesis's positive-data check, which sends
only what the schema allows and expects it accepted) knows them before asking. They only
declare (``json_schema_extra``): each service keeps its own message and the aliases it also
accepts (a coordinate system in any case, Chinese case types), and there is one error path.

Settings that bound a value per deployment (``max_solver_seconds``) are declared in the
schema the app serves by :func:`declare_setting_bounds`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Final

from fastapi import FastAPI, Path, Query
from pydantic.json_schema import JsonDict

from gridmgmt.config import Settings
from gridmgmt.crs import CRS_NAMES
from gridmgmt.domain import CaseStatus, CaseType
from gridmgmt.services.bounds import MAX_REQUEST_INT


def one_of(values: Iterable[str]) -> JsonDict:
    """A value from ``values`` (JSON Schema ``enum``)."""
    return {"enum": list(values)}


def at_least_one_of(properties: dict[str, JsonDict]) -> JsonDict:
    """An object with at least one of ``properties`` present and as given (``anyOf``)."""
    return {
        "anyOf": [
            {"required": [name], "properties": {name: rule}} for name, rule in properties.items()
        ]
    }


def matching(pattern: str) -> JsonDict:
    """A string matching ``pattern`` (ASCII classes only: ``\\d`` would allow other digits)."""
    return {"pattern": pattern}


COUNTY_CODE: Final[JsonDict] = matching(r"^[0-9]{6}$")
"""A 6-digit county code (区划代码)."""
QUARTER: Final[JsonDict] = matching(r"^[12][0-9]{3}Q[1-4]$")
"""A quarter, e.g. 2026Q3."""
PERIOD: Final[JsonDict] = matching(r"^[12][0-9]{3}(-Q[1-4]|-H[12]|-(0[1-9]|1[0-2]))?$")
"""A dashboard period: YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM."""
AUDIT_HEAD: Final[JsonDict] = matching(r"^[0-9]+:[0-9a-f]{64}$")
"""An audit chain head as ``gridmgmt audit head`` prints it (SEQ:HASH)."""
AREA_CODE: Final[JsonDict] = matching(r"^[a-z0-9][a-z0-9_-]{0,31}$")
"""A cooperation area's code."""
CHINA_LONGITUDE: Final[JsonDict] = {"minimum": 73, "maximum": 136}
"""A longitude in China, in degrees."""
CHINA_LATITUDE: Final[JsonDict] = {"minimum": 3, "maximum": 54}
"""A latitude in China, in degrees."""


def between(low: float, high: float) -> JsonDict:
    """A number from ``low`` to ``high``."""
    return {"minimum": low, "maximum": high}


DATE: Final[JsonDict] = {"format": "date"}
"""A date as YYYY-MM-DD (the services also read 2023/5/1 and 2023年5月1日)."""
CRS: Final[JsonDict] = one_of(CRS_NAMES)
"""A coordinate system's name (any case is accepted)."""
CASE_TYPES: Final[JsonDict] = one_of(t.value for t in CaseType)
"""A case type (案件类型); Chinese names are accepted too."""
CASE_STATUSES: Final[JsonDict] = one_of(s.value for s in CaseStatus)
"""A case's procedural status (案件状态)."""
NON_BLANK: Final[JsonDict] = {"type": "string", **matching(r"\S")}
"""Text with something besides spaces."""

QuarterQuery = Annotated[
    str, Query(description="The quarter, e.g. 2026Q3.", json_schema_extra=QUARTER)
]
"""The ``quarter`` query parameter of a report."""

CrsQuery = Annotated[
    str,
    Query(
        description="Coordinate system of lon/lat: wgs84, gcj02 (Amap, Tencent), bd09 (Baidu) "
        "or cgcs2000 (aliases such as epsg:4326 or 高德 too).",
        json_schema_extra=CRS,
    ),
]
"""The ``crs`` query parameter of a point."""

RecordId = Annotated[int, Path(ge=1, le=MAX_REQUEST_INT, description="The record's number.")]
"""A record's number in a path (a draw, a lead, a liaison ...): larger ones answered 500."""

VersionQuery = Annotated[int, Query(ge=0, le=MAX_REQUEST_INT, description="The version you read.")]
"""The ``version`` query parameter of a change made from the version its author read."""

SETTING_BOUNDS: Final = {"time_limit": "max_solver_seconds"}
"""Body properties bounded by a setting: the schema's ``maximum`` is the setting's value."""


def declare_setting_bounds(app: FastAPI, settings: Settings) -> None:
    """Serve a schema whose bounded properties (:data:`SETTING_BOUNDS`) declare this
    deployment's maximum, not only the code's."""

    schema_of = app.openapi  # FastAPI's, which builds the schema once and keeps it

    def openapi() -> dict[str, Any]:
        schema = schema_of()
        for model in schema.get("components", {}).get("schemas", {}).values():
            _bound(model.get("properties", {}), settings)  # idempotent
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _bound(properties: dict[str, Any], settings: Settings) -> None:
    for name, setting in SETTING_BOUNDS.items():
        if name not in properties:
            continue
        limit = float(getattr(settings, setting))
        prop = properties[name]
        for branch in [prop, *prop.get("anyOf", [])]:
            if branch.get("type") in {"number", "integer"}:
                branch["maximum"] = min(float(branch.get("maximum", limit)), limit)
