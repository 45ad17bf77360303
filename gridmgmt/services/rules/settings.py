"""Per-county rule settings: read them, set them from a preset or a JSON/TOML file.

A change is merged over the settings read when it starts, so it is stored only if nobody
stored others meanwhile (compare-and-set on the ``version``,
:mod:`gridmgmt.services.row_versions`); otherwise it is a conflict with the settings now.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.rules.settings import PRESETS, RuleSettings, preset
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.results import Result, jsonable
from gridmgmt.services.row_versions import check_base_version, claim_version, insert_first
from gridmgmt.services.rules._common import (
    CountyRules,
    county_rules,
    scope_counties,
    validated,
)
from gridmgmt.store.models.rules import RuleSettingsRecord

__all__ = ["CountySettings", "get_rule_settings", "read_settings_file", "set_rule_settings"]

SETTINGS_SUFFIXES = (".json", ".toml")


class CountySettings(Result):
    """The rule settings in force in one county, and where they came from."""

    county_code: str
    preset: str | None
    stored: bool
    """Whether the county's settings were set (else the ``default`` preset applies)."""
    roads_file: str | None
    """The stored OSM road file (a path on the server; the API leaves it out)."""
    walk_network: bool
    """Whether a road file is stored, so walking distances follow roads."""
    settings: RuleSettings
    version: int = 0
    """Send it back as ``base_version`` with a change (409 if stale); 0 while unset."""

    @classmethod
    def of(cls, rules: CountyRules) -> CountySettings:
        """The result for a county's rules."""
        return cls(
            county_code=rules.county_code,
            preset=rules.preset,
            stored=rules.stored,
            roads_file=rules.roads_file,
            walk_network=rules.roads_file is not None,
            settings=rules.settings,
            version=rules.version,
        )


@requires(Action.READ_RULES)
def get_rule_settings(session: Session, actor: Actor, county: str) -> CountySettings:
    """The settings in force in one of the actor's counties (``default`` until set).

    Raises
    ------
    NotFoundError
        If the county is not one the actor may see.
    """
    (code,) = scope_counties(session, actor, county)
    return CountySettings.of(county_rules(session, [code])[code])


def read_settings_file(path: Path) -> dict[str, Any]:
    """Settings as plain data from a JSON or TOML file (validated by :class:`RuleSettings`).

    Raises
    ------
    InvalidInputError
        If the file is missing, its suffix is not ``.json`` or ``.toml`` or it does not parse.
    """
    suffix = path.suffix.lower()
    if suffix not in SETTINGS_SUFFIXES:
        allowed = list(SETTINGS_SUFFIXES)
        msg = f"settings file suffix was {suffix!r} but is expected to be in {allowed}"
        raise InvalidInputError(msg)
    if not path.is_file():
        msg = f"settings file {path} does not exist"
        raise InvalidInputError(msg)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        msg = f"{path}: {error}"
        raise InvalidInputError(msg) from None
    if not isinstance(data, dict):
        msg = f"{path}: expected a table of settings at the top level"
        raise InvalidInputError(msg)
    return data


@requires(Action.CHANGE_RULE_SETTINGS)
def set_rule_settings(
    session: Session,
    actor: Actor,
    county: str,
    *,
    preset_name: str | None = None,
    overrides: dict[str, Any] | None = None,
    roads_file: str | Path | None = None,
    clear_roads: bool = False,
    base_version: int | None = None,
) -> CountySettings:
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
    base_version
        The settings' ``version`` the change was made from (0: never set); by default the
        one read now.

    Raises
    ------
    NotFoundError
        If the county is not one the actor may see.
    ConflictError
        If the settings were changed since ``base_version`` (or while this change was
        made), with the settings now.
    InvalidInputError
        If the preset is unknown, the settings do not validate (the problems say where) or
        ``roads_file`` does not exist.
    """
    (code,) = scope_counties(session, actor, county)
    current = county_rules(session, [code])[code]
    base = preset(preset_name) if preset_name is not None else current.settings
    merged = _merged(base.model_dump(mode="json"), overrides or {})
    settings = validated(RuleSettings, merged, "rule settings")
    road = current.roads_file
    if roads_file is not None:
        path = Path(roads_file).expanduser().resolve()
        if not path.is_file():
            msg = f"road network file {roads_file} does not exist"
            raise InvalidInputError(msg)
        road = str(path)
    if clear_roads:
        road = None
    name = preset_name.strip().lower() if preset_name else current.preset
    if overrides:
        name = f"{name}+custom" if name and not name.endswith("+custom") else name
    stored = settings.model_dump(mode="json")
    values = {"preset": name, "settings": stored, "roads_file": road}
    version = _store(session, actor, code, values, read=current.version, base_version=base_version)
    audit.record(
        session,
        actor,
        "rules.settings",
        kind="rule_settings",
        county_code=code,
        detail={"preset": name, "roads_file": road, "settings": stored},
    )
    session.flush()
    return CountySettings.of(CountyRules(code, settings, name, road, True, version))


def _store(
    session: Session,
    actor: Actor,
    code: str,
    values: dict[str, Any],
    *,
    read: int,
    base_version: int | None,
) -> int:
    """Store a county's settings if still at version ``read``; their new version."""
    what = f"the rule settings of county {code}"

    def now() -> dict[str, Any]:
        view: dict[str, Any] = jsonable(CountySettings.of(county_rules(session, [code])[code]))
        view.pop("roads_file", None)  # a path on the server stays there
        return view

    values = values | {"updated_by": actor.username}
    if read == 0:
        check_base_version(base_version, 0, what=what, current=now)
        insert_first(
            session,
            RuleSettingsRecord,
            values | {"county_code": code},
            key=["county_code"],
            what=what,
            current=now,
        )
        return 1
    row = session.get(RuleSettingsRecord, code)
    if row is None:  # deleted meanwhile
        raise NotFoundError("rule settings", code)
    version = claim_version(session, row, base_version=base_version, what=what, current=now)
    for field, value in values.items():
        setattr(row, field, value)
    return version


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
