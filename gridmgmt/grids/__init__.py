"""Grid management engine (网格化管理): design, assignment, rebalancing and staffing.

Pure functions over GeoDataFrames, numpy arrays, networkx graphs and dataclasses, with no
database and no web: inputs and outputs are WGS-84 (EPSG:4326); areas, lengths and
distances are measured in a local metric CRS (:func:`gridmgmt.crs.metric_crs`).

- :func:`design_grids` cuts a county into balanced, compact, contiguous grids;
- :func:`assign_points`, :func:`grid_at` and :class:`GridIndex` say which grid holds a point;
- :func:`rebalance_grids` restores balance after retailers change, moving few of them;
- :func:`assign_staff` posts the three roles (三员) to every grid;
- :func:`responsibility_sheet` and :func:`write_sheet` build the per-grid sheet.
"""

from gridmgmt.grids.assign import GridIndex, assign_points, grid_at
from gridmgmt.grids.design import (
    DesignReport,
    GridDesign,
    check_grid_count,
    design_grids,
    grid_table,
)
from gridmgmt.grids.metrics import TilingCheck, check_tiling, max_deviation, polsby_popper
from gridmgmt.grids.partition import Partition, partition_units
from gridmgmt.grids.rebalance import Rebalance, RebalanceReport, rebalance_grids
from gridmgmt.grids.sheet import responsibility_sheet, write_sheet
from gridmgmt.grids.staffing import StaffingResult, assign_staff
from gridmgmt.grids.units import EdgeKind, Units, build_units
from gridmgmt.grids.workload import WorkloadTable, retailer_workload

__all__ = [
    "DesignReport",
    "EdgeKind",
    "GridDesign",
    "GridIndex",
    "Partition",
    "Rebalance",
    "RebalanceReport",
    "StaffingResult",
    "TilingCheck",
    "Units",
    "WorkloadTable",
    "assign_points",
    "assign_staff",
    "build_units",
    "check_grid_count",
    "check_tiling",
    "design_grids",
    "grid_at",
    "grid_table",
    "max_deviation",
    "partition_units",
    "polsby_popper",
    "rebalance_grids",
    "responsibility_sheet",
    "retailer_workload",
    "write_sheet",
]
