"""The navigation bar's entries: one registry for every page, filtered by role.

A new page adds one :class:`NavEntry` to :data:`NAV_ENTRIES` (label marked with ``N_`` so
it is extracted into the catalogues). The header shows an entry to a user whose role is in
``roles``, and only once the app has a GET route at ``path``, so entries for pages not built
yet stay hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from starlette.routing import BaseRoute, Match

from api.i18n import N_

LEADER: Final = "leader"
"""The bureau leaders' role (局领导)."""
ALL_ROLES: Final = frozenset({"officer", "dispatcher", "liaison", "admin", LEADER})
DEFAULT_HOME: Final = "/map"
"""Where a role without a first page of its own (or whose page is absent) starts."""
HOME_PAGES: Final = {
    "officer": "/grids",
    "dispatcher": "/dispatch",
    "liaison": "/leads",
    "admin": "/admin",
    LEADER: "/dashboard",
}
"""Each role's first page after login (and at ``/``): the page their day starts on."""


@dataclass(frozen=True)
class NavEntry:
    """A link in the header: where it goes, its label (an English msgid), who sees it.

    ``match`` is the path prefix that marks the entry as the current page (default ``path``);
    an ``exact`` entry is current on its own path only (a home above other entries' pages).
    """

    path: str
    label: str
    roles: frozenset[str]
    match: str | None = None
    exact: bool = False

    def is_current(self, path: str) -> bool:
        """Whether ``path`` is this entry's page or below it."""
        prefix = (self.match or self.path).rstrip("/")
        return path == prefix or (not self.exact and path.startswith(prefix + "/"))


NAV_ENTRIES: Final[tuple[NavEntry, ...]] = (
    NavEntry("/admin", N_("Administration"), frozenset({"admin"}), exact=True),
    NavEntry("/map", N_("Map"), ALL_ROLES),
    NavEntry("/grids", N_("Grids"), frozenset({"officer"})),
    NavEntry("/tasks", N_("Tasks"), frozenset({"officer"})),
    NavEntry("/tickets", N_("Tickets"), frozenset({"officer"})),
    NavEntry("/dispatch", N_("Delivery"), frozenset({"dispatcher"})),
    NavEntry("/cases", N_("Cases"), ALL_ROLES),
    NavEntry("/leads", N_("Leads"), frozenset({"liaison", "admin"})),
    NavEntry("/cooperation", N_("Cooperation"), frozenset({"liaison", "admin"})),
    NavEntry("/prices", N_("Price checks"), frozenset({"liaison", "admin"})),
    NavEntry("/sweeps", N_("Joint sweeps"), frozenset({"officer", "liaison", "admin"})),
    NavEntry("/cooperation/report", N_("Quarterly report"), frozenset({"liaison", "admin"})),
    NavEntry("/admin/import", N_("Import"), frozenset({"admin"})),
    NavEntry("/admin/users", N_("Users"), frozenset({"admin"})),
    NavEntry("/admin/settings", N_("Settings"), frozenset({"admin"})),
    NavEntry("/dashboard", N_("Dashboard"), frozenset({LEADER, "admin"})),
)
"""Every page of the header, in display order."""


def has_page(routes: Iterable[BaseRoute], path: str) -> bool:
    """Whether a GET of ``path`` reaches one of ``routes`` (asked as the router would)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "path_params": {}}
    return any(route.matches(scope)[0] is Match.FULL for route in routes)


def page_paths(
    routes: Iterable[BaseRoute], *, entries: Iterable[NavEntry] = NAV_ENTRIES
) -> frozenset[str]:
    """The paths of ``entries`` whose page the app serves."""
    routes = list(routes)
    return frozenset(e.path for e in entries if has_page(routes, e.path))


def entries_for(
    role: str | None,
    existing: frozenset[str],
    *,
    entries: Iterable[NavEntry] = NAV_ENTRIES,
) -> list[NavEntry]:
    """The entries a user of ``role`` sees, among those whose page exists."""
    if role is None:
        return []
    return [e for e in entries if role in e.roles and e.path in existing]


def home_for(role: str, existing: frozenset[str]) -> str:
    """The first page of a user of ``role``: :data:`HOME_PAGES`, if the app serves it."""
    page = HOME_PAGES.get(role, DEFAULT_HOME)
    return page if page in existing else DEFAULT_HOME
