"""The cases part of the demo: import the demo cases and show their networks."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.cases.networks import Network
from gridmgmt.demo._common import DemoRun, StepResult, write_json
from gridmgmt.demo.region import demo_file
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.cases._store import county_names
from gridmgmt.services.cases.networks import (
    list_networks,
    merge_suggestions,
    network_view,
)
from gridmgmt.services.cases.records import import_cases
from gridmgmt.services.results import jsonable
from gridmgmt.store import db
from gridmgmt.store.models.cases import CaseMentionRecord
from maps.cases import network_page, write_network_page

__all__ = ["DEMO_CASES_FILE", "step"]

DEMO_CASES_FILE: Final = "cases.json"


def _mention_counts(session: Session) -> tuple[int, int]:
    """Case mentions stored, and how many of them carry an invalid identifier."""
    count = select(func.count()).select_from(CaseMentionRecord)
    mentions = session.scalar(count) or 0
    invalid = session.scalar(count.where(CaseMentionRecord.valid.is_(False))) or 0
    return int(mentions), int(invalid)


def _network_page(session: Session, networks: list[Network], run: DemoRun) -> list[Path]:
    """The largest cross-province network's page (``case-network.html``), if any network."""
    shown = sorted(networks, key=lambda n: (not n.cross_province, -len(n.cases)))
    if not shown:
        return []
    view = network_view(session, SYSTEM, shown[0].network_id)
    page = network_page(
        view.network,
        view.timeline,
        view.central,
        view.chart,
        view.cases,
        view.links,
        view.counties,
        hub_cap=view.hub_cap,
        county_names=county_names(session),
        static_url="static",
        **run.tiles(),
    )
    return [write_network_page(page, run.out_dir / "case-network.html")]


def step(run: DemoRun) -> StepResult:
    """Import the demo cases and write their networks, merge suggestions and a network page.

    Run after the demo counties are imported. Writes ``case-networks.json`` (every network,
    with its cases, counties and flags), ``case-merge-suggestions.json`` and
    ``case-network.html`` (the largest cross-province network: facts, link chart and map;
    offline, with its assets under ``static/``).

    Returns
    -------
    StepResult
        Counts for the demo summary and the files written.
    """
    path = demo_file(run.demo_dir, DEMO_CASES_FILE, generator="generate_cases.py")
    with db.transaction(run.url) as session:
        report = import_cases(session, SYSTEM, path, label=DEMO_CASES_FILE)
    run.out_dir.mkdir(parents=True, exist_ok=True)
    with db.transaction(run.url) as session:
        networks = list_networks(session, SYSTEM)
        suggestions = merge_suggestions(session, SYSTEM, limit=50)
        mentions, invalid = _mention_counts(session)
        files = [
            write_json(run.out_dir / "case-networks.json", [n.as_dict() for n in networks]),
            write_json(run.out_dir / "case-merge-suggestions.json", jsonable(suggestions)),
        ]
        files += _network_page(session, networks, run)
    counts = {
        "cases": report.rows,
        "case mentions": mentions,
        "invalid identifiers (kept, flagged)": invalid,
        "case networks": len(networks),
        "network cases (网络案件)": sum(n.network_case for n in networks),
        "cross-province networks": sum(n.cross_province for n in networks),
        "merge suggestions": len(suggestions),
    }
    return StepResult(counts, files)
