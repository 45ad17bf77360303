"""Typed SQLAlchemy 2 models: the bureau's data at rest (WGS-84, county-scoped).

One module per area; each is imported here so that ``Base.metadata`` knows every table
(Alembic autogenerate and the test fixtures rely on it).
"""

from gridmgmt.store.models import audit as _audit  # noqa: F401  (audit log head)
from gridmgmt.store.models import cases as _cases  # noqa: F401  (case tables)
from gridmgmt.store.models import cooperation as _cooperation  # noqa: F401  (areas, liaisons)
from gridmgmt.store.models import counters as _counters  # noqa: F401  (number counters)
from gridmgmt.store.models import federation as _federation  # noqa: F401  (federation)
from gridmgmt.store.models import grids as _grids  # noqa: F401  (grid tables)
from gridmgmt.store.models import jobs as _jobs  # noqa: F401  (background jobs)
from gridmgmt.store.models import joint as _joint  # noqa: F401  (joint cases, merges)
from gridmgmt.store.models import leads as _leads  # noqa: F401  (lead handover)
from gridmgmt.store.models import login_guard as _login_guard  # noqa: F401  (failed logins)
from gridmgmt.store.models import prices as _prices  # noqa: F401  (price checks, sweeps)
from gridmgmt.store.models import routes as _routes  # noqa: F401  (route plan tables)
from gridmgmt.store.models import rules as _rules  # noqa: F401  (rule tables)
from gridmgmt.store.models import web as _web  # noqa: F401  (web session tables)
from gridmgmt.store.models.base import Base
from gridmgmt.store.models.core import (
    AuditEntry,
    Checkpoint,
    County,
    Depot,
    Order,
    Province,
    Retailer,
    School,
    Share,
    Staff,
    User,
    UserCounty,
    Vehicle,
)

__all__ = [
    "AuditEntry",
    "Base",
    "Checkpoint",
    "County",
    "Depot",
    "Order",
    "Province",
    "Retailer",
    "School",
    "Share",
    "Staff",
    "User",
    "UserCounty",
    "Vehicle",
]
