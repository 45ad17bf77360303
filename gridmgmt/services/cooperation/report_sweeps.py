"""The quarterly report's section on joint border-market sweeps (毗邻市场集中整治).

Per county of the report: the sweeps it took part in whose day falls in the quarter, its
targets in them, how many were checked, the violations found and the cartons seized; the
sweeps themselves are named in the notes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gridmgmt.services.cooperation.report import ChartBar, ReportContext, ReportTable
from gridmgmt.store.models.prices import SweepCounty, SweepRecord

__all__ = ["sweeps_table"]


def sweeps_table(ctx: ReportContext) -> ReportTable:
    """Sweeps of the quarter per county: sweeps, targets, checked, violations, cartons."""
    taking_part = select(SweepCounty.sweep_id).where(SweepCounty.county_code.in_(ctx.counties))
    sweeps = ctx.session.scalars(
        select(SweepRecord)
        .where(
            SweepRecord.id.in_(taking_part),
            SweepRecord.planned_for >= ctx.quarter.first,
            SweepRecord.planned_for <= ctx.quarter.last,
        )
        .options(selectinload(SweepRecord.counties), selectinload(SweepRecord.targets))
        .order_by(SweepRecord.planned_for, SweepRecord.sweep_no)
    ).all()
    figures: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
    for sweep in sweeps:
        for county in sweep.counties:
            if county.county_code in ctx.counties:
                figures[county.county_code][0] += 1
        for target in sweep.targets:
            if target.county_code not in ctx.counties:
                continue
            entry = figures[target.county_code]
            entry[1] += 1
            if target.outcome is not None:
                entry[2] += 1
                entry[3] += target.violations
                entry[4] += target.seized_cartons or 0.0
    rows: list[list[Any]] = []
    for code in ctx.counties:
        n, targets, checked, violations, cartons = figures[code]
        rows.append(
            [
                ctx.label(code),
                int(n),
                int(targets),
                int(checked),
                int(violations),
                round(cartons, 1),
            ]
        )
    notes = [
        f"{s.sweep_no} {s.planned_for}: " + ", ".join(ctx.label(c.county_code) for c in s.counties)
        for s in sweeps
    ]
    return ReportTable(
        key="sweeps",
        title="Joint border-market sweeps",
        columns=["County", "Sweeps", "Targets", "Checked", "Violations", "Cartons seized"],
        rows=rows,
        chart_title="Violations found in sweeps per county",
        chart=[
            ChartBar(label=ctx.names.get(c, c), value=float(r[4]))
            for c, r in zip(ctx.counties, rows, strict=True)
        ],
        notes=notes,
    )
