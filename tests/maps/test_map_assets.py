"""Offline assets: local links, copied files, no silent CDN for unregistered plugins."""

from __future__ import annotations

import folium
import pytest
from folium.plugins import MarkerCluster, MiniMap

from maps.assets import OfflineAssetError, localise, remote_references, render_html, write_map
from maps.base import base_map


def test_write_map_copies_assets_and_links_them_relatively(tmp_path, overview_frames) -> None:
    m = base_map(overview_frames["counties"])
    MarkerCluster(name="clusters").add_to(m)
    path = write_map(m, tmp_path / "out" / "overview.html")
    html = path.read_text(encoding="utf-8")
    for relative in (
        "static/leaflet/leaflet.js",
        "static/leaflet/leaflet.css",
        "static/leaflet-markercluster/leaflet.markercluster.js",
        "static/leaflet-markercluster/MarkerCluster.Default.css",
    ):
        assert f'"{relative}"' in html
        assert (path.parent / relative).stat().st_size > 0
    assert (path.parent / "static/leaflet/images/layers.png").exists()
    assert not list((path.parent / "static").rglob("*.map"))
    assert remote_references(html) == []


def test_localise_leaves_folium_classes_alone() -> None:
    m = folium.Map(tiles=None)
    localise(m, static_url="/assets")
    assert m.default_js[0] == ("leaflet", "/assets/leaflet/leaflet.js")
    assert folium.Map.default_js[0][1].startswith("https://")
    assert not any(name == "jquery" for name, _ in m.default_js)


def test_unregistered_plugin_assets_are_an_error() -> None:
    m = folium.Map(tiles=None)
    MiniMap().add_to(m)
    with pytest.raises(OfflineAssetError, match="MiniMap"):
        render_html(m)


def test_remote_references_finds_scripts_styles_and_css_urls() -> None:
    html = (
        '<script src="https://cdn.example/x.js"></script>'
        "<link href='//cdn.example/y.css'>"
        "<style>a{background:url(http://img.example/z.png)}</style>"
        '<script src="/static/ok.js"></script>'
        '<a href="#local">x</a>'
    )
    assert remote_references(html) == [
        "https://cdn.example/x.js",
        "//cdn.example/y.css",
        "http://img.example/z.png",
    ]
    assert remote_references(html, allowed=("https://cdn.example/",)) == [
        "//cdn.example/y.css",
        "http://img.example/z.png",
    ]
