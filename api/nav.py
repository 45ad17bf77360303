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

from starlette.routing import BaseRoute, Route

from api.i18n import N_

LEADER: Final = "leader"
"""The bureau leaders' role (局领导), ahead of its place in ``UserRole``."""
ALL_ROLES: Final = frozenset({"officer", "dispatcher", "liaison", "admin", LEADER})


@dataclass(frozen=True)
class NavEntry:
    """A link in the header: where it goes, its label (an English msgid), who sees it.

    ``match`` is the path prefix that marks the entry as the current page (default ``path``).
    """

    path: str
    label: str
    roles: frozenset[str]
    match: str | None = None

    def is_current(self, path: str) -> bool:
        """Whether ``path`` is this entry's page or below it."""
        prefix = (self.match or self.path).rstrip("/")
        return path == prefix or path.startswith(prefix + "/")


NAV_ENTRIES: Final[tuple[NavEntry, ...]] = (
    NavEntry("/map", N_("Map"), ALL_ROLES),
    NavEntry("/grids", N_("Grids"), frozenset({"officer"})),
    NavEntry("/tasks", N_("Tasks"), frozenset({"officer"})),
    NavEntry("/tickets", N_("Tickets"), frozenset({"officer"})),
    NavEntry("/dispatch", N_("Delivery"), frozenset({"dispatcher"})),
    NavEntry("/cases", N_("Cases"), ALL_ROLES),
    NavEntry("/admin/import", N_("Import"), frozenset({"admin"})),
    NavEntry("/admin/users", N_("Users"), frozenset({"admin"})),
    NavEntry("/admin/settings", N_("Settings"), frozenset({"admin"})),
    NavEntry("/dashboard", N_("Dashboard"), frozenset({LEADER, "admin"})),
)
"""Every page of the header, in display order."""


def page_paths(routes: Iterable[BaseRoute]) -> frozenset[str]:
    """The paths of the app's GET routes (HTML pages and API alike)."""
    return frozenset(
        route.path
        for route in routes
        if isinstance(route, Route) and route.methods is not None and "GET" in route.methods
    )


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
