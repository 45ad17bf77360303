"""Job functions for the tests: they write province rows, fail, or wait for a gate or cancel."""

from __future__ import annotations

import os
import threading
import time

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError, UnavailableError
from gridmgmt.jobs import JobContext, job
from gridmgmt.policy import Action
from gridmgmt.services.results import Result
from gridmgmt.store.models import Province

GATES: dict[str, threading.Event] = {}
BUSY_RUNS: dict[str, int] = {}
"""Runs of a job that met a busy database so far, by ``busy_key``."""
ENDED: dict[str, list[int]] = {}
"""The busy runs counted when the job's end callbacks ran, by ``busy_key``."""
"""Events a waiting job blocks on, by name; tests set them to let the job go on."""


class WriteParams(BaseModel):
    """Province rows to write, and how to end."""

    county_code: str
    codes: list[str] = Field(default_factory=list)
    fail_with: str | None = None
    crash: bool = False
    busy_times: int = 0
    busy_key: str = ""


class WriteResult(Result):
    """The rows written."""

    codes: list[str]
    pid: int | None = None
    """The process the job ran in."""
    nice: int | None = None
    """The nice value of the thread it ran in."""


class WaitParams(BaseModel):
    """Write first or not, then report progress and wait for a gate or a cancel."""

    county_code: str
    gate: str
    write_first: bool = False
    max_wait_s: float = 10.0


def _write(session: Session, codes: list[str]) -> None:
    session.add_all([Province(code=code, name=f"省{code}") for code in codes])
    session.flush()


@job("tests.write", params=WriteParams, action=Action.READ_BASE_DATA)
def write_provinces(ctx: JobContext, session: Session, params: WriteParams) -> WriteResult:
    """Write the rows, reporting progress; then fail if asked."""
    for i, code in enumerate(params.codes):
        ctx.progress(i / max(len(params.codes), 1), f"writing {code}")
        _write(session, [code])
    ended = ENDED.setdefault(params.busy_key, [])
    ctx.when_ended(lambda: ended.append(BUSY_RUNS.get(params.busy_key, 0)))
    if BUSY_RUNS.get(params.busy_key, 0) < params.busy_times:
        BUSY_RUNS[params.busy_key] = BUSY_RUNS.get(params.busy_key, 0) + 1
        msg = "the database is busy with another write; try again in a few seconds"
        raise UnavailableError(msg)
    if params.fail_with:
        raise InvalidInputError(params.fail_with)
    if params.crash:
        msg = "a bug in the action"
        raise RuntimeError(msg)
    return WriteResult(codes=params.codes, pid=os.getpid(), nice=os.getpriority(os.PRIO_PROCESS, 0))


@job("tests.wait", params=WaitParams, action=Action.PLAN_ROUTES)
def wait_for_gate(ctx: JobContext, session: Session, params: WaitParams) -> WriteResult:
    """Write a row (if asked), report half-way, then wait for the gate, checking for cancel."""
    if params.write_first:
        _write(session, ["990000"])
    ctx.progress(0.5, "halfway")
    gate = GATES.setdefault(params.gate, threading.Event())
    deadline = time.monotonic() + params.max_wait_s
    while not gate.wait(0.01):
        ctx.check_cancelled()
        if time.monotonic() > deadline:
            msg = "the test never opened the gate"
            raise InvalidInputError(msg)
    if not params.write_first:
        _write(session, ["990000"])
    return WriteResult(codes=["990000"])
