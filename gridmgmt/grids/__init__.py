"""Grid management engine (网格化管理): design, assignment, rebalancing and staffing.

Pure functions over GeoDataFrames, numpy arrays, networkx graphs and dataclasses; inputs
and outputs are WGS-84 (EPSG:4326) and metric work happens in a local projected CRS.
"""

from gridmgmt.grids.assign import GridIndex, assign_points, grid_at
from gridmgmt.grids.design import DesignReport, GridDesign, design_grids
from gridmgmt.grids.metrics import TilingCheck, check_tiling, max_deviation, polsby_popper
from gridmgmt.grids.partition import Partition, partition_units
from gridmgmt.grids.units import EdgeKind, Units, build_units
from gridmgmt.grids.workload import WorkloadTable, retailer_workload

__all__ = [
    "DesignReport",
    "EdgeKind",
    "GridDesign",
    "GridIndex",
    "Partition",
    "TilingCheck",
    "Units",
    "WorkloadTable",
    "assign_points",
    "build_units",
    "check_tiling",
    "design_grids",
    "grid_at",
    "max_deviation",
    "partition_units",
    "polsby_popper",
    "retailer_workload",
]
