"""Tests for gridmgmt.crs: GCJ-02/BD-09 conversion and local metric CRSs.

Expected values come from prcoords' scalar functions, from published test pairs of
eviltransform (googollee/eviltransform, python/test.py) and from the GCJ-02 formula's
constant terms, never from the module under test.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import prcoords
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgmt import crs
from gridmgmt.crs import CoordinateSystem, UnknownCRSError

GEOD = pyproj.Geod(ellps="WGS84")
ALL_SYSTEMS = list(CoordinateSystem)


def random_points_in_china(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(73, 135, n), rng.uniform(18, 53, n)


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def scalar_reference(func, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply a prcoords scalar function (which takes and returns (lat, lon)) point by point."""
    pairs = [func((float(y), float(x))) for x, y in zip(lon, lat, strict=True)]
    return np.array([p.lon for p in pairs]), np.array([p.lat for p in pairs])


def central_meridian(projected: pyproj.CRS) -> float:
    params = {p.name: p.value for p in projected.coordinate_operation.params}
    return float(params["Longitude of natural origin"])


# --- agreement with prcoords -------------------------------------------------------------

PRCOORDS_CASES = [
    ("wgs84", "gcj02", prcoords.wgs_gcj, 1e-12),
    ("gcj02", "bd09", prcoords.gcj_bd, 1e-12),
    ("wgs84", "bd09", prcoords.wgs_bd, 1e-12),
    # prcoords' iterations stop once a step is under 1e-5 degrees, which leaves up to a few
    # 1e-7 degrees (centimetres); the test below checks ours is the more exact inverse.
    ("gcj02", "wgs84", prcoords.gcj_wgs_bored, 3e-7),
    ("bd09", "gcj02", prcoords.bd_gcj_bored, 3e-7),
    ("bd09", "wgs84", prcoords.bd_wgs_bored, 3e-7),
]

INVERSES = [
    ("gcj02", prcoords.wgs_gcj, prcoords.gcj_wgs_bored),
    ("bd09", prcoords.wgs_bd, prcoords.bd_wgs_bored),
]


@pytest.mark.parametrize(("source", "target", "reference", "tolerance_deg"), PRCOORDS_CASES)
def test_vectorised_matches_prcoords_scalar(source, target, reference, tolerance_deg):
    lon, lat = random_points_in_china(500, seed=7)
    got_lon, got_lat = crs.convert(lon, lat, source=source, target=target)
    want_lon, want_lat = scalar_reference(reference, lon, lat)
    np.testing.assert_allclose(got_lon, want_lon, rtol=0, atol=tolerance_deg)
    np.testing.assert_allclose(got_lat, want_lat, rtol=0, atol=tolerance_deg)


@pytest.mark.parametrize(("obfuscated", "forward", "inverse"), INVERSES)
def test_inverse_residual_beats_prcoords(obfuscated, forward, inverse):
    # Map each inverse result forward again with prcoords' own forward function: ours
    # lands back on the input to within 1e-10 degrees, at least as close as prcoords'.
    lon, lat = random_points_in_china(300, seed=13)
    ours = crs.to_wgs84(lon, lat, obfuscated)
    theirs = scalar_reference(inverse, lon, lat)
    ours_again = np.array(scalar_reference(forward, *ours))
    theirs_again = np.array(scalar_reference(forward, *theirs))
    ours_residual = np.abs(ours_again - (lon, lat)).max()
    assert ours_residual < 1e-10
    assert ours_residual <= np.abs(theirs_again - (lon, lat)).max()


def test_forward_gcj_is_bitwise_prcoords_at_tiananmen():
    want = prcoords.wgs_gcj((39.9087, 116.3975))
    lon, lat = crs.from_wgs84(116.3975, 39.9087, "gcj02")
    assert (float(lon), float(lat)) == (want.lon, want.lat)


