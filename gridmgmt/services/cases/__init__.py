"""Case services (涉烟案件): import, create and edit cases; networks, merges, chains; sharing;
exports.

One function per user action, county-scoped: an actor sees the cases of their counties and
those shared with them, never more, and every network, suggestion, chain and export is
computed over exactly those cases. Every action is checked against the policy table
(:mod:`gridmgmt.policy`): reading (``cases.read``), changing (``cases.change``), sharing
(``cases.share``); personal data in cases goes only to the roles that work cases
(``cases.personal_data.read``), see :mod:`gridmgmt.services.cases.privacy`. Services take the
caller's session and return typed results (:mod:`gridmgmt.services.cases.results`).

The names below are loaded on first use, so importing one service does not load them all
(the link graph, pandas and geopandas are only needed by networks and exports).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gridmgmt.services.cases._store import (
        SHARE_KIND,
        case_key,
        county_names,
        link_index,
        refresh_entity_ids,
    )
    from gridmgmt.services.cases.exports import export_network, network_geojson, network_tables
    from gridmgmt.services.cases.files import CaseFile, read_case_file
    from gridmgmt.services.cases.networks import (
        NetworkView,
        case_path,
        list_networks,
        merge_suggestions,
        network_detail,
        network_view,
    )
    from gridmgmt.services.cases.records import (
        create_case,
        get_case,
        import_cases,
        list_cases,
        update_case,
        write_cases,
    )
    from gridmgmt.services.cases.results import (
        CaseDetail,
        CaseImportReport,
        CasePage,
        CaseShare,
        CaseSummary,
        ChainResult,
        MergeSuggestionItem,
        NetworkDetail,
        NetworkShare,
    )
    from gridmgmt.services.cases.shares import share_case, share_network

_MODULES = {
    "_store": ("SHARE_KIND", "case_key", "county_names", "link_index", "refresh_entity_ids"),
    "exports": ("export_network", "network_geojson", "network_tables"),
    "files": ("CaseFile", "read_case_file"),
    "networks": (
        "NetworkView",
        "case_path",
        "list_networks",
        "merge_suggestions",
        "network_detail",
        "network_view",
    ),
    "records": (
        "create_case",
        "get_case",
        "import_cases",
        "list_cases",
        "update_case",
        "write_cases",
    ),
    "results": (
        "CaseDetail",
        "CaseImportReport",
        "CasePage",
        "CaseShare",
        "CaseSummary",
        "ChainResult",
        "MergeSuggestionItem",
        "NetworkDetail",
        "NetworkShare",
    ),
    "shares": ("share_case", "share_network"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "SHARE_KIND",
    "CaseDetail",
    "CaseFile",
    "CaseImportReport",
    "CasePage",
    "CaseShare",
    "CaseSummary",
    "ChainResult",
    "MergeSuggestionItem",
    "NetworkDetail",
    "NetworkShare",
    "NetworkView",
    "case_key",
    "case_path",
    "county_names",
    "create_case",
    "export_network",
    "get_case",
    "import_cases",
    "link_index",
    "list_cases",
    "list_networks",
    "merge_suggestions",
    "network_detail",
    "network_geojson",
    "network_tables",
    "network_view",
    "read_case_file",
    "refresh_entity_ids",
    "share_case",
    "share_network",
    "update_case",
    "write_cases",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
