"""Exports of a network for maps and other link-analysis tools (i2, Gephi, Cytoscape).

- GeoJSON: one Point feature per case with its attributes, and one LineString per pair of
  linked cases with the evidence, flagged where the link crosses a county or province border;
- node/edge CSV: the link chart as two tables: cases and every entity they mention as nodes,
  and the mentions (case-entity, with roles) and links (case-case, with weights) as edges.

Both come from the actor's view, so they hold only cases the actor may see.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

import pandas as pd
from sqlalchemy.orm import Session

from gridmgmt.cases.graph import is_case_node
from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases._store import plain
from gridmgmt.services.cases.networks import NetworkView, network_view

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "EDGE_COLUMNS",
    "NETWORK_EXPORT_FORMATS",
    "NODE_COLUMNS",
    "export_network",
    "network_geojson",
    "network_tables",
]

NetworkExportFormat = Literal["geojson", "csv"]
NETWORK_EXPORT_FORMATS: Final[tuple[str, ...]] = get_args(NetworkExportFormat)
NODE_COLUMNS: Final = (
    "id",
    "node_type",
    "label",
    "kind",
    "valid",
    "cases_touched",
    "county_code",
    "opened_on",
    "case_type",
    "status",
    "seized_cartons",
    "value_yuan",
    "lon",
    "lat",
)
EDGE_COLUMNS: Final = ("source", "target", "edge_type", "roles", "mentions", "weight", "evidence")


def _features(frame: Any, feature_type: str) -> list[dict[str, Any]]:
    features = []
    columns = [c for c in frame.columns if c != frame.geometry.name]
    for row in frame.itertuples(index=False):
        geometry = getattr(row, frame.geometry.name)
        properties = {"feature_type": feature_type}
        properties |= {c: _json_value(getattr(row, c)) for c in columns}
        features.append(
            {
                "type": "Feature",
                "geometry": None if geometry is None else geometry.__geo_interface__,
                "properties": properties,
            }
        )
    return features


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return plain(value)


@requires(Action.READ_CASE_PERSONAL_DATA)
def network_geojson(session: Session, actor: Actor, network_id: str) -> dict[str, Any]:
    """The network as a GeoJSON FeatureCollection (WGS-84): cases as points, links as lines.

    Case features have ``feature_type`` "case" and the case's attributes; link features have
    ``feature_type`` "link", the two case numbers, the combined ``weight``, whether it is
    ``strong`` (within the network's threshold), the ``evidence`` and ``cross_county`` /
    ``cross_province``. A case without a location has a null geometry, as has a link to it.

    Raises
    ------
    NotFoundError
        If the actor's view has no such network.
    AccessDeniedError
        If the actor's role may not read personal data.
    """
    view = network_view(session, actor, network_id)
    return _geojson(view)


def _geojson(view: NetworkView) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "name": view.network.network_id,
        "network": view.network.as_dict(),
        "features": _features(view.cases, "case") + _features(view.links, "link"),
    }


@requires(Action.READ_CASE_PERSONAL_DATA)
def network_tables(
    session: Session, actor: Actor, network_id: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The network's link chart as a node table and an edge table.

    Raises
    ------
    NotFoundError
        If the actor's view has no such network.
    AccessDeniedError
        If the actor's role may not read personal data.
    """
    return _tables(network_view(session, actor, network_id))


def _tables(view: NetworkView) -> tuple[pd.DataFrame, pd.DataFrame]:
    chart = view.chart
    nodes = [_node_row(node, data) for node, data in sorted(chart.nodes(data=True))]
    edges = [_mention_edge(chart, u, v, data) for u, v, data in chart.edges(data=True)]
    edges.sort(key=lambda row: (row["source"], row["target"]))
    edges += [
        {
            "source": f"case:{link.from_case}",
            "target": f"case:{link.to_case}",
            "edge_type": "link",
            "roles": "",
            "mentions": None,
            "weight": link.weight,
            "evidence": link.evidence,
        }
        for link in view.links.itertuples(index=False)
    ]
    node_table = pd.DataFrame(nodes, columns=list(NODE_COLUMNS))
    edge_table = pd.DataFrame(edges, columns=list(EDGE_COLUMNS))
    node_table["cases_touched"] = node_table["cases_touched"].astype("Int64")
    edge_table["mentions"] = edge_table["mentions"].astype("Int64")
    return node_table, edge_table


def _node_row(node: str, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("node_type") == "case":
        return {
            "id": node,
            "node_type": "case",
            "label": data["case_no"],
            "kind": "case",
            "valid": True,
            "cases_touched": None,
            "county_code": data["county_code"],
            "opened_on": plain(data["opened_on"]),
            "case_type": data["type"],
            "status": data["status"],
            "seized_cartons": data["seized_cartons"],
            "value_yuan": data["value_yuan"],
            "lon": data["lon"],
            "lat": data["lat"],
        }
    return {
        "id": node,
        "node_type": "entity",
        "label": data.get("label", ""),
        "kind": data.get("kind", ""),
        "valid": bool(data.get("valid", True)),
        "cases_touched": data.get("cases_touched"),
        "county_code": data.get("county_code"),
    }


def _mention_edge(chart: nx.Graph, u: str, v: str, data: dict[str, Any]) -> dict[str, Any]:
    case, entity = (u, v) if is_case_node(u) else (v, u)
    return {
        "source": case,
        "target": entity,
        "edge_type": "mention",
        "roles": ";".join(data.get("roles", ())),
        "mentions": len(data.get("mentions", ())),
        "weight": None,
        "evidence": "",
    }


@requires(Action.READ_CASE_PERSONAL_DATA)
def export_network(
    session: Session, actor: Actor, network_id: str, *, fmt: str = "geojson", out: Path
) -> list[Path]:
    """Write a network to files: ``out`` as GeoJSON, or ``<stem>-nodes.csv`` and
    ``<stem>-edges.csv`` beside ``out`` as CSV (UTF-8 with a byte-order mark, for Excel).

    The export is audited in the session's transaction.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not geojson or csv.
    NotFoundError
        If the actor's view has no such network.
    AccessDeniedError
        If the actor's role may not read personal data.
    """
    if fmt not in NETWORK_EXPORT_FORMATS:
        msg = f"`fmt` was {fmt!r} but is expected to be in {list(NETWORK_EXPORT_FORMATS)}"
        raise InvalidInputError(msg)
    view = network_view(session, actor, network_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        text = json.dumps(_geojson(view), ensure_ascii=False, indent=1)
        out.write_text(text + "\n", encoding="utf-8")
        paths = [out]
    else:
        nodes, edges = _tables(view)
        paths = [out.with_name(f"{out.stem}-{name}.csv") for name in ("nodes", "edges")]
        for table, path in zip((nodes, edges), paths, strict=True):
            table.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    audit.record(
        session,
        actor,
        "export",
        kind="case_network",
        detail={"network_id": network_id, "format": fmt, "files": [p.name for p in paths]},
    )
    return paths
