"""Load benchmark: the web app under 20 concurrent users, on SQLite and PostgreSQL, 1 and 2
app workers (locust, headless, on loopback).

For each backend and number of workers it starts the real server (``gridmgmt --db URL serve
--workers N`` on a free loopback port) over the demo database, logs in as the demo users
(officers of every county, the liaison, the dispatcher) and runs a realistic mix for a
bounded time:

- ``map_data``: the officer map's data (``GET /api/v1/officer/map``: a county's grids,
  retailers, schools, checkpoints), and ``map_layer``: one of its rule layers (red lines,
  spacing breaches, border bands; ``GET /api/v1/officer/layers/{layer}``);
- ``grid_locate``: which grid is this point in (``GET /api/v1/grids/locate``), and
  ``grid_outlines``: a county's grids (``GET /api/v1/grids/{county}``);
- ``licence_check``: can a retailer be licensed here (``GET /api/v1/rules/check-licence``)
  at a point near the county's shops;
- ``retailer_search``: a page of retailers by county and status (``GET /api/v1/retailers``);
- ``case_list`` and ``case_read``: cases (``GET /api/v1/cases``, ``/api/v1/cases/{no}``);
- now and then a route plan as the API does it, a job: ``route_plan_submit``
  (``POST /api/v1/routes/jobs/plan``), ``job_poll`` (``GET /api/v1/jobs/{id}``) and
  ``route_plan_job`` (submit to finished).

Each user waits a think time between requests (``--think-s``, mean; 0 for none). A
warm-up (``--warmup-s``) runs first and is not counted. Prints ONE JSON line: per
(backend, workers) and request kind the requests, throughput, p50, p99 and errors, and
whether the goals hold (licence check p99 < 50 ms, map data p99 < 300 ms); the ratios of 2
workers to 1 and of PostgreSQL to SQLite compare the configurations of the same run.

The demo is built with ``gridmgmt demo`` into a temporary folder unless ``--demo DIR``
names one already built (its SQLite file is copied: the route plans of the run write).
PostgreSQL runs when ``--pg-url`` is given (a database with PostGIS; the demo is built into
it unless it holds one).

Usage::

    uv run python bench/load.py [--demo demo-out] [--pg-url postgresql://...] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final

import gevent
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.event import Events
from locust.stats import StatsEntry

DEMO_DB: Final = "gridmgmt-demo.db"
DEMO_PASSWORD: Final = "gridmgmt-demo-2026"  # the README's: the demo on loopback
LICENCE_CHECK: Final = "licence_check"
MAP_KINDS: Final = ("map_data", "map_layer")
GOALS_MS: Final = {LICENCE_CHECK: ("p99_ms", 50.0), **dict.fromkeys(MAP_KINDS, ("p99_ms", 300.0))}
"""Goal per request kind: the figure and its bound (at 20 users)."""
LAYERS: Final = ("red_lines", "spacing", "borders")
JOB_DONE: Final = {"succeeded", "failed", "cancelled"}
JITTER_DEG: Final = 0.003  # about 300 m: a spot near a shop, not the shop itself


def gridmgmt() -> str:
    """The console script installed beside this interpreter."""
    script = Path(sys.executable).parent / "gridmgmt"
    if not script.exists():
        msg = f"{script} not found; run this with the project's environment (uv run python ...)"
        raise SystemExit(msg)
    return str(script)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GRIDMGMT_DATABASE_URL"}
    env.setdefault("GRIDMGMT_LOG_LEVEL", "WARNING")  # no access line per request
    return env


# --- the demo database ----------------------------------------------------------------------


def sqlite_demo(demo: Path | None, folder: Path) -> str:
    """A SQLite copy of a built demo (``demo``), or a demo built into ``folder``."""
    target = folder / "sqlite-demo"
    if demo is not None and (demo / DEMO_DB).exists():
        target.mkdir()
        with (
            closing(sqlite3.connect(demo / DEMO_DB)) as source,
            closing(sqlite3.connect(target / DEMO_DB)) as copy,
        ):
            source.backup(copy)  # online: the demo may be served meanwhile
    else:
        build_demo(None, target)
    return f"sqlite:///{(target / DEMO_DB).resolve()}"


def build_demo(url: str | None, out: Path) -> None:
    """``gridmgmt demo`` into ``url`` (else a SQLite file in ``out``)."""
    command = [gridmgmt(), *(["--db", url] if url else []), "demo", "--out", str(out)]
    done = subprocess.run(command, env=child_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(
            f"`{' '.join(command)}` failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )


def postgres_demo(url: str, folder: Path) -> str:
    """The PostgreSQL database at ``url``, holding the demo (built into it when it does not)."""
    from gridmgmt.demo import is_built
    from gridmgmt.store import db

    db.upgrade(url)
    if not is_built(url):
        build_demo(url, folder / "pg-demo")
    db.dispose_engine(url)
    return url


def demo_logins(url: str) -> None:
    """Migrate the database (a demo built by older code), then give the demo users their
    counties and the README's password (a demo served on a network address has random
    ones)."""
    from gridmgmt.demo.users import make_users
    from gridmgmt.store import db

    db.upgrade(url)
    make_users(url, password=DEMO_PASSWORD)
    db.dispose_engine(url)


# --- the server -----------------------------------------------------------------------------


@dataclass
class Server:
    """A ``gridmgmt serve`` process on a loopback port."""

    url: str
    workers: int
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, limit_s: float = 300) -> None:
        command = [gridmgmt(), "--db", self.url, "serve", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                env=child_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        while time.monotonic() - started < limit_s:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"the server exited; see {self.log}:\n{self.log.read_text()[-3000:]}"
                )
            if http_status(self.port, "/api/v1/health") == 200:
                return
            time.sleep(0.3)
        raise SystemExit(f"the server did not answer within {limit_s} s; see {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextmanager
def serving(url: str, workers: int, log: Path) -> Iterator[Server]:
    server = Server(url, workers, log)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def http_status(port: int, path: str) -> int:
    """The status of a GET on loopback (0 when nothing answers): plain HTTP/1.0 over a
    socket, so nothing but the load generator speaks HTTP here."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
            first = connection.recv(64).decode("latin-1")
    except OSError:
        return 0
    parts = first.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


