from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import pytest

from gridmgmt.routing.matrix import node_matrix
from gridmgmt.routing.network import (
    NetworkError,
    SpeedSettings,
    parse_maxspeed,
    read_osm,
    way_direction,
)

LON0, LAT0 = 112.50, 40.50
DLON, DLAT = 0.002, 0.001  # about 170 m east, 111 m north

# A (1) --primary, oneway, 72 km/h, via shape point B (2)--> C (3)
# C (3) --residential, two-way, via shape points D (4) and 6--> A (1)
# B-D is a footway (not drivable); E-F is a separate road (not connected);
# A -> G is a one-way dead end (G can be reached but not left); H-I is a private drive.
OSM_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="{LAT0}" lon="{LON0}"/>
  <node id="2" lat="{LAT0}" lon="{LON0 + DLON}"/>
  <node id="3" lat="{LAT0 + DLAT}" lon="{LON0 + DLON}"/>
  <node id="4" lat="{LAT0 + DLAT}" lon="{LON0}"/>
  <node id="6" lat="{LAT0 + DLAT / 2}" lon="{LON0}"/>
  <node id="7" lat="{LAT0 - DLAT}" lon="{LON0}"/>
  <node id="8" lat="{LAT0 + 0.02}" lon="{LON0 + 0.02}"/>
  <node id="9" lat="{LAT0 + 0.021}" lon="{LON0 + 0.02}"/>
  <node id="11" lat="{LAT0 + 0.01}" lon="{LON0 + 0.01}"/>
  <way id="10">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="oneway" v="yes"/><tag k="maxspeed" v="72"/>
  </way>
  <way id="11">
    <nd ref="3"/><nd ref="4"/><nd ref="6"/><nd ref="1"/>
    <tag k="highway" v="residential"/>
  </way>
  <way id="12">
    <nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="footway"/>
  </way>
  <way id="13">
    <nd ref="8"/><nd ref="9"/>
    <tag k="highway" v="residential"/>
  </way>
  <way id="14">
    <nd ref="1"/><nd ref="7"/>
    <tag k="highway" v="service"/><tag k="oneway" v="yes"/>
  </way>
  <way id="15">
    <nd ref="3"/><nd ref="11"/>
    <tag k="highway" v="service"/><tag k="access" v="private"/>
  </way>
  <relation id="99"><member type="way" ref="10" role=""/><tag k="type" v="route"/></relation>
