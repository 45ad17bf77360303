"""The demo's users (演示账户): one login per role, all with one documented password.

Officers are ``officer<county code>``; then ``dispatcher``, ``liaison`` and ``admin`` (see
:func:`gridmgmt.services.users.ensure_demo_users` for their counties). The password is in
the README ("Log in to the demo"): it opens a demo on this machine only, since
``gridmgmt serve --demo`` on a network address gives every demo user a random password
instead.
"""

from __future__ import annotations

from typing import Final

from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.services.users import DemoUser, ensure_demo_users
from gridmgmt.store import db

__all__ = ["DEMO_PASSWORD", "make_users", "step"]

DEMO_PASSWORD: Final = "gridmgmt-demo-2026"
"""The one password of every demo user (演示密码), documented in the README."""


def make_users(url: str, *, password: str | None = DEMO_PASSWORD) -> list[DemoUser]:
    """Create or reset the demo users in the database at ``url``.

    ``password=None`` gives each a random password (returned, to print once).
    """
    with db.transaction(url) as session:
        return ensure_demo_users(session, password=password)


def step(run: DemoRun) -> StepResult:
    """The demo users, with :data:`DEMO_PASSWORD`; counted by role (``users_<role>``)."""
    users = make_users(run.url)
    counts: dict[str, int] = {}
    for user in users:
        counts[f"users_{user.role.value}"] = counts.get(f"users_{user.role.value}", 0) + 1
    return StepResult(counts=counts)
