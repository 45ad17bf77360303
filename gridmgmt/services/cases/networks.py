"""Networks of linked cases, as an actor sees them: list, detail, merges, chains, views.

Every answer is computed on the link index of the cases the actor may see (their counties'
and those shared with them): a network that runs into a county the actor has no share of
shows only its visible part, and its id (``N-`` and its smallest visible case number) is
that of the actor's view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely.geometry import LineString, Point
from sqlalchemy.orm import Session

from gridmgmt.cases.graph import Evidence
from gridmgmt.cases.networks import (
    CaseLinkIndex,
    Centrality,
    Chain,
    MergeSuggestion,
    Network,
    TimelineEntry,
)
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases._store import CaseNotFoundError, county_names, link_index, plain
from gridmgmt.services.frames import load_frame

__all__ = [
    "NetworkView",
    "case_path",
    "centrality_dict",
    "chain_dict",
    "list_networks",
    "merge_suggestions",
    "network_detail",
    "network_view",
    "require_network",
    "suggestion_dict",
    "timeline_dict",
]

WGS84: Final = "EPSG:4326"
CASE_FIELDS: Final = (
    "case_no",
    "county_code",
    "county",
    "opened_on",
    "type",
    "status",
    "seized_cartons",
    "value_yuan",
    "summary",
)
LINK_FIELDS: Final = (
    "from_case",
    "to_case",
    "weight",
    "strong",
    "evidence",
    "cross_county",
    "cross_province",
)


def list_networks(session: Session, actor: Actor, *, county: str | None = None) -> list[Network]:
    """The networks among the cases the actor may see, the largest first.

    Parameters
    ----------
    county
        Only networks with a case in this county.
    """
    with link_index(session, actor) as view:
        networks = view.index.networks()
    if county is not None:
        networks = [n for n in networks if county in n.counties]
    return networks


def require_network(index: CaseLinkIndex, network_id: str) -> Network:
    """The network with this id in the index.

    Raises
    ------
    CaseNotFoundError
        If the index has no such network.
    """
    try:
        return index.network(network_id)
    except KeyError:
        msg = f"network {network_id!r} not found"
        raise CaseNotFoundError(msg) from None


def evidence_dict(evidence: Evidence) -> dict[str, Any]:
    """One shared entity and how much it links, JSON-ready."""
    return {
        "entity_id": evidence.entity_id,
        "kind": evidence.kind,
        "label": evidence.label,
        "strength": round(evidence.strength, 4),
        "hub_factor": round(evidence.hub_factor, 4),
        "cases_touched": evidence.cases_touched,
        "weight": round(evidence.weight, 4),
    }


def timeline_dict(entry: TimelineEntry) -> dict[str, Any]:
    """A timeline entry, JSON-ready."""
    return plain(
        {
            "case_no": entry.case_no,
            "opened_on": entry.opened_on,
            "county_code": entry.county_code,
            "type": entry.type,
            "seized_cartons": entry.seized_cartons,
            "value_yuan": entry.value_yuan,
            "linked_to_earlier": entry.linked_to_earlier,
        }
    )


def centrality_dict(item: Centrality) -> dict[str, Any]:
    """A central entity, JSON-ready."""
    return {
        "entity_id": item.entity_id,
        "kind": item.kind,
        "label": item.label,
        "cases": item.cases,
        "betweenness": item.betweenness,
    }


def network_detail(session: Session, actor: Actor, network_id: str) -> dict[str, Any]:
    """A network with its timeline and its most central people and phones.

    Raises
    ------
    CaseNotFoundError
        If the actor's view has no network with this id.
    """
    with link_index(session, actor) as view:
        network = require_network(view.index, network_id)
        timeline = view.index.timeline(network_id)
        central = view.index.central_entities(network_id)
    names = county_names(session)
    return network.as_dict() | {
        "county_names": {code: names.get(code, code) for code in network.counties},
        "timeline": [timeline_dict(entry) for entry in timeline],
        "central_entities": [centrality_dict(item) for item in central],
    }


def suggestion_dict(suggestion: MergeSuggestion) -> dict[str, Any]:
    """A merge suggestion (并案建议), JSON-ready."""
    return {
        "cases": list(suggestion.cases),
        "score": suggestion.score,
        "level": suggestion.level,
        "evidence": [evidence_dict(e) for e in suggestion.evidence],
    }


def merge_suggestions(
    session: Session, actor: Actor, *, min_score: float = 0.7, limit: int | None = 100
) -> list[MergeSuggestion]:
    """Cases the actor may see that should be merged (并案), strongest first.

    Raises
    ------
    ValueError
        If ``min_score`` is outside [0, 1] or ``limit`` below 1.
    """
    if not 0 <= min_score <= 1:
        msg = f"min_score must lie in [0, 1], got {min_score}"
        raise ValueError(msg)
    if limit is not None and limit < 1:
        msg = f"limit must be at least 1, got {limit}"
        raise ValueError(msg)
    with link_index(session, actor) as view:
        return view.index.suggest_merges(min_score=min_score, limit=limit)


def chain_dict(chain: Chain) -> dict[str, Any]:
    """The chain between two cases, JSON-ready."""
    return {
        "cases": list(chain.cases),
        "cost": chain.cost,
        "links": [
            {
                "from_case": link.from_case,
                "to_case": link.to_case,
                "entity_id": link.entity_id,
                "kind": link.kind,
                "label": link.label,
                "weight": round(link.weight, 4),
            }
            for link in chain.links
        ],
    }


def case_path(session: Session, actor: Actor, source: str, target: str) -> Chain | None:
    """The strongest chain of shared entities between two cases, or None if unlinked.

    Raises
    ------
    CaseNotFoundError
        If either case is not one the actor may see.
    """
    with link_index(session, actor) as view:
        for case_no in (source, target):
            if case_no not in view.index.cases:
                msg = f"case {case_no!r} not found"
                raise CaseNotFoundError(msg)
        return view.index.shortest_chain(source, target)


# --- a network for pages, maps and exports --------------------------------------------------


@dataclass(frozen=True)
class NetworkView:
    """What a network page, map or export shows.

    Parameters
    ----------
    network
        The network and its flags.
    timeline
        Its cases by date.
    central
        Its most central people and phones.
    chart
        The full link chart (cases and every entity they mention).
    cases
        One point per case (WGS-84; None where the case has no location).
    links
        One line per pair of linked cases, with the evidence and whether it crosses a
        county or province border.
    counties
        Outlines of the counties of the network's cases.
    hub_cap
        Entities touching more cases than this link nothing (hubs).
    """

    network: Network
    timeline: list[TimelineEntry]
    central: list[Centrality]
    chart: nx.Graph
    cases: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    counties: gpd.GeoDataFrame
    hub_cap: int


def network_view(session: Session, actor: Actor, network_id: str) -> NetworkView:
    """Everything a page, map or export of one network needs.

    Raises
    ------
    CaseNotFoundError
        If the actor's view has no network with this id.
    """
    names = county_names(session)
    with link_index(session, actor) as view:
        index = view.index
        network = require_network(index, network_id)
        chart = index.link_chart(network.cases)
        cases = _case_frame(index, network.cases, names)
        links = _link_frame(index, network.cases)
        timeline = index.timeline(network_id)
        central = index.central_entities(network_id)
        hub_cap = index.link_settings.hub_cap
    # Outlines are public geography: read unscoped, only the network's counties.
    counties = load_frame(session, "counties", SYSTEM, county_codes=list(network.counties))
    return NetworkView(network, timeline, central, chart, cases, links, counties, hub_cap)


def _case_frame(
    index: CaseLinkIndex, case_nos: Iterable[str], names: dict[str, str]
) -> gpd.GeoDataFrame:
    records, points = [], []
    for case_no in case_nos:
        case = index.cases[case_no]
        records.append(
            {
                "case_no": case.case_no,
                "county_code": case.county_code,
                "county": names.get(case.county_code, case.county_code),
                "opened_on": case.opened_on.isoformat(),
                "type": case.type.value,
                "status": case.status.value,
                "seized_cartons": case.seized_cartons,
                "value_yuan": case.value_yuan,
                "summary": case.summary,
            }
        )
        located = case.lon is not None and case.lat is not None
        points.append(Point(case.lon, case.lat) if located else None)
    frame = pd.DataFrame(records, columns=list(CASE_FIELDS))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(points, crs=WGS84), crs=WGS84)


def _link_frame(index: CaseLinkIndex, case_nos: Iterable[str]) -> gpd.GeoDataFrame:
    members = sorted(case_nos)
    threshold = index.network_settings.strong_threshold
    records, lines = [], []
    for left, right, data in sorted(index.projection.subgraph(members).edges(data=True)):
        first, second = sorted((left, right))
        a, b = index.cases[first], index.cases[second]
        labels = [
            f"{index.graph.nodes[entity]['label']} ({index.graph.nodes[entity]['kind']})"
            for entity, _weight in data["evidence"]
        ]
        records.append(
            {
                "from_case": first,
                "to_case": second,
                "weight": round(float(data["weight"]), 4),
                "strong": bool(data["weight"] >= threshold),
                "evidence": "; ".join(labels),
                "cross_county": a.county_code != b.county_code,
                "cross_province": a.province_code != b.province_code,
            }
        )
        ends = [(c.lon, c.lat) for c in (a, b) if c.lon is not None and c.lat is not None]
        lines.append(LineString(ends) if len(ends) == 2 else None)
    frame = pd.DataFrame(records, columns=list(LINK_FIELDS))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(lines, crs=WGS84), crs=WGS84)
