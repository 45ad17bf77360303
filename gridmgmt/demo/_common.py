"""What every demo step shares: the run's context, its result type and small writers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gridmgmt.config import Settings

ROADS_FILE = "roads.osm"
"""The demo region's road network, in the demo folder."""


@dataclass(frozen=True)
class DemoRun:
    """One run of the demo: the database, the output folder and the face's settings.

    Attributes
    ----------
    url
        Database URL, migrated.
    out_dir
        Folder for maps, lists and the summary.
    settings
        The settings the face passed down (demo folder, tiles); the demo reads no others.
    """

    url: str
    out_dir: Path
    settings: Settings

    @property
    def demo_dir(self) -> Path:
        """Folder with the demo region's files."""
        return self.settings.demo_dir

    @property
    def roads(self) -> Path:
        """The demo region's road network (routes and walking distances)."""
        return self.demo_dir / ROADS_FILE

    def tiles(self) -> dict[str, Any]:
        """The tile options every map builder takes."""
        return {
            "tile_url": self.settings.tile_url,
            "tile_attribution": self.settings.tile_attribution,
            "tile_crs": self.settings.tile_crs,
        }

    def folder(self, name: str) -> Path:
        """A sub-folder of the output, created."""
        path = self.out_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass
class StepResult:
    """What one demo step found (counts by name, for the summary) and the files it wrote."""

    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented UTF-8 JSON (Chinese kept readable) and return the path."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