# --- what the users ask about ---------------------------------------------------------------


@dataclass
class World:
    """What the simulated users ask about, read from the demo through the API."""

    tokens: dict[str, str]  # username -> bearer token
    officers: dict[str, str]  # username -> county
    points: dict[str, list[tuple[float, float]]]  # county -> retailer positions
    cases: list[str]
    depot: str
    dates: list[str]
    plan_time_limit_s: float
    plan_every_s: float


def discover(base: str, url: str, plan_time_limit_s: float, plan_every_s: float) -> World:
    """Log the demo users in and read counties, retailer positions, cases and the
    dispatcher's depot and order dates."""
    from sqlalchemy import text

    from gridmgmt.store import db

    client = Client(base)
    tokens, officers = {}, {}
    for name in ("admin", "liaison", "dispatcher"):
        tokens[name] = client.login(name)
    for county in client.get("/api/v1/counties", tokens["admin"]):
        name = f"officer{county['code']}"
        tokens[name] = client.login(name)
        officers[name] = county["code"]
        if county["code"] not in client.get("/api/v1/auth/me", tokens[name])["counties"]:
            raise SystemExit(f"{name} does not see county {county['code']}: is the demo intact?")
    points: dict[str, list[tuple[float, float]]] = {}
    for county in officers.values():
        page = client.get(f"/api/v1/retailers?county={county}&limit=1000", tokens["admin"])
        points[county] = [(r["lon"], r["lat"]) for r in page["items"]]
    cases = [
        c["case_no"] for c in client.get("/api/v1/cases?limit=200", tokens["liaison"])["items"]
    ]
    home = client.get("/api/v1/auth/me", tokens["dispatcher"])["counties"][0]
    with db.transaction(url) as session:
        depot = session.execute(
            text("SELECT code FROM depots WHERE county_code = :c ORDER BY code"), {"c": home}
        ).scalar_one()
        dates = [
            str(d)[:10]
            for d in session.execute(
                text("SELECT DISTINCT order_date FROM orders WHERE county_code = :c"), {"c": home}
            ).scalars()
        ]
    db.dispose_engine(url)
    if not (cases and dates and all(points.values())):
        raise SystemExit("the demo lacks cases, orders or retailers: is it built?")
    return World(
        tokens, officers, points, cases, depot, sorted(dates), plan_time_limit_s, plan_every_s
    )


