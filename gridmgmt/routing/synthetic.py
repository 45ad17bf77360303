"""Synthetic road networks for benchmarks and tests: a perturbed street grid."""

from __future__ import annotations

import numpy as np

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing.network import RoadNetwork, largest_strongly_connected, network_from_edges

_M_PER_DEG_LAT = 111_320.0


def perturbed_grid_network(
    rows: int,
    cols: int,
    *,
    spacing_m: float = 150.0,
    jitter: float = 0.25,
    drop_share: float = 0.05,
    oneway_share: float = 0.1,
    arterial_every: int = 10,
    origin: tuple[float, float] = (112.5, 40.5),
    seed: int = 0,
) -> RoadNetwork:
    """A street grid with jittered junctions, missing blocks, one-way streets and arterials.

    Parameters
    ----------
    rows, cols
        Junctions per column and per row.
    spacing_m
        Block length in metres.
    jitter
        Junction displacement as a share of ``spacing_m``.
    drop_share
        Share of street segments removed.
    oneway_share
        Share of the remaining segments that are one-way (in a random direction).
    arterial_every
        Every n-th street is a faster arterial (60 km/h instead of 30 km/h).
    origin
        WGS-84 ``(lon, lat)`` of the south-west corner.
    seed
        Random seed.

    Returns
    -------
    RoadNetwork
        The largest strongly connected part.
    """
    if rows < 2 or cols < 2:
        msg = f"a grid needs at least 2 x 2 junctions, got {rows} x {cols}"
        raise InvalidInputError(msg)
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    north = (ii + rng.uniform(-jitter, jitter, ii.shape)) * spacing_m
    east = (jj + rng.uniform(-jitter, jitter, jj.shape)) * spacing_m
    lat = origin[1] + north / _M_PER_DEG_LAT
    lon = origin[0] + east / (_M_PER_DEG_LAT * np.cos(np.radians(origin[1])))
    node = np.arange(rows * cols).reshape(rows, cols)
    frm = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    to = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    street = np.concatenate([ii[:, :-1].ravel(), jj[:-1, :].ravel()])
    speed = np.where(street % arterial_every == 0, 60.0, 30.0)
    keep = rng.random(len(frm)) >= drop_share
    oneway = rng.random(len(frm)) < oneway_share
    flip = oneway & (rng.random(len(frm)) < 0.5)
    frm, to = np.where(flip, to, frm), np.where(flip, frm, to)
    edges = zip(
        frm[keep].tolist(),
        to[keep].tolist(),
        speed[keep].tolist(),
        (~oneway[keep]).tolist(),
        strict=True,
    )
    network = network_from_edges(lon.ravel(), lat.ravel(), edges, highway="residential")
    return largest_strongly_connected(network)
