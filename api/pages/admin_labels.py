"""Display names (English msgids) of the values the admin and dashboard pages show."""

from __future__ import annotations

from typing import Final

from api.i18n import N_
from api.pages.labels import RETAILER_STATUS

IMPORT_KIND: Final = {
    "retailers": N_("Retailers"),
    "schools": N_("Schools"),
    "checkpoints": N_("Checkpoints"),
    "counties": N_("Counties"),
    "depots": N_("Depots"),
    "vehicles": N_("Vehicles"),
    "orders": N_("Orders"),
    "staff": N_("Staff"),
    "cases": N_("Cases"),
}
CRS: Final = {
    "wgs84": N_("WGS 84 (GPS)"),
    "gcj02": N_("GCJ-02 (Amap, Tencent)"),
    "bd09": N_("BD-09 (Baidu)"),
    "cgcs2000": N_("CGCS2000"),
}
SCHOOL_KIND: Final = {
    "kindergarten": N_("Kindergarten"),
    "primary": N_("Primary school"),
    "middle": N_("Middle school"),
}
AREA_TYPE: Final = {
    "county_town": N_("County town"),
    "township": N_("Township"),
    "village": N_("Village"),
    "highway": N_("Along highways"),
}
MEASURE_FROM: Final = {
    "gates": N_("School gates"),
    "campus": N_("Campus boundary"),
    "point": N_("School point"),
}
DISTANCE_MODE: Final = {
    "straight": N_("Straight line"),
    "walk": N_("Shortest walk along roads"),
}
PERIOD_KIND: Final = {
    "month": N_("Month"),
    "quarter": N_("Quarter"),
    "half": N_("Half year"),
    "year": N_("Year"),
}
ALL: Final = {
    "import_kind": IMPORT_KIND,
    "crs": CRS,
    "school_kind": SCHOOL_KIND,
    "area_type": AREA_TYPE,
    "measure_from": MEASURE_FROM,
    "distance_mode": DISTANCE_MODE,
    "period_kind": PERIOD_KIND,
    "retailer_status": RETAILER_STATUS,
}
"""Every table, passed to templates as ``labels``."""
