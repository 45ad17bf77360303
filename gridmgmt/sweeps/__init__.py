"""Joint border-market sweeps (毗邻市场集中整治): the reproducible draw of mixed teams and
targets (:mod:`gridmgmt.sweeps.draw`), a pure engine over the double-random draw."""
