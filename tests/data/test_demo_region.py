"""The committed demo region in data/demo: geometry, vocabularies, cross-references, determinism.

These tests read the committed files; only the determinism test runs the generator (into a
temporary folder) and compares every file byte for byte.
"""

from __future__ import annotations

import csv
import itertools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import phonenumbers
import prcoords
import pytest
import shapely
from shapely.geometry import LineString, Point

from gridmgmt.demo.grids import DEMO_MIN_GRIDS, DEMO_RETAILERS_PER_GRID
from gridmgmt.domain import BusinessType, CheckpointKind, RetailerStatus, SchoolKind, StaffRole

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"
GENERATOR = REPO / "data" / "generate_demo.py"
SEED = 20261121
METRIC = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4539 is CM 90E)
WEEK = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]

EXPECTED_COUNTIES = {
    # code: (name, city, province, province_code, approximate seat lon/lat)
    "150924": ("兴和县", "乌兰察布市", "内蒙古自治区", "150000", (113.9, 40.9)),
    "150981": ("丰镇市", "乌兰察布市", "内蒙古自治区", "150000", (113.15, 40.45)),
    "140222": ("天镇县", "大同市", "山西省", "140000", (114.1, 40.4)),
    "140221": ("阳高县", "大同市", "山西省", "140000", (113.75, 40.35)),
    "130728": ("怀安县", "张家口市", "河北省", "130000", (114.4, 40.65)),
    "130725": ("尚义县", "张家口市", "河北省", "130000", (113.95, 41.1)),
}
PLATE_PREFIX = {"15": "蒙J", "14": "晋B", "13": "冀G"}
ROAD_CLASSES = {
    "motorway",
    "motorway_link",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
}


def read_csv(name: str) -> pd.DataFrame:
    """A demo CSV with every column as text (codes keep their leading digits)."""
    return pd.read_csv(DEMO / name, dtype=str, keep_default_na=False, encoding="utf-8")


def points(frame: pd.DataFrame) -> gpd.GeoSeries:
    """WGS-84 points from ``lon``/``lat`` text columns."""
    return gpd.GeoSeries(
        gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float)), crs=4326
    )


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "counties.geojson").set_index("code", drop=False)


@pytest.fixture(scope="module")
def retailers() -> pd.DataFrame:
    return read_csv("retailers.csv")


@pytest.fixture(scope="module")
def retailers_wgs(retailers: pd.DataFrame) -> gpd.GeoSeries:
    """Retailer positions converted from GCJ-02 back to WGS-84."""
    converted = [
        prcoords.gcj_wgs_bored((float(lat), float(lon)))
        for lon, lat in zip(retailers["lon"], retailers["lat"], strict=True)
    ]
    return gpd.GeoSeries(
        gpd.points_from_xy([c.lon for c in converted], [c.lat for c in converted]), crs=4326
    )


@pytest.fixture(scope="module")
def osm() -> ET.Element:
    return ET.parse(DEMO / "roads.osm").getroot()


@pytest.fixture(scope="module")
def road_lines(osm: ET.Element) -> gpd.GeoDataFrame:
    """Every way as a WGS-84 line with its highway class."""
    nodes = {
        n.get("id"): (float(n.get("lon", "")), float(n.get("lat", ""))) for n in osm.iter("node")
    }
    rows = []
    for way in osm.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        line = LineString([nodes[nd.get("ref")] for nd in way.iter("nd")])
        rows.append({"highway": tags.get("highway"), "name": tags.get("name"), "geometry": line})
    return gpd.GeoDataFrame(rows, crs=4326)


def distance_to_streets(located: gpd.GeoSeries, road_lines: gpd.GeoDataFrame) -> np.ndarray:
    """Metres from each point to the nearest road other than a motorway."""
    streets = road_lines[~road_lines["highway"].isin(["motorway", "motorway_link"])]
    tree = shapely.STRtree(list(streets.to_crs(METRIC).geometry))
    _, distances = tree.query_nearest(
        list(located.to_crs(METRIC)), return_distance=True, all_matches=False
    )
    return np.asarray(distances)


