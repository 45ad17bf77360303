"""The rules part of the demo: every rule service on the demo region, as an officer would.

Sets each county's rules (the ``default`` preset with the demo road network, only where a
county has none), lists red-line violators, spacing breaches, border markets and outflow
suspects, finds the border crossings and suggests checkpoint sites, draws the month's
double-random inspections (reusing a draw already stored, so a second run changes nothing),
opens a ticket for each red-line violator and reports per grid. Lists go to
``<out>/rules/`` as CSV (UTF-8 with BOM, for Excel) and the map to ``<out>/rules.html``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import folium
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.demo._common import DemoRun, StepResult, write_json
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.frames import load_frame
from gridmgmt.services.rules._common import all_county_shapes, county_rules
from gridmgmt.services.rules.checkpoints import CoverageReport, checkpoint_coverage
from gridmgmt.services.rules.checks import (
    BorderReport,
    OutflowReport,
    RedLineReport,
    SpacingReport,
    border_markets_report,
    outflow_report,
    red_lines,
    spacing,
)
from gridmgmt.services.rules.inspections import get_draw, list_draws, make_draw
from gridmgmt.services.rules.publish import publish_results
from gridmgmt.services.rules.settings import set_rule_settings
from gridmgmt.services.rules.tickets import create_ticket, overdue_list, report
from gridmgmt.store import db
from gridmgmt.store.models.rules import TicketRecord
from maps.assets import write_map
from maps.rules import build_rules_map

__all__ = ["DEMO_SEED", "SUGGESTED_SITES", "RuleChecks", "check", "finish", "step", "write_csv"]

DEMO_SEED: Final = 20261121
"""Seed of the demo's inspection draws, so the demo gives the same draws every time."""
SUGGESTED_SITES: Final = 3


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """A list as CSV for Excel (UTF-8 with BOM); points get ``lon``/``lat`` columns."""
    table = pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore")
    if hasattr(frame, "geometry") and "geometry" in frame.columns:
        points = frame.geometry
        if len(points) and (points.geom_type == "Point").all():
            table["lon"] = points.x.round(7).to_numpy()
            table["lat"] = points.y.round(7).to_numpy()
    table.to_csv(path, index=False, encoding="utf-8-sig")
    return path


@dataclass(frozen=True)
class _Checks:
    """The reports of the rule checks, as the services answer them."""

    red: RedLineReport
    spacing: SpacingReport
    border: BorderReport
    outflow: OutflowReport
    coverage: CoverageReport

    @property
    def notes(self) -> list[str]:
        return (
            self.red.notes
            + self.spacing.notes
            + self.border.notes
            + self.outflow.notes
            + self.coverage.notes
        )


def _set_missing_rules(session: Session, codes: list[str], roads: Path) -> None:
    """The ``default`` preset with the demo roads, for each county without stored rules."""
    for code, rules in county_rules(session, codes).items():
        if not rules.stored:
            set_rule_settings(session, SYSTEM, code, preset_name="default", roads_file=roads)


def _run_checks(session: Session) -> _Checks:

    red = red_lines(session, SYSTEM)
    breaches = spacing(session, SYSTEM)
    border = border_markets_report(session, SYSTEM)
    outflow = outflow_report(session, SYSTEM)
    coverage = checkpoint_coverage(session, SYSTEM, k=SUGGESTED_SITES, start=outflow.end)
    return _Checks(red, breaches, border, outflow, coverage)


def _write_checks(checks: _Checks, lists: Path, result: StepResult) -> None:
    """The check lists as CSV files, and their counts."""
    written = {
        "red-line-violations": checks.red.violations,
        "spacing-breaches": checks.spacing.breaches,
        "border-market-retailers": checks.border.retailers,
        "border-segments": checks.border.segments,
        "border-neighbours": checks.border.neighbours,
        "outflow-suspects": checks.outflow.suspects,
        "border-crossings": checks.coverage.crossings,
        "suggested-checkpoints": checks.coverage.sites,
        "mobile-checkpoint-rotation": checks.coverage.rotation,
    }
    result.files += [write_csv(frame, lists / f"{name}.csv") for name, frame in written.items()]
    crossings = checks.coverage.crossings
    result.counts.update(
        {
            "red_line_violations": len(checks.red.violations),
            "spacing_breaches": len(checks.spacing.breaches),
            "border_market_retailers": len(checks.border.retailers),
            "outflow_suspects": len(checks.outflow.suspects),
            "border_crossings": len(crossings),
            "uncovered_crossings": int((~crossings["covered"].astype(bool)).sum()),
            "suggested_checkpoints": len(checks.coverage.sites),
        }
    )


