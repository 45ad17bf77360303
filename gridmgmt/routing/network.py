"""Road network (路网) from OpenStreetMap files: drivable roads, one-way, travel times.

The network is a directed graph of road junctions (and way ends) with one edge per
direction a road segment can be driven. Shape points between junctions are kept as edge
geometry, in a local metric CRS, so lengths are in metres and points snap to the road
itself. Travel time comes from the road class (``highway`` tag) and the posted limit
(``maxspeed``), see :class:`SpeedSettings`. Only the largest strongly connected part is
kept: from any junction every other one can be reached and left again.
"""

from __future__ import annotations

import hashlib
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from gridmgmt.crs import WGS84, metric_crs, transformer
from gridmgmt.errors import InvalidInputError
from gridmgmt.routing._arrays import FloatArray, IntArray
from gridmgmt.routing.osm import (
    DEFAULT_SPEEDS_KMH,
    OsmData,
    SpeedSettings,
    is_drivable,
    parse_maxspeed,
    way_direction,
)

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "NetworkError",
    "OsmData",
    "RoadNetwork",
    "SpeedSettings",
    "build_network",
    "is_drivable",
    "largest_strongly_connected",
    "network_from_edges",
    "parse_maxspeed",
    "read_osm",
    "read_osm_xml_data",
    "transformer",
    "way_direction",
]


class NetworkError(InvalidInputError):
    """A road network that cannot be built (no drivable roads, unknown format, ...)."""


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road network in a metric CRS.

    Attributes
    ----------
    node_id
        OSM id of each node (junction or way end).
    lon, lat
        WGS-84 coordinates of each node.
    x, y
        Node coordinates in ``crs`` (metres).
    crs
        The metric CRS of ``x``, ``y``, lengths and geometry.
    edge_from, edge_to
        Node indices of each directed edge.
    length_m
        Edge length along the road, metres.
    time_s
        Travel time along the edge, seconds.
    highway
        Road class of each edge.
    way_id
        OSM way each edge comes from.
    twin
        Index of the edge driving the same road segment the other way, -1 on one-way roads.
    geometry
        Shapely LineString of each edge in driving direction, in ``crs``; ``None`` when every
        edge is the straight segment between its nodes.
    """

    node_id: IntArray
    lon: FloatArray
    lat: FloatArray
    x: FloatArray
    y: FloatArray
    crs: pyproj.CRS
    edge_from: IntArray
    edge_to: IntArray
    length_m: FloatArray
    time_s: FloatArray
    highway: npt.NDArray[np.object_]
    way_id: IntArray
    twin: IntArray
    geometry: npt.NDArray[np.object_] | None = None

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_id)

    @property
    def num_edges(self) -> int:
        """Number of directed edges."""
        return len(self.edge_from)

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the topology and weights: equal networks give equal fingerprints."""
        digest = hashlib.sha256()
        for array in (self.node_id, self.edge_from, self.edge_to, self.length_m, self.time_s):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(self.crs.to_wkt().encode())
        return digest.hexdigest()[:32]

    def edge_geometries(self) -> npt.NDArray[np.object_]:
        """LineString of every edge in driving direction, in ``crs``."""
        if self.geometry is not None:
            return self.geometry
        return self._straight_edges

    @cached_property
    def _straight_edges(self) -> npt.NDArray[np.object_]:
        coords = np.stack(
            [
                np.column_stack([self.x[self.edge_from], self.y[self.edge_from]]),
                np.column_stack([self.x[self.edge_to], self.y[self.edge_to]]),
            ],
            axis=1,
        )
        return np.asarray(shapely.linestrings(coords), dtype=object)

    def to_networkx(self) -> nx.MultiDiGraph:
        """The network as a networkx graph with ``length_m`` and ``time_s`` on each edge."""
        graph = nx.MultiDiGraph(crs=self.crs.to_string())
        graph.add_nodes_from(
            (i, {"x": float(self.x[i]), "y": float(self.y[i]), "osmid": int(self.node_id[i])})
            for i in range(self.num_nodes)
        )
        graph.add_edges_from(
            (int(u), int(v), {"length_m": float(d), "time_s": float(t)})
            for u, v, d, t in zip(
                self.edge_from, self.edge_to, self.length_m, self.time_s, strict=True
            )
        )
        return graph

    def subnetwork(
        self,
        *,
        keep_nodes: npt.NDArray[np.bool_] | None = None,
        keep_edges: npt.NDArray[np.bool_] | None = None,
    ) -> RoadNetwork:
        """A copy with only some nodes and edges (edges at dropped nodes go too).

        Parameters
        ----------
        keep_nodes
            Boolean mask over nodes; default all.
        keep_edges
            Boolean mask over edges; default all.

        Returns
        -------
        RoadNetwork
            Nodes renumbered; twins that were dropped become -1.
        """
        node_mask = np.ones(self.num_nodes, bool) if keep_nodes is None else keep_nodes
        edge_mask = np.ones(self.num_edges, bool) if keep_edges is None else keep_edges.copy()
        edge_mask &= node_mask[self.edge_from] & node_mask[self.edge_to]
        new_node = np.full(self.num_nodes, -1, np.int64)
        new_node[node_mask] = np.arange(int(node_mask.sum()))
        new_edge = np.full(self.num_edges, -1, np.int64)
        new_edge[edge_mask] = np.arange(int(edge_mask.sum()))
        twin = self.twin[edge_mask]
        twin = np.where(twin >= 0, new_edge[np.maximum(twin, 0)], -1)
        return RoadNetwork(
            node_id=self.node_id[node_mask],
            lon=self.lon[node_mask],
            lat=self.lat[node_mask],
            x=self.x[node_mask],
            y=self.y[node_mask],
            crs=self.crs,
            edge_from=new_node[self.edge_from[edge_mask]],
            edge_to=new_node[self.edge_to[edge_mask]],
            length_m=self.length_m[edge_mask],
            time_s=self.time_s[edge_mask],
            highway=self.highway[edge_mask],
            way_id=self.way_id[edge_mask],
            twin=twin,
            geometry=None if self.geometry is None else self.geometry[edge_mask],
        )


