"""Offline maps: folium's CDN links replaced by Leaflet and plugins from installed packages.

Pages served by the app point at ``/static/...`` (mounted by ``api.static``); map files
written to disk get a copy of the assets in ``static/`` next to them and relative links, so
they open from a USB stick on a machine with no network. jQuery, Bootstrap and
awesome-markers, which folium loads by default, are dropped: views use circle markers,
plain popups and an HTML legend instead.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import folium
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from branca.element import Element, Figure

ASSET_DIRS: dict[str, Path] = {
    "leaflet": Path(xstatic.pkg.leaflet.BASE_DIR),
    "leaflet-markercluster": Path(xstatic.pkg.leaflet_markercluster.BASE_DIR),
}
"""URL prefix under the static root -> installed directory holding the files."""

FOLIUM_ASSETS: dict[str, str | None] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "leaflet-markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet-markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet-markercluster/MarkerCluster.Default.css",
    "jquery": None,
    "bootstrap": None,
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers": None,
    "awesome_markers_css": None,
    "awesome_markers_font_css": None,
    "awesome_rotate_css": None,
}
"""folium asset name -> path under the static root, or None to leave the asset out.

A view that uses another folium plugin registers its assets here (and their directory in
:data:`ASSET_DIRS`); an unregistered remote asset is an error, never a silent CDN call.
"""

_REMOTE_REF = re.compile(
    r"""(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)|url\(\s*["']?((?:https?:)?//[^"')\s]+)""",
    re.IGNORECASE,
)
_COPY_IGNORE = shutil.ignore_patterns("*.map", "*-src.*", "*.esm.js", "*.txt", "*.md")


class OfflineAssetError(ValueError):
    """A map element needs a remote asset that has no local copy registered."""


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for embedding in a page layout."""

    header: str
    body: str
    script: str


def _walk(element: Element) -> list[Element]:
    found = [element]
    for child in element._children.values():
        found.extend(_walk(child))
    return found


def _local_links(
    links: list[tuple[str, str]], static_url: str, owner: str
) -> list[tuple[str, str]]:
    local: list[tuple[str, str]] = []
    for name, url in links:
        if not re.match(r"^(?:https?:)?//", url):
            local.append((name, url))
            continue
        if name not in FOLIUM_ASSETS:
            known = ", ".join(sorted(FOLIUM_ASSETS))
            msg = (
                f"{owner} loads {name!r} from {url}, which has no local copy; register it in "
                f"maps.assets.FOLIUM_ASSETS (known: {known})"
            )
            raise OfflineAssetError(msg)
        path = FOLIUM_ASSETS[name]
        if path is not None:
            local.append((name, f"{static_url.rstrip('/')}/{path}"))
    return local


def localise(m: folium.Map, *, static_url: str = "/static") -> folium.Map:
    """Point every element of the map at local assets under ``static_url``.

    Works on instance attributes, so folium's classes (and other maps) are left alone.
    """
    for element in _walk(m.get_root()):
        owner = type(element).__name__
        for attribute in ("default_js", "default_css"):
            links = getattr(element, attribute, None)
            if links:
                setattr(element, attribute, _local_links(list(links), static_url, owner))
    return m


def remote_references(html: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """URLs of remote scripts, stylesheets and images in ``html``, except the allowed ones.

    Parameters
    ----------
    html
        A rendered page.
    allowed
        URL prefixes that may stay remote (the configured tile server).
    """
    found = [a or b for a, b in _REMOTE_REF.findall(html)]
    return [url for url in found if not any(url.startswith(prefix) for prefix in allowed if prefix)]


def _render(m: folium.Map, static_url: str) -> tuple[Figure, str]:
    localise(m, static_url=static_url)
    figure = m.get_root()
    if not isinstance(figure, Figure):
        msg = "the map must be in a folium Figure to render; build it with folium.Map"
        raise TypeError(msg)
    return figure, str(figure.render())


def render_html(m: folium.Map, *, static_url: str = "/static") -> str:
    """The map as a complete HTML page whose assets load from ``static_url``."""
    return _render(m, static_url)[1]


def render_parts(m: folium.Map, *, static_url: str = "/static") -> MapParts:
    """The map's header (links, styles), body (map div) and script, for a page template."""
    figure, _ = _render(m, static_url)
    return MapParts(
        header=figure.header.render(),
        body=figure.html.render(),
        script=figure.script.render(),
    )


def copy_assets(target: Path) -> Path:
    """Copy Leaflet and the registered plugins into ``target`` (one folder per prefix)."""
    for prefix, source in ASSET_DIRS.items():
        shutil.copytree(source, target / prefix, ignore=_COPY_IGNORE, dirs_exist_ok=True)
    return target


def write_map(m: folium.Map, path: str | Path) -> Path:
    """Write the map as an HTML file that works offline, from a folder or a file:// URL.

    The assets are copied to ``static/`` beside the file and linked relatively.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    copy_assets(path.parent / "static")
    path.write_text(render_html(m, static_url="static"), encoding="utf-8")
    return path
