"""Geographic rules: red lines, spacing, licence checks, border markets, outflow suspects,
double-random inspection draws, grid supervision tickets and checkpoint coverage.

Engines only: pure functions and small classes over GeoDataFrames, numpy arrays, networkx
graphs and dataclasses, with the per-county settings in :mod:`gridmgmt.rules.settings`.
"""