def internal_borders(counties: gpd.GeoDataFrame) -> shapely.Geometry:
    """The county borders shared by two of the six counties (not the region's outline)."""
    shared = [
        a.boundary.intersection(b.boundary)
        for a, b in itertools.combinations(counties.geometry, 2)
        if a.touches(b)
    ]
    return shapely.line_merge(shapely.union_all([g for g in shared if g.length > 0]))


# --------------------------------------------------------------------------- counties


def test_the_six_counties_carry_their_codes_names_and_provinces(counties: gpd.GeoDataFrame) -> None:
    assert set(counties["code"]) == set(EXPECTED_COUNTIES)
    for code, (name, city, province, province_code, _seat) in EXPECTED_COUNTIES.items():
        row = counties.loc[code]
        assert (row["name"], row["city"], row["province"], row["province_code"]) == (
            name,
            city,
            province,
            province_code,
        )
    assert counties.crs.to_epsg() == 4326


def test_counties_tile_without_gaps_or_overlaps(counties: gpd.GeoDataFrame) -> None:
    geoms = list(counties.geometry)
    assert all(g.is_valid for g in geoms)
    for a, b in itertools.combinations(geoms, 2):
        assert a.intersection(b).area < 1e-9
    union = shapely.union_all(geoms)
    assert abs(union.area - sum(g.area for g in geoms)) < 1e-9
    assert union.geom_type == "Polygon"
    assert len(union.interiors) == 0


def test_neighbouring_counties_share_long_borders(counties: gpd.GeoDataFrame) -> None:
    # a shared border is a line of many vertices, identical on both sides
    shared = counties.loc["150924"].geometry.boundary.intersection(
        counties.loc["150981"].geometry.boundary
    )
    assert shared.length > 0.2
    assert shapely.get_num_coordinates(shared) > 20


def test_county_areas_are_realistic(counties: gpd.GeoDataFrame) -> None:
    areas_km2 = counties.to_crs(METRIC).area / 1e6
    assert areas_km2.between(1500, 3300).all(), areas_km2.to_dict()


def test_each_province_is_contiguous(counties: gpd.GeoDataFrame) -> None:
    for province, group in counties.groupby("province"):
        assert len(group) == 2, province
        assert shapely.union_all(list(group.geometry)).geom_type == "Polygon", province


def test_an_exclave_fills_a_hole_in_its_neighbour(counties: gpd.GeoDataFrame) -> None:
    polygons = [p for g in counties.geometry for p in getattr(g, "geoms", [g])]
    holes = [shapely.Polygon(ring) for p in polygons for ring in p.interiors]
    parts = [p for g in counties.geometry if g.geom_type == "MultiPolygon" for p in g.geoms]
    assert holes
    assert parts
    for hole in holes:
        assert any(part.equals(hole) for part in parts)


def test_county_seats_lie_well_inside_their_counties(counties: gpd.GeoDataFrame) -> None:
    metric = counties.to_crs(METRIC)
    for code, (*_, (lon, lat)) in EXPECTED_COUNTIES.items():
        seat = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(METRIC).iloc[0]
        assert metric.loc[code].geometry.contains(seat), code
        assert metric.loc[code].geometry.boundary.distance(seat) > 2000, code


# --------------------------------------------------------------------------- retailers


def test_retailers_have_the_canonical_columns_and_about_6000_rows(retailers: pd.DataFrame) -> None:
    assert list(retailers.columns) == [
        "licence_no",
        "name",
        "address",
        "county_code",
        "lon",
        "lat",
        "tier",
        "business_type",
        "status",
        "key_retailer",
        "phone",
    ]
    assert 5500 <= len(retailers) <= 6500
    assert set(retailers["county_code"]) == set(EXPECTED_COUNTIES)


def test_retailers_lie_inside_their_county_once_converted_from_gcj02(
    retailers: pd.DataFrame, retailers_wgs: gpd.GeoSeries, counties: gpd.GeoDataFrame
) -> None:
    inside = [
        counties.loc[code].geometry.contains(point)
        for code, point in zip(retailers["county_code"], retailers_wgs, strict=True)
    ]
    assert all(inside), int(np.sum(~np.array(inside)))


