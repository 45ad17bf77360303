"""Array types and distance constants shared by the routing modules and their kernels.

A module of its own so that :mod:`gridmgmt.routing._kernels` (numba) and the modules that load
it on first use (:mod:`~gridmgmt.routing.hierarchy`, :mod:`~gridmgmt.routing.matrix`) import
from here rather than from each other.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Array = npt.NDArray[Any]

INF: Final = 2**60
"""Distance meaning "unreachable"; every distance the hierarchy returns is at most this."""
UNSEEN: Final = 2**62
"""Marks an untouched entry of a search's distance array."""
