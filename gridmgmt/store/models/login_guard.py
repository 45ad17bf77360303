"""Failed logins, per account and per address, for throttling and lock-out.

Kept in the database (not in a worker's memory) so every app worker sees the same count.
Rows older than the throttling window plus the lock-out are deleted as new ones come in.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridmgmt.store.models.base import Base, _utcnow

__all__ = ["LoginFailure"]


class LoginFailure(Base):
    """One failed login: ``scope`` ``account`` (key: the username tried) or ``address``
    (key: the client's address), and when."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
