"""``/admin/settings``: a county's rule settings, and the tile server (read-only).

The form edits the settings people set most (red-line distances and how they are measured,
spacing per area type, border bands, ticket deadlines, the inspection quota); the other
settings keep their values. A wrong value is shown next to its field and nothing is stored.
The form is saved from the settings' version it showed (a hidden ``base_version``): if
someone saved the county's settings meanwhile, the answer is 409 with the settings now in
the form (not what was typed) and a plain notice.
The tile server comes from the environment (``GRIDMGMT_TILE_URL``, ``GRIDMGMT_TILE_CRS``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from api.i18n import N_, gettext_for
from api.pages._common import changed_meanwhile
from api.pages.admin_common import render, user_for
from gridmgmt.config import Settings
from gridmgmt.errors import GridmgmtError, InvalidInputError
from gridmgmt.policy import Action
from gridmgmt.rules.settings import DistanceMode, MeasureFrom, RuleSettings
from gridmgmt.services import records
from gridmgmt.services.rules.settings import CountySettings, get_rule_settings, set_rule_settings
from gridmgmt.services.users import UserInfo, actor_for

router = APIRouter()

SettingsUser = user_for(Action.CHANGE_RULE_SETTINGS)


@dataclass(frozen=True)
class Field:
    """One number of the form: its dotted path in :class:`RuleSettings`, label and unit."""

    name: str
    label: str
    unit: str
    optional: bool = False
    """Empty means "none" (a school kind without a red line)."""


TICKET_FIELDS: Final = (
    Field("tickets.assign_hours", N_("Pass on within"), N_("hours")),
    Field("tickets.respond_hours", N_("Answer within"), N_("hours")),
    Field("tickets.handle_hours", N_("Handle within"), N_("hours")),
    Field("tickets.feed_back_hours", N_("Feed back within"), N_("hours")),
)
BORDER_FIELDS: Final = (
    Field("borders.county_border_m", N_("County border band"), N_("m")),
    Field("borders.province_border_m", N_("Province border band"), N_("m")),
)
QUOTA_FIELD: Final = Field("inspections.quota_share", N_("Share inspected per period"), "0–1")
CHOICES: Final = {"red_line.measure_from": MeasureFrom, "red_line.mode": DistanceMode}


def red_line_fields(settings: RuleSettings) -> list[Field]:
    """One field per school kind."""
    return [
        Field(f"red_line.distance_m.{kind}", kind, N_("m"), optional=True)
        for kind in ("kindergarten", "primary", "middle")
    ]


def spacing_fields(settings: RuleSettings) -> list[Field]:
    """One field per area type the county's spacing settings name."""
    return [
        Field(f"spacing.minimum_m.{area}", area, N_("m")) for area in settings.spacing.minimum_m
    ]