def _inspections(
    session: Session, codes: list[str], period: str, lists: Path, result: StepResult
) -> None:
    """The month's draw of each county (the stored one if any), published."""
    drawn = 0
    for code in codes:
        existing = list_draws(session, SYSTEM, county=code, period=period)
        draw = existing[0] if existing else None
        if draw is None:
            draw = make_draw(session, SYSTEM, county=code, period=period, seed=DEMO_SEED)
        drawn += len(get_draw(session, SYSTEM, draw.id).inspections)
        publication = publish_results(session, SYSTEM, draw.id, lists)
        result.files += [publication.csv, publication.page]
    result.counts["inspection_draws"] = len(codes)
    result.counts["inspections_drawn"] = drawn


def _tickets_for_violators(session: Session, violations: pd.DataFrame, day: dt.date) -> int:
    """A violation ticket (违规线索) per red-line violator that has none yet."""
    opened = 0
    summaries = set(
        session.scalars(select(TicketRecord.summary).where(TicketRecord.kind == "violation"))
    )
    collected = dt.datetime.combine(day, dt.time(9, 0))
    for row in violations.drop_duplicates("licence_no").itertuples(index=False):
        summary = (
            f"红线内零售户 {row.licence_no} {row.name}: {row.distance_m:.0f} m from "
            f"{row.school} (limit {row.limit_m:g} m)"
        )
        if summary in summaries:
            continue
        create_ticket(
            session,
            SYSTEM,
            county=str(row.county_code),
            kind="violation",
            summary=summary,
            licence_no=str(row.licence_no),
            collected_at=collected,
        )
        opened += 1
    return opened


def _tickets(
    session: Session,
    checks: _Checks,
    codes: list[str],
    day: dt.date,
    lists: Path,
    result: StepResult,
) -> None:
    """Tickets for the red-line violators, the overdue list and the month's grid report."""
    _tickets_for_violators(session, checks.red.violations, day)
    result.counts["tickets"] = int(session.scalar(select(func.count(TicketRecord.id))) or 0)
    overdue = overdue_list(session, SYSTEM)
    result.files.append(write_csv(overdue, lists / "overdue-tickets.csv"))
    result.counts["overdue_tickets"] = len(overdue)
    first = dt.datetime.combine(day.replace(day=1), dt.time())
    following = (first + dt.timedelta(days=32)).replace(day=1)
    reports = [report(session, SYSTEM, county=c, start=first, end=following) for c in codes]
    table = pd.concat(reports, ignore_index=True)
    result.files.append(write_csv(table, lists / "grid-supervision-report.csv"))


def _rules_map(session: Session, checks: _Checks, run: DemoRun) -> folium.Map:

    return build_rules_map(
        load_frame(session, "counties", SYSTEM),
        red_line_zones=checks.red.zones,
        violations=checks.red.violations,
        breaches=checks.spacing.breaches,
        borders=checks.border.borders,
        bands=checks.border.bands,
        border_retailers=checks.border.retailers,
        crossings=checks.coverage.crossings,
        checkpoints=checks.coverage.checkpoints,
        sites=checks.coverage.sites,
        **run.tiles(),
    )


@dataclass(frozen=True)
class RuleChecks:
    """The first half of the rules step: the checks, their lists written (no grids needed)."""

    codes: list[str]
    checks: _Checks
    result: StepResult


def check(run: DemoRun) -> RuleChecks:
    """Set missing rules, run the checks and write their lists (``rules/*.csv``).

    Needs no grids, so it can run while the grids are being designed.
    """
    lists = run.folder("rules")
    result = StepResult()
    with db.transaction(run.url) as session:
        codes = sorted(all_county_shapes(session)["code"])
        _set_missing_rules(session, codes, run.roads)
    with db.transaction(run.url) as session:
        checks = _run_checks(session)
    _write_checks(checks, lists, result)
    return RuleChecks(codes, checks, result)


def finish(run: DemoRun, checked: RuleChecks) -> StepResult:
    """The second half, once the grids are stored: inspections, tickets, report, map, summary.

    Returns
    -------
    StepResult
        Counts of what was found, by name, and the files written (the lists, the inspection
        publications, ``rules.html`` and ``rules/summary.json``).
    """
    lists = run.folder("rules")
    result = StepResult(dict(checked.result.counts), list(checked.result.files))
    checks = checked.checks
    with db.transaction(run.url) as session:
        day = checks.outflow.end or dt.date.today()
        _inspections(session, checked.codes, f"{day:%Y-%m}", lists, result)
        _tickets(session, checks, checked.codes, day, lists, result)
        m = _rules_map(session, checks, run)
    result.files.append(write_map(m, run.out_dir / "rules.html"))
    summary = {"counts": result.counts, "notes": checks.notes}
    result.files.append(write_json(lists / "summary.json", summary))
    return result


def step(run: DemoRun) -> StepResult:
    """Run every rule service on the demo region already loaded into the run's database."""
    return finish(run, check(run))
