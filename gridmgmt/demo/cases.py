"""The cases part of the demo: import the demo cases and show their networks.

The demo's case file (``data/demo/cases.json``) is dated 2021 to 2023 once and for all; the
demo's leads, tickets, inspections, prices and sweep are dated from the day it runs. So the
demo imports the cases moved in time (:func:`dated_case_file`): every case by the same number
of days, the latest to :data:`CASE_LAG_DAYS` before the day the demo runs. The three years of
cases then end where the rest of the demo's work is, and the pages that open on this year,
this quarter or this month (the leaders' dashboard, the quarterly report) show cases. Case
numbers keep the year they were given (an identifier is not re-dated); the spacing of the
cases, hence their networks and merge suggestions, is unchanged. The moved file is written
to the output (``demo-out/cases.json``) as the one imported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
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
from maps.cases import NetworkPage, network_page, networks_list_html, write_network_page

__all__ = [
    "CASE_LAG_DAYS",
    "DEMO_CASES_FILE",
    "NETWORKS_DIR",
    "dated_case_file",
    "network_file",
    "step",
]

DEMO_CASES_FILE: Final = "cases.json"
CASE_LAG_DAYS: Final = 1
"""The demo's latest case is opened this many days before the day the demo runs."""
NETWORKS_DIR: Final = "case-networks"
"""Folder (in the demo's output) with a page per network."""


def network_file(network_id: str) -> str:
    """The file name of a network's page in :data:`NETWORKS_DIR`."""
    return re.sub(r"[^\w.-]", "_", network_id) + ".html"


def dated_case_file(source: Path, target: Path, *, today: dt.date) -> Path:
    """Write the case file ``source`` to ``target`` with every ``opened_on`` moved by the same
    number of days, the latest to :data:`CASE_LAG_DAYS` before ``today``; return ``target``.

    Cases without a date are left as they are (the importer reports them).
    """
    cases = json.loads(source.read_text(encoding="utf-8"))
    days = [dt.date.fromisoformat(c["opened_on"]) for c in cases if c.get("opened_on")]
    if days:
        shift = today - dt.timedelta(days=CASE_LAG_DAYS) - max(days)
        for case in cases:
            if case.get("opened_on"):
                moved = dt.date.fromisoformat(case["opened_on"]) + shift
                case["opened_on"] = moved.isoformat()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return target


def _mention_counts(session: Session) -> tuple[int, int]:
    """Case mentions stored, and how many of them carry an invalid identifier."""
    count = select(func.count()).select_from(CaseMentionRecord)
    mentions = session.scalar(count) or 0
    invalid = session.scalar(count.where(CaseMentionRecord.valid.is_(False))) or 0
    return int(mentions), int(invalid)


def _page(session: Session, network_id: str, run: DemoRun, static_url: str) -> NetworkPage:
    view = network_view(session, SYSTEM, network_id)
    return network_page(
        view.network,
        view.timeline,
        view.central,
        view.chart,
        view.cases,
        view.links,
        view.counties,
        hub_cap=view.hub_cap,
        county_names=county_names(session),
        static_url=static_url,
        **run.tiles(),
    )


def _network_pages(session: Session, networks: list[Network], run: DemoRun) -> list[Path]:
    """A page per network (``case-networks/<id>.html``), and ``case-network.html``: the
    largest cross-province one. Each lists every network with a link to its page."""
    shown = sorted(networks, key=lambda n: (not n.cross_province, -len(n.cases)))
    if not shown:
        return []
    names = county_names(session)
    folder = run.out_dir / NETWORKS_DIR
    static = run.out_dir / "static"
    files = []
    for network in shown:
        nav = networks_list_html(
            shown, network_file, current=network.network_id, county_names=names
        )
        page = _page(session, network.network_id, run, "../static")
        path = folder / network_file(network.network_id)
        files.append(write_network_page(dataclasses.replace(page, nav=nav), path, static=static))
    first = shown[0].network_id
    nav = networks_list_html(
        shown, lambda n: f"{NETWORKS_DIR}/{network_file(n)}", current=first, county_names=names
    )
    page = dataclasses.replace(_page(session, first, run, "static"), nav=nav)
    return [write_network_page(page, run.out_dir / "case-network.html"), *files]


def step(run: DemoRun) -> StepResult:
    """Import the demo cases and write their networks, merge suggestions and a network page.

    Run after the demo counties are imported. Writes ``case-networks.json`` (every network,
    with its cases, counties and flags), ``case-merge-suggestions.json`` and
    ``case-network.html`` (the largest cross-province network: facts, link chart and map;
    offline, with its assets under ``static/``) and a page per network under
    ``case-networks/``; every page lists every network with a link to its page. The case
    file imported, moved in time (see the module), is written as ``cases.json`` (last of
    the files).

    Returns
    -------
    StepResult
        Counts for the demo summary and the files written.
    """
    source = demo_file(run.demo_dir, DEMO_CASES_FILE, generator="generate_cases.py")
    path = dated_case_file(source, run.out_dir / DEMO_CASES_FILE, today=dt.date.today())
    with db.transaction(run.url) as session:
        report = import_cases(session, SYSTEM, path, label=DEMO_CASES_FILE)
    with db.transaction(run.url) as session:
        networks = list_networks(session, SYSTEM)
        suggestions = merge_suggestions(session, SYSTEM, limit=50)
        mentions, invalid = _mention_counts(session)
        files = [
            write_json(run.out_dir / "case-networks.json", [n.as_dict() for n in networks]),
            write_json(run.out_dir / "case-merge-suggestions.json", jsonable(suggestions)),
        ]
        files += _network_pages(session, networks, run)
    files.append(path)
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
