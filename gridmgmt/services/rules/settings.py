"""Per-county rule settings: read them, set them from a preset or a JSON/TOML file."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from gridmgmt.rules.settings import PRESETS, RuleSettings, preset
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.rules._common import (
    ADMIN_ROLES,
    CountyRules,
    county_rules,
    require_role,
    scope_counties,
)
from gridmgmt.store.models.rules import RuleSettingsRecord

__all__ = ["get_rule_settings", "read_settings_file", "set_rule_settings"]

SETTINGS_SUFFIXES = (".json", ".toml")


def get_rule_settings(session: Session, actor: Actor, county: str) -> CountyRules:
    """The settings in force in one of the actor's counties (``default`` until set).

    Raises
    ------
    RecordNotFoundError
        If the county is not one the actor may see.
    """
    (code,) = scope_counties(session, actor, county)
    return county_rules(session, [code])[code]


def read_settings_file(path: Path) -> dict[str, Any]:
    """Settings as plain data from a JSON or TOML file (validated by :class:`RuleSettings`).

    Raises
    ------
    ValueError
        If the suffix is not ``.json`` or ``.toml`` or the file does not parse.
    """
    suffix = path.suffix.lower()
    if suffix not in SETTINGS_SUFFIXES:
        allowed = list(SETTINGS_SUFFIXES)
        msg = f"settings file suffix was {suffix!r} but is expected to be in {allowed}"
        raise ValueError(msg)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        msg = f"{path}: {error}"
        raise ValueError(msg) from None
    if not isinstance(data, dict):
        msg = f"{path}: expected a table of settings at the top level"
        raise ValueError(msg)
    return data


def set_rule_settings(
    session: Session,
    actor: Actor,
    county: str,
    *,
    preset_name: str | None = None,
    overrides: dict[str, Any] | None = None,
    roads_file: str | Path | None = None,
    clear_roads: bool = False,
) -> CountyRules:
    """Set a county's rule settings: a preset, with sections of it replaced by ``overrides``.

    Parameters
    ----------
    session
        An open session (the caller commits).
    actor
        Must be an admin (the CLI is).
    county
        The county.
    preset_name
        ``default``, ``wuhan`` or ``suqian``; without it the county's current settings are
        the base.
    overrides
        Settings as plain data (e.g. from :func:`read_settings_file`), merged over the
        base table by table: ``{"red_line": {"distance_m": {"primary": 120}}}`` changes
        the primary-school red line only.
    roads_file
        An OSM road file to use for this county's walking distances and checkpoint
        coverage when a command is given none.
    clear_roads
        Forget the stored road file.

    Raises
    ------
    ValueError
        If the preset is unknown or the settings do not validate (the message says where).
    FileNotFoundError
        If ``roads_file`` does not exist.
    """
    require_role(actor, ADMIN_ROLES, "setting rule settings")
    current = get_rule_settings(session, actor, county)
    base = preset(preset_name) if preset_name is not None else current.settings
    settings = RuleSettings.model_validate(_merged(base.model_dump(mode="json"), overrides or {}))
    road = current.roads_file
    if roads_file is not None:
        path = Path(roads_file).expanduser().resolve()
        if not path.is_file():
            msg = f"road network file {roads_file} does not exist"
            raise FileNotFoundError(msg)
        road = str(path)
    if clear_roads:
        road = None
    name = preset_name.strip().lower() if preset_name else current.preset
    if overrides:
        name = f"{name}+custom" if name and not name.endswith("+custom") else name
    row = session.get(RuleSettingsRecord, county)
    stored = settings.model_dump(mode="json")
    if row is None:
        row = RuleSettingsRecord(county_code=county, updated_by=actor.username, settings=stored)
        session.add(row)
    row.preset, row.settings, row.roads_file = name, stored, road
    row.updated_by = actor.username
    audit.record(
        session,
        actor,
        "rules.settings",
        kind="rule_settings",
        county_code=county,
        detail={"preset": name, "roads_file": road, "settings": stored},
    )
    session.flush()
    return CountyRules(county, settings, name, road, True)


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in, table by table (a value replaces, a table merges)."""
    result = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result


def preset_names() -> list[str]:
    """Names of the presets."""
    return sorted(PRESETS)
