"""Number counters: the last number handed out per series (tickets of a county and day).

A number is taken by one atomic upsert of the series' row (see
:mod:`gridmgmt.services.numbers`), so concurrent writers never take the same number.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridmgmt.store.models.base import Base

__all__ = ["NumberCounter"]


class NumberCounter(Base):
    """The last number handed out in a series (e.g. ``ticket:140222-20261116-``)."""

    __tablename__ = "number_counters"

    series: Mapped[str] = mapped_column(String(128), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
