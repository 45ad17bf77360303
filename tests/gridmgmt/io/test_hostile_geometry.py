"""Hostile coordinates and shapes: NaN/inf, (0, 0), swapped, outside China or the county,
self-intersecting and million-vertex polygons. Each names its row and field; nothing written.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Polygon

from .hostile_world import counties_geojson, refused, retailer, use_limits, write_csv


def _messages(error: object) -> dict[int | None, str]:
    return {p.row: p.message for p in getattr(error, "problems")}  # noqa: B009


@pytest.mark.parametrize("bad", ["NaN", "nan", "inf", "-Infinity", "1e999", "１１３．６x"])
def test_not_a_finite_number_is_named_by_row_and_field(
    hostile_url: str, tmp_path: Path, bad: str
) -> None:
    error = refused(hostile_url, "retailers", write_csv(tmp_path / "r.csv", [retailer(1, lon=bad)]))
    assert [(p.row, p.field) for p in error.problems] == [(2, "lon")]
    assert repr(bad) in error.problems[0].message


def test_zero_zero_swapped_foreign_and_out_of_range_points(
    hostile_url: str, tmp_path: Path
) -> None:
    lines = [
        retailer(1),  # fine
        retailer(2, lon="0", lat="0"),
        retailer(3, lon="41.0", lat="113.61"),
        retailer(4, lon="-74.006", lat="40.7128"),  # New York
        retailer(5, lon="181", lat="41"),
        retailer(6, lon="113.6", lat="-91"),
    ]
    error = refused(hostile_url, "retailers", write_csv(tmp_path / "r.csv", lines))
    messages = _messages(error)
    assert sorted(messages) == [3, 4, 5, 6, 7]
    assert "(0, 0)" in messages[3]
    assert "look swapped: lon=41.0, lat=113.61" in messages[4]
    assert "outside China" in messages[5]
    assert "(-74.006, 40.7128)" in messages[5]
    assert "longitude 181.0 is out of range" in messages[6]
    assert "latitude -91.0 is out of range" in messages[7]


def test_a_point_outside_the_county_the_file_names_is_refused(
    hostile_url: str, tmp_path: Path
) -> None:
    # 天镇县 lies east of 114.0: the row says 兴和县 (150924).
    error = refused(
        hostile_url, "retailers", write_csv(tmp_path / "r.csv", [retailer(1, lon="114.3")])
    )
    assert [(p.row, p.field) for p in error.problems] == [(2, "county_code")]
    assert "lies outside county 150924" in error.problems[0].message


def test_a_self_intersecting_county_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    bowtie = Polygon([(113.5, 40.8), (114.0, 41.2), (114.0, 40.8), (113.5, 41.2), (113.5, 40.8)])
    error = refused(sqlite_url, "counties", counties_geojson(tmp_path / "c.geojson", bowtie))
    assert [(p.row, p.field) for p in error.problems] == [(1, "geometry")]
    assert "Self-intersection" in error.problems[0].message


def _circle(vertices: int) -> dict[str, object]:
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    ring = np.column_stack([113.75 + 0.2 * np.cos(angles), 41.0 + 0.2 * np.sin(angles)])
    coordinates = np.round(ring, 7).tolist()
    return {"type": "Polygon", "coordinates": [[*coordinates, coordinates[0]]]}


def test_a_polygon_over_the_vertex_setting_is_refused(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_limits(monkeypatch, max_vertices=1_000)
    path = counties_geojson(tmp_path / "c.geojson", _circle(5_000))
    error = refused(sqlite_url, "counties", path)
    assert [(p.row, p.field) for p in error.problems] == [(1, "geometry")]
    assert "5,001 vertices, more than the 1,000 allowed" in error.problems[0].message
    assert "GRIDMGMT_IMPORT_MAX_VERTICES" in error.problems[0].message


@pytest.mark.slow
def test_a_million_vertex_county_is_refused_in_seconds(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "huge.geojson"
    counties_geojson(path, _circle(1_000_000))
    assert json.loads(path.read_text(encoding="utf-8"))["features"][0]["geometry"]
    started = time.perf_counter()
    error = refused(sqlite_url, "counties", path)
    assert time.perf_counter() - started < 60
    assert "1,000,001 vertices, more than the 200,000 allowed" in error.problems[0].message