def _value(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _shown(data: Mapping[str, Any], path: str) -> Any:
    """A stored value as the form shows it (``80`` rather than ``80.0``)."""
    value = _value(data, path)
    return f"{value:g}" if isinstance(value, float) else value


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def parse_form(
    form: Mapping[str, str], fields: list[Field], _: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """The overrides the form asks for, and a message per field that is not a number >= 0."""
    overrides: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        text = form.get(field.name, "").strip().replace(",", ".")
        if not text and field.optional:
            _put(overrides, field.name, None)
            continue
        try:
            number = float(text)
        except ValueError:
            errors[field.name] = _("Enter a number.")
            continue
        if not math.isfinite(number) or number < 0:
            errors[field.name] = _("Enter a number of at least 0.")
            continue
        _put(overrides, field.name, number)
    for name, enum in CHOICES.items():
        chosen = form.get(name, "")
        if chosen not in {member.value for member in enum}:
            errors[name] = _("Choose one of the options.")
        else:
            _put(overrides, name, chosen)
    return overrides, errors


def place_problems(error: InvalidInputError, names: list[str]) -> tuple[dict[str, str], list[str]]:
    """The service's problems by form field (the first field under each dotted path)."""
    placed: dict[str, str] = {}
    rest: list[str] = []
    for problem in error.problems:
        where = str(problem.get("field") or "")
        message = str(problem.get("message") or error.message)
        target = next(
            (n for n in names if where and (n == where or n.startswith(where + "."))), None
        )
        if target is None:
            rest.append(message)
        else:
            placed.setdefault(target, message)
    return placed, rest or ([] if placed else [error.message])


def parse_version(text: str) -> int | None:
    """The form's ``base_version`` (a whole number >= 0), or None if absent or not one."""
    text = text.strip()
    return int(text) if text.isdigit() else None


def _tiles(settings: Settings) -> dict[str, str | None]:
    return {
        "url": settings.tile_url,
        "crs": settings.tile_crs,
        "attribution": settings.tile_attribution,
    }


def _page(
    request: Request,
    user: UserInfo,
    session: Session,
    app_settings: Settings,
    county: str | None,
    *,
    values: Mapping[str, Any] | None = None,
    field_errors: dict[str, str] | None = None,
    errors: list[str] | None = None,
    saved: bool = False,
    conflict: bool = False,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    actor = actor_for(user)
    counties = records.list_counties(session, actor)
    code = county or (counties[0].code if counties else None)
    current: CountySettings | None = (
        get_rule_settings(session, actor, code) if code is not None else None
    )
    rules = current.settings if current is not None else None
    dumped = rules.model_dump(mode="json") if rules is not None else {}
    context = {
        "counties": counties,
        "county": code,
        "current": current,
        "red_line_fields": red_line_fields(rules) if rules else [],
        "spacing_fields": spacing_fields(rules) if rules else [],
        "border_fields": BORDER_FIELDS,
        "ticket_fields": TICKET_FIELDS,
        "quota_field": QUOTA_FIELD,
        "measure_from": [m.value for m in MeasureFrom],
        "modes": [m.value for m in DistanceMode],
        "value": lambda name: values[name] if values and name in values else _shown(dumped, name),
        "field_errors": field_errors or {},
        "errors": errors or [],
        "saved": saved,
        "conflict": conflict,
        "tiles": _tiles(app_settings),
    }
    return render(request, "admin/settings.html", user, context, status_code=status_code)


@router.get("/admin/settings", response_class=HTMLResponse)
def settings_page(
    request: Request,
    session: SessionDep,
    app_settings: SettingsDep,
    county: str | None = None,
    user: UserInfo = SettingsUser,
) -> HTMLResponse:
    """A county's rule settings in a form, and the tile server settings."""
    return _page(request, user, session, app_settings, county)


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's fields (their names are the settings' dotted paths)."""
    return {key: str(value) for key, value in (await request.form()).items()}


@router.post("/admin/settings", response_class=HTMLResponse)
def save(
    request: Request,
    session: SessionDep,
    app_settings: SettingsDep,
    form: Annotated[dict[str, str], Depends(form_fields)],
    user: UserInfo = SettingsUser,
) -> HTMLResponse:
    """Store the form's settings for its county; wrong values are shown by field."""
    county = form.get("county", "")
    actor = actor_for(user)
    rules = get_rule_settings(session, actor, county).settings
    fields = [*red_line_fields(rules), *spacing_fields(rules), *BORDER_FIELDS, *TICKET_FIELDS]
    fields.append(QUOTA_FIELD)
    _ = gettext_for(request)
    overrides, field_errors = parse_form(form, fields, _)
    errors: list[str] = []
    base_version = parse_version(form.get("base_version", ""))
    if base_version is None and "base_version" in form:
        errors.append(_("The form is damaged: reload the page."))
    if not field_errors and not errors:
        try:
            with session.begin_nested():
                set_rule_settings(
                    session, actor, county, overrides=overrides, base_version=base_version
                )
        except InvalidInputError as error:
            field_errors, errors = place_problems(error, [f.name for f in fields])
        except GridmgmtError as error:
            if changed_meanwhile(error):
                code = status.HTTP_409_CONFLICT
                return _page(
                    request, user, session, app_settings, county, conflict=True, status_code=code
                )
            errors = [error.message]
    if field_errors or errors:
        return _page(
            request,
            user,
            session,
            app_settings,
            county,
            values=form,
            field_errors=field_errors,
            errors=errors,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return _page(request, user, session, app_settings, county, saved=True)