def test_retailer_coordinates_are_gcj02_not_wgs84(
    retailers: pd.DataFrame, retailers_wgs: gpd.GeoSeries, road_lines: gpd.GeoDataFrame
) -> None:
    # the streets are WGS-84: read as WGS-84, the raw GCJ-02 points miss them by the
    # GCJ-02 offset (several hundred metres here); converted back, they sit on them
    raw = distance_to_streets(points(retailers), road_lines)
    converted = distance_to_streets(retailers_wgs, road_lines)
    assert np.median(raw) > 150
    assert np.median(converted) < 30


def test_licence_numbers_are_unique_and_start_with_the_county_code(retailers: pd.DataFrame) -> None:
    licences = retailers["licence_no"]
    assert licences.is_unique
    assert licences.str.fullmatch(r"\d{12}").all()
    assert (licences.str[:6] == retailers["county_code"]).all()


def test_retailer_attributes_use_the_domain_vocabularies(retailers: pd.DataFrame) -> None:
    assert set(retailers["business_type"]) <= {m.value for m in BusinessType}
    assert set(retailers["status"]) <= {m.value for m in RetailerStatus}
    assert set(retailers["key_retailer"]) == {"true", "false"}


def test_tiers_are_bell_shaped_within_1_to_30(retailers: pd.DataFrame) -> None:
    tiers = retailers["tier"].astype(int)
    assert tiers.between(1, 30).all()
    assert 8 <= tiers.median() <= 14
    assert 0 < (tiers > 25).mean() < 0.02


def test_status_and_key_retailer_shares(retailers: pd.DataFrame) -> None:
    shares = retailers["status"].value_counts(normalize=True)
    assert shares["active"] > 0.9
    assert 0.02 < shares["suspended"] < 0.06
    assert 0.01 < shares["closed"] < 0.03
    assert 0.02 < (retailers["key_retailer"] == "true").mean() < 0.04


def test_names_and_addresses_are_chinese_and_name_their_county(retailers: pd.DataFrame) -> None:
    for row in retailers.itertuples():
        name, city, province, *_ = EXPECTED_COUNTIES[row.county_code]
        assert row.name.startswith(name)
        assert row.address.startswith(province + city + name)
        assert re.search(r"[镇乡街道]", row.address)


def test_phone_numbers_are_valid_or_empty(retailers: pd.DataFrame) -> None:
    phones = retailers["phone"]
    assert (phones == "").mean() < 0.05
    for phone in phones[phones != ""]:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "CN")), phone


def test_retailers_are_near_roads(
    retailers_wgs: gpd.GeoSeries, road_lines: gpd.GeoDataFrame
) -> None:
    distances = distance_to_streets(retailers_wgs, road_lines)
    assert np.quantile(distances, 0.99) < 100
    assert np.max(distances) < 200


def test_retailers_cluster_in_towns_and_along_roads(retailers: pd.DataFrame) -> None:
    addresses = retailers["address"]
    in_village = addresses.str.endswith("村").mean()
    assert 0.1 < in_village < 0.4
    assert addresses.str.contains(r"\d+号$").mean() > 0.6


# --------------------------------------------------------------------------- schools


@pytest.fixture(scope="module")
def schools() -> pd.DataFrame:
    return read_csv("schools.csv")


def test_schools_are_about_60_with_known_kinds_inside_their_county(
    schools: pd.DataFrame, counties: gpd.GeoDataFrame
) -> None:
    assert list(schools.columns) == ["name", "kind", "county_code", "lon", "lat"]
    assert 45 <= len(schools) <= 75
    assert schools["name"].is_unique
    assert set(schools["kind"]) == {m.value for m in SchoolKind}
    for code, point in zip(schools["county_code"], points(schools), strict=True):
        assert counties.loc[code].geometry.contains(point)


