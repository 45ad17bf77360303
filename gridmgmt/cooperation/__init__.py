"""Cross-county cooperation (毗邻协作): adjacency, cooperation areas, the quarterly report.

Pure engines: :mod:`gridmgmt.cooperation.adjacency` (which counties share a border, and the
overlaps and gaps of real boundary files).
"""
