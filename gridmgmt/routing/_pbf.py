"""Read drivable ways from an OSM PBF file with pyosmium."""

from __future__ import annotations

from pathlib import Path

import osmium

from gridmgmt.routing.osm import OsmData, SpeedSettings, is_drivable


def read_pbf(path: str | Path, speeds: SpeedSettings) -> OsmData:
    """Stream an OSM PBF file and keep the drivable ways with their node positions.

    Parameters
    ----------
    path
        ``.osm.pbf`` file.
    speeds
        Decide which road classes are drivable.

    Returns
    -------
    OsmData
        Node coordinates (only of nodes on drivable ways) and drivable ways.
    """
    data = OsmData()
    # Node locations are stored before the filter drops untagged nodes, so ways get them.
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    for way in processor:
        if not isinstance(way, osmium.osm.Way):
            continue
        tags = {tag.k: tag.v for tag in way.tags}
        if not is_drivable(tags, speeds):
            continue
        refs = []
        for node in way.nodes:
            if node.location.valid():
                data.node_coords[node.ref] = (node.location.lon, node.location.lat)
                refs.append(node.ref)
        data.ways.append((way.id, refs, tags))
    return data
