"""Price checks (价格互查) in self-discipline groups (自律互助小组): pure engines.

- :mod:`gridmgmt.prices.medians`: each retailer's latest price per brand and pack, medians
  per county and per group, price outliers;
- :mod:`gridmgmt.prices.gaps`: border bands, cross-border price gaps, and the evidence a
  gap adds to the outflow suspects.
"""