def largest_strongly_connected(network: RoadNetwork) -> RoadNetwork:
    """Keep only the largest strongly connected part of a network.

    Parameters
    ----------
    network
        Any road network.

    Returns
    -------
    RoadNetwork
        The part in which every node can reach every other.
    """
    if network.num_nodes == 0:
        return network
    adjacency = csr_matrix(
        (np.ones(network.num_edges), (network.edge_from, network.edge_to)),
        shape=(network.num_nodes, network.num_nodes),
    )
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    largest = np.bincount(labels).argmax()
    return network.subnetwork(keep_nodes=labels == largest)


def read_osm(
    path: str | Path,
    *,
    speeds: SpeedSettings | None = None,
    crs: pyproj.CRS | str | None = None,
) -> RoadNetwork:
    """Read a road network from an OSM XML (``.osm``, ``.xml``) or PBF (``.pbf``) file.

    Parameters
    ----------
    path
        OSM file of the region; nothing is downloaded.
    speeds
        Speed settings; default :class:`SpeedSettings`.
    crs
        Metric CRS for lengths; default the local zone of the network's centre
        (:func:`gridmgmt.crs.metric_crs`).

    Returns
    -------
    RoadNetwork
        The largest strongly connected part of the drivable roads.
    """
    path = Path(path)
    speeds = speeds or SpeedSettings()
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith(".pbf"):
        from gridmgmt.routing._pbf import read_pbf

        data = read_pbf(path, speeds)
    elif suffixes.endswith((".osm", ".xml")):
        data = read_osm_xml_data(path, speeds)
    else:
        msg = f"{path.name}: file type {suffixes!r} is expected to be in ['.osm', '.xml', '.pbf']"
        raise NetworkError(msg)
    return build_network(data, speeds=speeds, crs=crs)


def read_osm_xml_data(path: str | Path, speeds: SpeedSettings) -> OsmData:
    """Stream an OSM XML file and keep its nodes and drivable ways.

    Parameters
    ----------
    path
        OSM XML file.
    speeds
        Decide which road classes are drivable.

    Returns
    -------
    OsmData
        Node coordinates and drivable ways.
    """
    data = OsmData()
    root = None
    for event, elem in ET.iterparse(str(path), events=("start", "end")):
        if root is None:
            root = elem
        if event == "start":
            continue
        if elem.tag == "node":
            data.node_coords[int(elem.attrib["id"])] = (
                float(elem.attrib["lon"]),
                float(elem.attrib["lat"]),
            )
        elif elem.tag == "way":
            tags = {t.attrib["k"]: t.attrib["v"] for t in elem.iter("tag")}
            if is_drivable(tags, speeds):
                refs = [int(nd.attrib["ref"]) for nd in elem.iter("nd")]
                data.ways.append((int(elem.attrib["id"]), refs, tags))
        elif elem.tag != "relation":
            continue  # a node's or way's child: cleared with its parent
        # Drop what was read: a county extract has millions of nodes.
        elem.clear()
        if elem is not root and len(root) > 10_000:
            root.clear()
    return data


