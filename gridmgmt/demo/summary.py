"""What the demo did, as lines for the terminal and as ``summary.json`` / ``summary.md``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gridmgmt.demo._common import write_json
from gridmgmt.demo.region import DemoStep

__all__ = ["DemoSummary", "write_summary"]


@dataclass
class DemoSummary:
    """What the demo did: imports, engine results, the files it wrote and where time went.

    Attributes
    ----------
    imports
        One entry per demo file imported.
    counts
        What the engines found, by name.
    files
        Every file written, in order.
    timings
        Wall seconds per part, in the order they ran.
    cpu
        CPU seconds per part, of the process that ran it (a part waiting for workers
        counts little here; the workers' parts count their own).
    """

    imports: list[DemoStep] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Record the wall and CPU seconds of the block as the part's."""
        started, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.timings[step] = round(time.perf_counter() - started, 3)
            self.cpu[step] = round(time.process_time() - cpu, 3)

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
            "timings_s": self.timings,
            "cpu_s": self.cpu,
        }


def _relative(path: Path, out_dir: Path) -> str:
    """The file's path from the output folder (its folders shown), POSIX style."""
    try:
        return path.resolve().relative_to(out_dir.resolve()).as_posix()
    except ValueError:  # written outside the output folder: the whole path
        return path.as_posix()


def write_summary(summary: DemoSummary, out_dir: Path) -> list[Path]:
    """Write ``summary.json`` and ``summary.md`` into ``out_dir`` and list them in the summary.

    ``summary.md`` lists each file with its folders, relative to ``out_dir``
    (``routes/D150924-2026-11-16.xlsx``).

        The JSON carries the step timings as they stand when it is written (the summary step
        itself is timed by the caller and not in the file).
    """
    json_path = out_dir / "summary.json"
    md_path = out_dir / "summary.md"
    summary.files += [json_path, md_path]
    write_json(json_path, summary.as_dict())
    body = ["# gridmgmt demo summary", "", "## Imports", ""]
    body += [f"- {line}" for line in summary.lines()]
    body += ["", "## Files", "", f"In `{out_dir}/`:", ""]
    body += [f"- `{_relative(path, out_dir)}`" for path in summary.files]
    md_path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return [json_path, md_path]
