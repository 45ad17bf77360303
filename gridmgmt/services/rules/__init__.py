"""Rule services: one function per user action on the geographic rules.

Each reads the actor's rows (scoped by county), runs a :mod:`gridmgmt.rules` engine under
the county's own settings, and, for actions that change something, saves and audits in the
caller's transaction:

- settings: :func:`get_rule_settings`, :func:`set_rule_settings`
- checks: :func:`red_lines`, :func:`spacing`, :func:`check_licence`,
  :func:`border_markets_report`, :func:`outflow_report`, :func:`checkpoint_coverage`
- double-random inspections: :func:`make_draw`, :func:`get_draw`, :func:`list_draws`,
  :func:`verify_inspection_draw`, :func:`record_inspection_result`,
  :func:`inspection_rows`, :func:`results_frame`, :func:`publish_results`
- grid supervision tickets: :func:`create_ticket`, :func:`advance_ticket`,
  :func:`overdue_list`, :func:`report`, :func:`get_ticket`, :func:`list_tickets`

Each entry point taking an ``actor`` declares its action in the policy table
(:mod:`gridmgmt.policy`) and returns a typed result (:mod:`gridmgmt.services.results`) or a
frozen dataclass of frames; errors are of the one family (:mod:`gridmgmt.errors`).
- the demo: :func:`gridmgmt.services.rules.demo.demo`
"""

from gridmgmt.services.rules._common import load_roads
from gridmgmt.services.rules.checkpoints import CoverageReport, checkpoint_coverage
from gridmgmt.services.rules.checks import (
    BorderReport,
    LicenceAnswer,
    OutflowReport,
    RedLineReport,
    SpacingReport,
    border_markets_report,
    check_licence,
    outflow_report,
    red_lines,
    spacing,
)
from gridmgmt.services.rules.inspections import (
    DrawDetail,
    DrawExistsError,
    DrawSummary,
    DrawVerification,
    InspectionRow,
    RecordedResult,
    get_draw,
    inspection_rows,
    list_draws,
    make_draw,
    record_inspection_result,
    results_frame,
    verify_inspection_draw,
)
from gridmgmt.services.rules.publish import Publication, publish_results
from gridmgmt.services.rules.settings import CountySettings, get_rule_settings, set_rule_settings
from gridmgmt.services.rules.tickets import (
    TicketStep,
    TicketView,
    advance_ticket,
    create_ticket,
    get_ticket,
    list_tickets,
    overdue_list,
    report,
)

__all__ = [
    "BorderReport",
    "CountySettings",
    "CoverageReport",
    "DrawDetail",
    "DrawExistsError",
    "DrawSummary",
    "DrawVerification",
    "InspectionRow",
    "LicenceAnswer",
    "OutflowReport",
    "Publication",
    "RecordedResult",
    "RedLineReport",
    "SpacingReport",
    "TicketStep",
    "TicketView",
    "advance_ticket",
    "border_markets_report",
    "check_licence",
    "checkpoint_coverage",
    "create_ticket",
    "get_draw",
    "get_rule_settings",
    "get_ticket",
    "inspection_rows",
    "list_draws",
    "list_tickets",
    "load_roads",
    "make_draw",
    "outflow_report",
    "overdue_list",
    "publish_results",
    "record_inspection_result",
    "red_lines",
    "report",
    "results_frame",
    "set_rule_settings",
    "spacing",
    "verify_inspection_draw",
]
