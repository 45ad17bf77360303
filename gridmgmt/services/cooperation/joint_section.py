"""The quarterly report's section on joint cases and merges (网络案件协同办理, 并案).

Per county of the report, over the quarter: joint cases opened that the county is in, those
it joined, merges proposed with one of its cases, and merges that took effect.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from sqlalchemy import select

from gridmgmt.cases.joint import MembershipState, MergeState
from gridmgmt.store.models.joint import CaseMerge, JointCase, JointCaseCounty

if TYPE_CHECKING:
    from gridmgmt.services.cooperation.report import ReportContext, ReportTable

__all__ = ["joint_cases_section"]


def _joint_counts(ctx: ReportContext) -> tuple[Counter[str], Counter[str]]:
    rows = ctx.session.execute(
        select(JointCaseCounty.county_code, JointCaseCounty.state)
        .join(JointCase, JointCase.id == JointCaseCounty.joint_case_id)
        .where(
            JointCase.opened_at >= ctx.quarter.start,
            JointCase.opened_at < ctx.quarter.end,
            JointCaseCounty.county_code.in_(ctx.counties),
        )
    ).all()
    opened = Counter(county for county, _state in rows)
    joined = Counter(
        county for county, state in rows if MembershipState(state) is MembershipState.JOINED
    )
    return opened, joined


def _merge_counts(ctx: ReportContext) -> tuple[Counter[str], Counter[str]]:
    merges = ctx.session.scalars(
        select(CaseMerge).where(
            CaseMerge.proposer_county.in_(ctx.counties) | CaseMerge.other_county.in_(ctx.counties)
        )
    ).all()
    proposed: Counter[str] = Counter()
    in_force: Counter[str] = Counter()
    for merge in merges:
        sides = {merge.proposer_county, merge.other_county}
        if ctx.quarter.start <= merge.proposed_at < ctx.quarter.end:
            proposed.update(sides)
        decided = merge.decided_at
        merged = MergeState(merge.state) is MergeState.MERGED
        if merged and decided is not None and ctx.quarter.start <= decided < ctx.quarter.end:
            in_force.update(sides)
    return proposed, in_force


def joint_cases_section(ctx: ReportContext) -> ReportTable:
    """Joint cases and merges of the quarter, per county."""
    from gridmgmt.services.cooperation.report import ChartBar, ReportTable

    opened, joined = _joint_counts(ctx)
    proposed, in_force = _merge_counts(ctx)
    rows = [[ctx.label(c), opened[c], joined[c], proposed[c], in_force[c]] for c in ctx.counties]
    return ReportTable(
        key="joint_cases",
        title="Joint cases and merges",
        columns=["County", "Joint cases", "Joined", "Merges proposed", "Merges in force"],
        rows=rows,
        chart_title="Joint cases",
        chart=[ChartBar(label=ctx.names[c], value=float(opened[c])) for c in ctx.counties],
    )
