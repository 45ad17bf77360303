"""Job functions for the tests: they write province rows, fail, or wait for a gate or cancel."""

from __future__ import annotations

import threading
import time

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError
from gridmgmt.jobs import JobContext, job
from gridmgmt.policy import Action
from gridmgmt.services.results import Result
from gridmgmt.store.models import Province

GATES: dict[str, threading.Event] = {}
"""Events a waiting job blocks on, by name; tests set them to let the job go on."""


class WriteParams(BaseModel):
    """Province rows to write, and how to end."""

    county_code: str
    codes: list[str] = Field(default_factory=list)
    fail_with: str | None = None
    crash: bool = False


class WriteResult(Result):
    """The rows written."""

    codes: list[str]


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
    if params.fail_with:
        raise InvalidInputError(params.fail_with)
    if params.crash:
        msg = "a bug in the action"
        raise RuntimeError(msg)
    return WriteResult(codes=params.codes)


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
