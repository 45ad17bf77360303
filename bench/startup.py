"""Benchmark of the everyday path: CLI start-up, small imports and the demo, end to end.

Runs each case several times in fresh processes (the ``gridmgmt`` console script beside this
interpreter, no ``uv run`` in between) and prints ONE JSON line: the median wall seconds of
each case, its ratio to ``python -c pass``, and where the demo's time goes (median seconds
per demo part, wall and CPU, from the ``summary.json`` the demo writes).

Cases:

- ``python -c pass``: the interpreter alone, the yardstick;
- ``gridmgmt --help`` and ``gridmgmt COMMAND --help`` for every root command;
- ``import retailers (2 rows)``: two retailers into a fresh SQLite file (counties there);
- ``import cases (demo)``: the demo's case file into a fresh SQLite file (counties there);
- ``gridmgmt demo``: the whole demo into a fresh folder (``--quick`` leaves it out).

Each case runs once before it is measured (Python writes its bytecode cache, numba its
compiled kernels: "after the first install"). ``PYTHONDONTWRITEBYTECODE`` is removed from the
children's environment unless ``--keep-env`` is given, since without a bytecode cache every
start compiles every module from source, which no installed copy does.

Usage::

    uv run python bench/startup.py            # 5 runs each, the demo 3 times
    uv run python bench/startup.py --quick    # without the demo
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo"
TWO_RETAILERS = (
    "licence_no,name,county_code,tier,business_type,status,lon,lat\n"
    "150924199901,兴和县测试烟酒店,150924,3,tobacco_liquor,active,113.8345,40.8723\n"
    "150924199902,兴和县测试便利店,150924,5,convenience,active,113.8412,40.8690\n"
)


def machine() -> dict[str, Any]:
    """Cores available and load, so contended runs can be read for what they are."""
    return {
        "cores": len(os.sched_getaffinity(0)),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def child_env(keep: bool) -> dict[str, str]:
    env = dict(os.environ)
    if not keep:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("GRIDMGMT_DATABASE_URL", None)
    return env


def gridmgmt() -> str:
    """The console script installed beside this interpreter."""
    script = Path(sys.executable).parent / "gridmgmt"
    if not script.exists():
        msg = f"{script} not found; run this with the project's environment (uv run python ...)"
        raise SystemExit(msg)
    return str(script)


def timed(command: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        msg = f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}"
        raise SystemExit(msg)
    return seconds


def measure(
    runs: int, prepare: Callable[[int], list[str]], env: dict[str, str], cwd: Path
) -> list[float]:
    """Wall seconds of ``runs`` runs after one warm-up; ``prepare(i)`` gives run i's command."""
    timed(prepare(-1), env, cwd)
    return [timed(prepare(i), env, cwd) for i in range(runs)]


def template_db(work: Path, env: dict[str, str]) -> Path:
    """A migrated SQLite file holding the demo counties (copied fresh for each import run)."""
    path = work / "template.db"
    subprocess.run(
        [
            gridmgmt(),
            "--db",
            f"sqlite:///{path}",
            "import",
            "counties",
            str(DEMO / "counties.geojson"),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return path


def fresh_db(template: Path, work: Path, name: str, run: int) -> str:
    path = work / f"{name}-{run + 1}.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def median_parts(summaries: list[dict[str, Any]], key: str) -> dict[str, float]:
    parts: dict[str, list[float]] = {}
    for summary in summaries:
        for name, seconds in summary.get(key, {}).items():
            parts.setdefault(name, []).append(float(seconds))
    return {name: round(statistics.median(values), 2) for name, values in parts.items()}


def bench_demo(runs: int, env: dict[str, str], work: Path) -> dict[str, Any]:
    """The demo end to end, each run into a fresh folder; its parts from summary.json."""
    seconds, summaries = [], []
    for run in range(-1, runs):
        out = work / f"demo-{run + 1}"
        wall = timed([gridmgmt(), "demo", "--out", str(out)], env, work)
        if run >= 0:
            seconds.append(wall)
            summaries.append(json.loads((out / "summary.json").read_text(encoding="utf-8")))
    counts = summaries[-1]["counts"]
    return {
        "seconds": [round(s, 2) for s in seconds],
        "median_s": round(statistics.median(seconds), 2),
        "parts_wall_s": median_parts(summaries, "timings_s"),
        "parts_cpu_s": median_parts(summaries, "cpu_s"),
        "route_km": counts.get("route_km"),
        "baseline_km": counts.get("baseline_km"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per case")
    parser.add_argument("--demo-runs", type=int, default=3, help="measured runs of the demo")
    parser.add_argument("--quick", action="store_true", help="leave the demo out")
    parser.add_argument(
        "--keep-env", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if set"
    )
    args = parser.parse_args()
    from gridmgmt.cli.commands import COMMANDS

    env = child_env(args.keep_env)
    before = machine()
    cases: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="gridmgmt-bench-") as folder:
        work = Path(folder)
        two = work / "two-retailers.csv"
        two.write_text(TWO_RETAILERS, encoding="utf-8")
        cases["python -c pass"] = measure(
            args.runs, lambda _i: [sys.executable, "-c", "pass"], env, work
        )
        cases["gridmgmt --help"] = measure(args.runs, lambda _i: [gridmgmt(), "--help"], env, work)
        for source in COMMANDS:
            command = [gridmgmt(), source.name, "--help"]
            cases[f"gridmgmt {source.name} --help"] = measure(
                args.runs, lambda _i, command=command: command, env, work
            )
        template = template_db(work, env)
        cases["import retailers (2 rows)"] = measure(
            args.runs,
            lambda i: [
                gridmgmt(),
                "--db",
                fresh_db(template, work, "retailers", i),
                "import",
                "retailers",
                str(two),
            ],
            env,
            work,
        )
        cases["import cases (demo)"] = measure(
            args.runs,
            lambda i: [
                gridmgmt(),
                "--db",
                fresh_db(template, work, "cases", i),
                "import",
                "cases",
                str(DEMO / "cases.json"),
            ],
            env,
            work,
        )
        demo = None if args.quick else bench_demo(args.demo_runs, env, work)
    base = statistics.median(cases["python -c pass"])
    medians = {name: round(statistics.median(values), 3) for name, values in cases.items()}
    helps = [v for k, v in medians.items() if k.endswith("--help")]
    record: dict[str, Any] = {
        "bench": "startup",
        "runs": args.runs,
        "bytecode_cache": "PYTHONDONTWRITEBYTECODE" not in env,
        "machine_before": before,
        "machine_after": machine(),
        "median_s": medians,
        "ratio_to_python": {name: round(value / base, 1) for name, value in medians.items()},
        "slowest_help_s": max(helps),
    }
    if demo is not None:
        demo["ratio_to_python"] = round(demo["median_s"] / base, 1)
        record["demo"] = demo
    print(json.dumps(record, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