def test_campus_polygons_belong_to_schools_and_contain_them(schools: pd.DataFrame) -> None:
    campus = gpd.read_file(DEMO / "schools_campus.geojson")
    assert {"name", "kind", "county_code"} <= set(campus.columns)
    assert 10 <= len(campus) < len(schools)
    by_name = schools.set_index("name")
    located = points(schools).set_axis(schools["name"])
    for row in campus.itertuples():
        assert row.geometry.is_valid
        assert (by_name.loc[row.name, "kind"], by_name.loc[row.name, "county_code"]) == (
            row.kind,
            row.county_code,
        )
        assert row.geometry.contains(located[row.name])
    areas = campus.to_crs(METRIC).area
    assert areas.between(1000, 20000).all()


def test_a_few_dozen_retailers_lie_inside_a_school_red_line(
    retailers_wgs: gpd.GeoSeries, schools: pd.DataFrame
) -> None:
    school_points = points(schools).to_crs(METRIC)
    tree = shapely.STRtree(list(school_points))
    _, distances = tree.query_nearest(
        list(retailers_wgs.to_crs(METRIC)), return_distance=True, all_matches=False
    )
    within_100 = int(np.sum(distances <= 100))
    within_50 = int(np.sum(distances <= 50))
    assert 15 <= within_100 <= 120
    assert 1 <= within_50 < within_100


# --------------------------------------------------------------------------- checkpoints


@pytest.fixture(scope="module")
def checkpoints() -> pd.DataFrame:
    return read_csv("checkpoints.csv")


def test_checkpoints_are_about_25_with_known_kinds(
    checkpoints: pd.DataFrame, counties: gpd.GeoDataFrame
) -> None:
    assert list(checkpoints.columns) == ["name", "kind", "county_code", "lon", "lat"]
    assert 18 <= len(checkpoints) <= 35
    assert checkpoints["name"].is_unique
    kinds = checkpoints["kind"].value_counts()
    assert set(kinds.index) <= {m.value for m in CheckpointKind}
    assert kinds.get("logistics_hub", 0) >= 2
    assert kinds.get("rail_station", 0) >= 1
    for code, point in zip(checkpoints["county_code"], points(checkpoints), strict=True):
        assert counties.loc[code].geometry.contains(point)


def test_most_checkpoints_sit_on_roads_at_borders(
    checkpoints: pd.DataFrame, counties: gpd.GeoDataFrame, road_lines: gpd.GeoDataFrame
) -> None:
    border = gpd.GeoSeries([shapely.union_all(list(counties.boundary))], crs=4326)
    border_m = border.to_crs(METRIC).iloc[0]
    roads_m = shapely.union_all(list(road_lines.to_crs(METRIC).geometry))
    at_border = [
        border_m.distance(p) < 300 and roads_m.distance(p) < 5
        for p in points(checkpoints).to_crs(METRIC)
    ]
    assert np.mean(at_border) > 0.5


def test_some_border_crossings_are_left_uncovered(
    checkpoints: pd.DataFrame, counties: gpd.GeoDataFrame, road_lines: gpd.GeoDataFrame
) -> None:
    major = road_lines[~road_lines["highway"].isin(["residential", "motorway_link"])]
    borders = gpd.GeoSeries([internal_borders(counties)], crs=4326).to_crs(METRIC).iloc[0]
    crossings = []
    for line in major.to_crs(METRIC).geometry:
        meet = line.intersection(borders)
        crossings.extend(p for p in getattr(meet, "geoms", [meet]) if p.geom_type == "Point")
    tree = shapely.STRtree(list(points(checkpoints).to_crs(METRIC)))
    _, distances = tree.query_nearest(crossings, return_distance=True, all_matches=False)
    covered = int(np.sum(distances < 1000))
    assert covered >= 8
    assert len(crossings) - covered >= 5


# --------------------------------------------------------------------------- fleet and staff


