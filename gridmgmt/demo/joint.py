"""The demo's joint case (网络案件协同办理): one cross-county network opened for joint work.

The largest network spanning counties that reaches the demo liaison's counties is opened by
another of its counties, so the liaison finds an invitation to join on ``/cases/joint``.
Idempotent: a demo that has a joint case keeps it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from gridmgmt.cases.networks import Network
from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.cases import list_networks
from gridmgmt.services.cases.joint import open_joint_case
from gridmgmt.store import db
from gridmgmt.store.models import User, UserCounty
from gridmgmt.store.models.joint import JointCase

__all__ = ["open_demo_joint_case"]

LIAISON = "liaison"
"""The demo liaison's username (:mod:`gridmgmt.demo.users`)."""


def _choice(networks: list[Network], liaison: set[str]) -> tuple[Network, str] | None:
    """The network to open and the county opening it (not the liaison's, where possible)."""
    spanning = [n for n in networks if len(n.counties) > 1]
    spanning.sort(key=lambda n: (not (set(n.counties) & liaison), -len(n.cases), n.network_id))
    for network in spanning:
        others = [c for c in network.counties if c not in liaison]
        return network, (others or list(network.counties))[0]
    return None


def open_demo_joint_case(run: DemoRun) -> StepResult:
    """Open the demo's joint case unless one exists; counts ``joint_cases``."""
    with db.transaction(run.url) as session:
        if session.scalar(select(func.count()).select_from(JointCase)):
            return StepResult(counts={"joint_cases": 1})
        liaison = set(
            session.scalars(
                select(UserCounty.county_code)
                .join(User, User.id == UserCounty.user_id)
                .where(User.username == LIAISON)
            )
        )
        choice = _choice(list_networks(session, SYSTEM), liaison)
        if choice is None:
            return StepResult(counts={"joint_cases": 0})
        network, county = choice
        open_joint_case(
            session,
            SYSTEM,
            network.network_id,
            title="跨省涉烟网络协同办理（演示）",
            note="演示数据：由案件网络发起的协同办理，待其他县联络员加入。",
            county=county,
        )
    return StepResult(counts={"joint_cases": 1})
