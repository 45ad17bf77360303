"""Mapping the headers users have (Chinese or English, any case) to canonical field names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from gridmgmt.io.schemas import LOCATION_ALIASES, GeometryRole, KindSchema

LOCATION_COLUMN = "location"
"""Pseudo-field of a single ``"lon,lat"`` column."""

_DBF_NAME_LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-./]+")
_UNIT_SUFFIX = re.compile(r"\(.*\)$|\[.*\]$")


def normalise_header(header: str) -> str:
    """Fold a header for matching: width, case, spaces and separators, BOM.

    ``" 经度（GCJ02）"`` and ``"Licence No"`` become ``"经度(gcj02)"`` and ``"licence_no"``.
    """
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "").strip().lower()
    return _SEPARATORS.sub("_", text).strip("_")


@dataclass(frozen=True)
class HeaderMapping:
    """Which source column gives which canonical field.

    Parameters
    ----------
    columns
        Canonical field name to the source column that supplies it.
    ignored
        Source columns that match no field (reported, not an error).
    conflicts
        Fields supplied by more than one column, with those columns.
    """

    columns: dict[str, str]
    ignored: list[str]
    conflicts: dict[str, list[str]]


def _lookup(schema: KindSchema) -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in schema.fields:
        # Shapefile (.dbf) field names are cut to 10 characters: business_t is business_type.
        table.setdefault(normalise_header(spec.name[:_DBF_NAME_LENGTH]), spec.name)
    for spec in schema.fields:
        for name in (*spec.aliases, spec.name):
            table[normalise_header(name)] = spec.name
    if schema.geometry is GeometryRole.POINT:
        for name in (*LOCATION_ALIASES, LOCATION_COLUMN):
            table.setdefault(normalise_header(name), LOCATION_COLUMN)
    return table


def map_headers(headers: Sequence[str], schema: KindSchema) -> HeaderMapping:
    """Match source headers to the fields of ``schema``.

    A header matches a field if, folded by :func:`normalise_header`, it equals the field
    name or one of its aliases, or does so once a trailing unit in brackets is removed
    (``载量(条)`` is ``载量``).
    """
    table = _lookup(schema)
    found: dict[str, list[str]] = {}
    ignored: list[str] = []
    for header in headers:
        key = normalise_header(header)
        field = table.get(key) or table.get(_UNIT_SUFFIX.sub("", key).strip("_"))
        if field is None:
            ignored.append(header)
        else:
            found.setdefault(field, []).append(header)
    return HeaderMapping(
        columns={field: sources[0] for field, sources in found.items()},
        ignored=ignored,
        conflicts={field: sources for field, sources in found.items() if len(sources) > 1},
    )


def accepted_headers(schema: KindSchema, field: str) -> list[str]:
    """Every header accepted for ``field``: its canonical name first, then the aliases."""
    if field == LOCATION_COLUMN:
        return [LOCATION_COLUMN, *LOCATION_ALIASES]
    spec = schema.field(field)
    return [spec.name, *spec.aliases]