def test_one_depot_per_county_at_its_seat(counties: gpd.GeoDataFrame) -> None:
    depots = read_csv("depots.csv")
    assert list(depots.columns) == ["code", "name", "county_code", "lon", "lat", "opens", "closes"]
    assert sorted(depots["county_code"]) == sorted(EXPECTED_COUNTIES)
    assert depots["code"].is_unique
    metric = points(depots).to_crs(METRIC)
    for row, point in zip(depots.itertuples(), metric, strict=True):
        lon, lat = EXPECTED_COUNTIES[row.county_code][4]
        seat = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(METRIC).iloc[0]
        assert point.distance(seat) < 3000
        assert re.fullmatch(r"\d\d:\d\d", row.opens)
        assert re.fullmatch(r"\d\d:\d\d", row.closes)
        assert row.opens < row.closes


def test_vehicles_have_valid_plates_and_carry_the_busiest_day(retailers: pd.DataFrame) -> None:
    vehicles = read_csv("vehicles.csv")
    depots = read_csv("depots.csv").set_index("code")
    orders = read_csv("orders.csv")
    assert list(vehicles.columns) == [
        "plate",
        "depot_code",
        "capacity_cartons",
        "shift_start",
        "shift_end",
    ]
    assert vehicles["plate"].is_unique
    assert vehicles["depot_code"].value_counts().between(3, 5).all()
    capacity = vehicles["capacity_cartons"].astype(int)
    assert capacity.between(800, 2000).all()
    assert capacity.nunique() >= 3
    for row in vehicles.itertuples():
        county = depots.loc[row.depot_code, "county_code"]
        assert re.fullmatch(PLATE_PREFIX[county[:2]] + r"[A-Z0-9]{5}", row.plate), row.plate
        assert depots.loc[row.depot_code, "opens"] <= row.shift_start < row.shift_end
        assert row.shift_end <= depots.loc[row.depot_code, "closes"]
    county_of = retailers.set_index("licence_no")["county_code"]
    orders["county"] = orders["licence_no"].map(county_of)
    orders["cartons"] = orders["cartons"].astype(int)
    busiest = orders.groupby(["county", "date"])["cartons"].sum().groupby(level=0).max()
    fleet = (
        vehicles.assign(county=vehicles["depot_code"].map(depots["county_code"]), capacity=capacity)
        .groupby("county")["capacity"]
        .sum()
    )
    assert (fleet >= busiest).all()


def test_staff_fill_three_roles_in_every_county() -> None:
    staff = read_csv("staff.csv")
    assert list(staff.columns) == ["staff_no", "name", "role", "county_code", "phone", "capacity"]
    assert staff["staff_no"].is_unique
    assert set(staff["role"]) == {m.value for m in StaffRole}
    counts = staff.groupby(["county_code", "role"]).size()
    assert len(counts) == 18
    # One person per grid the demo designs, plus up to two spares.
    retailers = read_csv("retailers.csv")
    active = retailers[retailers["status"] == "active"].groupby("county_code").size()
    grids = np.maximum(DEMO_MIN_GRIDS, (active / DEMO_RETAILERS_PER_GRID).round())
    posts = counts.index.get_level_values("county_code").map(grids).to_numpy()
    assert (counts.to_numpy() >= posts).all()
    assert (counts.to_numpy() <= posts + 2).all()
    assert staff["capacity"].astype(int).between(600, 3000).all()
    for phone in staff["phone"]:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "CN"))


# --------------------------------------------------------------------------- orders


@pytest.fixture(scope="module")
def orders(retailers: pd.DataFrame) -> pd.DataFrame:
    frame = read_csv("orders.csv")
    frame["cartons"] = frame["cartons"].astype(int)
    return frame.merge(retailers, on="licence_no", how="left", validate="many_to_one")


def test_orders_reference_active_retailers_once_in_the_week(
    orders: pd.DataFrame, retailers: pd.DataFrame
) -> None:
    assert orders["county_code"].notna().all()
    assert orders["licence_no"].is_unique
    assert set(orders["date"]) == set(WEEK)
    assert (orders["status"] == "active").all()
    assert orders["cartons"].between(1, 60).all()
    active = (retailers["status"] == "active").sum()
    assert 0.85 < len(orders) / active <= 1.0


