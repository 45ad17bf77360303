"""Bounds of the integers a request may carry (请求整数上限), stated once for every schema.

An integer past them reached the database driver or the solver and failed there (a 500):
SQLite and PostgreSQL store signed 64-bit integers, and PyVRP seeds its search with an
unsigned 32-bit one. Each request model and query parameter declares its bound from here,
so the API schema states it and a larger number is refused as invalid (422).
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field

__all__ = [
    "MAX_REQUEST_INT",
    "MAX_SOLVER_SEED",
    "Count",
    "RecordNumber",
    "Seed",
    "SolverSeed",
    "Version",
]

MAX_REQUEST_INT: Final = 2**53 - 1
"""The largest integer a request may carry: the largest every JSON client keeps exact
(JavaScript's ``Number.MAX_SAFE_INTEGER``; a client parsing numbers as doubles turned
2**63 - 1 into 2**63, past the databases' signed 64-bit integers)."""
MAX_SOLVER_SEED: Final = 2**32 - 1
"""The largest seed PyVRP takes (an unsigned 32-bit integer)."""

RecordNumber = Annotated[int, Field(ge=1, le=MAX_REQUEST_INT)]
"""A stored record's number (an entity, a lead ...)."""
Version = Annotated[int, Field(ge=0, le=MAX_REQUEST_INT)]
"""A row version a change is made from (0: the author saw none)."""
Count = Annotated[int, Field(ge=0, le=MAX_REQUEST_INT)]
"""A stored count (violations found, cartons ...)."""
Seed = Annotated[int, Field(ge=0, le=MAX_REQUEST_INT)]
"""A stored seed of a random draw or design (numpy takes any non-negative integer)."""
SolverSeed = Annotated[int, Field(ge=0, le=MAX_SOLVER_SEED)]
"""A route solver's seed."""