</osm>
"""

GEOD = pyproj.Geod(ellps="WGS84")


def _geodesic(*lonlats: tuple[float, float]) -> float:
    lons, lats = zip(*lonlats, strict=True)
    return float(GEOD.line_length(lons, lats))


@pytest.fixture
def osm_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    return path


def test_read_osm_keeps_largest_strongly_connected_drivable_part(osm_file: Path) -> None:
    network = read_osm(osm_file)
    # B, D and 6 are shape points; G is a dead end; E-F is cut off; 11 is private.
    assert sorted(network.node_id.tolist()) == [1, 3]
    assert network.crs.is_projected
    assert set(network.highway.tolist()) == {"primary", "residential"}


def test_one_way_roads_have_one_edge_and_two_way_roads_two(osm_file: Path) -> None:
    network = read_osm(osm_file)
    osm = network.node_id
    pairs = sorted(
        (int(osm[u]), int(osm[v]), h)
        for u, v, h in zip(network.edge_from, network.edge_to, network.highway, strict=True)
    )
    assert pairs == [(1, 3, "primary"), (1, 3, "residential"), (3, 1, "residential")]
    primary = np.flatnonzero(network.highway == "primary")[0]
    assert network.twin[primary] == -1
    residential = np.flatnonzero(network.highway == "residential")
    assert sorted(network.twin[residential].tolist()) == sorted(residential.tolist())


def test_lengths_follow_shape_points_in_metres(osm_file: Path) -> None:
    network = read_osm(osm_file)
    primary = np.flatnonzero(network.highway == "primary")[0]
    expected = _geodesic((LON0, LAT0), (LON0 + DLON, LAT0), (LON0 + DLON, LAT0 + DLAT))
    assert network.length_m[primary] == pytest.approx(expected, rel=1e-3)
    residential = np.flatnonzero(network.highway == "residential")[0]
    expected = _geodesic((LON0 + DLON, LAT0 + DLAT), (LON0, LAT0 + DLAT), (LON0, LAT0))
    assert network.length_m[residential] == pytest.approx(expected, rel=1e-3)
    assert len(network.geometry[residential].coords) == 4  # C, D, 6, A


def test_travel_times_use_maxspeed_then_road_class(osm_file: Path) -> None:
    network = read_osm(osm_file)
    speed_ms = network.length_m / network.time_s
    primary = network.highway == "primary"
    assert speed_ms[primary] == pytest.approx(72 / 3.6)  # maxspeed tag
    assert speed_ms[~primary] == pytest.approx(25 / 3.6)  # default residential

    ignore_tags = read_osm(osm_file, speeds=SpeedSettings(honour_maxspeed=False))
    speed_ms = ignore_tags.length_m / ignore_tags.time_s
    assert speed_ms[ignore_tags.highway == "primary"] == pytest.approx(60 / 3.6)


def test_fastest_route_respects_one_way(osm_file: Path) -> None:
    network = read_osm(osm_file)
    a, c = (int(np.flatnonzero(network.node_id == i)[0]) for i in (1, 3))
    matrix = node_matrix(network, [a, c], [a, c], workers=1)
    primary = network.length_m[network.highway == "primary"][0]
    residential = network.length_m[network.highway == "residential"][0]
    assert matrix.time_s[0, 1] == pytest.approx(primary / 20.0, abs=0.02)  # A->C on the primary
    assert matrix.distance_m[0, 1] == pytest.approx(primary, abs=0.1)
    assert matrix.time_s[1, 0] == pytest.approx(residential / (25 / 3.6), abs=0.02)  # back
    assert matrix.distance_m[1, 0] == pytest.approx(residential, abs=0.1)


def test_custom_speeds_can_drop_a_road_class(osm_file: Path) -> None:
    speeds = SpeedSettings(speeds_kmh={"residential": 20.0, "service": 10.0})
    # Without the primary, A and C are still joined both ways by the residential street.
    network = read_osm(osm_file, speeds=speeds)
    assert set(network.highway.tolist()) == {"residential"}
    assert network.num_edges == 2


def test_unknown_file_type_and_empty_network_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match=r"\['.osm', '.xml', '.pbf'\]"):
        read_osm(tmp_path / "roads.shp")
    empty = tmp_path / "empty.osm"
    empty.write_text('<osm version="0.6"><node id="1" lat="40" lon="112"/></osm>')
    with pytest.raises(NetworkError, match="no drivable roads"):
        read_osm(empty)


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("60", 60.0),
        ("30 mph", 48.28032),
        ("50;70", 50.0),
        ("40 km/h", 40.0),
        ("walk", 5.0),
        ("CN:urban", None),
        ("none", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_maxspeed(value: str | None, kmh: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(kmh) if kmh else None)


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"highway": "residential"}, 0),
        ({"highway": "residential", "oneway": "yes"}, 1),
        ({"highway": "residential", "oneway": "-1"}, -1),
        ({"highway": "primary", "junction": "roundabout"}, 1),
        ({"highway": "motorway"}, 1),
        ({"highway": "motorway", "oneway": "no"}, 0),
    ],
)
def test_way_direction(tags: dict[str, str], direction: int) -> None:
    assert way_direction(tags) == direction


def test_reverse_one_way_is_driven_against_node_order(tmp_path: Path) -> None:
    text = OSM_XML.replace(
        '<tag k="oneway" v="yes"/><tag k="maxspeed"', '<tag k="oneway" v="-1"/><tag k="maxspeed"'
    )
    path = tmp_path / "reverse.osm"
    path.write_text(text, encoding="utf-8")
    network = read_osm(path)
    primary = np.flatnonzero(network.highway == "primary")[0]
    assert network.node_id[network.edge_from[primary]] == 3
    assert network.node_id[network.edge_to[primary]] == 1


def test_pbf_gives_the_same_network_as_xml(osm_file: Path, tmp_path: Path) -> None:
    import osmium

    pbf = tmp_path / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(osm_file)):
            writer.add(obj)
    from_xml, from_pbf = read_osm(osm_file), read_osm(pbf)
    assert from_pbf.fingerprint == from_xml.fingerprint
    assert from_pbf.highway.tolist() == from_xml.highway.tolist()
