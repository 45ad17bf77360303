"""Networks of linked cases, as an actor sees them: list, detail, merges, chains, views.

Every answer is computed on the link index of the cases the actor may see (their counties'
and those shared with them): a network that runs into a county the actor has no share of
shows only its visible part, and its id (``N-`` and its smallest visible case number) is
that of the actor's view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases._store import county_names, link_index
from gridmgmt.services.cases.privacy import (
    redact_central,
    redact_network,
    redact_timeline,
    sees_personal_data,
)
from gridmgmt.services.cases.results import (
    CentralEntity,
    ChainResult,
    MergeSuggestionItem,
    NetworkDetail,
    TimelineItem,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

    from gridmgmt.cases.networks import CaseLinkIndex, Centrality, Network, TimelineEntry

__all__ = [
    "NetworkView",
    "case_path",
    "list_networks",
    "merge_suggestions",
    "network_detail",
    "network_view",
    "require_network",
]

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


@requires(Action.READ_CASES)
def list_networks(session: Session, actor: Actor, *, county: str | None = None) -> list[Network]:
    """The networks among the cases the actor may see, the largest first.

    A role without personal data (the dispatcher) gets the people and phones of the
    cross-province signals masked.

    Parameters
    ----------
    county
        Only networks with a case in this county.
    """
    with link_index(session, actor) as view:
        networks = view.index.networks()
    if county is not None:
        networks = [n for n in networks if county in n.counties]
    if not sees_personal_data(actor):
        networks = [redact_network(n) for n in networks]
    return networks


def require_network(index: CaseLinkIndex, network_id: str) -> Network:
    """The network with this id in the index.

    Raises
    ------
    NotFoundError
        If the index has no such network.
    """
    try:
        return index.network(network_id)
    except KeyError:
        raise NotFoundError("network", network_id) from None


@requires(Action.READ_CASES)
def network_detail(session: Session, actor: Actor, network_id: str) -> NetworkDetail:
    """A network with its timeline and its most central people and phones.

    A role without personal data (the dispatcher) gets the people, phones and other
    personal identifiers masked.

    Raises
    ------
    NotFoundError
        If the actor's view has no network with this id.
    """
    with link_index(session, actor) as view:
        network = require_network(view.index, network_id)
        timeline = [TimelineItem.of(entry) for entry in view.index.timeline(network_id)]
        central = [CentralEntity.of(item) for item in view.index.central_entities(network_id)]
    if not sees_personal_data(actor):
        network = redact_network(network)
        timeline = [redact_timeline(item) for item in timeline]
        central = [redact_central(item) for item in central]
    names = county_names(session)
    return NetworkDetail(
        **network.as_dict(),
        county_names={code: names.get(code, code) for code in network.counties},
        timeline=timeline,
        central_entities=central,
    )


@requires(Action.READ_CASE_PERSONAL_DATA)
def merge_suggestions(
    session: Session, actor: Actor, *, min_score: float = 0.7, limit: int | None = 100
) -> list[MergeSuggestionItem]:
    """Cases the actor may see that should be merged (并案), strongest first.

    Raises
    ------
    InvalidInputError
        If ``min_score`` is outside [0, 1] or ``limit`` below 1.
    AccessDeniedError
        If the actor's role may not read personal data (the evidence is people and phones).
    """
    if not 0 <= min_score <= 1:
        msg = f"min_score must lie in [0, 1], got {min_score}"
        raise InvalidInputError(msg)
    if limit is not None and limit < 1:
        msg = f"limit must be at least 1, got {limit}"
        raise InvalidInputError(msg)
    with link_index(session, actor) as view:
        found = view.index.suggest_merges(min_score=min_score, limit=limit)
    return [MergeSuggestionItem.of(s) for s in found]


@requires(Action.READ_CASE_PERSONAL_DATA)
def case_path(session: Session, actor: Actor, source: str, target: str) -> ChainResult:
    """The strongest chain of shared entities between two cases (``found`` false if none).

    Raises
    ------
    NotFoundError
        If either case is not one the actor may see.
    AccessDeniedError
        If the actor's role may not read personal data (the chain is people and phones).
    """
    with link_index(session, actor) as view:
        for case_no in (source, target):
            if case_no not in view.index.cases:
                raise NotFoundError("case", case_no)
        return ChainResult.of(view.index.shortest_chain(source, target))


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


@requires(Action.READ_CASE_PERSONAL_DATA)
def network_view(session: Session, actor: Actor, network_id: str) -> NetworkView:
    """Everything a page, map or export of one network needs.

    Raises
    ------
    NotFoundError
        If the actor's view has no network with this id.
    AccessDeniedError
        If the actor's role may not read personal data (the link chart is people and phones).
    """
    from gridmgmt.services.frames import load_frame

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
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    from gridmgmt.crs import WGS84

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
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString

    from gridmgmt.crs import WGS84

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
