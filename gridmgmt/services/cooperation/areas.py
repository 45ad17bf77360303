"""Cooperation areas (毗邻协作区) and each county's liaisons (信息联络员).

An administrator sets an area: a code, a name and its member counties (for example the six
counties of the demo region). An area is visible to the users of its member counties; an
administrator of a county may set only areas that include one of their counties. Each
county names its liaisons; a county's liaisons (and its administrators) keep that county's
entries, nobody else's.

Writes are safe with two people at once: creating an existing code answers a conflict, and
a change carries the ``version`` the person read; if someone changed it meanwhile, the
change is refused with the current version (409) and nothing is lost. Every write is audited.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.cooperation.results import AreaView, CountyRef, LiaisonView
from gridmgmt.store.models import County
from gridmgmt.store.models.cooperation import CooperationArea, CooperationAreaCounty, Liaison

__all__ = [
    "LIAISON_FIELDS",
    "add_liaison",
    "change_liaison",
    "create_area",
    "delete_area",
    "get_area",
    "list_areas",
    "list_liaisons",
    "remove_liaison",
    "set_area",
]

_CODE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
LIAISON_FIELDS: Final = ("name", "title", "phone", "mobile", "email", "duties", "username")
"""What a liaison entry holds, as the CLI, API and pages name the fields."""
_LIMITS: Final = {"name": 64, "title": 64, "phone": 32, "mobile": 32, "email": 128}


def _problem(field: str, msg: str) -> InvalidInputError:
    return InvalidInputError(msg, [{"field": field, "message": msg}])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _refs(session: Session, codes: Sequence[str]) -> list[CountyRef]:
    rows = session.execute(
        select(County.code, County.name, County.province_code)
        .where(County.code.in_(list(codes)))
        .order_by(County.code)
    ).all()
    return [CountyRef(code=c, name=n, province_code=p) for c, n, p in rows]


def _view(session: Session, area: CooperationArea) -> AreaView:
    return AreaView(
        code=area.code,
        name=area.name,
        note=area.note,
        counties=_refs(session, area.county_codes),
        version=area.version,
        updated_by=area.updated_by,
        updated_at=area.updated_at,
    )


def _visible(actor: Actor, area: CooperationArea) -> bool:
    return actor.counties is None or bool(set(area.county_codes) & actor.counties)


def _load(session: Session, actor: Actor, code: str) -> CooperationArea:
    area = session.scalars(
        select(CooperationArea).where(CooperationArea.code == code.strip())
    ).one_or_none()
    if area is None or not _visible(actor, area):
        raise NotFoundError("cooperation area", code)
    return area


def _members(session: Session, actor: Actor, counties: Sequence[str]) -> list[str]:
    codes = sorted({c.strip() for c in counties if c.strip()})
    if len(codes) < 2:
        raise _problem("counties", "an area needs at least two counties")
    stored = {ref.code for ref in _refs(session, codes)}
    unknown = [c for c in codes if c not in stored]
    if unknown:
        raise _problem("counties", f"counties {unknown} are not stored")
    if actor.counties is not None and not set(codes) & actor.counties:
        yours = sorted(actor.counties)
        msg = f"the area must include one of your counties {yours}"
        raise _problem("counties", msg)
    return codes


def _text(value: str, field: str, limit: int) -> str:
    text = value.strip()
    if len(text) > limit:
        raise _problem(field, f"{field} is longer than {limit} characters")
    return text


@requires(Action.READ_COOPERATION)
def list_areas(session: Session, actor: Actor) -> list[AreaView]:
    """The cooperation areas that include one of the actor's counties, by code."""
    areas = session.scalars(select(CooperationArea).order_by(CooperationArea.code)).all()
    return [_view(session, area) for area in areas if _visible(actor, area)]


@requires(Action.READ_COOPERATION)
def get_area(session: Session, actor: Actor, code: str) -> AreaView:
    """One cooperation area (404 unless it includes one of the actor's counties)."""
    return _view(session, _load(session, actor, code))