class Client:
    """Blocking JSON calls for the set-up (locust's own client, outside any user)."""

    def __init__(self, base: str) -> None:
        from locust.contrib.fasthttp import FastHttpSession

        # Its own event hooks: the set-up's requests count in no run's figures.
        self.session = FastHttpSession(base, Events().request, user=None)

    def login(self, username: str) -> str:
        answer = self.session.post(
            "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        )
        if answer.status_code != 200:
            raise SystemExit(f"login of {username} answered {answer.status_code}: {answer.text}")
        return str(answer.json()["access_token"])

    def get(self, path: str, token: str) -> Any:
        answer = self.session.get(path, headers={"Authorization": f"Bearer {token}"})
        if answer.status_code != 200:
            raise SystemExit(
                f"GET {path} answered {answer.status_code}: {(answer.text or '')[:500]}"
            )
        return answer.json()


# --- the simulated users --------------------------------------------------------------------


class ApiUser(FastHttpUser):
    """A logged-in user of the demo (bearer token of one demo account)."""

    abstract = True
    world: ClassVar[World]
    think_s: ClassVar[float] = 1.0
    username: ClassVar[str] = ""

    def wait_time(self) -> float:
        return random.uniform(0, 2 * self.think_s)

    def on_start(self) -> None:
        self.account = self.pick_account()
        self.headers = {"Authorization": f"Bearer {self.world.tokens[self.account]}"}

    def pick_account(self) -> str:
        return self.username

    def call(
        self, method: str, path: str, kind: str, *, ok: tuple[int, ...] = (200,), **kw: Any
    ) -> Any:
        with self.client.request(
            method, path, name=kind, headers=self.headers, catch_response=True, **kw
        ) as answer:
            if answer.status_code in ok:
                answer.success()
                return answer.json() if answer.status_code < 300 else None
            answer.failure(f"{answer.status_code}: {(answer.text or '')[:200]}")
            return None

    def read_cases(self) -> None:
        """The newest cases, then one of them (404: a case another county did not share)."""
        self.call("GET", "/api/v1/cases?limit=20", "case_list")
        case = random.choice(self.world.cases)
        self.call("GET", f"/api/v1/cases/{case}", "case_read", ok=(200, 404))


class Officer(ApiUser):
    """An officer on the grids map: map data and layers, grid look-ups, licence checks,
    retailer search and case reads, in their county."""

    weight = 17

    def pick_account(self) -> str:
        return random.choice(sorted(self.world.officers))

    @property
    def county(self) -> str:
        return self.world.officers[self.account]

    def near_shop(self, jitter: float) -> tuple[float, float]:
        lon, lat = random.choice(self.world.points[self.county])
        return lon + random.uniform(-jitter, jitter), lat + random.uniform(-jitter, jitter)

    @task(2)
    def map_data(self) -> None:
        self.call("GET", f"/api/v1/officer/map?county={self.county}", "map_data")

    @task(1)
    def map_layer(self) -> None:
        layer = random.choice(LAYERS)
        self.call("GET", f"/api/v1/officer/layers/{layer}?county={self.county}", "map_layer")

    @task(4)
    def grid_locate(self) -> None:
        lon, lat = self.near_shop(JITTER_DEG / 30)
        # 404: the point is in none of the officer's grids, a normal answer.
        self.call(
            "GET", f"/api/v1/grids/locate?lon={lon:.7f}&lat={lat:.7f}", "grid_locate", ok=(200, 404)
        )

    @task(1)
    def grid_outlines(self) -> None:
        self.call("GET", f"/api/v1/grids/{self.county}", "grid_outlines")

    @task(6)
    def licence_check(self) -> None:
        lon, lat = self.near_shop(JITTER_DEG)
        self.call("GET", f"/api/v1/rules/check-licence?lon={lon:.7f}&lat={lat:.7f}", LICENCE_CHECK)

    @task(3)
    def retailer_search(self) -> None:
        status = random.choice(("active", "suspended", "closed", None))
        offset = random.randrange(0, 800, 50)
        query = f"county={self.county}&limit=50&offset={offset}"
        query += f"&status={status}" if status else ""
        self.call("GET", f"/api/v1/retailers?{query}", "retailer_search")

    @task(2)
    def case_reads(self) -> None:
        self.read_cases()


class Liaison(ApiUser):
    """The liaison of two adjacent counties reading cases."""

    weight = 2
    username = "liaison"

    @task
    def case_reads(self) -> None:
        self.read_cases()


class Dispatcher(ApiUser):
    """The dispatcher planning the depot's day now and then, as a job, and following it."""

    fixed_count = 1
    username = "dispatcher"

    def wait_time(self) -> float:
        return self.world.plan_every_s

    @task
    def plan_day(self) -> None:
        body = {
            "depot_code": self.world.depot,
            "date": random.choice(self.world.dates),
            "time_limit": self.world.plan_time_limit_s,
        }
        started = time.perf_counter()
        job = self.call(
            "POST", "/api/v1/routes/jobs/plan", "route_plan_submit", ok=(202,), json=body
        )
        if job is None:
            return
        state = job.get("state")
        while state not in JOB_DONE:
            gevent.sleep(0.5)
            seen = self.call("GET", f"/api/v1/jobs/{job['id']}", "job_poll")
            if seen is None:
                return
            state = seen.get("state")
        self.environment.events.request.fire(
            request_type="JOB",
            name="route_plan_job",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None if state == "succeeded" else RuntimeError(f"job {state}"),
            context={},
        )


# --- a run and its figures ------------------------------------------------------------------


def figures(entry: StatsEntry, seconds: float) -> dict[str, Any]:
    return {
        "requests": entry.num_requests,
        "rps": round(entry.num_requests / seconds, 2),
        "p50_ms": round(entry.get_response_time_percentile(0.5), 1),
        "p99_ms": round(entry.get_response_time_percentile(0.99), 1),
        "max_ms": round(entry.max_response_time or 0, 1),
        "errors": entry.num_failures,
    }


def run_load(
    base: str, world: World, *, users: int, think_s: float, warmup_s: float, seconds: float
) -> dict[str, Any]:
    """``users`` users for ``warmup_s`` (not counted), then ``seconds`` measured."""
    ApiUser.world = world
    ApiUser.think_s = think_s
    env = Environment(user_classes=[Officer, Liaison, Dispatcher], host=base, events=events)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(warmup_s)
    env.stats.reset_all()
    started = time.perf_counter()
    gevent.sleep(seconds)
    runner.stop()
    elapsed = time.perf_counter() - started
    kinds = {
        name: figures(entry, elapsed)
        for (name, _method), entry in sorted(env.stats.entries.items())
    }
    errors = {f"{e.name}: {e.error}"[:300]: e.occurrences for e in env.stats.errors.values()}
    runner.quit()
    total = env.stats.total
    return {
        "seconds": round(elapsed, 1),
        "requests": total.num_requests,
        "rps": round(total.num_requests / elapsed, 2),
        "errors": total.num_failures,
        "kinds": kinds,
        **({"error_samples": errors} if errors else {}),
    }


def goals(kinds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each goal's figure and whether it holds (a kind not requested does not hold)."""
    out: dict[str, Any] = {}
    for kind, (figure, bound) in GOALS_MS.items():
        value = kinds.get(kind, {}).get(figure)
        out[f"{kind}_{figure}_lt_{bound:g}"] = value is not None and value < bound
    out["met"] = all(out.values())
    return out


def ratios(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Throughput of 2 workers over 1 per backend, and of PostgreSQL over SQLite per workers."""
    by = {(r["backend"], r["workers"]): r["rps"] for r in runs}
    out = {}
    for (backend, workers), rps in by.items():
        one = by.get((backend, 1))
        if workers != 1 and one:
            out[f"{backend}_rps_{workers}_over_1_workers"] = round(rps / one, 2)
        lite = by.get(("sqlite", workers))
        if backend == "postgresql" and lite:
            out[f"postgresql_over_sqlite_rps_{workers}_workers"] = round(rps / lite, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a built demo folder (its SQLite file is copied)")
    parser.add_argument("--pg-url", help="PostgreSQL+PostGIS database to run on too")
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=("sqlite", "postgresql"),
        help="which to run (default: SQLite, and PostgreSQL with --pg-url)",
    )
    parser.add_argument("--quick", action="store_true", help="a few seconds per configuration")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, help="measured seconds (60; quick 5)")
    parser.add_argument("--warmup-s", type=float, help="unmeasured seconds first (10; quick 2)")
    parser.add_argument("--think-s", type=float, default=1.0, help="mean think time (0: none)")
    parser.add_argument(
        "--plan-every-s", type=float, help="dispatcher's pause between plans (30; quick 2)"
    )
    parser.add_argument(
        "--plan-time-limit-s", type=float, default=2.0, help="solver seconds of a plan"
    )
    args = parser.parse_args()
    if not 1 <= args.users <= 200:
        parser.error("--users must be in [1, 200] (a bounded load on loopback)")
    seconds = args.seconds or (5.0 if args.quick else 60.0)
    warmup = args.warmup_s if args.warmup_s is not None else (2.0 if args.quick else 10.0)
    plan_every = args.plan_every_s or (2.0 if args.quick else 30.0)
    plan_limit = 1.0 if args.quick else args.plan_time_limit_s
    record: dict[str, Any] = {
        "bench": "load",
        "tool": "locust (headless, FastHttpUser)",
        "users": args.users,
        "think_s": args.think_s,
        "seconds": seconds,
        "warmup_s": warmup,
        "cores": len(os.sched_getaffinity(0)),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    runs = []
    with tempfile.TemporaryDirectory(prefix="gridmgmt-load-") as tmp:
        folder = Path(tmp)
        chosen = args.backends or ["sqlite", *(["postgresql"] if args.pg_url else [])]
        if "postgresql" in chosen and not args.pg_url:
            parser.error("PostgreSQL needs --pg-url")
        backends = []
        if "sqlite" in chosen:
            backends.append(("sqlite", sqlite_demo(args.demo, folder)))
        if "postgresql" in chosen:
            backends.append(("postgresql", postgres_demo(args.pg_url, folder)))
        for backend, url in backends:
            demo_logins(url)
            for workers in args.workers:
                log = folder / f"serve-{backend}-{workers}.log"
                with serving(url, workers, log) as server:
                    world = discover(server.base, url, plan_limit, plan_every)
                    run = run_load(
                        server.base,
                        world,
                        users=args.users,
                        think_s=args.think_s,
                        warmup_s=warmup,
                        seconds=seconds,
                    )
                if run["errors"]:
                    shutil.copy(log, Path(tempfile.gettempdir()) / log.name)
                    run["server_log"] = str(Path(tempfile.gettempdir()) / log.name)
                runs.append(
                    {"backend": backend, "workers": workers, **run, "goals": goals(run["kinds"])}
                )
    record["runs"] = runs
    record["ratios"] = ratios(runs)
    record["errors"] = sum(r["errors"] for r in runs)
    record["goals_met"] = all(r["goals"]["met"] for r in runs)
    print(json.dumps(record, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
