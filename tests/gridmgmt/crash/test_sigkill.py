"""Crash safety for real: a ``gridmgmt`` process SIGKILLed at a random moment of an action
leaves the database as before the action or as after it, never between.

For each action (an import, a grid design, a rebalance, a day plan, a week plan, a case
import) the test builds a base database once, runs the action to the end on a copy to learn
the "after" state and how long the action takes, then, ``GRIDMGMT_KILL_RUNS`` times (default
2), runs it on a fresh copy and kills it with SIGKILL at a random moment of that time. Every
table is then compared, row by row, with both states. Columns that differ between two
complete runs by nature (timestamps, the audit chain's hashes over them) are left out of the
comparison; everything else, ids included, must match one of the two states exactly.
Runs on SQLite (WAL) and, when configured, PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import DateTime, inspect, text
from sqlalchemy.engine import make_url

from gridmgmt.store import db
from gridmgmt.store.models import Base
from tests.conftest import DEMO_DIR, POSTGRES_URL_VAR, missing_backend

pytestmark = pytest.mark.slow

KILL_RUNS = int(os.environ.get("GRIDMGMT_KILL_RUNS", "2"))
VOLATILE = {
    "audit_log": {"entry_hash", "prev_hash"},
    "audit_head": {"entry_hash"},
    "cases": {"version"},
}
"""Columns besides timestamps that differ between two complete runs (the audit chain's hashes
over times; a case's version, a fresh token per write)."""
VOLATILE_KEYS = frozenset({"runtime_s"})
"""Keys of stored JSON documents that differ between two complete runs (solver seconds)."""
POSTGIS_TABLES = {"spatial_ref_sys"}
BASE_FILES = ["counties.geojson", "retailers.csv", "staff.csv", "depots.csv", "vehicles.csv"]


@dataclass(frozen=True)
class Action:
    """One user action as a command line (after ``gridmgmt --db URL``)."""

    name: str
    args: list[str]


def _actions(files: Path) -> list[Action]:
    week = "2026-11-16"
    solver = ["--time-limit", "600", "--max-iterations", "300", "--seed", "1"]
    return [
        Action(
            "import",
            ["import", "retailers", str(files / "retailers-renamed.csv"), "--crs", "gcj02"],
        ),
        Action("design", ["grids", "design", "--county", "150924", "--count", "8", "--seed", "1"]),
        Action("rebalance", ["grids", "rebalance", "--county", "150981"]),
        Action("plan", ["routes", "plan", "--depot", "D150924", "--date", week, *solver]),
        Action("week", ["routes", "week", "--depot", "D150981", "--week-of", week, *solver]),
        Action("cases", ["import", "cases", str(DEMO_DIR / "cases.json")]),
    ]


def _gridmgmt(url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GRIDMGMT_DEBUG": ""}
    command = [sys.executable, "-c", "from gridmgmt.cli import main; main()", "--db", url, *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _run(url: str, *args: str) -> float:
    start = time.perf_counter()
    process = _gridmgmt(url, *args)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output.decode(errors="replace")[-2000:]
    return time.perf_counter() - start


def snapshot(url: str) -> dict[str, str]:
    """Every table's rows (timestamps and :data:`VOLATILE` left out) as one hash per table."""
    engine = db.get_engine(url)
    tables = {table.name: table for table in Base.metadata.tables.values()}
    digests = {}
    with engine.connect() as connection:
        names = [n for n in inspect(connection).get_table_names() if n not in POSTGIS_TABLES]
        for name in sorted(names):
            table = tables.get(name)
            if table is None:  # alembic_version and the like: compared whole
                columns = [c["name"] for c in inspect(connection).get_columns(name)]
            else:
                skip = VOLATILE.get(name, set())
                columns = [
                    c.name
                    for c in table.columns
                    if not isinstance(c.type, DateTime) and c.name not in skip
                ]
            quoted = ", ".join(engine.dialect.identifier_preparer.quote(c) for c in columns)
            rows = connection.exec_driver_sql(
                f"SELECT {quoted} FROM {engine.dialect.identifier_preparer.quote(name)}"
            ).all()
            lines = sorted(json.dumps([_plain(v) for v in row], default=str) for row in rows)
            digests[name] = f"{len(rows)}:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return digests


def _without_volatile(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def _plain(value: object) -> object:
    if isinstance(value, str) and value.startswith("{") and "runtime_s" in value:
        value = json.loads(value)  # a JSON column as SQLite returns it
    if isinstance(value, dict | list):
        return json.dumps(_without_volatile(value), sort_keys=True, ensure_ascii=False)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, float):
        return round(value, 9)
    return value


class Store:
    """Copies of a base database: a file copy on SQLite, a template copy on PostgreSQL."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.url, self.workdir, self.count = url, workdir, 0

    @property
    def sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def _admin(self) -> object:
        return db.get_engine(self.url).execution_options(isolation_level="AUTOCOMMIT")

    def copy(self) -> str:
        """A fresh copy of the base database; its URL."""
        self.count += 1
        db.dispose_engine(self.url)
        if self.sqlite:
            path = self.workdir / f"copy-{self.count}.db"
            shutil.copy(make_url(self.url).database or "", path)
            return f"sqlite:///{path}"
        base = make_url(db.normalise_url(self.url))
        name = f"{base.database}_k{self.count}"
        admin = db.get_engine(_maintenance(self.url)).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{base.database}"'))
        return base.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        db.dispose_engine(url)
        if self.sqlite:
            return
        name = make_url(url).database
        admin = db.get_engine(_maintenance(self.url)).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _maintenance(url: str) -> str:
    return make_url(db.normalise_url(url)).set(database="postgres").render_as_string(False)


def _build_base(url: str, files: Path) -> None:
    for name in BASE_FILES:
        crs = ["--crs", "gcj02"] if name == "retailers.csv" else []  # collected on Amap
        _run(url, "import", name.split(".")[0], str(DEMO_DIR / name), *crs)
    _run(url, "import", "orders", str(DEMO_DIR / "orders.csv"))
    _run(url, "grids", "design", "--county", "150981", "--count", "6", "--seed", "2")
    retailers = pd.read_csv(DEMO_DIR / "retailers.csv", dtype=str)
    retailers["name"] = retailers["name"] + "（更名）"
    retailers.to_csv(files / "retailers-renamed.csv", index=False)
    db.dispose_engine(url)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    workdir = tmp_path_factory.mktemp(f"kill-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'base.db'}"
    else:
        configured = os.environ.get(POSTGRES_URL_VAR)
        if not configured:
            missing_backend(f"{POSTGRES_URL_VAR} is not set: PostgreSQL+PostGIS tests are off")
        name = f"gm_kill_{os.getpid()}"
        maintenance = _maintenance(configured)
        admin = db.get_engine(maintenance).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(db.normalise_url(configured)).set(database=name).render_as_string(False)
        with db.get_engine(url).begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        db.upgrade(url)
    _build_base(url, workdir)
    holder = Store(url, workdir)
    yield holder
    if not holder.sqlite:
        holder.drop(url)


@pytest.mark.parametrize("action", [a.name for a in _actions(Path())])
def test_a_killed_action_leaves_the_database_as_before_or_as_after(
    store: Store, action: str
) -> None:
    (chosen,) = [a for a in _actions(store.workdir) if a.name == action]
    before = snapshot(store.url)
    reference = store.copy()
    seconds = _run(reference, *chosen.args)
    after = snapshot(reference)
    store.drop(reference)
    assert after != before, f"{action} changed nothing: the test would prove nothing"
    rng = random.Random(os.environ.get("GRIDMGMT_KILL_SEED"))
    outcomes = []
    for _ in range(KILL_RUNS):
        url = store.copy()
        process = _gridmgmt(url, *chosen.args)
        time.sleep(rng.uniform(0.3, 1.0) * seconds)
        finished = process.poll() is not None
        process.send_signal(signal.SIGKILL)
        process.communicate()
        state = snapshot(url)
        store.drop(url)
        between = {t for t in state if state[t] != before.get(t) and state[t] != after.get(t)}
        assert state in (before, after), f"{action}: tables neither before nor after: {between}"
        outcomes.append("finished" if finished else ("after" if state == after else "before"))
    print(f"{action} ({store.url.split(':')[0]}): {seconds:.1f} s, killed -> {outcomes}")