@requires(Action.CHANGE_AREAS)
def create_area(
    session: Session,
    actor: Actor,
    code: str,
    name: str,
    counties: Sequence[str],
    *,
    note: str = "",
) -> AreaView:
    """Create a cooperation area of ``counties`` (at least two, one of them the actor's).

    Raises
    ------
    InvalidInputError
        If the code or name is malformed, or a county is unknown or none is the actor's.
    ConflictError
        If an area of that code exists (another administrator may have just made it).
    """
    code = code.strip()
    if not _CODE.match(code):
        msg = f"area code {code!r} must be 1-32 lower-case letters, digits, '-' or '_'"
        raise _problem("code", msg)
    title = _text(name, "name", 100)
    if not title:
        raise _problem("name", "give the area a name")
    members = _members(session, actor, counties)
    now = _now()
    area = CooperationArea(
        code=code,
        name=title,
        note=note.strip(),
        version=1,
        created_by=actor.username,
        created_at=now,
        updated_by=actor.username,
        updated_at=now,
        members=[CooperationAreaCounty(county_code=c) for c in members],
    )
    try:
        with session.begin_nested():
            session.add(area)
            session.flush()
    except IntegrityError:
        msg = f"a cooperation area {code!r} exists already; reload and change it instead"
        raise ConflictError(msg) from None
    audit.record(
        session,
        actor,
        "cooperation.area.create",
        kind="cooperation_area",
        detail={"code": code, "name": title, "counties": members},
    )
    return _view(session, area)


def _bump(session: Session, table: Any, row_id: int, version: int, what: str, changes: Any) -> None:
    """Apply ``changes`` if the row is still at ``version``; else a conflict with the current."""
    result = session.execute(
        update(table)
        .where(table.id == row_id, table.version == version)
        .values(version=version + 1, **changes)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 1) != 1:
        current = session.scalar(select(table.version).where(table.id == row_id))
        msg = f"{what} was changed by someone else meanwhile (now version {current}); reload it"
        raise ConflictError(msg, current={"version": current})


@requires(Action.CHANGE_AREAS)
def set_area(
    session: Session,
    actor: Actor,
    code: str,
    *,
    version: int,
    name: str | None = None,
    counties: Sequence[str] | None = None,
    note: str | None = None,
) -> AreaView:
    """Change an area's name, note or member counties, if nobody changed it since ``version``.

    Raises
    ------
    NotFoundError
        If the area includes none of the actor's counties.
    ConflictError
        If the area is no longer at ``version``.
    InvalidInputError
        As :func:`create_area`.
    """
    area = _load(session, actor, code)
    changes: dict[str, Any] = {"updated_by": actor.username, "updated_at": _now()}
    if name is not None:
        changes["name"] = _text(name, "name", 100)
        if not changes["name"]:
            raise _problem("name", "give the area a name")
    if note is not None:
        changes["note"] = note.strip()
    members = _members(session, actor, counties) if counties is not None else None
    _bump(session, CooperationArea, area.id, version, f"cooperation area {area.code}", changes)
    if members is not None:
        session.execute(
            delete(CooperationAreaCounty).where(CooperationAreaCounty.area_id == area.id)
        )
        session.add_all(CooperationAreaCounty(area_id=area.id, county_code=c) for c in members)
        session.flush()
    session.expire(area)
    audit.record(
        session,
        actor,
        "cooperation.area.set",
        kind="cooperation_area",
        detail={
            "code": area.code,
            "version": version + 1,
            **{k: v for k, v in changes.items() if k in ("name", "note")},
            **({"counties": members} if members is not None else {}),
        },
    )
    return _view(session, area)


@requires(Action.CHANGE_AREAS)
def delete_area(session: Session, actor: Actor, code: str, *, version: int) -> None:
    """Delete an area (its counties and liaisons stay), if still at ``version``."""
    area = _load(session, actor, code)
    _bump(session, CooperationArea, area.id, version, f"cooperation area {area.code}", {})
    session.execute(delete(CooperationAreaCounty).where(CooperationAreaCounty.area_id == area.id))
    session.execute(delete(CooperationArea).where(CooperationArea.id == area.id))
    session.expunge(area)
    audit.record(
        session, actor, "cooperation.area.delete", kind="cooperation_area", detail={"code": code}
    )


# --- liaisons ------------------------------------------------------------------------------


def _liaison_view(row: Liaison) -> LiaisonView:
    return LiaisonView.model_validate(row)


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(LIAISON_FIELDS))
    if unknown:
        raise _problem(unknown[0], f"liaisons have no field {unknown}; known: {LIAISON_FIELDS}")
    out: dict[str, Any] = {}
    for field, value in values.items():
        if value is None:
            continue
        text = str(value)
        out[field] = _text(text, field, _LIMITS.get(field, 2000))
    if "username" in out:
        out["username"] = out["username"] or None
    return out


