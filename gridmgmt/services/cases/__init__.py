"""Case services (涉烟案件): import, create and edit cases; networks, merges, chains; sharing;
exports.

One function per user action, county-scoped: an actor sees the cases of their counties and
those shared with them, never more, and every network, suggestion, chain and export is
computed over exactly those cases.
"""

from gridmgmt.services.cases._store import (
    SHARE_KIND,
    CaseExistsError,
    CaseNotFoundError,
    county_names,
    link_index,
    refresh_entity_ids,
)
from gridmgmt.services.cases.exports import export_network, network_geojson, network_tables
from gridmgmt.services.cases.files import CaseFile, read_case_file
from gridmgmt.services.cases.networks import (
    NetworkView,
    case_path,
    centrality_dict,
    chain_dict,
    list_networks,
    merge_suggestions,
    network_detail,
    network_view,
    suggestion_dict,
    timeline_dict,
)
from gridmgmt.services.cases.records import (
    CasePage,
    create_case,
    get_case,
    import_cases,
    list_cases,
    update_case,
    write_cases,
)
from gridmgmt.services.cases.shares import share_case, share_network

__all__ = [
    "SHARE_KIND",
    "CaseExistsError",
    "CaseFile",
    "CaseNotFoundError",
    "CasePage",
    "NetworkView",
    "case_path",
    "centrality_dict",
    "chain_dict",
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
    "suggestion_dict",
    "timeline_dict",
    "update_case",
    "write_cases",
]