def test_cartons_grow_with_tier(orders: pd.DataFrame) -> None:
    # Spearman's rho: Pearson's correlation of the ranks
    rho = orders["tier"].astype(int).rank().corr(orders["cartons"].rank())
    assert rho > 0.6


def test_outflow_suspects_near_province_borders_order_far_above_their_tier(
    orders: pd.DataFrame,
    retailers_wgs: gpd.GeoSeries,
    retailers: pd.DataFrame,
    counties: gpd.GeoDataFrame,
) -> None:
    tier = orders["tier"].astype(int)
    norm = orders.groupby(tier)["cartons"].transform("median")
    heavy = orders[orders["cartons"] >= 3 * norm]
    provinces = counties.dissolve("province").to_crs(METRIC)
    located = retailers_wgs.set_axis(retailers["licence_no"]).to_crs(METRIC)
    near_border = 0
    for row in heavy.itertuples():
        point = located[row.licence_no]
        others = provinces[provinces.index != EXPECTED_COUNTIES[row.county_code][2]]
        if others.distance(point).min() < 3000:
            near_border += 1
    assert near_border >= 5


# --------------------------------------------------------------------------- roads


def test_osm_parses_and_every_node_reference_exists(osm: ET.Element) -> None:
    assert osm.tag == "osm"
    assert osm.get("version") == "0.6"
    node_ids = [n.get("id") for n in osm.iter("node")]
    assert len(node_ids) == len(set(node_ids))
    assert 3000 <= len(node_ids) <= 30000
    known = set(node_ids)
    used = set()
    for way in osm.iter("way"):
        refs = [nd.get("ref") for nd in way.iter("nd")]
        assert len(refs) >= 2
        assert set(refs) <= known
        used.update(refs)
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        assert tags["highway"] in ROAD_CLASSES
        assert tags.get("name")
        assert tags.get("oneway", "yes") == "yes"
        assert tags.get("maxspeed", "1").isdigit()
    assert used == known


def test_road_network_has_every_class_and_is_strongly_connected(osm: ET.Element) -> None:
    graph = nx.DiGraph()
    classes = set()
    oneway = 0
    for way in osm.iter("way"):
        refs = [nd.get("ref") for nd in way.iter("nd")]
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        classes.add(tags["highway"])
        oneway += tags.get("oneway") == "yes"
        for a, b in itertools.pairwise(refs):
            graph.add_edge(a, b)
            if tags.get("oneway") != "yes":
                graph.add_edge(b, a)
    assert classes >= ROAD_CLASSES - {"motorway_link"}
    assert oneway >= 6
    assert nx.is_strongly_connected(graph)


def test_roads_cover_all_counties_and_cross_their_borders(
    road_lines: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    for code in EXPECTED_COUNTIES:
        assert road_lines.intersects(counties.loc[code].geometry).sum() > 30, code
    borders = internal_borders(counties)
    crossing = road_lines[road_lines.intersects(borders)]
    assert {"motorway", "trunk", "unclassified"} <= set(crossing["highway"])


# --------------------------------------------------------------------------- the folder


def test_demo_folder_is_commit_sized() -> None:
    total = sum(p.stat().st_size for p in DEMO.iterdir())
    assert total < 15 * 1024 * 1024


def test_readme_describes_every_file_and_field() -> None:
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "GCJ-02" in readme
    for path in sorted(DEMO.iterdir()):
        if path.name == "README.md":
            continue
        assert f"`{path.name}`" in readme, path.name
        if path.suffix == ".csv":
            with path.open(encoding="utf-8") as handle:
                header = next(csv.reader(handle))
            for column in header:
                assert f"`{column}`" in readme, (path.name, column)


def test_files_are_plain_utf8_with_unix_line_ends() -> None:
    for path in DEMO.iterdir():
        data = path.read_bytes()
        data.decode("utf-8")
        assert b"\r\n" not in data, path.name
        assert data.endswith(b"\n"), path.name


@pytest.mark.slow
def test_generator_is_deterministic(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path), "--seed", str(SEED)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    committed = sorted(p.name for p in DEMO.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name
