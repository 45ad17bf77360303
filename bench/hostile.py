"""Benchmark of hostile input: how fast and in how much memory garbage is refused.

Prints one JSON line. On a fresh SQLite file with the demo region's counties imported, it
imports (through the real import service) a CSV of N rows of garbage (every cell wrong) and
a CSV whose header line is 50 MB, and reports for each the seconds until the refusal, the
problems found and listed, and the process's peak resident memory (``peak_mb``, which
includes about 250 MB of loaded libraries; ``baseline_mb`` is the peak before the first
hostile file).

Usage::

    uv run python bench/hostile.py               # N = 200,000
    uv run python bench/hostile.py --rows 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from gridmgmt.config import get_settings
from gridmgmt.demo.region import demo_file
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.imports import ImportValidationError, import_file
from gridmgmt.store import db

HEADER = "licence_no,name,address,county_code,lon,lat,tier,business_type,status"
HEADER_MB = 50


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _garbage(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            out.write(f"x{n},\x01<b>,zz,99,abc,NaN,foo,bar,baz\n")
    return path


def _wide_header(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("a," * (HEADER_MB * 1024 * 1024 // 2) + "\n1\n")
    return path


def _refuse(url: str, path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with db.transaction(url) as session:
            import_file(session, SYSTEM, "retailers", path)
    except ImportValidationError as error:
        seconds = time.perf_counter() - started
        return {
            "refused_s": round(seconds, 2),
            "problems_total": error.total,
            "problems_listed": len(error.problems),
            "peak_mb": _peak_mb(),
        }
    msg = f"{path.name} was imported; it should have been refused"
    raise AssertionError(msg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="garbage rows")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gridmgmt-hostile-") as folder:
        root = Path(folder)
        url = f"sqlite:///{root / 'bench.db'}"
        db.upgrade(url)
        counties = demo_file(get_settings().demo_dir, "counties.geojson")
        with db.transaction(url) as session:
            import_file(session, SYSTEM, "counties", counties)
        garbage = _garbage(root / "garbage.csv", args.rows)
        wide = _wide_header(root / "wide.csv")
        baseline = _peak_mb()
        result = {
            "rows": args.rows,
            "baseline_mb": baseline,
            "garbage": _refuse(url, garbage),
            "header_50mb": _refuse(url, wide),
        }
        db.dispose_engine(url)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
