"""``gridmgmt serve``: the web app (JSON API, docs, login, map pages) on uvicorn.

With ``--demo`` it serves the database ``gridmgmt demo`` builds (``demo-out/gridmgmt-demo.db``
unless ``--db`` says otherwise) and answers at once: a finished demo is served as it is,
and a missing or unfinished one is built by ``gridmgmt demo`` in a child process while the
app answers "the demo is being built" (503 with ``Retry-After``; :mod:`api.demo_gate`). The
server starts before the app is even imported (:mod:`api.launcher` answers meanwhile), so
the first answer comes within seconds.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, database_url, settings
from gridmgmt.cli.demo import DEMO_OUT, demo_database_url

if TYPE_CHECKING:
    import uvicorn

    from api.demo_gate import DemoGate
    from api.launcher import Launcher
    from gridmgmt.config import Settings
    from gridmgmt.services.users import DemoUser

console = Console()
BUILD_LOG: Final = "demo-build.log"
"""The child build's output, in the demo folder."""


def demo_users_table(users: list[DemoUser], *, password: str | None = None) -> Table:
    """The demo logins as a table to print once at start (``password``: the shared one)."""
    from gridmgmt.services.users import describe_role

    title = "demo users 演示账户" + (f" (password 密码: {password})" if password else "")
    table = Table("username", "password", "role", "counties", title=title)
    for user in users:
        table.add_row(
            user.username, user.password, describe_role(user.role), " ".join(user.counties)
        )
    return table


class DemoPreparer:
    """Makes the demo database ready behind a :class:`~api.demo_gate.DemoGate`, in a thread.

    A database the demo marked built is used as it is; otherwise ``gridmgmt demo`` runs in
    a child process (its output in ``<out>/demo-build.log``). Then the demo users get their
    password and the gate opens; on failure the gate shows the log.

    Parameters
    ----------
    url
        The demo database.
    out
        The demo folder (maps, lists, the build log).
    gate
        Opened when the demo is ready.
    password
        The demo users' one password; ``None`` gives each a random one.
    on_users
        Called with the demo users once they are made (to print them).
    """

    def __init__(
        self,
        url: str,
        out: Path,
        gate: DemoGate,
        *,
        password: str | None,
        on_users: Callable[[list[DemoUser]], None],
    ) -> None:
        self.url = url
        self.out = out
        self.gate = gate
        self.password = password
        self.on_users = on_users
        self.log_file = out / BUILD_LOG
        self._child: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-preparer", daemon=True)
        self.load_app: Callable[[], None] | None = None
        """Run first in the thread: build the app and hand it to the server."""

    def start(self) -> None:
        """Prepare the demo in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop a build still running (the server is shutting down)."""
        self._stopping.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    def _run(self) -> None:
        from gridmgmt.demo import is_built
        from gridmgmt.demo.users import DEMO_PASSWORD, make_users

        try:
            if self.load_app is not None:
                self.load_app()
            built_before = is_built(self.url)
            if not built_before:
                self._build()
            if self._stopping.is_set():
                return
            if built_before and self.password == DEMO_PASSWORD:
                # The build made the users with this password: serve at once, then reset
                # them (argon2 hashes take a while on a busy machine).
                self.gate.open()
            self.on_users(make_users(self.url, password=self.password))
        except Exception:  # the page shows the failure and names the log
            with self.log_file.open("a", encoding="utf-8") as log:
                log.write(traceback.format_exc())
            console.print(f"[red]the demo could not be prepared; see {self.log_file}[/red]")
            self.gate.fail(str(self.log_file))
            return
        self.gate.open()
        console.print("the demo is ready 演示已就绪")

    def _build(self) -> None:
        """Run ``gridmgmt demo`` in a child process; raise if it fails."""
        console.print(f"building the demo in {self.out}/ (log: {self.log_file}) ...")
        self.out.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "gridmgmt", "--db", self.url, "demo", "--out"]
        with self.log_file.open("wb") as log:
            self._child = subprocess.Popen(
                [*command, str(self.out)], stdout=log, stderr=subprocess.STDOUT
            )
            code = self._child.wait()
        if code != 0 and not self._stopping.is_set():
            msg = f"gridmgmt demo exited with code {code}"
            raise RuntimeError(msg)


def _worker_environment(url: str, workers: int) -> None:
    """Hand the settings to ``workers`` app processes through the environment.

    Each worker builds its own app from the environment, so the database URL goes there,
    one secret key is shared (a token signed by one worker is checked by another) and the
    workers' metrics are added up in one folder (prometheus-client's multi-process mode).
    """
    import os
    import secrets
    import tempfile

    from gridmgmt.metrics import MULTIPROCESS_DIR_VAR

    os.environ["GRIDMGMT_DATABASE_URL"] = url
    os.environ.setdefault("GRIDMGMT_SECRET_KEY", secrets.token_urlsafe(32))
    if workers > 1 and not os.environ.get(MULTIPROCESS_DIR_VAR):
        os.environ[MULTIPROCESS_DIR_VAR] = tempfile.mkdtemp(prefix="gridmgmt-metrics-")