def build_network(
    data: OsmData,
    *,
    speeds: SpeedSettings | None = None,
    crs: pyproj.CRS | str | None = None,
) -> RoadNetwork:
    """Build the directed network from raw OSM nodes and drivable ways.

    Ways are split at junctions (nodes shared by several ways, or by one way twice) and at
    their ends; the shape points in between become edge geometry.

    Parameters
    ----------
    data
        Nodes and drivable ways.
    speeds
        Speed settings; default :class:`SpeedSettings`.
    crs
        Metric CRS; default the local zone of the data's centre.

    Returns
    -------
    RoadNetwork
        The largest strongly connected part.
    """
    speeds = speeds or SpeedSettings()
    ways = [
        (wid, [r for r in refs if r in data.node_coords], tags) for wid, refs, tags in data.ways
    ]
    ways = [w for w in ways if len(w[1]) >= 2]
    if not ways:
        msg = "no drivable roads with known nodes in the OSM data"
        raise NetworkError(msg)
    used = sorted({r for _, refs, _ in ways for r in refs})
    lonlat = np.array([data.node_coords[r] for r in used], dtype=np.float64)
    target = _metric_crs(crs, lonlat)
    to_metric = transformer(WGS84, target)
    mx, my = to_metric.transform(lonlat[:, 0], lonlat[:, 1])
    index = {r: i for i, r in enumerate(used)}
    way_nodes = [np.fromiter((index[r] for r in refs), np.int64, len(refs)) for _, refs, _ in ways]
    segments = _split_ways(way_nodes, len(used))
    return _assemble(used, lonlat, np.asarray(mx), np.asarray(my), target, ways, segments, speeds)


def _metric_crs(crs: pyproj.CRS | str | None, lonlat: FloatArray) -> pyproj.CRS:
    if crs is not None:
        return pyproj.CRS.from_user_input(crs)
    centre = (lonlat.min(axis=0) + lonlat.max(axis=0)) / 2
    return metric_crs((float(centre[0]), float(centre[1])))


@dataclass(frozen=True)
class _Segments:
    """Ways cut at junctions: the node indices of all pieces, one after another."""

    nodes: IntArray  # node index of each point, pieces concatenated
    start: IntArray  # position in ``nodes`` where each piece starts
    size: IntArray  # points per piece
    way: IntArray  # index of the way each piece comes from


def _split_ways(way_nodes: list[IntArray], n: int) -> _Segments:
    """Cut ways at junctions: nodes used more than once (by any way) and way ends."""
    count = np.bincount(np.concatenate(way_nodes), minlength=n)
    ends = np.zeros(n, bool)
    for idx in way_nodes:
        ends[idx[0]] = ends[idx[-1]] = True
    junction = (count > 1) | ends
    pieces: list[IntArray] = []
    piece_way: list[int] = []
    for w, idx in enumerate(way_nodes):
        cuts = np.flatnonzero(junction[idx])
        for a, b in itertools.pairwise(cuts):
            pieces.append(idx[a : b + 1])
            piece_way.append(w)
    size = np.fromiter((len(p) for p in pieces), np.int64, len(pieces))
    start = np.r_[0, np.cumsum(size)[:-1]].astype(np.int64)
    return _Segments(np.concatenate(pieces), start, size, np.asarray(piece_way, np.int64))


