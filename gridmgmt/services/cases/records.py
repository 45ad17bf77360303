"""Cases in the store: import a file, create, edit, read and list, county-scoped.

Every write is all or nothing and upserts on the case's county and number (a case number is
unique within its county; two counties may both have a case 12): a case already stored the same
is left alone, a changed one has its fields and mentions replaced (and a new ``version``).
Mentions are normalised as they are written (invalid identifiers kept and flagged), and the
entity every mention resolves to is refreshed over the whole store in the same transaction.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import numpy as np
from shapely.geometry import Point
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from gridmgmt.cases.model import (
    Case,
    CaseSet,
    CaseStatus,
    CaseType,
    CaseValidationError,
    EntityKind,
    Mention,
    cases_to_json,
    label_zh,
    parse_case_enum,
    parse_cases_json,
)
from gridmgmt.crs import CoordinateSystem, UnknownCRSError, parse_crs, to_wgs84
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.io.problems import ImportValidationError, Problem
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.cases._store import (
    SHARE_KIND,
    case_key,
    county_names,
    link_index,
    new_version,
    normalise_mention,
    own_case,
    plain,
    refresh_entity_ids,
    to_case,
    to_mention,
    visible,
    visible_case,
)
from gridmgmt.services.cases.files import Head, problems_of, read_case_file
from gridmgmt.services.cases.networks import network_of_case
from gridmgmt.services.cases.privacy import redact_mention, sees_personal_data
from gridmgmt.services.cases.results import (
    CaseDetail,
    CaseImportReport,
    CasePage,
    CaseSummary,
    MentionDetail,
)
from gridmgmt.services.results import jsonable
from gridmgmt.services.row_versions import claim_version
from gridmgmt.store.models import Share
from gridmgmt.store.models.base import _utcnow
from gridmgmt.store.models.cases import CaseMentionRecord, CaseRecord

__all__ = [
    "MAX_PAGE_SIZE",
    "WriteResult",
    "create_case",
    "get_case",
    "import_cases",
    "list_cases",
    "update_case",
    "write_cases",
]

MAX_PAGE_SIZE: Final = 1000
EDITABLE_FIELDS: Final = frozenset(
    {
        "county_code",
        "opened_on",
        "type",
        "status",
        "lon",
        "lat",
        "seized_cartons",
        "value_yuan",
        "summary",
        "entities",
    }
)
_CHUNK: Final = 500
_COUNTY_CODE: Final = re.compile(r"^\d{6}$")
_COORDINATE_DECIMALS: Final = 9
WriteMode = Literal["upsert", "create", "update"]
E = TypeVar("E", CaseStatus, CaseType)


@dataclass(frozen=True)
class WriteResult:
    """Case numbers inserted, updated and left unchanged by a write."""

    inserted: list[str]
    updated: list[str]
    unchanged: list[str]


# --- writing --------------------------------------------------------------------------------


@requires(Action.CHANGE_CASES)
def import_cases(
    session: Session,
    actor: Actor,
    path: Path,
    *,
    crs: str = "wgs84",
    label: str | None = None,
) -> CaseImportReport:
    """Import a case file (JSON or CSV) into the store in the session's transaction.

    All or nothing: a problem anywhere raises before anything is written (and the caller's
    unit of work rolls back).

    Parameters
    ----------
    session
        An open session; nothing is committed here.
    actor
        Who imports; every case must be of one of the actor's counties.
    path
        The file: the JSON form (a list of cases with their ``entities``) or the CSV form
        (one row per mention); see :mod:`gridmgmt.cases.model`.
    crs
        Coordinate system of the cases' ``lon``/``lat``: wgs84, gcj02, bd09 or cgcs2000.
    label
        How to name the file in problems (default: ``path`` as given).

    Returns
    -------
    CaseImportReport
        ``rows`` is the number of cases; inserted, updated and unchanged count cases.

    Raises
    ------
    ImportValidationError
        If anything is wrong, in the file or against the store (unknown county, a county
        not the actor's, a case number stored for another county); ``problems`` names file,
        row and field of every one, and nothing is written.
    AccessDeniedError
        If the actor's role may not change cases.
    """
    label = str(path) if label is None else label
    source_crs = _parse_crs(crs, label)
    read = read_case_file(path, label=label)
    problems = read.problems + _store_problems(session, actor, read.heads, label)
    if problems or read.cases is None:
        raise ImportValidationError(problems)
    cases = read.cases
    result = write_cases(session, actor, cases, rows=read.rows, label=label, crs=source_crs)
    counties = sorted({case.county_code for case in cases.cases})
    audit.record(
        session,
        actor,
        "import",
        kind="cases",
        county_code=counties[0] if len(counties) == 1 else None,
        detail={
            "file": path.name,
            "crs": source_crs.value,
            "cases": len(cases.cases),
            "mentions": len(cases.mentions),
            "inserted": len(result.inserted),
            "updated": len(result.updated),
            "unchanged": len(result.unchanged),
            "counties": counties,
        },
    )
    return CaseImportReport(
        file=label,
        rows=len(cases.cases),
        inserted=len(result.inserted),
        updated=len(result.updated),
        unchanged=len(result.unchanged),
        crs=source_crs.value,
    )


def _parse_crs(crs: str | CoordinateSystem, label: str) -> CoordinateSystem:
    try:
        return parse_crs(crs)
    except UnknownCRSError as error:
        raise ImportValidationError([Problem(label, None, "crs", str(error))]) from None


@requires(Action.CHANGE_CASES)
def write_cases(
    session: Session,
    actor: Actor,
    cases: CaseSet,
    *,
    rows: Mapping[str, int] | None = None,
    label: str = "cases",
    crs: CoordinateSystem = CoordinateSystem.WGS84,
    mode: WriteMode = "upsert",
) -> WriteResult:
    """Write parsed cases into the store in the session's transaction.

    Parameters
    ----------
    session
        An open session; nothing is committed here.
    actor
        Who writes; every case must be of one of the actor's own counties (a case shared
        with them is read-only), and the actor an officer, liaison or admin.
    cases
        Parsed cases and mentions.
    rows
        Case number -> row in the source, for problems.
    label
        Name of the source, for problems.
    crs
        Coordinate system of the cases' coordinates.
    mode
        ``upsert`` (import), ``create`` (the cases must be new) or ``update`` (they must exist).

    Raises
    ------
    ImportValidationError
        If a county is unknown or not the actor's, or a stored case is another county's.
    ConflictError, NotFoundError
        When ``mode`` is ``create`` and a case exists, or ``update`` and it does not.
    AccessDeniedError
        If the actor's role may not change cases.
    """
    rows = rows or {}
    counties = county_names(session)
    existing = _existing(session, [(case.county_code, case.case_no) for case in cases.cases])
    _check(session, cases.cases, existing, actor, rows, label, mode)
    grouped = cases.mentions_by_case()
    normaliser = _Normaliser(counties)
    result = WriteResult([], [], [])
    new: list[Case] = []
    for case in _to_wgs84(cases.cases, crs):
        mentions = grouped.get(case.case_no, [])
        record = existing.get((case.county_code, case.case_no))
        if record is None:
            new.append(case)
            result.inserted.append(case.case_no)
        elif _same(record, case, mentions):
            result.unchanged.append(case.case_no)
        else:
            _replace(session, record, case, mentions, actor, normaliser)
            result.updated.append(case.case_no)
    session.flush()
    _insert(session, new, grouped, actor, normaliser)
    if result.inserted or result.updated:
        refresh_entity_ids(session)
    session.expire_all()
    return result


def _existing(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], CaseRecord]:
    """The stored cases of these (county, case number) pairs, by pair."""
    found: dict[tuple[str, str], CaseRecord] = {}
    by_county: dict[str, list[str]] = {}
    for county, case_no in keys:
        by_county.setdefault(county, []).append(case_no)
    for county, case_nos in sorted(by_county.items()):
        for start in range(0, len(case_nos), _CHUNK):
            stmt = (
                select(CaseRecord)
                .where(
                    CaseRecord.county_code == county,
                    CaseRecord.case_no.in_(case_nos[start : start + _CHUNK]),
                )
                .options(selectinload(CaseRecord.mentions))
            )
            found.update(((county, r.case_no), r) for r in session.scalars(stmt))
    return found


def _store_problems(
    session: Session,
    actor: Actor,
    heads: Sequence[Head],
    label: str,
) -> list[Problem]:
    """Problems of cases against the store: an unknown county, or not the actor's county.

    A case number another county uses is no problem (numbers are unique per county), and
    nothing here tells whether one does.
    """
    counties = county_names(session)
    problems = []
    for row, _case_no, county in heads:
        if county and county not in counties and _COUNTY_CODE.match(county):
            msg = f"unknown county code {county}; import the county first"
            problems.append(Problem(label, row, "county_code", msg))
        elif county in counties and not actor.can_see(county):
            msg = f"county {county} is not one of your counties"
            problems.append(Problem(label, row, "county_code", msg))
    return problems


def _check(
    session: Session,
    cases: Sequence[Case],
    existing: Mapping[tuple[str, str], CaseRecord],
    actor: Actor,
    rows: Mapping[str, int],
    label: str,
    mode: WriteMode,
) -> None:
    heads = [(rows.get(case.case_no), case.case_no, case.county_code) for case in cases]
    problems = _store_problems(session, actor, heads, label)
    if problems:
        raise ImportValidationError(problems)
    for case in cases:
        stored = (case.county_code, case.case_no) in existing
        if mode == "create" and stored:
            msg = f"case {case.case_no!r} of county {case.county_code} already exists"
            raise ConflictError(msg)
        if mode == "update" and not stored:
            raise NotFoundError("case", case.case_no)


def _to_wgs84(cases: Sequence[Case], crs: CoordinateSystem) -> list[Case]:
    if crs is CoordinateSystem.WGS84:
        return list(cases)
    located = [i for i, case in enumerate(cases) if case.lon is not None and case.lat is not None]
    if not located:
        return list(cases)
    lon = np.array([cases[i].lon for i in located], dtype=float)
    lat = np.array([cases[i].lat for i in located], dtype=float)
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    converted = list(cases)
    for i, x, y in zip(located, wgs_lon, wgs_lat, strict=True):
        converted[i] = dataclasses.replace(cases[i], lon=float(x), lat=float(y))
    return converted


def _comparable(case: Case) -> Case:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, _COORDINATE_DECIMALS)

    return dataclasses.replace(case, lon=rounded(case.lon), lat=rounded(case.lat))


def _same(record: CaseRecord, case: Case, mentions: Sequence[Mention]) -> bool:
    stored = [to_mention(m, record.case_no) for m in record.mentions]
    return _comparable(to_case(record)) == _comparable(case) and stored == list(mentions)


def _location(case: Case) -> Point | None:
    if case.lon is None or case.lat is None:
        return None
    return Point(case.lon, case.lat)


class _Normaliser:
    """Normalises mentions for storage, each distinct spelling once per write."""

    def __init__(self, counties: Mapping[str, str]) -> None:
        self.counties = counties
        self.cache: dict[tuple[Any, ...], dict[str, Any]] = {}

    def __call__(self, mention: Mention) -> dict[str, Any]:
        """The stored normalised columns of a mention."""
        key = (mention.kind, mention.value, mention.name, mention.id_number, mention.phone)
        found = self.cache.get(key)
        if found is None:
            identifier = normalise_mention(mention, counties=self.counties)
            found = self.cache[key] = {
                "normalised": identifier.value,
                "valid": identifier.valid,
                "reason": identifier.reason,
                "attributes": plain(identifier.attributes),
            }
        return found


def _mention_values(
    mention: Mention, position: int, county: str, normaliser: _Normaliser
) -> dict[str, Any]:
    return {
        "county_code": county,
        "position": position,
        "kind": mention.kind,
        "role": mention.role,
        "value": mention.value,
        "name": mention.name,
        "id_number": mention.id_number,
        "phone": mention.phone,
        **normaliser(mention),
    }


def _case_values(case: Case, actor: Actor) -> dict[str, Any]:
    """Every stored field of a case except its identity and creation."""
    return {
        "county_code": case.county_code,
        "opened_on": case.opened_on,
        "type": case.type,
        "status": case.status,
        "location": _location(case),
        "seized_cartons": case.seized_cartons,
        "value_yuan": case.value_yuan,
        "summary": case.summary,
        "version": new_version(),
        "updated_by": actor.username,
        "updated_at": _utcnow(),
    }


def _insert(
    session: Session,
    cases: Sequence[Case],
    grouped: Mapping[str, Sequence[Mention]],
    actor: Actor,
    normaliser: _Normaliser,
) -> None:
    """Insert new cases and their mentions in bulk (a few statements per thousand rows)."""
    ids: dict[tuple[str, str], int] = {}
    for start in range(0, len(cases), _CHUNK):
        rows = [
            {
                "case_no": case.case_no,
                "created_by": actor.username,
                "created_at": _utcnow(),
                **_case_values(case, actor),
            }
            for case in cases[start : start + _CHUNK]
        ]
        stmt = (
            insert(CaseRecord)
            .returning(CaseRecord.id, CaseRecord.county_code, CaseRecord.case_no)
            .execution_options(render_nulls=True)
        )
        ids.update(
            ((county, case_no), case_id) for case_id, county, case_no in session.execute(stmt, rows)
        )
    mentions = [
        {
            "case_id": ids[(case.county_code, case.case_no)],
            **_mention_values(m, i, case.county_code, normaliser),
        }
        for case in cases
        for i, m in enumerate(grouped.get(case.case_no, []))
    ]
    # render_nulls: one statement shape for every row (else each run of rows with other
    # missing fields becomes a statement of its own: a thousand for the demo's cases).
    insert_mentions = insert(CaseMentionRecord).execution_options(render_nulls=True)
    for start in range(0, len(mentions), _CHUNK * 10):
        session.execute(insert_mentions, mentions[start : start + _CHUNK * 10])


def _replace(
    session: Session,
    record: CaseRecord,
    case: Case,
    mentions: Sequence[Mention],
    actor: Actor,
    normaliser: _Normaliser,
) -> None:
    for name, value in _case_values(case, actor).items():
        setattr(record, name, value)  # unchanged values are not written
    stored = [to_mention(m, record.case_no) for m in record.mentions]
    if stored == list(mentions):
        return  # rewriting equal mentions would collide with a concurrent edit of the case
    record.mentions.clear()
    session.flush()  # delete the old mentions before their positions are taken again
    record.mentions.extend(
        CaseMentionRecord(**_mention_values(m, i, case.county_code, normaliser))
        for i, m in enumerate(mentions)
    )


# --- create and edit one case ---------------------------------------------------------------


REQUEST: Final = "request"
"""How a request body is named in problems (its row is 1)."""


@contextmanager
def _request_problems() -> Iterator[None]:
    """Problems of a request body as invalid input (``row``, ``field``, ``message``)."""
    try:
        yield
    except ImportValidationError as error:
        problems = [{"row": p.row, "field": p.field, "message": p.message} for p in error.problems]
        summary = "; ".join(f"{p['field'] or 'request'}: {p['message']}" for p in problems)
        raise InvalidInputError(summary, problems) from None


def _parse_one(data: Mapping[str, Any]) -> CaseSet:
    try:
        return parse_cases_json([dict(data)], source=REQUEST)
    except CaseValidationError as error:
        raise ImportValidationError(problems_of(error, REQUEST)) from None


@requires(Action.CHANGE_CASES)
def create_case(
    session: Session, actor: Actor, data: Mapping[str, Any], *, crs: str = "wgs84"
) -> CaseDetail:
    """Create one case from its JSON form (as in a case file) and return it as stored.

    Raises
    ------
    InvalidInputError
        If a field is wrong (``problems`` name the field), or the county is not the actor's.
    ConflictError
        If the county has a case of that number already. Another county's case of the same
        number is no obstacle (numbers are unique per county), and nothing tells of it.
    AccessDeniedError
        If the actor's role may not change cases.
    """
    with _request_problems():
        cases = _parse_one(data)
        case = cases.cases[0]
        source_crs = _parse_crs(crs, REQUEST)
        write_cases(session, actor, cases, label=REQUEST, crs=source_crs, mode="create")
    audit.record(
        session,
        actor,
        "create",
        kind="case",
        county_code=case.county_code,
        detail={"case_no": case.case_no, "mentions": len(cases.mentions)},
    )
    return get_case(session, actor, case.case_no, county=case.county_code)


@requires(Action.CHANGE_CASES)
def update_case(
    session: Session,
    actor: Actor,
    case_no: str,
    changes: Mapping[str, Any],
    *,
    crs: str = "wgs84",
    base_version: str | None = None,
    county: str | None = None,
) -> CaseDetail:
    """Edit a case: the given fields replace the stored ones; ``entities`` replaces all mentions.

    Without ``base_version`` only the fields named change, so two people editing different
    fields at once both keep their change; with it the edit is refused if the case changed
    at all since that version (compare-and-set).

    Parameters
    ----------
    county
        The case's county, where the actor has cases of that number in several counties.
    changes
        Fields of the JSON form to change (``county_code, opened_on, type, status, lon, lat,
        seized_cartons, value_yuan, summary, entities``); a field set to None is cleared.
    crs
        Coordinate system of ``lon``/``lat`` when they are given.
    base_version
        The case's ``version`` the edit was made from.

    Raises
    ------
    NotFoundError
        If the actor may not see the case.
    AccessDeniedError
        If the case was only shared with the actor, or their role may not change cases.
    InvalidInputError
        If a field is wrong or may not be changed.
    ConflictError
        If the case changed since ``base_version`` (with the case as it is now), or it moves
        to a county that has a case of that number already.
    """
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        msg = f"fields {unknown} cannot be changed; editable: {sorted(EDITABLE_FIELDS)}"
        raise InvalidInputError(msg)
    record = own_case(session, actor, case_no, doing="change", county=county)
    if base_version is not None:
        home = record.county_code
        claim_version(
            session,
            record,
            base_version=base_version,
            new_version=new_version(),
            what=f"case {case_no}",
            current=lambda: jsonable(get_case(session, actor, case_no, county=home)),
        )
    _move(session, actor, record, changes.get("county_code"))
    before = cases_to_json(
        [to_case(record)], [to_mention(m, record.case_no) for m in record.mentions]
    )[0]
    with _request_problems():
        merged = before | _wgs84_changes(changes, _parse_crs(crs, REQUEST))
        cases = _parse_one({key: value for key, value in merged.items() if value is not None})
        result = write_cases(session, actor, cases, label=REQUEST, mode="update")
    if result.updated:
        audit.record(
            session,
            actor,
            "update",
            kind="case",
            county_code=cases.cases[0].county_code,
            detail={"case_no": case_no, "fields": sorted(changes)},
        )
    return get_case(session, actor, case_no, county=record.county_code)


def _move(session: Session, actor: Actor, record: CaseRecord, county: Any) -> None:
    """Move a case to another of the actor's counties before its fields are written.

    The case keeps its number, so the new county must not have a case of that number; the
    case's mentions and the shares it gave move with it.
    """
    if not isinstance(county, str) or county == record.county_code:
        return  # no move, or a malformed code the parser reports
    if county not in county_names(session) or not actor.can_see(county):
        return  # the write reports the unknown or foreign county
    if (county, record.case_no) in _existing(session, [(county, record.case_no)]):
        msg = f"case {record.case_no!r} of county {county} already exists"
        raise ConflictError(msg)
    session.execute(
        update(Share)
        .where(
            Share.kind == SHARE_KIND,
            Share.from_county == record.county_code,
            Share.object_key == record.case_no,
        )
        .values(from_county=county)
    )
    record.county_code = county
    for mention in record.mentions:
        mention.county_code = county
    session.flush()


def _wgs84_changes(changes: Mapping[str, Any], crs: CoordinateSystem) -> dict[str, Any]:
    changed = dict(changes)
    lon, lat = changed.get("lon"), changed.get("lat")
    if crs is CoordinateSystem.WGS84 or lon is None or lat is None:
        return changed
    try:
        x, y = to_wgs84(np.array([float(lon)]), np.array([float(lat)]), crs)
    except (TypeError, ValueError):
        return changed  # the parser reports the bad number
    if math.isfinite(x[0]) and math.isfinite(y[0]):
        changed |= {"lon": float(x[0]), "lat": float(y[0])}
    return changed


# --- reading --------------------------------------------------------------------------------


def _summary_fields(record: CaseRecord, actor: Actor) -> dict[str, Any]:
    location = record.location
    return {
        "case_no": record.case_no,
        "county_code": record.county_code,
        "key": case_key(record.county_code, record.case_no),
        "opened_on": record.opened_on.isoformat(),
        "type": CaseType(record.type).value,
        "type_zh": label_zh(CaseType(record.type)),
        "status": CaseStatus(record.status).value,
        "status_zh": label_zh(CaseStatus(record.status)),
        "lon": None if location is None else round(float(location.x), 7),
        "lat": None if location is None else round(float(location.y), 7),
        "seized_cartons": record.seized_cartons,
        "value_yuan": record.value_yuan,
        "summary": record.summary or "",
        "own": actor.can_see(record.county_code),
        "updated_at": record.updated_at.isoformat(),
    }


def _mention_detail(record: CaseMentionRecord, entity_id: str | None) -> MentionDetail:
    return MentionDetail(
        position=record.position,
        kind=EntityKind(record.kind).value,
        role=record.role,
        value=record.value,
        name=record.name,
        id_number=record.id_number,
        phone=record.phone,
        normalised=record.normalised,
        valid=record.valid,
        reason=record.reason,
        attributes=record.attributes,
        entity_id=entity_id,
    )


@requires(Action.READ_CASES)
def get_case(
    session: Session, actor: Actor, case_no: str, *, county: str | None = None
) -> CaseDetail:
    """One case the actor may see, with its mentions, their entities and its network.

    ``county`` is the case's county, needed where the actor sees cases of that number in
    several counties (numbers are unique per county).

    Entity ids and the network are those of the actor's own view (resolved over the cases
    they may see); ``shared_with`` lists the counties an own case was shared with. A role
    without :data:`~gridmgmt.policy.Action.READ_CASE_PERSONAL_DATA` (the dispatcher) gets
    the case with its personal identifiers masked and ``redacted`` true (see
    :mod:`gridmgmt.services.cases.privacy`).

    Raises
    ------
    NotFoundError
        If the case does not exist or is not visible to the actor.
    """
    record = visible_case(session, actor, case_no, county=county, with_mentions=True)
    audit.record_read(session, actor, "case", record.county_code, case_no)  # a shared case
    key = case_key(record.county_code, record.case_no)
    with link_index(session, actor) as view:
        resolver = view.index.resolver
        entities = [resolver.entity_id(i) for i in resolver.mentions_of_case(key)]
    network = network_of_case(session, actor, key)
    fields = _summary_fields(record, actor)
    mentions = [
        _mention_detail(m, entity) for m, entity in zip(record.mentions, entities, strict=True)
    ]
    redacted = not sees_personal_data(actor)
    if redacted:
        mentions = [redact_mention(m) for m in mentions]
    return CaseDetail(
        **fields,
        network_id=network.network_id if network else None,
        shared_with=_shared_with(session, record) if fields["own"] else [],
        mentions=mentions,
        redacted=redacted,
        version=record.version,
    )


def _shared_with(session: Session, record: CaseRecord) -> list[str]:
    stmt = (
        select(Share.to_county)
        .where(
            Share.kind == SHARE_KIND,
            Share.from_county == record.county_code,
            Share.object_key == record.case_no,
        )
        .order_by(Share.to_county)
    )
    return list(session.scalars(stmt))


def _filter_value(enum: type[E], text: str, name: str) -> E:
    try:
        return parse_case_enum(enum, text)
    except ValueError as error:
        raise InvalidInputError(str(error), [{"field": name, "message": str(error)}]) from None


@requires(Action.READ_CASES)
def list_cases(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    status: str | None = None,
    case_type: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> CasePage:
    """A page of the cases the actor may see (own and shared), newest first.

    Raises
    ------
    InvalidInputError
        If ``status`` or ``case_type`` is not a known value, or the page is out of range.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE or offset < 0:
        msg = f"limit must lie in [1, {MAX_PAGE_SIZE}] and offset be >= 0"
        raise InvalidInputError(msg)
    stmt = visible(select(CaseRecord), actor)
    if county is not None:
        stmt = stmt.where(CaseRecord.county_code == county)
    if status is not None:
        stmt = stmt.where(CaseRecord.status == _filter_value(CaseStatus, status, "status"))
    if case_type is not None:
        stmt = stmt.where(CaseRecord.type == _filter_value(CaseType, case_type, "type"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(CaseRecord.opened_on.desc(), CaseRecord.case_no).limit(limit)
    records = session.scalars(page.offset(offset)).all()
    items = [CaseSummary(**_summary_fields(r, actor)) for r in records]
    return CasePage(total=int(total), limit=limit, offset=offset, items=items)
