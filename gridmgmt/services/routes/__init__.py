"""Delivery routes (配送线路) for a depot: a day's plan, a week's plan, driver manifests.

- :mod:`~gridmgmt.services.routes.requests` holds the one typed request per action
  (:class:`PlanRequest`, :class:`WeekRequest`, :class:`ReplanRequest`, sharing
  :class:`SolverOptions`), which both faces build;
- :mod:`~gridmgmt.services.routes.planning` plans a day or a week and replans a day,
  scoped by the actor's counties, storing nothing;
- :mod:`~gridmgmt.services.routes.stored` stores plans as versions per depot and date
  (配送计划) and starts replans and manifests from the stored current plan;
- :mod:`~gridmgmt.services.routes.changes` keeps the order changes a stored plan carries;
- :mod:`~gridmgmt.services.routes.closures` reads closures from files and GeoJSON;
- :mod:`~gridmgmt.services.routes.codec` turns day plans into JSON and back;
- :mod:`~gridmgmt.services.routes.manifests` writes driver manifests (司机配送单).

Services planning or storing need :data:`~gridmgmt.policy.Action.PLAN_ROUTES` (dispatcher,
admin); reads, previews and manifests of a stored plan need ``READ_ROUTES``. The road
network is the face's to pass (:func:`roads_file` of its settings).
"""

from gridmgmt.services.routes.changes import OrderChanges
from gridmgmt.services.routes.closures import (
    ClosureFileError,
    closures_from_features,
    read_closures,
)
from gridmgmt.services.routes.codec import day_plan_json, plan_from_json, plan_to_json
from gridmgmt.services.routes.manifests import (
    MANIFEST_FORMATS,
    manifest,
    manifest_html,
    plan_contacts,
    stored_manifest,
    write_manifest,
    write_manifest_html,
)
from gridmgmt.services.routes.planning import (
    DepotDay,
    WeekPlan,
    order_id,
    plan_depot_day,
    plan_depot_day_full,
    plan_week,
    replan_depot_day,
    replan_summary,
    road_network,
    roads_file,
)
from gridmgmt.services.routes.requests import (
    PlanRequest,
    ReplanRequest,
    SolverOptions,
    WeekRequest,
)
from gridmgmt.services.routes.stored import (
    PlanVersion,
    PlanVersions,
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
    "MANIFEST_FORMATS",
    "ClosureFileError",
    "DepotDay",
    "OrderChanges",
    "PlanRequest",
    "PlanVersion",
    "PlanVersions",
    "ReplanRequest",
    "SolverOptions",
    "StoredPlan",
    "StoredReplan",
    "StoredWeek",
    "WeekPlan",
    "WeekRequest",
    "closures_from_features",
    "current_plan",
    "day_plan_json",
    "manifest",
    "manifest_html",
    "manifest_plan",
    "order_id",
    "plan_and_store_day",
    "plan_and_store_week",
    "plan_contacts",
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
    "roads_file",
    "store_day_plan",
    "stored_manifest",
    "write_manifest",
    "write_manifest_html",
]
