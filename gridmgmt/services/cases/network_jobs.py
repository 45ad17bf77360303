"""Building the case networks as a background job (后台任务: 构建案件网络).

Over a large store, resolving every mention into entities and grouping the linked cases into
networks takes long, so the faces queue it: the API answers 202 with the job, the case page's
button follows its progress and can cancel it. The job computes first (the link index over
every county, then the caller's networks), checking for cancel between the steps, and stores
at the end, in the job's unit of work, the entity each mention resolves to: a failed or
cancelled job stores nothing.

Job kind (importable for batch runs, e.g. a province on Dask): :data:`BUILD_NETWORKS` runs
:func:`build_networks_job` with :class:`BuildNetworksParams`.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.jobs import JobContext, job, progress_while
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases._store import refresh_entity_ids
from gridmgmt.services.cases.networks import network_parts
from gridmgmt.services.results import Result
from gridmgmt.store.models.cases import CaseMentionRecord

__all__ = [
    "BUILD_NETWORKS",
    "BuildNetworksParams",
    "NetworksBuilt",
    "build_networks",
    "build_networks_job",
    "networks_params",
]

BUILD_NETWORKS: Final = "cases.build_networks"
_SECONDS_PER_MENTION: Final = 0.0005
"""Rough build time per mention, for progress by elapsed time (plus a few seconds)."""
_SETUP_S: Final = 2.0


class BuildNetworksParams(BaseModel):
    """Build the case networks for a caller of these counties (empty: every county, admins
    only). The counties are the job's scope; the networks are those the caller may see."""

    county_codes: list[str] = Field(
        default_factory=list, description="The caller's counties (the job's scope)."
    )


class NetworksBuilt(Result):
    """What a build found: networks seen by the caller, their cases, entities updated."""

    networks: int
    cases_in_networks: int
    largest: int
    mentions_updated: int
    extending_elsewhere: int = Field(
        description="Networks with cases in counties the caller may not see."
    )


@requires(Action.CHANGE_CASES)
def networks_params(actor: Actor) -> BuildNetworksParams:
    """The params of a build for ``actor``: their counties (an admin: every county)."""
    return BuildNetworksParams(county_codes=sorted(actor.counties or ()))


@requires(Action.CHANGE_CASES)
def build_networks(session: Session, actor: Actor) -> NetworksBuilt:
    """Resolve entities and find the networks over every county; store the entity ids.

    The writes go to the caller's unit of work (the job's, or a batch task's): computed
    first, stored at the end.
    """
    parts = network_parts(session, actor)
    changed = refresh_entity_ids(session)
    sizes = [len(p.cases) for p in parts.values()]
    return NetworksBuilt(
        networks=len(parts),
        cases_in_networks=sum(sizes),
        largest=max(sizes, default=0),
        mentions_updated=changed,
        extending_elsewhere=sum(1 for p in parts.values() if p.other_counties),
    )


@job(BUILD_NETWORKS, params=BuildNetworksParams, action=Action.CHANGE_CASES)
def build_networks_job(
    ctx: JobContext, session: Session, params: BuildNetworksParams
) -> NetworksBuilt:
    """:func:`build_networks` for the job's actor, with progress by elapsed time."""
    mentions = int(session.scalar(select(func.count(CaseMentionRecord.id))) or 0)
    expected = _SETUP_S + _SECONDS_PER_MENTION * mentions
    with progress_while(ctx, 0.02, 0.95, expected, "linking cases"):
        return build_networks(session, ctx.actor)
