"""Quarters (季度) as the quarterly mutual report (每季度互相通报) names them: ``2026Q3``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from gridmgmt.errors import InvalidInputError

__all__ = ["Quarter", "parse_quarter"]

_PATTERN: Final = re.compile(r"^\s*([12]\d{3})\s*[-_ ]?\s*[Qq]([1-4])\s*$")
"""A year 1000-2999 (a date must exist: year 0 would fail later) and a quarter."""


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter: ``first`` and ``last`` day, both included."""

    year: int
    number: int

    @property
    def first(self) -> dt.date:
        """The quarter's first day."""
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last(self) -> dt.date:
        """The quarter's last day."""
        following = Quarter(self.year + self.number // 4, self.number % 4 + 1).first
        return following - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        """The first moment of the quarter (naive UTC, as times are stored)."""
        return dt.datetime.combine(self.first, dt.time())

    @property
    def end(self) -> dt.datetime:
        """The first moment after the quarter."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time())

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def parse_quarter(text: str) -> Quarter:
    """``2026Q3`` (also ``2026-Q3``, ``2026q3``) as a :class:`Quarter`.

    Raises
    ------
    InvalidInputError
        If the text is not a year and a quarter 1-4.
    """
    match = _PATTERN.match(str(text))
    if match is None:
        msg = f"quarter {text!r} is expected to look like 2026Q3 (a year, Q, and 1-4)"
        raise InvalidInputError(msg, [{"field": "quarter", "message": msg}])
    return Quarter(int(match.group(1)), int(match.group(2)))
