"""Web session models: browser sessions ended by logging out (revoked on the server).

A session cookie carries a signed token (JWT) with a unique id (``jti``). Logging out
stores that id here; a cookie whose id is stored no longer authenticates, even though its
signature and expiry are still good. Rows past ``expires_at`` can be deleted at any time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from gridmgmt.store.models.base import Base, _utcnow

__all__ = ["RevokedSession"]


class RevokedSession(Base):
    """A logged-out session: its token id, whose it was, and when its token expires."""

    __tablename__ = "web_revoked_sessions"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
