"""Benchmark: a retailer import on PostgreSQL by ``COPY`` against row ``INSERT``s.

Prints one JSON line. N generated retailers of one county (a 2 x 2 degree square) are
imported into a scratch PostgreSQL database twice per write path: first as new rows (insert),
then again with every name changed (update). The row-INSERT path is the one SQLite uses
(executemany of bulk INSERT/UPDATE in 5,000-row chunks); the COPY path is
:mod:`gridmgmt.store.bulk`. Reading and validating the file is the same for both and timed
apart (``read_validate_s``), so ``speedup`` compares the write phase and the whole import.

Usage::

    uv run python bench/copy_import.py --db postgresql+psycopg://postgres@127.0.0.1/postgres
    uv run python bench/copy_import.py --quick --db ...     # 20,000 rows instead of 300,000

The given database is only used to create (and drop) a scratch database beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from unittest import mock

import numpy as np
from shapely.geometry import box, mapping
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gridmgmt.services import imports
from gridmgmt.services.actor import SYSTEM
from gridmgmt.store import bulk, db

COUNTY = "150924"
SCRATCH = "gridmgmt_bench_copy"


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A fresh migrated database beside ``url``'s, dropped afterwards."""
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {SCRATCH}"))
    scratch = make_url(url).set(database=SCRATCH).render_as_string(hide_password=False)
    with create_engine(scratch).begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    db.upgrade(scratch)
    try:
        yield scratch
    finally:
        db.dispose_engine(scratch)
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"))
        admin.dispose()


def write_files(folder: Path, n: int, seed: int) -> tuple[Path, Path, Path]:
    """The county, N retailers, and the same N with every name changed."""
    counties = folder / "counties.geojson"
    feature = {
        "type": "Feature",
        "properties": {
            "code": COUNTY,
            "name": "兴和县",
            "province": "内蒙古自治区",
            "city": "乌兰察布市",
        },
        "geometry": mapping(box(112.0, 40.0, 114.0, 42.0)),
    }
    counties.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False),
        encoding="utf-8",
    )
    rng = np.random.default_rng(seed)
    lon = rng.uniform(112.01, 113.99, n)
    lat = rng.uniform(40.01, 41.99, n)
    header = "licence_no,name,address,county_code,lon,lat,tier,business_type,status,phone\n"
    paths = []
    for suffix, label in (("a", "便利店"), ("b", "商店")):
        path = folder / f"retailers_{suffix}.csv"
        with path.open("w", encoding="utf-8") as out:
            out.write(header)
            for i in range(n):
                phone = f"1380000{i % 10000:04d}"
                out.write(
                    f"{COUNTY}{i:06d},第{i}号{label},城关镇人民路{i}号,{COUNTY},"
                    f"{lon[i]:.6f},{lat[i]:.6f},{i % 30 + 1},convenience,active,{phone}\n"
                )
        paths.append(path)
    return counties, paths[0], paths[1]


def timed_import(url: str, path: Path, *, use_copy: bool) -> dict[str, float]:
    """One import; the write phase timed apart from reading and validating."""
    spent: dict[str, float] = {"write_s": 0.0}
    original_write = imports._write

    def write(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        original_write(*args, **kwargs)
        spent["write_s"] += time.perf_counter() - started

    started = time.perf_counter()
    with (
        mock.patch.object(imports, "_write", write),
        mock.patch.object(bulk, "supports_copy", return_value=use_copy),
        db.transaction(url) as session,
    ):
        imports.import_file(session, SYSTEM, "retailers", path)
    total = time.perf_counter() - started
    return {"total_s": round(total, 2), "write_s": round(spent["write_s"], 2)}


def run(url: str, n: int, seed: int) -> dict[str, Any]:
    result: dict[str, Any] = {"bench": "copy_import", "retailers": n, "cpus": os.cpu_count()}
    with TemporaryDirectory() as tmp:
        counties, first, second = write_files(Path(tmp), n, seed)
        for name, use_copy in (("insert", False), ("copy", True)):
            with scratch_database(url) as scratch:
                with db.transaction(scratch) as session:
                    imports.import_file(session, SYSTEM, "counties", counties)
                result[name] = {
                    "new": timed_import(scratch, first, use_copy=use_copy),
                    "changed": timed_import(scratch, second, use_copy=use_copy),
                }
    for phase in ("new", "changed"):
        for measure in ("total_s", "write_s"):
            slow, fast = result["insert"][phase][measure], result["copy"][phase][measure]
            result.setdefault("speedup", {})[f"{phase}_{measure[:-2]}"] = (
                round(slow / fast, 2) if fast else None
            )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("GRIDMGMT_TEST_DATABASE_URL"))
    parser.add_argument("--n", type=int, default=None, help="retailers (default 300,000)")
    parser.add_argument("--quick", action="store_true", help="20,000 retailers")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not args.db:
        parser.error("a PostgreSQL URL is needed: --db or GRIDMGMT_TEST_DATABASE_URL")
    n = args.n or (20_000 if args.quick else 300_000)
    print(json.dumps(run(db.normalise_url(args.db), n, args.seed), ensure_ascii=False))


if __name__ == "__main__":
    main()
