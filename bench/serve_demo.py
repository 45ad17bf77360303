"""Benchmark of ``gridmgmt serve --demo``: seconds to the first answer, and to the demo ready.

Starts the server in a fresh process (the ``gridmgmt`` console script beside this
interpreter) twice: over a demo folder already built (``--out``, built first with
``gridmgmt demo`` if it holds no demo) and over an empty one (the demo is then built in a
child process; only the first answer is waited for). Prints ONE JSON line.

Usage::

    uv run python bench/serve_demo.py [--out demo-out]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def gridmgmt() -> str:
    return str(Path(sys.executable).parent / "gridmgmt")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # loopback only
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def serve(out: Path, *, wait_ready: bool, limit_s: float = 600) -> dict[str, Any]:
    """Seconds to the first answer (any status) and, if asked, to ``/login`` answering 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "GRIDMGMT_DATABASE_URL"}
    command = [gridmgmt(), "serve", "--demo", "--port", str(port), "--out", str(out)]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/login"
    started = time.perf_counter()
    record: dict[str, Any] = {}
    try:
        while time.perf_counter() - started < limit_s:
            code = status(url)
            if code and "first_answer_s" not in record:
                record |= {"first_answer_s": round(time.perf_counter() - started, 2)}
                record["first_status"] = code
            if code == 200 or (code and not wait_ready):
                break
            time.sleep(0.1)
        if wait_ready:
            record["ready_s"] = round(time.perf_counter() - started, 2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="a built demo")
    args = parser.parse_args()
    if not (args.out / "gridmgmt-demo.db").exists():
        subprocess.run([gridmgmt(), "demo", "--out", str(args.out)], check=True)
    record: dict[str, Any] = {
        "bench": "serve_demo",
        "cores": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "built": serve(args.out, wait_ready=True),
    }
    with tempfile.TemporaryDirectory(prefix="gridmgmt-serve-") as folder:
        record["absent"] = serve(Path(folder) / "demo-out", wait_ready=False)
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
