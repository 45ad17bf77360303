"""Benchmark: a province's batch work on Dask, on 1 and on 2 worker processes.

Builds the generated province (:mod:`bench.province_region`) into the PostgreSQL database of
``--url`` through the real import, or reuses it when the database already holds it, then runs
``gridmgmt batch run``'s work (:mod:`gridmgmt.services.batch`: a grid design per county, a
delivery day and a week per depot, the case-link graph) on a local Dask cluster of 1 worker
process and of 2, emptying the results between (grids, route plans, resolved entity ids),
so both runs do the same work. Prints one JSON line: the wall seconds on 1 and 2 workers,
their ratio, and per part and run the task count, total and largest seconds.

Usage::

    uv run python bench/province.py --url postgresql+psycopg://postgres@127.0.0.1/province
    uv run python bench/province.py --url ... --quick        # about 2 minutes
    uv run python bench/province.py --url ... --scale 0.1    # 6 counties, 30,000 retailers

The database must be empty (with PostGIS) or hold the same region from an earlier run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from province_region import RegionSize, add_size_options, generate, load, size_of  # bench/
from sqlalchemy import delete, func, select, update

from gridmgmt.cli.batch import dask_client
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.batch import BatchOptions, BatchReport, batch_tasks, run_batch
from gridmgmt.store import db
from gridmgmt.store.models import County, Retailer
from gridmgmt.store.models.cases import CaseMentionRecord
from gridmgmt.store.models.grids import GridRecord, RetailerGrid, StaffGrid
from gridmgmt.store.models.routes import RoutePlanRecord

QUICK_TIME_LIMIT_S = 1.0
TIME_LIMIT_S = 5.0


def log(message: str) -> None:
    print(f"[province] {message}", file=sys.stderr, flush=True)


def _stored(url: str) -> tuple[int, int]:
    with db.transaction(url) as session:
        counties = int(session.scalar(select(func.count()).select_from(County)) or 0)
        retailers = int(session.scalar(select(func.count()).select_from(Retailer)) or 0)
    return counties, retailers


def ensure_region(url: str, folder: Path, size: RegionSize, seed: int) -> dict[str, Any]:
    """The region's files in ``folder`` and its rows in the database (imported when empty)."""
    db.upgrade(url)
    started = time.perf_counter()
    written = generate(folder, size, seed)
    figures: dict[str, Any] = {**written, "generate_s": round(time.perf_counter() - started, 1)}
    stored = _stored(url)
    if stored == (0, 0):
        log(f"importing {written['retailers']:,} retailers, {written['mentions']:,} mentions")
        figures["import_s"] = load(url, folder)
    elif stored != (written["counties"], written["retailers"]):
        msg = (
            f"the database holds {stored[0]} counties and {stored[1]} retailers, not this "
            f"region's {written['counties']} and {written['retailers']}: give an empty database"
        )
        raise SystemExit(msg)
    else:
        log("reusing the region already imported")
    return figures


def reset_results(url: str) -> None:
    """Forget what a batch stores: grids and assignments, route plans, resolved entities."""
    with db.transaction(url) as session:
        for model in (StaffGrid, RetailerGrid, GridRecord, RoutePlanRecord):
            session.execute(delete(model))
        session.execute(update(CaseMentionRecord).values(entity_id=None))


def run(url: str, options: BatchOptions, workers: int) -> BatchReport:
    reset_results(url)
    with db.transaction(url) as session:
        tasks = batch_tasks(session, SYSTEM, options)
    log(f"{len(tasks)} tasks on {workers} worker(s)")
    with dask_client(None, workers) as client:
        return run_batch(url, SYSTEM, tasks, options, client)


def breakdown(report: BatchReport) -> dict[str, Any]:
    """Wall seconds, failures, per part count/total/max, the five slowest tasks."""
    slowest = sorted(report.outcomes, key=lambda o: -o.seconds)[:5]
    return {
        "wall_s": round(report.wall_seconds, 1),
        "failed": [f"{o.task.key}: {o.message}" for o in report.failed],
        "by_part": {part.value: t.to_json() for part, t in report.by_part().items()},
        "slowest": {o.task.key: round(o.seconds, 2) for o in slowest},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True, help="PostgreSQL+PostGIS database URL")
    parser.add_argument("--region", type=Path, help="folder for the region's files (temporary)")
    parser.add_argument("--time-limit", type=float, help="solver seconds per solve")
    parser.add_argument("--retailers-per-grid", type=int, default=120)
    add_size_options(parser)
    args = parser.parse_args()
    size = size_of(args)
    limit = args.time_limit or (QUICK_TIME_LIMIT_S if args.quick else TIME_LIMIT_S)
    with tempfile.TemporaryDirectory(prefix="province-") as scratch:
        folder = args.region or Path(scratch)
        region = ensure_region(args.url, folder, size, args.seed)
        options = BatchOptions(
            time_limit=limit,
            retailers_per_grid=args.retailers_per_grid,
            roads=folder / "roads.osm",
            seed=args.seed,
        )
        runs = {workers: run(args.url, options, workers) for workers in (1, 2)}
    one, two = runs[1].wall_seconds, runs[2].wall_seconds
    figures = {
        "bench": "province",
        "quick": args.quick,
        "scale": 1.0 if args.quick else args.scale,
        "region": region,
        "time_limit_s": limit,
        "cores": len(os.sched_getaffinity(0)),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "wall_s_1_worker": round(one, 1),
        "wall_s_2_workers": round(two, 1),
        "speedup_2_over_1": round(one / two, 2) if two else None,
        "runs": {str(workers): breakdown(report) for workers, report in runs.items()},
    }
    print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
