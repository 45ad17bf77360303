"""Grid design and rebalance as background jobs (后台任务: 网格划分, 网格调整).

A county's design runs for seconds to minutes, so the faces queue it: the API answers 202
with the job, the grids page follows its progress and can cancel it. Each job checks the
request as the face did (:func:`~gridmgmt.services.grids.check_design`), runs the engine with
progress reported by elapsed time, and stores the design in the job's unit of work: a failed
or cancelled job stores nothing.

Job kinds (importable for batch runs, e.g. a province on Dask): :data:`DESIGN` runs
:func:`design_grids_job` with :class:`DesignParams`, :data:`REBALANCE` runs
:func:`rebalance_grids_job` with :class:`RebalanceParams`.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.jobs import JobContext, job, progress_while
from gridmgmt.policy import Action
from gridmgmt.services import grids as service
from gridmgmt.services.bounds import Count, Seed
from gridmgmt.store.models import Retailer

__all__ = [
    "DESIGN",
    "REBALANCE",
    "DesignParams",
    "RebalanceParams",
    "design_grids_job",
    "rebalance_grids_job",
]

DESIGN: Final = "grids.design"
REBALANCE: Final = "grids.rebalance"
_SECONDS_PER_RETAILER: Final = 0.02
"""Rough design time per retailer, for progress by elapsed time (plus a few seconds)."""
_SETUP_S: Final = 3.0


class DesignParams(BaseModel):
    """Design a county's grids (网格划分): a number of grids or a workload per grid."""

    county_code: str = Field(min_length=1, description="The county.")
    n_grids: Count | None = Field(default=None, ge=1, description="Grids in total.")
    target_workload: float | None = Field(
        default=None, gt=0, description="Workload per grid (visit minutes)."
    )
    seed: Seed = Field(default=0, description="Seed; the same seed gives the same grids.")
    lock: list[str] = Field(default_factory=list, description="Stored grids to keep.")
    replace: bool = Field(default=False, description="Replace the stored design.")


class RebalanceParams(BaseModel):
    """Rebalance a county's grids (网格调整); locked grids are left alone."""

    county_code: str = Field(min_length=1, description="The county.")
    lock: list[str] = Field(default_factory=list, description="Grids to leave alone.")


def _expected_s(session: Session, county: str) -> float:
    count = select(func.count(Retailer.id)).where(Retailer.county_code == county)
    return _SETUP_S + _SECONDS_PER_RETAILER * int(session.scalar(count) or 0)


@job(DESIGN, params=DesignParams, action=Action.CHANGE_GRIDS)
def design_grids_job(
    ctx: JobContext, session: Session, params: DesignParams
) -> service.DesignSummary:
    """Design the county's grids and store them (replacing a design only when asked)."""
    options = params.model_dump(exclude={"county_code", "seed"})
    max_grids = ctx.settings.max_grids
    county = params.county_code
    service.check_design(session, ctx.actor, county, max_grids=max_grids, **options)
    with progress_while(ctx, 0.02, 0.95, _expected_s(session, county), "designing"):
        design = service.design_county_grids(
            session, ctx.actor, county, seed=params.seed, max_grids=max_grids, **options
        )
    return service.DesignSummary.of(design)


@job(REBALANCE, params=RebalanceParams, action=Action.CHANGE_GRIDS)
def rebalance_grids_job(
    ctx: JobContext, session: Session, params: RebalanceParams
) -> service.RebalanceSummary:
    """Bring the county's workloads back within tolerance and store the moves."""
    county = params.county_code
    service.check_rebalance(session, ctx.actor, county)
    with progress_while(ctx, 0.02, 0.95, _expected_s(session, county), "rebalancing"):
        result = service.rebalance_county_grids(session, ctx.actor, county, lock=params.lock)
    return service.RebalanceSummary.of(result)
