"""Static files: Leaflet and its plugins and the API docs' scripts (from installed
packages), and the web shell's own stylesheet and script (``api/static_files``).

Nothing is fetched from a CDN: bureaus run on intranets with no internet access.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from maps.assets import ASSET_DIRS

STATIC_URL = "/static"
DOCS_URL = f"{STATIC_URL}/docs"
# Swagger UI and ReDoc bundles shipped by the fastapi-offline package.
DOCS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
APP_URL = f"{STATIC_URL}/app"
APP_DIR = Path(__file__).resolve().parent / "static_files"


def mount_static(app: FastAPI) -> None:
    """Serve map assets under ``/static/<prefix>/``, the docs' under ``/static/docs/``, and
    the shell's under ``/static/app/``.

    The prefixes are those of :data:`maps.assets.ASSET_DIRS`, which is also what map pages
    link to, so a plugin registered there is served without further changes.
    """
    for prefix, directory in ASSET_DIRS.items():
        app.mount(
            f"{STATIC_URL}/{prefix}", StaticFiles(directory=directory), name=f"static-{prefix}"
        )
    app.mount(DOCS_URL, StaticFiles(directory=DOCS_DIR), name="static-docs")
    app.mount(APP_URL, StaticFiles(directory=APP_DIR), name="static-app")
