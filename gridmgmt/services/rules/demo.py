"""The rules part of ``gridmgmt demo``: every rule service on the demo region.

Runs as an officer would: sets each county's rules (the ``default`` preset with the demo
road network, only where a county has none), lists red-line violators, spacing breaches,
border markets and outflow suspects, finds the border crossings and suggests checkpoint
sites, draws the month's double-random inspections (reusing a draw already stored, so a
second run changes nothing), opens a ticket for each red-line violator and reports per
grid. Lists go to ``<out>/rules/`` as CSV (UTF-8 with BOM, for Excel) and the map to
``<out>/rules.html``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Final

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.config import get_settings
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.frames import load_frame
from gridmgmt.services.rules._common import all_county_shapes, county_rules
from gridmgmt.services.rules.checkpoints import checkpoint_coverage
from gridmgmt.services.rules.checks import (
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

__all__ = ["DEMO_SEED", "demo"]

DEMO_SEED: Final = 20261121
"""Seed of the demo's inspection draws, so the demo gives the same draws every time."""
SUGGESTED_SITES: Final = 3


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    table = pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore")
    if hasattr(frame, "geometry") and "geometry" in frame.columns:
        points = frame.geometry
        if len(points) and (points.geom_type == "Point").all():
            table["lon"] = points.x.round(7).to_numpy()
            table["lat"] = points.y.round(7).to_numpy()
    table.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def demo(
    url: str, out_dir: Path, *, roads: Path | None = None
) -> tuple[dict[str, int], list[Path]]:
    """Run every rule service on the demo region already loaded into ``url``.

    Parameters
    ----------
    url
        Database URL, migrated and holding the demo region.
    out_dir
        Folder for the lists (``rules/``) and the map (``rules.html``).
    roads
        The OSM road file; by default the demo region's ``roads.osm``.

    Returns
    -------
    tuple
        Counts of what was found, by name, and the files written.
    """
    from maps.assets import write_map
    from maps.rules import build_rules_map

    road_file = roads or get_settings().demo_dir / "roads.osm"
    lists = out_dir / "rules"
    lists.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    counts: dict[str, int] = {}
    with db.transaction(url) as session:
        codes = sorted(all_county_shapes(session)["code"])
        for code, rules in county_rules(session, codes).items():
            if not rules.stored:
                set_rule_settings(
                    session, SYSTEM, code, preset_name="default", roads_file=road_file
                )
        red = red_lines(session, SYSTEM)
        files.append(_csv(red.violations, lists / "red-line-violations.csv"))
        counts["red_line_violations"] = len(red.violations)
        breaches = spacing(session, SYSTEM)
        files.append(_csv(breaches.breaches, lists / "spacing-breaches.csv"))
        counts["spacing_breaches"] = len(breaches.breaches)
        border = border_markets_report(session, SYSTEM)
        files.append(_csv(border.retailers, lists / "border-market-retailers.csv"))
        files.append(_csv(border.segments, lists / "border-segments.csv"))
        files.append(_csv(border.neighbours, lists / "border-neighbours.csv"))
        counts["border_market_retailers"] = len(border.retailers)
        outflow = outflow_report(session, SYSTEM)
        files.append(_csv(outflow.suspects, lists / "outflow-suspects.csv"))
        counts["outflow_suspects"] = len(outflow.suspects)
        coverage = checkpoint_coverage(session, SYSTEM, k=SUGGESTED_SITES, start=outflow.end)
        files.append(_csv(coverage.crossings, lists / "border-crossings.csv"))
        files.append(_csv(coverage.sites, lists / "suggested-checkpoints.csv"))
        files.append(_csv(coverage.rotation, lists / "mobile-checkpoint-rotation.csv"))
        counts["border_crossings"] = len(coverage.crossings)
        counts["uncovered_crossings"] = int((~coverage.crossings["covered"].astype(bool)).sum())
        counts["suggested_checkpoints"] = len(coverage.sites)
        period_day = outflow.end or dt.date.today()
        period = f"{period_day:%Y-%m}"
        drawn = 0
        for code in codes:
            existing = list_draws(session, SYSTEM, county=code, period=period)
            draw = existing[0] if existing else None
            if draw is None:
                draw = make_draw(session, SYSTEM, county=code, period=period, seed=DEMO_SEED)
            drawn += len(get_draw(session, SYSTEM, draw.id).inspections)
            publication = publish_results(session, SYSTEM, draw.id, lists)
            files += [publication.csv, publication.page]
        counts["inspection_draws"] = len(codes)
        counts["inspections_drawn"] = drawn
        _tickets_for_violators(session, red.violations, period_day)
        counts["tickets"] = int(session.scalar(select(func.count(TicketRecord.id))) or 0)
        overdue = overdue_list(session, SYSTEM)
        files.append(_csv(overdue, lists / "overdue-tickets.csv"))
        counts["overdue_tickets"] = len(overdue)
        first = dt.datetime.combine(period_day.replace(day=1), dt.time())
        following = (first + dt.timedelta(days=32)).replace(day=1)
        reports = [report(session, SYSTEM, county=c, start=first, end=following) for c in codes]
        files.append(
            _csv(pd.concat(reports, ignore_index=True), lists / "grid-supervision-report.csv")
        )
        counties = load_frame(session, "counties", SYSTEM)
        settings = get_settings()
        m = build_rules_map(
            counties,
            red_line_zones=red.zones,
            violations=red.violations,
            breaches=breaches.breaches,
            borders=border.borders,
            bands=border.bands,
            border_retailers=border.retailers,
            crossings=coverage.crossings,
            checkpoints=coverage.checkpoints,
            sites=coverage.sites,
            tile_url=settings.tile_url,
            tile_attribution=settings.tile_attribution,
            tile_crs=settings.tile_crs,
        )
        notes = red.notes + breaches.notes + border.notes + outflow.notes + coverage.notes
    files.append(write_map(m, out_dir / "rules.html"))
    summary = lists / "summary.json"
    summary.write_text(
        json.dumps({"counts": counts, "notes": notes}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    files.append(summary)
    return counts, files


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
