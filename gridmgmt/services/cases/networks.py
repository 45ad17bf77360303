"""Networks of linked cases, as an actor sees them: list, detail, merges, chains, views.

One network, one identity (一个网络一个编号): networks are found once over the cases of every
county (the whole store's link index), and each gets a stable id, ``N-`` and a hash of its
sorted case keys (``county_code/case_no``), the same whoever looks. Each viewer is then shown
the part they may see (their counties' cases and those shared with them), described on the
link index of those cases only, so no answer carries anything of a case they may not see, and
is told, as a count without detail, how many other counties the network extends into
(``other_counties``, the hook for a lead request). A network of which a viewer sees no case
answers 404 to them, as if it did not exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases._store import (
    case_key,
    county_names,
    link_index,
    split_case_key,
    visible_case,
)
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
    "NetworkPart",
    "NetworkView",
    "case_key",
    "case_path",
    "list_networks",
    "merge_suggestions",
    "network_detail",
    "network_of_case",
    "network_parts",
    "network_view",
    "require_part",
    "stable_network_id",
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


def stable_network_id(case_keys: Iterable[str]) -> str:
    """A network's id over all counties: ``N-`` and a hash of its sorted case keys."""
    digest = hashlib.sha256("\n".join(sorted(set(case_keys))).encode()).hexdigest()
    return f"N-{digest[:12]}"


@dataclass(frozen=True)
class NetworkPart:
    """The part of a network (over all counties) one viewer may see.

    Parameters
    ----------
    network_id
        The network's stable id (:func:`stable_network_id`).
    cases
        The cases the viewer may see, as keys of the viewer's link index.
    other_counties
        How many counties hold cases of the network the viewer may not see.
    """

    network_id: str
    cases: tuple[str, ...]
    other_counties: int


@requires(Action.READ_CASES)
def network_parts(session: Session, actor: Actor) -> dict[str, NetworkPart]:
    """Stable id -> the visible part, for every network of which the actor sees a case.

    Networks are found on the whole store's link index; the visible part is the network's
    cases the actor may see. The whole store's index is read and released before the
    actor's, so two requests never wait on each other's index in opposite orders.
    """
    with link_index(session, SYSTEM) as everything:
        groups = [list(group) for group in everything.index.network_groups()]
    with link_index(session, actor) as view:
        seen = set(view.index.cases)
    parts: dict[str, NetworkPart] = {}
    for group in groups:
        visible_keys = sorted(key for key in group if key in seen)
        if not visible_keys:
            continue
        hidden = {split_case_key(key)[0] for key in group if key not in seen}
        identifier = stable_network_id(group)
        parts[identifier] = NetworkPart(identifier, tuple(visible_keys), len(hidden))
    return parts


@requires(Action.READ_CASES)
def network_of_case(session: Session, actor: Actor, key: str) -> NetworkPart | None:
    """The visible part of the network a case (a key of the actor's index) belongs to."""
    for part in network_parts(session, actor).values():
        if key in part.cases:
            return part
    return None


@requires(Action.READ_CASES)
def require_part(session: Session, actor: Actor, network_id: str) -> NetworkPart:
    """The visible part of the network with this id.

    Raises
    ------
    NotFoundError
        If there is no such network, or the actor may see none of its cases (the same answer).
    """
    part = network_parts(session, actor).get(network_id)
    if part is None:
        raise NotFoundError("network", network_id)
    return part


def describe_part(index: CaseLinkIndex, part: NetworkPart) -> Network:
    """The visible part of a network described on the viewer's own link index."""
    from gridmgmt.cases.networks import describe_network

    network = describe_network(
        index.graph,
        part.cases,
        settings=index.network_settings,
        link_settings=index.link_settings,
    )
    return replace(network, network_id=part.network_id, other_counties=part.other_counties)


