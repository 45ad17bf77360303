"""Who may do what: one role x action table (权限表), checked by the services.

Every service entry point that acts for a user is decorated with :func:`requires` naming its
:class:`Action`; the decorator checks the actor's role against :data:`POLICY` before the
service runs, and raises :class:`~gridmgmt.errors.AccessDeniedError` (HTTP 403, CLI exit 4)
otherwise. County scope (which rows) is a separate check, inside the services: a role that
may read cases still reads only its own counties' cases, plus what was shared with them.

The API declares the same action on each route (``api.deps.allow``), so a refused role gets
its 403 before the body is even validated; the table is the one source for both.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Final, ParamSpec, Protocol, TypeVar

from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError


class Action(StrEnum):
    """What a user can ask the system to do, by area."""

    # Base data: counties, retailers, schools, checkpoints, depots.
    READ_BASE_DATA = "base_data.read"
    IMPORT_DATA = "base_data.import"
    MANAGE_USERS = "users.manage"
    # Grids (网格).
    READ_GRIDS = "grids.read"
    CHANGE_GRIDS = "grids.change"
    # Geographic rules, inspections and tickets.
    READ_RULES = "rules.read"
    CHANGE_RULE_SETTINGS = "rules.settings.change"
    READ_INSPECTIONS = "inspections.read"
    DRAW_INSPECTIONS = "inspections.draw"
    RECORD_INSPECTIONS = "inspections.record"
    READ_TICKETS = "tickets.read"
    CHANGE_TICKETS = "tickets.change"
    # Cases (涉烟案件): summaries, and the personal data in them.
    READ_CASES = "cases.read"
    READ_CASE_PERSONAL_DATA = "cases.personal_data.read"
    CHANGE_CASES = "cases.change"
    SHARE_CASES = "cases.share"
    # Joint cases (网络案件协同办理) and cross-county merges (并案).
    OPEN_JOINT_CASES = "cases.joint.open"
    JOIN_JOINT_CASES = "cases.joint.join"
    PROPOSE_MERGES = "cases.merge.propose"
    DECIDE_MERGES = "cases.merge.decide"
    # Delivery routes (卷烟配送).
    READ_ROUTES = "routes.read"
    PLAN_ROUTES = "routes.plan"
    # Background jobs (后台任务): each user sees and cancels jobs of their own counties.
    READ_JOBS = "jobs.read"
    CANCEL_JOBS = "jobs.cancel"
    # Batch runs (批量计算) over many counties on Dask: grids, delivery days and weeks, case links.
    RUN_BATCH = "jobs.batch.run"
    # Cross-county cooperation (毗邻协作): private matching of strong identifiers.
    READ_FEDERATION_HITS = "federation.hits.read"
    EXPORT_FEDERATION_BUNDLE = "federation.bundle.export"
    IMPORT_FEDERATION_BUNDLE = "federation.bundle.import"
    # The tamper-evident audit log (审计日志): list, verify, export the head.
    READ_AUDIT = "audit.read"
    # Dashboard (局领导看板): a county's figures for a period, and the list behind each figure.
    READ_DASHBOARD = "dashboard.read"
    # Lead handover (线索移交): read a county's leads, send them, handle those received.
    READ_LEADS = "leads.read"
    SEND_LEADS = "leads.send"
    HANDLE_LEADS = "leads.handle"
    # Cooperation areas (毗邻协作区): read an area's contact list and adjacency, set areas
    # (administrators), name a county's liaisons (信息联络员), read the quarterly report.
    READ_COOPERATION = "cooperation.read"
    CHANGE_AREAS = "cooperation.areas.change"
    CHANGE_LIAISONS = "cooperation.liaisons.change"
    READ_COOPERATION_REPORT = "cooperation.report.read"
    # Price checks (价格互查) in self-discipline groups: medians, cross-border gaps, outliers.
    READ_PRICES = "prices.read"
    # Joint border-market sweeps (毗邻市场集中整治): read, plan (draw), record results.
    READ_SWEEPS = "sweeps.read"
    PLAN_SWEEPS = "sweeps.plan"
    RECORD_SWEEPS = "sweeps.record"


_ALL: Final = frozenset(UserRole)
_OFFICE: Final = frozenset({UserRole.OFFICER, UserRole.ADMIN})
_CASEWORK: Final = frozenset({UserRole.OFFICER, UserRole.LIAISON, UserRole.ADMIN})
_OVERSIGHT: Final = _CASEWORK | {UserRole.LEADER}
"""Case work and the leaders (局领导), who read its results but change nothing."""
_WORKING: Final = _ALL - {UserRole.LEADER}

POLICY: Final[Mapping[Action, frozenset[UserRole]]] = {
    Action.READ_BASE_DATA: _ALL,
    Action.IMPORT_DATA: frozenset({UserRole.ADMIN}),
    Action.MANAGE_USERS: frozenset({UserRole.ADMIN}),
    Action.READ_GRIDS: _ALL,
    Action.CHANGE_GRIDS: _OFFICE,
    Action.READ_RULES: _ALL,
    Action.CHANGE_RULE_SETTINGS: frozenset({UserRole.ADMIN}),
    Action.READ_INSPECTIONS: _OVERSIGHT,
    Action.DRAW_INSPECTIONS: _OFFICE,
    Action.RECORD_INSPECTIONS: _OFFICE,
    Action.READ_TICKETS: _OVERSIGHT,
    Action.CHANGE_TICKETS: _OFFICE,
    Action.READ_CASES: _ALL,
    Action.READ_CASE_PERSONAL_DATA: _CASEWORK,
    Action.CHANGE_CASES: _CASEWORK,
    Action.SHARE_CASES: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    # JOINT CASES and MERGES: a county's liaisons (and admins) open a joint case, join one
    # and decide on merges for their county; officers, who work the cases, may propose a
    # merge with its evidence. Everyone who reads them reads personal data (the evidence).
    Action.OPEN_JOINT_CASES: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    Action.JOIN_JOINT_CASES: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    Action.PROPOSE_MERGES: _CASEWORK,
    Action.DECIDE_MERGES: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    Action.READ_ROUTES: _ALL,
    Action.PLAN_ROUTES: frozenset({UserRole.DISPATCHER, UserRole.ADMIN}),
    Action.READ_JOBS: _ALL,
    Action.CANCEL_JOBS: _WORKING,
    Action.RUN_BATCH: frozenset({UserRole.ADMIN}),
    Action.READ_FEDERATION_HITS: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    Action.EXPORT_FEDERATION_BUNDLE: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    Action.IMPORT_FEDERATION_BUNDLE: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    Action.READ_AUDIT: frozenset({UserRole.ADMIN}),
    # LEADERS (局领导) read: base data, grids, rules, inspections, tickets, case summaries (no
    # personal data), routes, jobs, prices, sweeps, the quarterly report and the dashboard.
    # They change nothing, and leads (personal data) and the audit log are not theirs.
    Action.READ_DASHBOARD: frozenset({UserRole.ADMIN, UserRole.LEADER}),
    # LEADS: liaisons (and admins) send and handle leads; officers read their county's leads
    # (they work the accepted ones in the field) but do not send or answer them; dispatchers
    # see none (leads carry personal data).
    Action.READ_LEADS: _CASEWORK,
    Action.SEND_LEADS: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    Action.HANDLE_LEADS: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    # COOPERATION: the contact list is for case work (officers, liaisons, admins); an admin
    # sets the areas; each county's liaisons (and admins) keep their own county's entries.
    Action.READ_COOPERATION: _CASEWORK,
    Action.CHANGE_AREAS: frozenset({UserRole.ADMIN}),
    Action.CHANGE_LIAISONS: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    # The quarterly mutual report (每季度互相通报) is exchanged by liaisons and read by admins.
    Action.READ_COOPERATION_REPORT: frozenset({UserRole.LIAISON, UserRole.ADMIN, UserRole.LEADER}),
    # PRICES and SWEEPS: the casework roles read price checks and sweeps; liaisons (who agree
    # sweeps with the neighbours) and admins plan them; the officers in the mixed teams, the
    # liaisons and admins record what each target showed. Dispatchers take no part.
    Action.READ_PRICES: _OVERSIGHT,
    Action.READ_SWEEPS: _OVERSIGHT,
    Action.PLAN_SWEEPS: frozenset({UserRole.LIAISON, UserRole.ADMIN}),
    Action.RECORD_SWEEPS: _CASEWORK,
}
"""The role x action table: the roles that may take each action."""


class _HasRole(Protocol):
    @property
    def role(self) -> UserRole: ...  # pragma: no cover - a protocol

    @property
    def username(self) -> str: ...  # pragma: no cover - a protocol


def allows(role: UserRole, action: Action) -> bool:
    """Whether ``role`` may take ``action``."""
    return role in POLICY[action]


def roles_for(action: Action) -> list[UserRole]:
    """The roles that may take ``action``, in a stable order."""
    return [role for role in UserRole if role in POLICY[action]]


def require(actor: _HasRole, action: Action) -> None:
    """Raise :class:`AccessDeniedError` unless the actor's role may take ``action``."""
    if not allows(actor.role, action):
        allowed = ", ".join(role.value for role in roles_for(action))
        msg = (
            f"{action.value} needs one of the roles [{allowed}]; "
            f"user {actor.username!r} is {actor.role.value}"
        )
        raise AccessDeniedError(msg)