def _serve_workers(*, host: str, port: int, workers: int) -> None:
    """``workers`` app processes answering on one listening socket (uvicorn's supervisor)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "api.main:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # the app believes forwarded headers (setting trust_proxy)
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops the workers, quietly
        Multiprocess(config, sockets=[listening_socket(config)]).run()


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The socket ``config``'s workers share, with Nagle's algorithm off.

    uvicorn opens it with protocol number 0, and asyncio switches Nagle's algorithm off only
    on connections whose socket says TCP: every answer of several workers then waited for
    the client's delayed ACK, about 40 ms each. Linux passes TCP_NODELAY on from the
    listening socket to each connection it accepts.
    """
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Serve the demo's database (built first, in the background, if missing) "
            "with its users; on loopback they share the README's password, on a network "
            "address each gets a random one (printed here).",
        ),
    ] = False,
    out: Annotated[
        Path,
        typer.Option("--out", help="With --demo: the demo folder (as `gridmgmt demo --out`)."),
    ] = DEMO_OUT,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="App processes answering on the port (each with its own database pool).",
        ),
    ] = 1,
    jobs_in_process: Annotated[
        bool,
        typer.Option(
            "--jobs-in-process",
            help="Run long actions (plans, designs, imports) in threads of the app process "
            "instead of a local worker process: less memory, but requests wait while a "
            "solver runs. Ignored when GRIDMGMT_DASK_SCHEDULER names a cluster.",
        ),
    ] = False,
) -> None:
    """Start the web app: JSON API under /api/v1, docs at /docs, the map at /map.

    Long actions run as Dask jobs: on the cluster GRIDMGMT_DASK_SCHEDULER names, else on a
    local cluster started here (a worker process started when a job is queued).
    """
    import uvicorn

    from gridmgmt.logs import configure_logging

    base = settings(ctx)
    if not demo:  # the demo's data is made up, its users' passwords random off loopback
        base.require_secret_for(host)  # a network address needs GRIDMGMT_SECRET_KEY
    configure_logging(fmt=base.log_format, level=base.log_level)
    if demo:
        _serve_demo(ctx, base, host=host, port=port, out=out, jobs_in_process=jobs_in_process)
        return
    url = database_url(ctx)
    config = _with_job_cluster(base, in_process=jobs_in_process)
    config = config.model_copy(update={"database_url": url})
    console.print(f"gridmgmt on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    if workers > 1:
        from gridmgmt.store import db

        db.upgrade(url)  # once, before the workers start (not by each at once)
        _worker_environment(url, workers)
        _serve_workers(host=host, port=port, workers=workers)
        return
    from api.main import create_app

    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


def _with_job_cluster(base: Settings, *, in_process: bool) -> Settings:
    """``base`` with the scheduler jobs go to: the configured one, else a local cluster
    started here (its address also in the environment, for app processes started later);
    with ``in_process`` and no configured one, unchanged (jobs run in the app's threads)."""
    import os

    if in_process or base.dask_scheduler:
        return base
    from gridmgmt.jobs import cluster

    address = cluster.start_local()
    os.environ["GRIDMGMT_DASK_SCHEDULER"] = address
    return base.model_copy(update={"dask_scheduler": address})


def _serve_demo(
    ctx: typer.Context,
    base: Settings,
    *,
    host: str,
    port: int,
    out: Path,
    jobs_in_process: bool,
) -> None:
    """Serve the demo database at once, preparing it (and the app) in the background."""
    import uvicorn

    from api.demo_gate import DemoGate
    from api.launcher import Launcher
    from gridmgmt._settings import is_loopback
    from gridmgmt.demo.users import DEMO_PASSWORD

    out.mkdir(parents=True, exist_ok=True)
    url = demo_database_url(ctx, out)
    password = DEMO_PASSWORD if is_loopback(host) else None
    gate = DemoGate(log_file=str(out / BUILD_LOG))
    preparer = DemoPreparer(
        url,
        out,
        gate,
        password=password,
        on_users=lambda users: console.print(demo_users_table(users, password=password)),
    )
    launcher = Launcher()
    config = base.model_copy(update={"database_url": url})
    preparer.load_app = lambda: _load_app(
        launcher, _with_job_cluster(config, in_process=jobs_in_process), gate
    )
    console.print(f"gridmgmt demo on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    preparer.start()
    try:
        uvicorn.run(
            launcher, host=host, port=port, log_config=None, access_log=False, proxy_headers=False
        )
    finally:
        preparer.stop()


def _load_app(launcher: Launcher, config: Settings, gate: DemoGate) -> None:
    """Import and build the app (migrating the database), then serve it behind ``gate``."""
    from api.main import create_app

    launcher.load(create_app(config, demo_gate=gate))
