"""The embedded demo region: load it through the users' import path and run every engine."""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gridmgmt.config import get_settings
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.frames import load_frame
from gridmgmt.services.imports import ImportReport, import_file
from gridmgmt.store.db import session_factory

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


def load_demo_data(
    url: str,
    *,
    demo_dir: Path | None = None,
    on_step: Callable[[str], None] | None = None,
) -> list[DemoStep]:
    """Import every demo file into the database at ``url`` with the ordinary importer.

    Re-running is harmless: imports are upserts, so a second run reports everything unchanged.
    """
    folder = demo_dir or get_settings().demo_dir
    steps = []
    for name, kind, crs in DEMO_FILES:
        path = folder / name
        if not path.exists():
            msg = f"demo file {path} is missing; regenerate it: uv run python data/generate_demo.py"
            raise FileNotFoundError(msg)
        if on_step is not None:
            on_step(f"import {kind} from {name}")
        with session_factory(url).begin() as session:
            steps.append(DemoStep(name, import_file(session, SYSTEM, kind, path, crs=crs)))
    return steps


@dataclass
class DemoSummary:
    """What the demo did: imports, engine results and the files it wrote."""

    imports: list[DemoStep]
    counts: dict[str, int]
    files: list[Path]

    def lines(self) -> list[str]:
        """A short human summary, one line per fact."""
        lines = [
            f"{step.report.kind:<12} {step.file:<24} {step.report.inserted} inserted, "
            f"{step.report.updated} updated, {step.report.unchanged} unchanged"
            for step in self.imports
        ]
        lines += [f"{name}: {value}" for name, value in self.counts.items()]
        return lines

    def as_dict(self) -> dict[str, object]:
        """The summary as plain JSON-ready data."""
        return {
            "imports": [
                {"file": step.file, **dataclasses.asdict(step.report)} for step in self.imports
            ],
            "counts": self.counts,
            "files": [str(path) for path in self.files],
        }


def _write_summary(summary: DemoSummary, out_dir: Path) -> list[Path]:
    json_path = out_dir / "summary.json"
    md_path = out_dir / "summary.md"
    summary.files += [json_path, md_path]
    json_path.write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2) + "\n")
    body = ["# gridmgmt demo summary", "", "## Imports", ""]
    body += [f"- {line}" for line in summary.lines()]
    body += ["", "## Files", ""] + [f"- {path.name}" for path in summary.files]
    md_path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return [json_path, md_path]


# Engine demo steps, run in order after the import: (label, module, function). Each function
# takes (url, out_dir) and returns (counts by name, files written).
ENGINE_STEPS: tuple[tuple[str, str, str], ...] = (
    ("grids: design, staff, responsibility sheets, map", "gridmgmt.services.grids", "demo"),
    (
        "rules: red lines, spacing, border markets, outflow, checkpoints, inspections",
        "gridmgmt.services.rules.demo",
        "demo",
    ),
    ("routes: plan a day for every depot, manifests", "gridmgmt.services.routes.demo", "demo"),
    ("cases: import, link networks, merge suggestions", "gridmgmt.services.cases.demo", "demo"),
)


def run_demo(
    url: str, out_dir: Path, *, on_step: Callable[[str], None] | None = None
) -> DemoSummary:
    """Load the demo region into ``url``, run every engine and write maps and a summary.

    Parameters
    ----------
    url
        Database URL (migrated).
    out_dir
        Folder for the maps (HTML with their assets under ``static/``) and the summary.
    on_step
        Called with a short text before each step, for progress display.
    """
    from maps.assets import write_map
    from maps.overview import build_overview_map

    def step(text: str) -> None:
        if on_step is not None:
            on_step(text)

    settings = get_settings()
    imports = load_demo_data(url, on_step=on_step)
    with session_factory(url)() as session:
        frames = {
            kind: load_frame(session, kind, SYSTEM)
            for kind in ("counties", "retailers", "schools", "checkpoints", "orders", "staff")
        }
    summary = DemoSummary(
        imports=imports,
        counts={f"{kind}": len(frame) for kind, frame in frames.items()},
        files=[],
    )
    step("write the overview map")
    overview = build_overview_map(
        frames["counties"],
        frames["retailers"],
        frames["schools"],
        frames["checkpoints"],
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_crs=settings.tile_crs,
    )
    summary.files.append(write_map(overview, out_dir / "overview.html"))
    for label, module_name, function_name in ENGINE_STEPS:
        step(label)
        run = getattr(importlib.import_module(module_name), function_name)
        counts, files = run(url, out_dir)
        summary.counts.update(counts)
        summary.files.extend(files)
    _write_summary(summary, out_dir)
    return summary
