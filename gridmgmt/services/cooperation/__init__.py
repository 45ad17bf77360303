"""Cross-county cooperation (毗邻协作) for liaisons and administrators.

- Adjacency of the stored county outlines, their overlaps and gaps
  (:mod:`~gridmgmt.services.cooperation.adjacency`);
- cooperation areas set by an administrator and each county's liaisons
  (:mod:`~gridmgmt.services.cooperation.areas`);
- the joint contact list of an area as a page, CSV and Excel
  (:mod:`~gridmgmt.services.cooperation.contacts`).

Who may do what (:mod:`gridmgmt.policy`, the COOPERATION block): officers, liaisons and
admins read areas and contact lists (``cooperation.read``); admins set areas
(``cooperation.areas.change``); liaisons and admins keep their own counties' liaisons
(``cooperation.liaisons.change``).
"""

from gridmgmt.services.cooperation.adjacency import (
    boundary_warnings,
    list_adjacency,
    list_boundary_defects,
    neighbour_codes,
)
from gridmgmt.services.cooperation.areas import (
    LIAISON_FIELDS,
    add_liaison,
    change_liaison,
    create_area,
    delete_area,
    get_area,
    list_areas,
    list_liaisons,
    remove_liaison,
    set_area,
)
from gridmgmt.services.cooperation.contacts import CONTACT_FORMATS, contact_list, contacts_file
from gridmgmt.services.cooperation.results import (
    AdjacentPair,
    AreaView,
    BoundaryDefect,
    ContactList,
    ContactRow,
    CountyRef,
    LiaisonView,
)

__all__ = [
    "CONTACT_FORMATS",
    "LIAISON_FIELDS",
    "AdjacentPair",
    "AreaView",
    "BoundaryDefect",
    "ContactList",
    "ContactRow",
    "CountyRef",
    "LiaisonView",
    "add_liaison",
    "boundary_warnings",
    "change_liaison",
    "contact_list",
    "contacts_file",
    "create_area",
    "delete_area",
    "get_area",
    "list_adjacency",
    "list_areas",
    "list_boundary_defects",
    "list_liaisons",
    "neighbour_codes",
    "remove_liaison",
    "set_area",
]
