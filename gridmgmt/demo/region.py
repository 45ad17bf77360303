"""The demo region's files, loaded through the users' import path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gridmgmt.errors import NotFoundError
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.imports import ImportReport, import_file
from gridmgmt.store import db

__all__ = ["DEMO_FILES", "DemoStep", "demo_file", "load_demo_data"]

# File, kind and coordinate system of each demo file, in dependency order.
DEMO_FILES: tuple[tuple[str, str, str], ...] = (
    ("counties.geojson", "counties", "wgs84"),
    ("schools.csv", "schools", "wgs84"),
    ("schools_campus.geojson", "schools", "wgs84"),
    ("checkpoints.csv", "checkpoints", "wgs84"),
    ("depots.csv", "depots", "wgs84"),
    ("vehicles.csv", "vehicles", "wgs84"),
    ("retailers.csv", "retailers", "gcj02"),
    ("orders.csv", "orders", "wgs84"),
    ("staff.csv", "staff", "wgs84"),
)


@dataclass(frozen=True)
class DemoStep:
    """One demo file imported."""

    file: str
    report: ImportReport


def demo_file(folder: Path, name: str, *, generator: str = "generate_demo.py") -> Path:
    """The path of a demo file, which must exist.

    Raises
    ------
    NotFoundError
        If the file is missing (the message says how to regenerate it).
    """
    path = folder / name
    if not path.exists():
        msg = f"demo file {path} is missing; regenerate it: uv run python data/{generator}"
        raise NotFoundError("demo file", path, message=msg)
    return path


def load_demo_data(
    url: str, demo_dir: Path, *, on_step: Callable[[str], None] | None = None
) -> list[DemoStep]:
    """Import every demo file from ``demo_dir`` into the database at ``url``.

    Uses the ordinary importer; re-running is harmless: imports are upserts, so a second run
    reports everything unchanged.
    """
    steps = []
    for name, kind, crs in DEMO_FILES:
        path = demo_file(demo_dir, name)
        if on_step is not None:
            on_step(f"import {kind} from {name}")
        with db.transaction(url) as session:
            steps.append(DemoStep(name, import_file(session, SYSTEM, kind, path, crs=crs)))
    return steps