@requires(Action.READ_CASES)
def list_networks(session: Session, actor: Actor, *, county: str | None = None) -> list[Network]:
    """The networks of which the actor may see a case, the largest visible part first.

    A network of one visible case is listed when it extends into other counties (the viewer
    may ask them for it). A role without personal data (the dispatcher) gets the people and
    phones of the cross-province signals masked.

    Parameters
    ----------
    county
        Only networks with a visible case in this county.
    """
    parts = [
        part
        for part in network_parts(session, actor).values()
        if len(part.cases) > 1 or part.other_counties
    ]
    with link_index(session, actor) as view:
        networks = [describe_part(view.index, part) for part in parts]
    networks.sort(key=lambda n: (-len(n.cases), -n.other_counties, n.network_id))
    if county is not None:
        networks = [n for n in networks if county in n.counties]
    if not sees_personal_data(actor):
        networks = [redact_network(n) for n in networks]
    return networks


@requires(Action.READ_CASES)
def network_detail(session: Session, actor: Actor, network_id: str) -> NetworkDetail:
    """A network's visible part with its timeline and its most central people and phones.

    A role without personal data (the dispatcher) gets the people, phones and other
    personal identifiers masked.

    Raises
    ------
    NotFoundError
        If the actor may see no case of a network with this id.
    """
    from gridmgmt.cases.networks import central_entities, timeline

    part = require_part(session, actor, network_id)
    with link_index(session, actor) as view:
        index = view.index
        network = describe_part(index, part)
        settings = index.link_settings
        timeline_items = [
            TimelineItem.of(entry)
            for entry in timeline(index.graph, part.cases, link_settings=settings)
        ]
        central = [
            CentralEntity.of(item)
            for item in central_entities(index.graph, part.cases, link_settings=settings)
        ]
    if not sees_personal_data(actor):
        network = redact_network(network)
        timeline_items = [redact_timeline(item) for item in timeline_items]
        central = [redact_central(item) for item in central]
    names = county_names(session)
    return NetworkDetail(
        **network.as_dict(),
        county_names={code: names.get(code, code) for code in network.counties},
        timeline=timeline_items,
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
def case_path(
    session: Session,
    actor: Actor,
    source: str,
    target: str,
    *,
    source_county: str | None = None,
    target_county: str | None = None,
) -> ChainResult:
    """The strongest chain of shared entities between two cases (``found`` false if none).

    Cases are given by number, with their county where the actor sees that number in
    several counties; the chain names cases by key (``county_code/case_no``).

    Raises
    ------
    NotFoundError
        If either case is not one the actor may see.
    InvalidInputError
        If a number is ambiguous without its county.
    AccessDeniedError
        If the actor's role may not read personal data (the chain is people and phones).
    """
    ends = [
        visible_case(session, actor, case_no, county=county)
        for case_no, county in ((source, source_county), (target, target_county))
    ]
    first, last = (case_key(record.county_code, record.case_no) for record in ends)
    with link_index(session, actor) as view:
        for key in (first, last):
            if key not in view.index.cases:
                raise NotFoundError("case", key)
        return ChainResult.of(view.index.shortest_chain(first, last))


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
    from gridmgmt.cases.networks import central_entities, timeline
    from gridmgmt.services.frames import load_frame

    names = county_names(session)
    part = require_part(session, actor, network_id)
    with link_index(session, actor) as view:
        index = view.index
        network = describe_part(index, part)
        chart = index.link_chart(network.cases)
        cases = _case_frame(index, network.cases, names)
        links = _link_frame(index, network.cases)
        settings = index.link_settings
        entries = timeline(index.graph, part.cases, link_settings=settings)
        central = central_entities(index.graph, part.cases, link_settings=settings)
        hub_cap = settings.hub_cap
    # Outlines are public geography: read unscoped, only the network's counties.
    counties = load_frame(session, "counties", SYSTEM, county_codes=list(network.counties))
    return NetworkView(network, entries, central, chart, cases, links, counties, hub_cap)


def _case_frame(
    index: CaseLinkIndex, case_nos: Iterable[str], names: dict[str, str]
) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    from gridmgmt.crs import WGS84

    records, points = [], []
    for key in case_nos:
        case = index.cases[key]
        records.append(
            {
                "case_no": split_case_key(key)[1],
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
