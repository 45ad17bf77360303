"""Every page of the app, found from its router, and what a page must not do in a browser.

:func:`page_paths` lists the GET routes that answer HTML (every route outside ``/api/``
and ``/static/``, plus API routes declared with an HTML response), so pages other engineers
add are opened without anyone listing them. :func:`fill_path` puts sample values in a path's
parameters and fails, naming the parameter, for a page whose parameter has no sample yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import iter_route_contexts

NOT_PAGES: Final = frozenset({"/openapi.json", "/docs/oauth2-redirect", "/metrics"})
"""GET routes outside ``/api/`` that are no page (the schema; the API docs' OAuth2 callback,
which only the docs' login window opens; the Prometheus metrics, plain text)."""
_PARAM: Final = re.compile(r"{([^}:]+)(?::[^}]*)?}")

MARKUP_RAN_JS: Final = """() => {
    const found = [];
    for (const img of document.querySelectorAll('img')) {
        if (img.getAttribute('src') === 'x') { found.push(img.outerHTML); }
    }
    for (const el of document.querySelectorAll('[onerror]')) { found.push(el.outerHTML); }
    return found;
}"""
"""Elements a pasted ``<img src=x onerror=alert(1)>`` would have created."""

PHONE_LAYOUT_JS: Final = """() => {
    const width = window.innerWidth;
    const overflow = document.documentElement.scrollWidth - width;
    const logout = document.querySelector('form.gm-logout button');
    let logoutBox = null;
    if (logout) {
        const r = logout.getBoundingClientRect();
        const visible = r.width > 0 && r.height > 0 && getComputedStyle(logout).visibility !== 'hidden';
        logoutBox = {visible, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    }
    const wide = [];
    for (const table of document.querySelectorAll('table')) {
        const r = table.getBoundingClientRect();
        if (r.width === 0) { continue; }
        let scroller = table.parentElement, contained = false;
        while (scroller && scroller !== document.body) {
            const style = getComputedStyle(scroller);
            if (['auto', 'scroll'].includes(style.overflowX)) { contained = true; break; }
            if (scroller.classList.contains('leaflet-container')) { contained = true; break; }
            scroller = scroller.parentElement;
        }
        if (!contained && (r.right > width + 1 || r.left < -1)) {
            wide.push((table.className || table.id || 'table') + ' ' + Math.round(r.right));
        }
    }
    return {width, overflow, logout: logoutBox, wide};
}"""
"""What a phone shows: page overflow, where "log out" is, tables that fall off the screen."""


def is_page(path: str, methods: Iterable[str], response_class: Any) -> bool:
    """Whether a route is a page: GET, and HTML (outside the JSON API, or declared HTML)."""
    if "GET" not in methods or path in NOT_PAGES or path.startswith("/static"):
        return False
    if path.startswith("/api/"):
        return isinstance(response_class, type) and issubclass(response_class, HTMLResponse)
    return True


def page_paths(app: FastAPI) -> list[str]:
    """The path templates of every page of ``app``, in the router's order."""
    found: list[str] = []
    for context in iter_route_contexts(app.routes):
        path = context.path
        methods = context.methods or set()
        if path is None or not methods:
            continue
        response_class = getattr(context, "response_class", None)
        response_class = getattr(response_class, "value", response_class)
        if is_page(path, methods, response_class) and path not in found:
            found.append(path)
    return found


def path_parameters(path: str) -> list[str]:
    """The names of a path template's parameters: ``/a/{b}/{c:path}`` -> ``[b, c]``."""
    return _PARAM.findall(path)


def fill_path(path: str, samples: Mapping[str, str]) -> str:
    """``path`` with each parameter replaced by its sample value.

    Raises
    ------
    KeyError
        Naming the parameter (and page) that has no sample: add one to the test's samples.
    """
    missing = [name for name in path_parameters(path) if name not in samples]
    if missing:
        msg = f"page {path} has parameters {missing} with no sample value: add them to SAMPLES"
        raise KeyError(msg)
    return _PARAM.sub(lambda m: samples[m.group(1)], path)


@dataclass
class PageReport:
    """What opening one page found (empty lists when all is well)."""

    url: str
    status: int | None
    problems: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    """The page's text, then each popup's and tooltip's."""

    def line(self) -> str:
        """One line per problem, prefixed with the page."""
        return "\n".join(f"{self.url}: {problem}" for problem in self.problems)


CAPTURE_MAPS_JS: Final = """(() => {
    // Keep every Leaflet map the page makes, so a test can open its popups and tooltips.
    let leaflet;
    window.__gmMaps = [];
    Object.defineProperty(window, 'L', {
        configurable: true,
        get() { return leaflet; },
        set(value) {
            leaflet = value;
            if (value && value.Map && !value.Map.__gmCaptured) {
                value.Map.__gmCaptured = true;
                value.Map.addInitHook(function () { window.__gmMaps.push(this); });
            }
        },
    });
})();"""
"""An init script run before any page script: records the page's Leaflet maps."""

OPEN_POPUPS_JS: Final = """(limit) => {
    // Open every bound popup and tooltip (clustered markers too) the way Leaflet shows them,
    // and return the text each showed. A group's popup shows for each of its members.
    const texts = [];
    for (const map of window.__gmMaps || []) {
        const seen = new Set();
        const bindings = [];
        const bound = (layer, kind) => {
            const getter = layer['get' + kind];
            return typeof getter === 'function' ? getter.call(layer) : null;
        };
        const walk = (layer, inherited) => {
            if (seen.has(layer)) { return; }
            seen.add(layer);
            const own = {Popup: bound(layer, 'Popup'), Tooltip: bound(layer, 'Tooltip')};
            const here = {Popup: own.Popup || inherited.Popup, Tooltip: own.Tooltip || inherited.Tooltip};
            if (typeof layer.getLayers === 'function') {
                layer.getLayers().forEach((child) => walk(child, here));
            } else {
                for (const kind of ['Popup', 'Tooltip']) {
                    if (here[kind]) { bindings.push([layer, kind, here[kind]]); }
                }
            }
        };
        map.eachLayer((layer) => walk(layer, {}));
        for (const [layer, kind, binding] of bindings.slice(0, limit)) {
            let content = binding._content;
            if (typeof content === 'function') { content = content(layer); }
            if (content === undefined || content === null) { continue; }
            const shown = kind === 'Popup' ? L.popup() : L.tooltip();
            shown.setLatLng(map.getCenter()).setContent(content).openOn(map);
            const element = shown.getElement();
            texts.push(element ? element.textContent : '');
            shown.remove();
        }
    }
    return texts;
}"""
"""Opens up to ``limit`` popups and tooltips per map; returns their texts."""
