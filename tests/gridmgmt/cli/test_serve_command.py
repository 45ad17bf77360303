"""``gridmgmt serve --demo``: answers at once, builds a missing demo behind a 503 page, serves
a built one with its users and the documented password."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from shapely.geometry import MultiPolygon, box

from api.demo_gate import DemoGate
from api.main import create_app
from gridmgmt.cli.serve import DemoPreparer, demo_users_table
from gridmgmt.config import Settings
from gridmgmt.demo import is_built
from gridmgmt.demo.built import mark_built
from gridmgmt.demo.users import DEMO_PASSWORD
from gridmgmt.services.users import DemoUser, authenticate
from gridmgmt.store import db
from gridmgmt.store.models import County, Province

FIRST_ANSWER_S = 10.0


def _one_county(url: str) -> None:
    with db.transaction(url) as session:
        session.add(Province(code="150000", name="内蒙古自治区"))
        session.flush()
        session.add(
            County(
                code="150924",
                name="兴和县",
                province_code="150000",
                boundary=MultiPolygon([box(113.5, 40.7, 114.3, 41.2)]),
            )
        )


def _settings(url: str) -> Settings:
    return Settings(database_url=url, secret_key="x" * 32)


def test_a_closed_gate_answers_503_page_and_json_and_lets_assets_through(sqlite_url: str) -> None:
    gate = DemoGate(retry_after_s=7)
    client = TestClient(create_app(_settings(sqlite_url), demo_gate=gate))
    page = client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "7"
    assert "演示数据正在生成" in page.text
    assert 'http-equiv="refresh"' in page.text
    english = client.get("/map", headers={"Accept-Language": "en"}, follow_redirects=False)
    assert english.status_code == 503
    assert "The demo is being built" in english.text
    api = client.get("/api/v1/health")
    assert api.status_code == 503
    assert api.json()["kind"] == "unavailable"
    assert api.headers["Retry-After"] == "7"
    assert client.get("/static/app/app.css").status_code == 200
    gate.fail("/tmp/demo-build.log")
    failed = client.get("/login", headers={"Accept-Language": "en"})
    assert failed.status_code == 503
    assert "could not be built" in failed.text
    assert "/tmp/demo-build.log" in failed.text
    assert 'http-equiv="refresh"' not in failed.text
    gate.open()
    assert client.get("/login").status_code == 200
    assert client.get("/api/v1/health").status_code == 200


def test_a_built_demo_is_served_with_the_documented_password(
    sqlite_url: str, tmp_path: Path
) -> None:
    _one_county(sqlite_url)
    mark_built(sqlite_url, {"counties": 1})
    assert is_built(sqlite_url)
    gate = DemoGate()
    printed: list[list[DemoUser]] = []
    preparer = DemoPreparer(
        sqlite_url, tmp_path, gate, password=DEMO_PASSWORD, on_users=printed.append
    )
    preparer.start()
    preparer._thread.join(timeout=60)
    assert gate.state == "ready"
    assert not (tmp_path / "demo-build.log").exists()  # nothing was built
    users = printed[0]
    assert {u.username for u in users} >= {"officer150924", "dispatcher", "liaison", "admin"}
    with db.transaction(sqlite_url) as session:
        assert authenticate(session, "admin", DEMO_PASSWORD) is not None
    console = Console(width=200, record=True)
    console.print(demo_users_table(users, password=DEMO_PASSWORD))
    assert DEMO_PASSWORD in console.export_text()


def test_a_network_demo_gets_random_passwords(sqlite_url: str, tmp_path: Path) -> None:
    _one_county(sqlite_url)
    mark_built(sqlite_url, {})
    gate = DemoGate()
    printed: list[list[DemoUser]] = []
    preparer = DemoPreparer(sqlite_url, tmp_path, gate, password=None, on_users=printed.append)
    preparer.start()
    preparer._thread.join(timeout=60)
    assert gate.state == "ready"
    passwords = {u.password for u in printed[0]}
    assert DEMO_PASSWORD not in passwords
    assert len(passwords) == len(printed[0])
    with db.transaction(sqlite_url) as session:
        assert authenticate(session, "admin", DEMO_PASSWORD) is None


def _first_answer(url: str, deadline_s: float) -> tuple[int, float]:
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.status, time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, time.monotonic() - started
        except OSError:
            time.sleep(0.1)
    return 0, time.monotonic() - started


@pytest.mark.slow
def test_serve_demo_answers_within_10_s_while_the_demo_is_built(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "demo-out"
    env = {k: v for k, v in os.environ.items() if k != "GRIDMGMT_DATABASE_URL"}
    command = [sys.executable, "-m", "gridmgmt", "serve", "--demo", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        code, seconds = _first_answer(f"http://127.0.0.1:{port}/login", 60)
        assert code == 503, "the missing demo is built behind the 503 page"
        # 10 s on a machine with a core to spare; a shared CI machine gets its load's share.
        busy = max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
        assert seconds < FIRST_ANSWER_S * busy, f"first answer after {seconds:.1f} s"
        # The build runs in a child process, which creates the file `gridmgmt demo` writes.
        database = out / "gridmgmt-demo.db"
        waited = time.monotonic()
        while not database.exists() and time.monotonic() - waited < 60:
            time.sleep(0.2)
        assert database.exists(), f"{database} not started after 60 s"
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server stops its child build too
        server.wait(timeout=30)


@pytest.fixture
def no_secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment without GRIDMGMT_SECRET_KEY (settings read afresh)."""
    from gridmgmt.config import get_settings

    monkeypatch.delenv("GRIDMGMT_SECRET_KEY", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no .env file here
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_serve_refuses_a_network_address_without_a_secret_key(
    no_secret_key: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from gridmgmt.cli import serve as serve_module
    from gridmgmt.cli._app import app

    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: served.append(k["host"]))
    monkeypatch.setattr(serve_module, "_serve_demo", lambda *a, **k: served.append(k["host"]))
    monkeypatch.setattr(serve_module, "_with_job_cluster", lambda base, **_: base)
    db_url = f"sqlite:///{tmp_path / 'serve.db'}"
    refused = CliRunner().invoke(app, ["--db", db_url, "serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2
    assert "GRIDMGMT_SECRET_KEY" in refused.output
    assert served == []
    for args in (["--host", "127.0.0.1"], ["--host", "0.0.0.0", "--demo"]):
        answer = CliRunner().invoke(app, ["--db", db_url, "serve", *args, "--out", str(tmp_path)])
        assert answer.exit_code == 0, answer.output
    assert served == ["127.0.0.1", "0.0.0.0"]


def test_serve_sends_jobs_to_a_local_cluster_unless_told_otherwise() -> None:
    from gridmgmt.cli.serve import _with_job_cluster
    from gridmgmt.jobs import cluster

    assert "GRIDMGMT_DASK_SCHEDULER" not in os.environ
    base = _settings("sqlite:///unused.db")
    assert _with_job_cluster(base, in_process=True).dask_scheduler is None
    configured = base.model_copy(update={"dask_scheduler": "tcp://10.0.0.30:8786"})
    assert _with_job_cluster(configured, in_process=False) is configured
    try:
        local = _with_job_cluster(base, in_process=False).dask_scheduler
        assert local is not None
        assert local.startswith("tcp://127.0.0.1:")
        assert os.environ["GRIDMGMT_DASK_SCHEDULER"] == local  # for app worker processes
    finally:
        cluster.shutdown()
        os.environ.pop("GRIDMGMT_DASK_SCHEDULER", None)


def test_the_socket_several_workers_share_sends_answers_without_waiting_for_acks() -> None:
    """With Nagle's algorithm on, each answer of ``serve --workers N`` waited ~40 ms for the
    client's delayed ACK; connections accepted on the shared socket have TCP_NODELAY."""
    import uvicorn

    from gridmgmt.cli.serve import listening_socket

    listener = listening_socket(uvicorn.Config("api.main:app", host="127.0.0.1", port=0))
    with listener:
        listener.listen()
        address = listener.getsockname()[:2]
        with socket.create_connection(address) as client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
                client.sendall(b"ping")
                assert accepted.recv(4) == b"ping"