# eviltransform's published (wgs lat, wgs lon, gcj lat, gcj lon) pairs.
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_PAIRS)
def test_published_gcj_pairs(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = crs.from_wgs84(wgs_lon, wgs_lat, "gcj02")
    assert float(lon) == pytest.approx(gcj_lon, abs=1e-9)
    assert float(lat) == pytest.approx(gcj_lat, abs=1e-9)
    back_lon, back_lat = crs.to_wgs84(gcj_lon, gcj_lat, "gcj02")
    assert geodesic_m(back_lon, back_lat, wgs_lon, wgs_lat) < 0.001


def test_gcj_shift_at_formula_origin_is_300m_east_100m_south():
    # At (105E, 35N) every variable term of the GCJ-02 formula is zero, leaving its
    # constants: 300 m east along the parallel and 100 m south along the meridian, as arc
    # lengths on the Krasovsky ellipsoid.
    lon, lat = crs.from_wgs84(105.0, 35.0, "gcj02")
    krasovsky = pyproj.Geod(ellps="krass")
    east_azimuth, _, east = krasovsky.inv(105.0, 35.0, float(lon), 35.0)
    south_azimuth, _, south = krasovsky.inv(105.0, 35.0, 105.0, float(lat))
    assert east == pytest.approx(300.0, abs=1e-4)
    assert south == pytest.approx(100.0, abs=1e-4)
    assert east_azimuth == pytest.approx(90.0, abs=0.01)
    assert abs(south_azimuth) == pytest.approx(180.0, abs=1e-9)


@pytest.mark.parametrize(
    ("bd_lon", "bd_lat"),
    # Baidu's geoconv v1 answer for its documented example WGS-84 point, as recorded in
    # two public code bases; Baidu's service adds its own noise of about a metre.
    [(114.23075654746, 29.579087603387), (114.2307519546763, 29.57908428837437)],
)
def test_baidu_geoconv_example_within_two_metres(bd_lon, bd_lat):
    lon, lat = crs.from_wgs84(114.21892734521, 29.575429778924, "bd09")
    assert geodesic_m(lon, lat, bd_lon, bd_lat) < 2.0


# --- round trips -------------------------------------------------------------------------

china_points = st.lists(st.tuples(st.floats(73, 135), st.floats(18, 53)), min_size=1, max_size=40)


@pytest.mark.parametrize("obfuscated", ["gcj02", "bd09"])
@given(points=china_points)
@settings(max_examples=150, deadline=None)
def test_round_trip_through_obfuscated_system_is_sub_millimetre(obfuscated, points):
    lon, lat = np.array(points).T
    inside = crs.in_china(lon, lat)
    lon, lat = lon[inside], lat[inside]
    shifted_lon, shifted_lat = crs.from_wgs84(lon, lat, obfuscated)
    assert np.all(geodesic_m(lon, lat, shifted_lon, shifted_lat) > 1.0)  # it did shift
    back_lon, back_lat = crs.to_wgs84(shifted_lon, shifted_lat, obfuscated)
    assert geodesic_m(lon, lat, back_lon, back_lat).max() < 0.5
    assert geodesic_m(lon, lat, back_lon, back_lat).max() < 0.001


@given(points=china_points)
@settings(max_examples=100, deadline=None)
def test_inverse_then_forward_returns_input(points):
    bd_lon, bd_lat = np.array(points).T
    wgs_lon, wgs_lat = crs.to_wgs84(bd_lon, bd_lat, "bd09")
    again_lon, again_lat = crs.from_wgs84(wgs_lon, wgs_lat, "bd09")
    np.testing.assert_allclose(again_lon, bd_lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(again_lat, bd_lat, rtol=0, atol=1e-9)


def test_gcj_bd_direct_equals_via_wgs():
    lon, lat = random_points_in_china(1000, seed=3)
    direct = crs.convert(lon, lat, source="bd09", target="gcj02")
    via_wgs = crs.from_wgs84(*crs.to_wgs84(lon, lat, "bd09"), "gcj02")
    np.testing.assert_allclose(direct, via_wgs, rtol=0, atol=1e-10)


def test_million_points_round_trip():
    lon, lat = random_points_in_china(1_000_000, seed=11)
    back_lon, back_lat = crs.to_wgs84(*crs.from_wgs84(lon, lat, "bd09"), "bd09")
    assert back_lon.shape == (1_000_000,)
    assert np.abs(back_lon - lon).max() < 1e-10
    assert np.abs(back_lat - lat).max() < 1e-10


# --- in and out of China, NaN, shapes ----------------------------------------------------


OUTSIDE = [(-0.1276, 51.5072), (139.6917, 35.6895), (151.2093, -33.8688), (105.0, 60.0)]


@pytest.mark.parametrize(("lon", "lat"), OUTSIDE)
def test_outside_china_unchanged_like_prcoords(lon, lat):
    with pytest.warns(UserWarning, match="Non-Chinese coords"):
        want = prcoords.wgs_gcj((lat, lon))
    assert not crs.in_china(lon, lat)
    for target in ("gcj02", "bd09"):
        got_lon, got_lat = crs.from_wgs84(lon, lat, target)
        assert (float(got_lon), float(got_lat)) == (want.lon, want.lat) == (lon, lat)
        assert crs.to_wgs84(lon, lat, target) == (lon, lat)


def test_in_china_box_edges_inclusive():
    lon = np.array([72.004, 137.8347, 72.0039, 137.8348, 100.0, 100.0, 100.0, np.nan])
    lat = np.array([0.8293, 55.8271, 30.0, 30.0, 0.8292, 55.8272, np.nan, 30.0])
    expected = [
        prcoords.sanity_in_china_p(prcoords.Coords(y, x)) for x, y in zip(lon, lat, strict=True)
    ]
    np.testing.assert_array_equal(crs.in_china(lon, lat), expected)
    assert expected[:2] == [True, True]


@pytest.mark.parametrize("source", ALL_SYSTEMS)
@pytest.mark.parametrize("target", ALL_SYSTEMS)
def test_nan_in_nan_out_without_warnings(source, target):
    lon = np.array([116.3975, np.nan, 121.47, np.nan, np.inf])
    lat = np.array([39.9087, 30.0, np.nan, np.nan, 30.0])
    got_lon, got_lat = crs.convert(lon, lat, source=source, target=target)
    assert np.isnan(got_lon[[1, 3]]).all()
    assert np.isnan(got_lat[[2, 3]]).all()
    assert got_lon[4] == np.inf
    one_lon, one_lat = crs.convert(lon[0], lat[0], source=source, target=target)
    assert (got_lon[0], got_lat[0]) == (one_lon, one_lat)


def test_all_nan_array():
    lon, lat = crs.to_wgs84(np.full(3, np.nan), np.full(3, np.nan), "gcj02")
    assert np.isnan(lon).all()
    assert np.isnan(lat).all()


def test_shapes_dtypes_and_inputs_untouched():
    lon = np.array([[116.39, 116.40], [121.47, 113.26]])
    lat = np.array([[39.90, 39.91], [31.23, 23.13]])
    lon_before, lat_before = lon.copy(), lat.copy()
    out_lon, out_lat = crs.convert(lon, lat, source="gcj02", target="bd09")
    assert out_lon.shape == out_lat.shape == (2, 2)
    assert out_lon.dtype == out_lat.dtype == np.float64
    np.testing.assert_array_equal(lon, lon_before)
    np.testing.assert_array_equal(lat, lat_before)

    scalar_lon, scalar_lat = crs.convert(116, 40, source="wgs84", target="gcj02")
    assert scalar_lon.shape == scalar_lat.shape == ()

    from_list = crs.convert([116.39, 121.47], 31.0, source="wgs84", target="gcj02")
    assert from_list[0].shape == from_list[1].shape == (2,)

    with pytest.raises(ValueError, match="cannot be broadcast"):
        crs.convert([1.0, 2.0], [1.0, 2.0, 3.0], source="wgs84", target="gcj02")


def test_cgcs2000_is_wgs84():
    lon, lat = random_points_in_china(100, seed=5)
    identity = crs.convert(lon, lat, source="cgcs2000", target="wgs84")
    np.testing.assert_array_equal(identity, (lon, lat))
    via_cgcs = crs.convert(lon, lat, source="cgcs2000", target="bd09")
    np.testing.assert_array_equal(via_cgcs, crs.from_wgs84(lon, lat, "bd09"))


# --- parse_crs ---------------------------------------------------------------------------

ALIASES = {
    CoordinateSystem.WGS84: ["wgs84", "WGS-84", "epsg:4326", "EPSG:4326", "4326", " wgs84 "],
    CoordinateSystem.GCJ02: ["gcj02", "GCJ-02", "amap", "Gaode", "tencent", "高德"],
    CoordinateSystem.BD09: ["bd09", "BD-09", "baidu", "Baidu", "bd09ll", "百度"],
    CoordinateSystem.CGCS2000: ["cgcs2000", "CGCS2000", "epsg:4490", "4490"],
}


@pytest.mark.parametrize(
    ("alias", "expected"),
    [(alias, system) for system, aliases in ALIASES.items() for alias in aliases],
)
def test_parse_crs_aliases(alias, expected):
    assert crs.parse_crs(alias) is expected


@pytest.mark.parametrize("system", ALL_SYSTEMS)
def test_parse_crs_accepts_members_and_values(system):
    assert crs.parse_crs(system) is system
    assert crs.parse_crs(system.value) is system


@pytest.mark.parametrize("bad", ["wgs", "epsg:3857", "", "google"])
def test_parse_crs_error_lists_allowed_values(bad):
    with pytest.raises(UnknownCRSError) as excinfo:
        crs.parse_crs(bad)
    message = str(excinfo.value)
    assert repr(bad) in message
    for expected in ('"wgs84"', '"gcj02"', '"bd09"', '"cgcs2000"', '"epsg:4326"', '"baidu"'):
        assert expected in message
    assert isinstance(excinfo.value, ValueError)


def test_convert_rejects_unknown_system():
    with pytest.raises(UnknownCRSError, match="mars"):
        crs.convert(116.0, 40.0, source="mars", target="wgs84")


# --- geometries --------------------------------------------------------------------------


def test_convert_geometry_moves_every_vertex():
    polygon = shapely.Polygon(
        [(116.30, 39.85), (116.45, 39.85), (116.45, 39.98), (116.30, 39.98)],
        holes=[[(116.35, 39.90), (116.40, 39.90), (116.40, 39.93)]],
    )
    geoms = [
        shapely.Point(116.3975, 39.9087),
        shapely.LineString([(113.26, 23.13), (113.30, 23.20)]),
        polygon,
        shapely.MultiPolygon([polygon, shapely.box(121.4, 31.2, 121.5, 31.3)]),
        shapely.GeometryCollection([shapely.Point(120.15, 30.28), polygon]),
    ]
    for geom in geoms:
        converted = crs.convert_geometry(geom, source="wgs84", target="gcj02")
        assert converted.geom_type == geom.geom_type
        coords = shapely.get_coordinates(geom)
        want_lon, want_lat = scalar_reference(prcoords.wgs_gcj, coords[:, 0], coords[:, 1])
        np.testing.assert_allclose(
            shapely.get_coordinates(converted), np.column_stack([want_lon, want_lat]), atol=1e-12
        )


def test_convert_geometry_array_keeps_none_and_z():
    geoms = np.array([shapely.Point(116.3975, 39.9087, 55.0), None, shapely.Point(121.47, 31.23)])
    converted = crs.convert_geometry(geoms, source="bd09", target="wgs84")
    assert converted[1] is None
    assert converted[0].has_z
    assert converted[0].z == 55.0
    assert not converted[2].has_z
    want = prcoords.bd_wgs_bored((39.9087, 116.3975))
    assert converted[0].x == pytest.approx(want.lon, abs=1e-7)
    assert converted[0].y == pytest.approx(want.lat, abs=1e-7)


def test_convert_geoseries():
    gs = gpd.GeoSeries(
        [shapely.Point(116.41, 39.91), shapely.LineString([(121.47, 31.23), (121.50, 31.25)])],
        index=["a", "b"],
        name="where",
        crs="EPSG:4326",
    )
    out = crs.convert_geoseries(gs, source="baidu", target="wgs84")
    assert out.crs == pyproj.CRS.from_epsg(4326)
    assert list(out.index) == ["a", "b"]
    assert out.name == "where"
    coords = shapely.get_coordinates(gs.array)
    want = np.column_stack(crs.to_wgs84(coords[:, 0], coords[:, 1], "bd09"))
    np.testing.assert_array_equal(shapely.get_coordinates(out.array), want)
    unlabelled = crs.convert_geoseries(
        gs.set_crs(None, allow_override=True), source="bd09", target="wgs84"
    )
    assert unlabelled.geom_equals_exact(out, tolerance=0).all()


def test_convert_geoseries_refuses_projected():
    gs = gpd.GeoSeries([shapely.Point(500000, 4400000)], crs="EPSG:4547")
    with pytest.raises(ValueError, match="projected"):
        crs.convert_geoseries(gs, source="gcj02", target="wgs84")


# --- metric CRS --------------------------------------------------------------------------


def test_metric_crs_lon_113_9_is_gk_cm_114():
    chosen = crs.metric_crs((113.9, 40.9))
    assert central_meridian(chosen) == 114.0
    assert chosen.to_epsg() == 4547
    assert "CGCS2000" in chosen.name
    assert "Gauss-Kruger" in chosen.name


@pytest.mark.parametrize("cm", range(75, 136, 3))
@pytest.mark.parametrize("offset", [-1.4, 0.0, 1.4])
def test_metric_crs_every_gk_zone(cm, offset):
    chosen = crs.metric_crs((cm + offset, 30.0))
    assert central_meridian(chosen) == cm
    assert chosen.to_epsg() in range(4534, 4555)
    assert chosen.ellipsoid.name == pyproj.CRS.from_epsg(4490).ellipsoid.name


@pytest.mark.parametrize(
    ("lonlat", "epsg"),
    [
        ((2.35, 48.85), 32631),
        ((-43.2, -22.9), 32723),
        ((139.69, 35.69), 32654),
        ((-74.0, 40.7), 32618),
    ],
)
def test_metric_crs_utm_outside_china(lonlat, epsg):
    chosen = crs.metric_crs(lonlat)
    assert chosen.to_epsg() == epsg
    assert central_meridian(chosen) == pytest.approx(((epsg % 100) - 1) * 6 - 177)


def test_metric_crs_accepts_geometry_and_frames():
    county = shapely.box(112.8, 40.8, 113.4, 41.3)  # around Ulanqab, centre 113.1E
    assert central_meridian(crs.metric_crs(county)) == 114.0
    frame = gpd.GeoDataFrame(geometry=[county], crs="EPSG:4326")
    assert crs.metric_crs(frame) == crs.metric_crs(county)
    assert crs.metric_crs(frame.to_crs(3857)) == crs.metric_crs(county)


@pytest.mark.parametrize(
    "area",
    [
        shapely.Point(),
        gpd.GeoSeries([], crs="EPSG:4326"),
        gpd.GeoSeries([shapely.Point(113, 40)]),
        (float("nan"), 40.0),
        (1.0, 2.0, 3.0),
    ],
)
def test_metric_crs_rejects_unusable_areas(area):
    with pytest.raises(ValueError, match=r"metric CRS|pair"):
        crs.metric_crs(area)


def points_around(
    lon: float, lat: float, *, spread_km: float, n: int, seed: int
) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    azimuths = rng.uniform(0, 360, n)
    distances = rng.uniform(0, spread_km * 1000, n)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), azimuths, distances)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(113.1, 41.0), (115.4, 40.8), (87.6, 43.8), (126.6, 45.8), (110.3, 20.0), (2.35, 48.85)],
)
def test_to_metric_distances_match_geodesic(lon, lat):
    gdf = points_around(lon, lat, spread_km=4, n=30, seed=int(lon * 10))
    projected = crs.to_metric(gdf)
    assert projected.crs == crs.metric_crs(gdf)
    assert projected.crs.is_projected
    xy = shapely.get_coordinates(projected.geometry.array)
    lonlat = shapely.get_coordinates(gdf.geometry.array)
    i, j = np.triu_indices(len(gdf), k=1)
    planar = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1])
    geodesic = geodesic_m(lonlat[i, 0], lonlat[i, 1], lonlat[j, 0], lonlat[j, 1])
    keep = geodesic > 500
    assert keep.sum() > 100
    relative = np.abs(planar[keep] - geodesic[keep]) / geodesic[keep]
    assert relative.max() < 0.001


