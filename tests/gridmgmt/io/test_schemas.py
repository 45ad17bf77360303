"""The schemas are complete, and docs/import-formats.md documents all of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmgmt.io.schemas import SCHEMAS, GeometryRole, get_schema, import_kinds
from gridmgmt.services.frames import frame_kinds

DOC = Path(__file__).resolve().parents[3] / "docs" / "import-formats.md"


# Kinds the system derives itself: exported, never imported.
DERIVED_KINDS = {"grids"}


def test_every_stored_kind_can_be_imported() -> None:
    assert set(import_kinds()) == set(frame_kinds()) - DERIVED_KINDS


def test_natural_keys_are_required_fields_or_derived_county() -> None:
    for schema in SCHEMAS.values():
        for name in schema.key:
            spec = schema.field(name)
            assert spec.required or (name == "county_code" and schema.county_from), (schema, name)


def test_point_kinds_have_lon_and_lat() -> None:
    for schema in SCHEMAS.values():
        has = {"lon", "lat"} <= set(schema.field_names())
        assert has == (schema.geometry is GeometryRole.POINT), schema.kind


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"'shops'.*'counties', 'retailers'"):
        get_schema("shops")
    assert get_schema(" Retailers ").kind == "retailers"


def test_the_documentation_names_every_field_and_alias() -> None:
    text = DOC.read_text(encoding="utf-8")
    for schema in SCHEMAS.values():
        assert f"## {schema.kind} ({schema.title_zh})" in text
        for spec in schema.fields:
            assert f"| `{spec.name}` |" in text, (schema.kind, spec.name)
            for alias in spec.aliases:
                assert alias in text, (schema.kind, spec.name, alias)