def _own_county(session: Session, actor: Actor, county: str) -> str:
    code = county.strip()
    if not actor.can_see(code) or session.get(County, code) is None:
        raise NotFoundError("county", code)
    return code


def _load_liaison(session: Session, actor: Actor, liaison_id: int) -> Liaison:
    row = session.get(Liaison, liaison_id)
    if row is None or not actor.can_see(row.county_code):
        raise NotFoundError("liaison", liaison_id)
    return row


@requires(Action.READ_COOPERATION)
def list_liaisons(
    session: Session, actor: Actor, *, county: str | None = None
) -> list[LiaisonView]:
    """The liaisons of the actor's counties (or of one of them), by county and name."""
    stmt = select(Liaison).order_by(Liaison.county_code, Liaison.name)
    if county is not None:
        stmt = stmt.where(Liaison.county_code == _own_county(session, actor, county))
    elif actor.counties is not None:
        stmt = stmt.where(Liaison.county_code.in_(sorted(actor.counties)))
    return [_liaison_view(row) for row in session.scalars(stmt)]


@requires(Action.CHANGE_LIAISONS)
def add_liaison(session: Session, actor: Actor, county: str, **values: Any) -> LiaisonView:
    """Name a liaison of one of the actor's counties (``name`` needed; see LIAISON_FIELDS).

    Raises
    ------
    NotFoundError
        If the county is not one of the actor's.
    InvalidInputError
        If the name is missing, a field unknown or too long, or no way to reach them given.
    ConflictError
        If the county has a liaison of that name already.
    """
    code = _own_county(session, actor, county)
    fields = _fields(values)
    if not fields.get("name"):
        raise _problem("name", "give the liaison's name")
    if not any(fields.get(f) for f in ("phone", "mobile", "email")):
        raise _problem("phone", "give a phone, mobile or e-mail to reach the liaison")
    row = Liaison(county_code=code, version=1, updated_by=actor.username, updated_at=_now())
    for field in LIAISON_FIELDS:
        setattr(row, field, fields.get(field, None if field == "username" else ""))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        msg = f"county {code} has a liaison named {fields['name']!r} already; change that one"
        raise ConflictError(msg) from None
    audit.record(
        session,
        actor,
        "cooperation.liaison.add",
        kind="liaison",
        county_code=code,
        detail={"id": row.id, "name": row.name},
    )
    return _liaison_view(row)


@requires(Action.CHANGE_LIAISONS)
def change_liaison(
    session: Session, actor: Actor, liaison_id: int, *, version: int, **values: Any
) -> LiaisonView:
    """Change a liaison's entry if nobody changed it since ``version``.

    Raises
    ------
    NotFoundError
        If the liaison is not of one of the actor's counties.
    ConflictError
        If the entry is no longer at ``version``, or the new name is taken.
    """
    row = _load_liaison(session, actor, liaison_id)
    fields = _fields(values)
    if "name" in fields and not fields["name"]:
        raise _problem("name", "a liaison needs a name")
    changes = {**fields, "updated_by": actor.username, "updated_at": _now()}
    try:
        with session.begin_nested():
            _bump(session, Liaison, row.id, version, f"liaison {row.id}", changes)
    except IntegrityError:
        msg = f"county {row.county_code} has a liaison named {fields.get('name')!r} already"
        raise ConflictError(msg) from None
    session.expire(row)
    audit.record(
        session,
        actor,
        "cooperation.liaison.change",
        kind="liaison",
        county_code=row.county_code,
        detail={"id": row.id, "fields": sorted(fields), "version": version + 1},
    )
    return _liaison_view(row)


@requires(Action.CHANGE_LIAISONS)
def remove_liaison(session: Session, actor: Actor, liaison_id: int, *, version: int) -> None:
    """Remove a liaison of one of the actor's counties, if still at ``version``."""
    row = _load_liaison(session, actor, liaison_id)
    county, name = row.county_code, row.name
    _bump(session, Liaison, row.id, version, f"liaison {row.id}", {})
    session.execute(delete(Liaison).where(Liaison.id == row.id))
    session.expunge(row)
    audit.record(
        session,
        actor,
        "cooperation.liaison.remove",
        kind="liaison",
        county_code=county,
        detail={"id": liaison_id, "name": name},
    )