def test_to_metric_uses_given_crs_and_validates():
    gdf = points_around(113.1, 41.0, spread_km=2, n=5, seed=1)
    utm = pyproj.CRS.from_epsg(32649)
    assert crs.to_metric(gdf, utm).crs == utm
    with pytest.raises(ValueError, match="not a projected CRS in metres"):
        crs.to_metric(gdf, pyproj.CRS.from_epsg(4490))
    with pytest.raises(ValueError, match="no CRS"):
        crs.to_metric(gdf.set_crs(None, allow_override=True))


def test_to_metric_accepts_other_source_crs():
    gdf = points_around(113.1, 41.0, spread_km=2, n=5, seed=2)
    direct = crs.to_metric(gdf)
    from_mercator = crs.to_metric(gdf.to_crs(3857))
    assert from_mercator.crs == direct.crs
    np.testing.assert_allclose(
        shapely.get_coordinates(from_mercator.geometry.array),
        shapely.get_coordinates(direct.geometry.array),
        atol=1e-3,
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [("EPSG:4326", "EPSG:32650"), ("EPSG:32649", "EPSG:4326"), ("EPSG:4326", "EPSG:3857")],
)
def test_cached_transformer_matches_pyproj_and_copies_cheaply_per_thread(
    source: str, target: str
) -> None:
    """The shared transformer answers as pyproj's own, in any thread, and its per-thread
    copies are made from a PROJ pipeline, not by a new search of PROJ's database."""
    import threading

    shared = crs.transformer(source, target)
    reference = pyproj.Transformer.from_crs(source, target, always_xy=True)
    lon, lat = np.array([100.1, 114.53, 121.4]), np.array([25.0, 41.08, 31.2])
    points = (
        (lon, lat) if source == "EPSG:4326" else reference.transform(lon, lat, direction="INVERSE")
    )
    expected = np.column_stack(reference.transform(*points))
    answers: list[np.ndarray] = []
    thread = threading.Thread(
        target=lambda: answers.append(np.column_stack(shared.transform(*points)))
    )
    thread.start()
    thread.join()
    np.testing.assert_allclose(answers[0], expected, rtol=0, atol=1e-6)
    assert crs.transformer(source, target) is shared
    assert type(shared._transformer_maker).__name__ == "TransformerFromPipeline"