P = ParamSpec("P")
R = TypeVar("R")

ACTION_ATTRIBUTE: Final = "__gridmgmt_action__"
"""Where :func:`requires` records a service's action (read by :func:`action_of`)."""


def requires(action: Action) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a service entry point: check its ``actor`` argument's role first.

    The decorated function must take a parameter named ``actor``. The check runs before the
    function body, so a refused call does no work and changes nothing.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(function)
        if "actor" not in signature.parameters:
            msg = f"{function.__qualname__} takes no 'actor' parameter to check"
            raise TypeError(msg)
        position = list(signature.parameters).index("actor")

        @functools.wraps(function)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            actor: Any = kwargs["actor"] if "actor" in kwargs else args[position]
            require(actor, action)
            return function(*args, **kwargs)

        setattr(checked, ACTION_ATTRIBUTE, action)
        return checked

    return decorate


def action_of(function: Callable[..., Any]) -> Action | None:
    """The action a service entry point was declared with, or ``None``."""
    action = getattr(function, ACTION_ATTRIBUTE, None)
    return action if isinstance(action, Action) else None


def markdown_table() -> str:
    """The table as Markdown rows (action, then a mark per role), as the README shows it."""
    rows = []
    for action in Action:
        marks = " | ".join("✓" if role in POLICY[action] else "" for role in UserRole)
        rows.append(f"| `{action.value}` | {marks} |")
    return "\n".join(rows)