def _assemble(
    used: list[int],
    lonlat: FloatArray,
    mx: FloatArray,
    my: FloatArray,
    crs: pyproj.CRS,
    ways: list[tuple[int, list[int], dict[str, str]]],
    seg: _Segments,
    speeds: SpeedSettings,
) -> RoadNetwork:
    first = seg.nodes[seg.start]
    last = seg.nodes[seg.start + seg.size - 1]
    # A loop back to the same junction never shortens a route.
    keep = first != last
    px, py = mx[seg.nodes], my[seg.nodes]
    step = np.r_[np.hypot(np.diff(px), np.diff(py)), 0.0]
    cumulative = np.r_[0.0, np.cumsum(step)]
    length = cumulative[seg.start + seg.size - 1] - cumulative[seg.start]
    piece_of_point = np.repeat(np.arange(len(seg.size)), seg.size)
    lines = shapely.linestrings(np.column_stack([px, py]), indices=piece_of_point)
    way_speed = np.array([speeds.speed_kmh(tags) for _, _, tags in ways], float)
    way_dir = np.array([way_direction(tags) for _, _, tags in ways], np.int64)
    way_id = np.array([wid for wid, _, _ in ways], np.int64)
    way_highway = np.array([tags["highway"] for _, _, tags in ways], dtype=object)
    pieces = np.flatnonzero(keep)
    direction = way_dir[seg.way[pieces]]
    forward = pieces[direction >= 0]
    backward = pieces[direction <= 0]
    edge_piece = np.r_[forward, backward]
    is_forward = np.r_[np.ones(len(forward), bool), np.zeros(len(backward), bool)]
    order = np.lexsort((~is_forward, edge_piece))  # each piece's two directions side by side
    edge_piece, is_forward = edge_piece[order], is_forward[order]
    two_way = np.r_[edge_piece[1:] == edge_piece[:-1], False]
    twin = np.full(len(edge_piece), -1, np.int64)
    pair = np.flatnonzero(two_way)
    twin[pair], twin[pair + 1] = pair + 1, pair
    geometry = np.asarray(lines, dtype=object)[edge_piece]
    geometry[~is_forward] = shapely.reverse(geometry[~is_forward])
    piece_way = seg.way[edge_piece]
    edge_length = length[edge_piece]
    network = RoadNetwork(
        node_id=np.asarray(used, np.int64),
        lon=lonlat[:, 0].copy(),
        lat=lonlat[:, 1].copy(),
        x=mx,
        y=my,
        crs=crs,
        edge_from=np.where(is_forward, first[edge_piece], last[edge_piece]),
        edge_to=np.where(is_forward, last[edge_piece], first[edge_piece]),
        length_m=edge_length,
        time_s=edge_length / (way_speed[piece_way] / 3.6),
        highway=way_highway[piece_way],
        way_id=way_id[piece_way],
        twin=twin,
        geometry=geometry,
    )
    return largest_strongly_connected(network)


def network_from_edges(
    lon: Iterable[float],
    lat: Iterable[float],
    edges: Iterable[tuple[int, int, float, bool]],
    *,
    highway: str = "residential",
    crs: pyproj.CRS | str | None = None,
) -> RoadNetwork:
    """Build a network from node coordinates and straight edges (tests, synthetic data).

    Parameters
    ----------
    lon, lat
        WGS-84 node coordinates.
    edges
        ``(from node, to node, speed km/h, two_way)`` per road segment.
    highway
        Road class recorded on every edge.
    crs
        Metric CRS; default the local zone of the nodes' centre.

    Returns
    -------
    RoadNetwork
        Every node and edge (no connectivity pruning).
    """
    lonlat = np.column_stack([np.asarray(list(lon), float), np.asarray(list(lat), float)])
    target = _metric_crs(crs, lonlat)
    mx, my = transformer(WGS84, target).transform(lonlat[:, 0], lonlat[:, 1])
    mx, my = np.asarray(mx, float), np.asarray(my, float)
    rows = list(edges)
    frm: list[int] = []
    to: list[int] = []
    speed: list[float] = []
    twin: list[int] = []
    for u, v, kmh, two_way in rows:
        first = len(frm)
        frm.append(u)
        to.append(v)
        speed.append(kmh)
        if two_way:
            frm.append(v)
            to.append(u)
            speed.append(kmh)
            twin += [first + 1, first]
        else:
            twin.append(-1)
    frm_a, to_a = np.asarray(frm, np.int64), np.asarray(to, np.int64)
    length = np.hypot(mx[to_a] - mx[frm_a], my[to_a] - my[frm_a])
    return RoadNetwork(
        node_id=np.arange(len(mx), dtype=np.int64),
        lon=lonlat[:, 0].copy(),
        lat=lonlat[:, 1].copy(),
        x=mx,
        y=my,
        crs=target,
        edge_from=frm_a,
        edge_to=to_a,
        length_m=length,
        time_s=length / (np.asarray(speed, float) / 3.6),
        highway=np.full(len(frm_a), highway, dtype=object),
        way_id=np.arange(len(frm_a), dtype=np.int64),
        twin=np.asarray(twin, np.int64),
    )
