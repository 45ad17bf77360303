"""Rule findings in plain language, in the page's language (no command-line advice).

The rule engines explain themselves in English with Chinese terms, for logs and the CLI.
An officer clicking a map needs a sentence in their own language, built here from each
reason's ``code`` and ``detail``; notes that tell a CLI user which option to pass are
replaced by what they mean for the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from api.i18n import N_

Gettext = Callable[[str], str]

SCHOOL_KINDS: Final = {
    "primary": N_("primary school"),
    "middle": N_("secondary school"),
    "kindergarten": N_("kindergarten"),
}
MEASURED_FROM: Final = {
    "gate": N_("gate"),
    "campus": N_("campus boundary"),
    "point": N_("location"),
}
AREA_TYPES: Final = {
    "county_town": N_("county town"),
    "township": N_("township"),
    "village": N_("village"),
}
BORDER_KINDS: Final = {"county": N_("county"), "province": N_("province")}
_CLI_ADVICE = re.compile(r"\s*\((?:[^()]*--|[^()]*`gridmgmt)[^()]*\)")


def _label(labels: Mapping[str, str], value: Any, _: Gettext) -> str:
    text = str(value)
    return _(labels[text]) if text in labels else text


def _metres(value: Any) -> str:
    return f"{float(value):.0f}"


def reason_text(code: str, detail: Mapping[str, Any], message: str, _: Gettext) -> str:
    """One finding of the licence check as a sentence; unknown codes keep their message."""
    if code == "outside_counties":
        return _("Outside every county of the bureau: no licence can be issued here.")
    if code == "county":
        named = (detail.get("county_name"), detail.get("county_code"))
        county = " ".join(dict.fromkeys(str(part) for part in named if part))
        return _("In county %(county)s.") % {"county": county}
    if code == "grid":
        grid = detail.get("grid_id")
        if grid is None:
            return _("In no grid.")
        return _("In grid %(grid)s.") % {"grid": grid}
    if code == "red_line":
        return _(
            "Inside the red line of %(school)s (%(kind)s): %(distance)s m from its "
            "%(origin)s, the limit is %(limit)s m."
        ) % {
            "school": detail.get("school", ""),
            "kind": _label(SCHOOL_KINDS, detail.get("school_kind", ""), _),
            "distance": _metres(detail.get("distance_m", 0)),
            "origin": _label(MEASURED_FROM, detail.get("measured_from", ""), _),
            "limit": _metres(detail.get("limit_m", 0)),
        }
    if code == "area_type":
        return _("Area type %(area)s: retailers must be at least %(minimum)s m apart.") % {
            "area": _label(AREA_TYPES, detail.get("area_type", ""), _),
            "minimum": _metres(detail.get("minimum_m", 0)),
        }
    if code == "spacing":
        return _("Too close to retailer %(licence)s: %(distance)s m, at least %(required)s m.") % {
            "licence": detail.get("licence_no", ""),
            "distance": _metres(detail.get("distance_m", 0)),
            "required": _metres(detail.get("required_m", 0)),
        }
    if code in {"border_market", "province_border_market"}:
        return _(
            "Border market: %(distance)s m from the %(kind)s border with %(neighbour)s "
            "(closer supervision within %(limit)s m)."
        ) % {
            "distance": _metres(detail.get("distance_m", 0)),
            "kind": _label(BORDER_KINDS, detail.get("border_kind", ""), _),
            "neighbour": detail.get("neighbour", ""),
            "limit": _metres(detail.get("limit_m", 0)),
        }
    return message


def note_text(note: str, _: Gettext) -> str:
    """A service note in plain language, with any command-line advice left out."""
    if note.startswith("no road network given"):
        return _(
            "Walking distances were measured as straight lines: no road network is stored for "
            "this county. For walking distances, the administrator loads the county's road "
            "network (an OpenStreetMap .osm or .pbf file) into its rule settings."
        )
    if note.startswith("area types from the density rule"):
        return _("Area types follow the density of retailers (no area map is stored).")
    if "road file" in note and note.endswith("is missing"):
        return _("The county's road map is missing: distances were measured as straight lines.")
    return _CLI_ADVICE.sub("", note)
