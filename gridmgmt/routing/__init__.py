"""Delivery route planning (配送线路规划) on the road network.

Modules, each with one job:

- :mod:`~gridmgmt.routing.network`: road network from OSM XML/PBF, speeds, one-way, largest
  strongly connected part.
- :mod:`~gridmgmt.routing.snap`: places onto the nearest road, snap distance kept.
- :mod:`~gridmgmt.routing.closures`: closure polygons with periods; skip or hand off (约时约地).
- :mod:`~gridmgmt.routing.matrix`: many-to-many travel time and distance, cached per day.
- :mod:`~gridmgmt.routing.model`: depots, vehicle types, orders, routes, unserved reasons.
- :mod:`~gridmgmt.routing.vrp`: a day's routes with PyVRP, per depot.
- :mod:`~gridmgmt.routing.search`: the solver run (time limit, iterations, several cores).
- :mod:`~gridmgmt.routing.feasibility`: a solver-independent plan checker.
- :mod:`~gridmgmt.routing.replan`: add, cancel, change orders and re-optimise.
- :mod:`~gridmgmt.routing.weekly`: delivery weekdays, balanced, compact and stable.
- :mod:`~gridmgmt.routing.manifest`: manifests, day totals, nearest-neighbour baseline.
- :mod:`~gridmgmt.routing.vrplib_io`, :mod:`~gridmgmt.routing.benchmark`: VRPLIB instances.
- :mod:`~gridmgmt.routing.synthetic`: synthetic street grids for benchmarks and tests.
"""
