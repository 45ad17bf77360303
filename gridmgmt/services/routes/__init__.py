"""Delivery routes (配送线路) for a depot: a day's plan, a week's plan, driver manifests.

- :mod:`~gridmgmt.services.routes.planning` plans a day or a week and replans a day,
  scoped by the actor's counties, storing nothing;
- :mod:`~gridmgmt.services.routes.stored` stores plans as versions per depot and date
  (配送计划) and starts replans and manifests from the stored current plan;
- :mod:`~gridmgmt.services.routes.changes` keeps the order changes a stored plan carries;
- :mod:`~gridmgmt.services.routes.closures` reads closures from files and GeoJSON;
- :mod:`~gridmgmt.services.routes.codec` turns day plans into JSON and back;
- :mod:`~gridmgmt.services.routes.manifests` writes driver manifests (司机配送单);
"""

from gridmgmt.services.routes.changes import OrderChanges
from gridmgmt.services.routes.closures import (
    CLOSURE_MODES,
    ClosureFileError,
    closures_from_features,
    read_closures,
)
from gridmgmt.services.routes.codec import plan_from_json, plan_to_json
from gridmgmt.services.routes.manifests import (
    MANIFEST_FORMATS,
    manifest,
    manifest_html,
    write_manifest,
    write_manifest_html,
)
from gridmgmt.services.routes.planning import (
    DepotDay,
    DepotNotFoundError,
    WeekPlan,
    default_roads,
    order_id,
    plan_depot_day,
    plan_depot_day_full,
    plan_week,
    replan_depot_day,
    replan_summary,
    road_network,
)
from gridmgmt.services.routes.stored import (
    PlanConflictError,
    PlanNotFoundError,
    PlanVersion,
    StoredPlan,
    StoredReplan,
    StoredWeek,
    current_plan,
    manifest_plan,
    plan_and_store_day,
    plan_and_store_week,
    plan_versions,
    replan_and_store_day,
    store_day_plan,
)

__all__ = [
    "CLOSURE_MODES",
    "MANIFEST_FORMATS",
    "ClosureFileError",
    "DepotDay",
    "DepotNotFoundError",
    "OrderChanges",
    "PlanConflictError",
    "PlanNotFoundError",
    "PlanVersion",
    "StoredPlan",
    "StoredReplan",
    "StoredWeek",
    "WeekPlan",
    "closures_from_features",
    "current_plan",
    "default_roads",
    "manifest",
    "manifest_html",
    "manifest_plan",
    "order_id",
    "plan_and_store_day",
    "plan_and_store_week",
    "plan_depot_day",
    "plan_depot_day_full",
    "plan_from_json",
    "plan_to_json",
    "plan_versions",
    "plan_week",
    "read_closures",
    "replan_and_store_day",
    "replan_depot_day",
    "replan_summary",
    "road_network",
    "store_day_plan",
    "write_manifest",
    "write_manifest_html",
]
