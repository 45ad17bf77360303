"""Concurrent appenders never fork the chain: threads (SQLite and PostgreSQL), processes (SQLite).

Each writer appends in its own transactions at the same time as the others; afterwards the
log holds every entry exactly once, ``seq`` runs 1..N without gaps or duplicates, and the
chain verifies.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ._log import fill, seqs, verify

THREADS, PER_THREAD = 6, 15
REPO = Path(__file__).resolve().parents[3]

APPEND_SCRIPT = """
import os, sys, time
from gridmgmt.services import audit
from gridmgmt.services.actor import SYSTEM
from gridmgmt.store import db
url, count, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
for n in range(count):
    with db.transaction(url) as session:
        audit.record(session, SYSTEM, "test.process", detail={"n": n})
"""


def test_threads_appending_at_once_keep_one_chain(store_url: str) -> None:
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            start.wait()
            fill(store_url, PER_THREAD, per_transaction=1 + threading.get_ident() % 3)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = THREADS * PER_THREAD
    assert seqs(store_url) == list(range(1, total + 1))
    assert verify(store_url).entries == total


@pytest.mark.slow
def test_two_processes_appending_at_once_keep_one_chain(sqlite_url: str, tmp_path: Path) -> None:
    count, go = 30, tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", APPEND_SCRIPT, sqlite_url, str(count), str(go)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in processes:  # both imported and waiting: start them together
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
    go.touch()
    fill(sqlite_url, count)  # and this process too
    for process in processes:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    assert seqs(sqlite_url) == list(range(1, 3 * count + 1))
    assert verify(sqlite_url).entries == 3 * count


def test_verifying_while_others_append_is_no_false_alarm(store_url: str) -> None:
    fill(store_url, 5)
    done = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            fill(store_url, 40)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    rounds = 0
    while not done.is_set() or rounds == 0:
        assert verify(store_url).entries >= 5
        rounds += 1
    thread.join()
    assert errors == []
    assert verify(store_url).entries == 45
