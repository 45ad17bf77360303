"""Small named VRPLIB instances written on the fly (tests never read the shared bench files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmgmt.routing.network import RoadNetwork
from gridmgmt.routing.synthetic import perturbed_grid_network

# Depot at the origin, two customers on the diagonal. Rounded Euclidean legs:
# depot-(1,1) sqrt2 -> 1, (1,1)-(2,2) sqrt2 -> 1, (2,2)-depot sqrt8 = 2.83 -> 3: one route of 5
# (true length 5.66, truncation would give 4). Customers on the far side, (-3,-4) and (-6,-8),
# need a second route: 5 + 5 + 10 = 20. Optimum 25.
TINY_CVRP = """\
NAME : tiny-cvrp
TYPE : CVRP
DIMENSION : 5
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 2
NODE_COORD_SECTION
1 0 0
2 1 1
3 2 2
4 -3 -4
5 -6 -8
DEMAND_SECTION
1 0
2 1
3 1
4 1
5 1
DEPOT_SECTION
1
-1
EOF
"""
TINY_CVRP_COST = 25.0
TINY_CVRP_ROUTES = [{1, 2}, {3, 4}]

# DIMACS: legs truncated to one decimal. depot-(1,5) sqrt26 = 5.099 -> 5.0,
# (1,5)-(5,1) sqrt32 = 5.657 -> 5.6, (5,1)-depot 5.0: a route of 15.6 (rounding would give
# 15.9). Capacity 2 needs two routes. Customer 3 at (0,20) must be reached by time 20: only
# straight from the depot (after customer 1 it is 21, after customer 2 it is 25.6), and
# customers 1 and 2 close at 15, too early to follow it. So {1, 2} and {3}: 15.6 + 40 = 55.6.
TINY_VRPTW = """\
NAME : tiny-vrptw
TYPE : VRPTW
DIMENSION : 4
VEHICLES : 3
CAPACITY : 2
SERVICE_TIME : 1
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 1 5
3 5 1
4 0 20
DEMAND_SECTION
1 0
2 1
3 1
4 1
TIME_WINDOW_SECTION
1 0 1000
2 0 15
3 0 15
4 18 20
DEPOT_SECTION
1
-1
EOF
"""
TINY_VRPTW_COST = 55.6
TINY_VRPTW_ROUTES = [{1, 2}, {3}]


@pytest.fixture
def tiny_cvrp(tmp_path: Path) -> Path:
    """A 4-customer CVRP whose optimum, 25, is computed by hand above."""
    path = tmp_path / "tiny-cvrp.vrp"
    path.write_text(TINY_CVRP, encoding="utf-8")
    return path


@pytest.fixture
def tiny_vrptw(tmp_path: Path) -> Path:
    """A 3-customer VRPTW whose optimum, 55.6 in the DIMACS convention, is computed above."""
    path = tmp_path / "tiny-vrptw.vrp"
    path.write_text(TINY_VRPTW, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def town() -> RoadNetwork:
    """A 14 x 14 street grid of 300 m blocks (about 4 km across), some one-way streets."""
    return perturbed_grid_network(14, 14, spacing_m=300.0, oneway_share=0.15, seed=3)
