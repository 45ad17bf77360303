"""The cases step of ``gridmgmt demo``: import the demo cases and show their networks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from gridmgmt.config import get_settings
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

__all__ = ["DEMO_CASES_FILE", "demo"]

DEMO_CASES_FILE = "cases.json"


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def demo(
    url: str, out_dir: Path, *, demo_dir: Path | None = None
) -> tuple[dict[str, int], list[Path]]:
    """Import the demo cases and write their networks, merge suggestions and a network page.

    Run after the demo counties are imported. Writes into ``out_dir``:
    ``case-networks.json`` (every network, with its cases, counties and flags),
    ``case-merge-suggestions.json`` and ``case-network.html`` (the largest cross-province
    network: facts, link chart and map; offline, with its assets under ``static/``).

    Parameters
    ----------
    url
        Database URL (migrated, demo counties imported).
    out_dir
        Output folder.
    demo_dir
        Folder with ``cases.json`` (default: the settings' demo folder).

    Returns
    -------
    tuple
        Counts for the demo summary and the files written.
    """
    from maps.cases import network_page, write_network_page

    settings = get_settings()
    folder = demo_dir or settings.demo_dir
    path = folder / DEMO_CASES_FILE
    if not path.exists():
        msg = f"demo file {path} is missing; regenerate it: uv run python data/generate_cases.py"
        raise FileNotFoundError(msg)
    with db.transaction(url) as session:
        report = import_cases(session, SYSTEM, path, label=DEMO_CASES_FILE)
    out_dir.mkdir(parents=True, exist_ok=True)
    with db.transaction(url) as session:
        networks = list_networks(session, SYSTEM)
        suggestions = merge_suggestions(session, SYSTEM, limit=50)
        mentions = session.scalar(select(func.count()).select_from(CaseMentionRecord)) or 0
        invalid = (
            session.scalar(
                select(func.count())
                .select_from(CaseMentionRecord)
                .where(CaseMentionRecord.valid.is_(False))
            )
            or 0
        )
        files = [
            _write_json(out_dir / "case-networks.json", [n.as_dict() for n in networks]),
            _write_json(out_dir / "case-merge-suggestions.json", jsonable(suggestions)),
        ]
        shown = sorted(networks, key=lambda n: (not n.cross_province, -len(n.cases)))
        if shown:
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
                tile_url=settings.tile_url,
                tile_attribution=settings.tile_attribution,
                tile_crs=settings.tile_crs,
                static_url="static",
            )
            files.append(write_network_page(page, out_dir / "case-network.html"))
    counts = {
        "cases": report.rows,
        "case mentions": int(mentions),
        "invalid identifiers (kept, flagged)": int(invalid),
        "case networks": len(networks),
        "network cases (网络案件)": sum(n.network_case for n in networks),
        "cross-province networks": sum(n.cross_province for n in networks),
        "merge suggestions": len(suggestions),
    }
    return counts, files
