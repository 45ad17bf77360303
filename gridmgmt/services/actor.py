"""Who is acting, and which counties they may see."""

from __future__ import annotations

from dataclasses import dataclass, field

from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError

__all__ = ["SYSTEM", "AccessDeniedError", "Actor"]


@dataclass(frozen=True)
class Actor:
    """The person (or local process) a service acts for.

    Parameters
    ----------
    username
        Recorded in the audit log.
    role
        The user's role.
    counties
        County codes the actor works for; ``None`` means every county (the local CLI).
    remote_addr
        Where the request came from (the client's IP address), recorded in the audit log;
        ``None`` for local processes. Not part of the actor's identity (equality, hashing).
    """

    username: str
    role: UserRole
    counties: frozenset[str] | None
    remote_addr: str | None = field(default=None, compare=False)

    def can_see(self, county_code: str) -> bool:
        """Whether rows of ``county_code`` are in this actor's own scope."""
        return self.counties is None or county_code in self.counties

    def require(self, county_code: str) -> None:
        """Raise :class:`AccessDeniedError` unless the county is in scope."""
        if not self.can_see(county_code):
            msg = f"user {self.username!r} has no access to county {county_code}"
            raise AccessDeniedError(msg)


SYSTEM = Actor(username="cli", role=UserRole.ADMIN, counties=None)
