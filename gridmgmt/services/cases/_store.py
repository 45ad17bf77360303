"""What every case service shares: county scope, conversions, the link index.

Cases are county-scoped like every other row: an actor sees the cases of their own counties
and the cases another county shared with one of them (a :class:`~gridmgmt.store.models.Share`
of kind ``case``), never more. The link index (entity resolution, the link graph, networks) is
built from exactly those cases, so no answer carries anything of a case the actor may not see.

A case number is unique within its county, not across counties (two bureaus may both have a
case 12): the link index names each case by its key, ``county_code/case_no``
(:func:`case_key`), so every network, chain and suggestion lists case keys, and every lookup of
a case by number is limited to a county where the caller sees more than one with that number.

Indexes are cached per database and scope and checked against the store on every use: each
case row carries a ``version`` that changes on every write, so new cases are added to the
cached index incrementally (:meth:`~gridmgmt.cases.networks.CaseLinkIndex.add_case`) and any
edited or vanished case makes it rebuild. The check reads the store in the caller's own
transaction, so a cache filled from a transaction that was rolled back is never trusted.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, TypeVar

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, selectinload

from gridmgmt.cases.identifiers import (
    NormalisedIdentifier,
    normalise,
    normalise_address,
    normalise_id_number,
    normalise_name,
    normalise_phone,
)
from gridmgmt.cases.model import Case, CaseStatus, CaseType, EntityKind, Mention
from gridmgmt.cases.resolution import EntityResolver, ResolutionSettings
from gridmgmt.errors import AccessDeniedError, InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.scope import scoped
from gridmgmt.store.models import County
from gridmgmt.store.models.cases import CaseMentionRecord, CaseRecord

if TYPE_CHECKING:
    from gridmgmt.cases.networks import CaseLinkIndex

__all__ = [
    "SHARE_KIND",
    "LinkView",
    "case_key",
    "cases_of_keys",
    "county_names",
    "link_index",
    "new_version",
    "normalise_mention",
    "own_case",
    "plain",
    "refresh_entity_ids",
    "split_case_key",
    "visible",
    "visible_case",
]

SHARE_KIND: Final = "case"
"""``Share.kind`` of a shared case; ``Share.object_key`` is its case number, ``from_county``
its county."""
MAX_CACHED_INDEXES: Final = 8
REBUILD_SHARE: Final = 0.2
"""More new cases than this share of the cached ones (and at least 50): rebuild, not add."""

S = TypeVar("S", bound=Select)  # type: ignore[type-arg]


def visible(stmt: S, actor: Actor) -> S:
    """Restrict a select over ``cases`` to the actor's counties and the cases shared with them."""
    return scoped(
        stmt, CaseRecord.county_code, actor, share_kind=SHARE_KIND, key_column=CaseRecord.case_no
    )


def case_key(county_code: str, case_no: str) -> str:
    """A case's key over all counties: its county and its number (unique per county)."""
    return f"{county_code}/{case_no}"


def split_case_key(key: str) -> tuple[str, str]:
    """The county and the case number of a case key (a number may itself hold ``/``)."""
    county, separator, case_no = key.partition("/")
    if not separator or not county:
        msg = f"{key!r} is no case key (county_code/case_no)"
        raise InvalidInputError(msg)
    return county, case_no


def visible_case(
    session: Session,
    actor: Actor,
    case_no: str,
    *,
    county: str | None = None,
    with_mentions: bool = False,
) -> CaseRecord:
    """The stored case if the actor may see it (own or shared).

    Parameters
    ----------
    county
        The case's county. Needed only when the actor sees cases of that number in several
        counties (case numbers are unique per county).

    Raises
    ------
    NotFoundError
        If there is no such case, or it is another county's (the same answer).
    InvalidInputError
        If ``county`` is not given and the actor sees cases of that number in several
        counties; the message names them (all of them the actor may see).
    """
    stmt = visible(select(CaseRecord).where(CaseRecord.case_no == case_no), actor)
    if county is not None:
        stmt = stmt.where(CaseRecord.county_code == county)
    if with_mentions:
        stmt = stmt.options(selectinload(CaseRecord.mentions))
    records = session.scalars(stmt.order_by(CaseRecord.county_code)).all()
    if not records:
        raise NotFoundError("case", case_no)
    if len(records) > 1:
        counties = ", ".join(record.county_code for record in records)
        msg = f"case number {case_no!r} is used by counties {counties}: name the county"
        raise InvalidInputError(msg, [{"field": "county", "message": msg}])
    return records[0]


def cases_of_keys(session: Session, actor: Actor, keys: Iterable[str]) -> list[CaseRecord]:
    """The stored cases of these keys (:func:`case_key`) the actor may see, by county and
    number."""
    wanted = set(keys)
    numbers = sorted({split_case_key(key)[1] for key in wanted})
    if not numbers:
        return []
    stmt = visible(select(CaseRecord).where(CaseRecord.case_no.in_(numbers)), actor)
    records = session.scalars(stmt.order_by(CaseRecord.county_code, CaseRecord.case_no)).all()
    return [r for r in records if case_key(r.county_code, r.case_no) in wanted]


def own_case(
    session: Session, actor: Actor, case_no: str, *, doing: str, county: str | None = None
) -> CaseRecord:
    """The stored case if it is of one of the actor's own counties.

    ``county`` is the case's county, as for :func:`visible_case`.

    Raises
    ------
    NotFoundError
        If the actor may not see the case.
    AccessDeniedError
        If the case was only shared with the actor: only its county may be ``doing`` it.
    """
    record = visible_case(session, actor, case_no, county=county)
    if not actor.can_see(record.county_code):
        msg = (
            f"case {case_no!r} was shared with you by county {record.county_code} and is "
            f"read-only; only county {record.county_code} may {doing} it"
        )
        raise AccessDeniedError(msg)
    return record


def county_names(session: Session) -> dict[str, str]:
    """Code -> name of every stored county (public geography, read unscoped)."""
    return dict(session.execute(select(County.code, County.name).order_by(County.code)).all())


def new_version() -> str:
    """A fresh version token for a written case."""
    return uuid.uuid4().hex


def plain(value: Any) -> Any:
    """JSON-ready data: dates as ISO text, enums as values, tuples and sets as lists."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(item) for item in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- normalising a mention ----------------------------------------------------------------


def normalise_mention(mention: Mention, *, counties: Mapping[str, str]) -> NormalisedIdentifier:
    """The normalised form of a mention as stored: valid or not, with what it tells.

    A person is normalised by the ID number when one is given (with the name and pinyin as
    attributes), else by the name; the phone given with a person is normalised into
    ``attributes["phone"]``. Addresses are tied to the stored counties they name.
    """
    if mention.kind is EntityKind.PERSON:
        return _normalise_person(mention)
    raw = mention.value or ""
    if mention.kind is EntityKind.ADDRESS:
        return normalise_address(raw, counties=counties)
    return normalise(mention.kind, raw)


def _normalise_person(mention: Mention) -> NormalisedIdentifier:
    name = normalise_name(mention.name) if mention.name else None
    identifier = normalise_id_number(mention.id_number) if mention.id_number else None
    if identifier is None:
        identifier = name or normalise_name("")
    elif name is not None:
        extra = {"name": name.value, "pinyin": name.attributes.get("pinyin")}
        identifier = _person_with(identifier, mention, extra)
    if mention.phone:
        phone = normalise_phone(mention.phone, geocode=False)
        identifier = _person_with(
            identifier, mention, {"phone": phone.value, "phone_valid": phone.valid}
        )
    return identifier


def _person_with(
    identifier: NormalisedIdentifier, mention: Mention, extra: Mapping[str, Any]
) -> NormalisedIdentifier:
    """The person ``identifier`` as the mention wrote it, with ``extra`` attributes."""
    return NormalisedIdentifier(
        EntityKind.PERSON,
        mention.text,
        identifier.value,
        identifier.valid,
        identifier.reason,
        identifier.attributes | dict(extra),
    )


# --- rows to engine records -----------------------------------------------------------------

CASE_COLUMNS: Final = (
    CaseRecord.id,
    CaseRecord.case_no,
    CaseRecord.county_code,
    CaseRecord.opened_on,
    CaseRecord.type,
    CaseRecord.status,
    CaseRecord.location,
    CaseRecord.seized_cartons,
    CaseRecord.value_yuan,
    CaseRecord.summary,
    CaseRecord.version,
)
MENTION_COLUMNS: Final = (
    CaseMentionRecord.id,
    CaseRecord.case_no,
    CaseRecord.county_code.label("case_county"),
    CaseMentionRecord.kind,
    CaseMentionRecord.value,
    CaseMentionRecord.role,
    CaseMentionRecord.name,
    CaseMentionRecord.id_number,
    CaseMentionRecord.phone,
)


def to_case(row: Any, *, keyed: bool = False) -> Case:
    """A stored case (a :class:`CaseRecord` or a row of :data:`CASE_COLUMNS`) as an engine case.

    ``keyed``: named by its key (:func:`case_key`), as the link index names cases, not by its
    number.
    """
    location = row.location
    return Case(
        case_no=case_key(row.county_code, row.case_no) if keyed else row.case_no,
        county_code=row.county_code,
        opened_on=row.opened_on,
        type=CaseType(row.type),
        status=CaseStatus(row.status),
        lon=None if location is None else float(location.x),
        lat=None if location is None else float(location.y),
        seized_cartons=row.seized_cartons,
        value_yuan=row.value_yuan,
        summary=row.summary or "",
    )


def to_mention(row: Any, case_no: str) -> Mention:
    """A stored mention as an engine mention of case ``case_no``."""
    return Mention(
        case_no=case_no,
        kind=EntityKind(row.kind),
        value=row.value,
        role=row.role or "",
        name=row.name,
        id_number=row.id_number,
        phone=row.phone,
    )


# --- the cached link index ------------------------------------------------------------------


@dataclass
class LinkView:
    """A link index over the cases an actor may see.

    ``mention_ids`` holds the stored id of each of the resolver's mentions, in its order.
    """

    index: CaseLinkIndex
    mention_ids: list[int]


@dataclass
class _Entry:
    lock: threading.RLock = field(default_factory=threading.RLock)
    stamp: dict[str, str] = field(default_factory=dict)
    counties: tuple[tuple[str, str], ...] = ()
    view: LinkView | None = None


_CACHE: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _cache_key(session: Session, actor: Actor) -> tuple[str, str]:
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    scope = "*" if actor.counties is None else ",".join(sorted(actor.counties))
    return database, scope


def _cache_entry(session: Session, actor: Actor) -> _Entry:
    key = _cache_key(session, actor)
    with _CACHE_LOCK:
        entry = _CACHE.get(key)
        if entry is None:
            entry = _CACHE[key] = _Entry()
        _CACHE.move_to_end(key)
        while len(_CACHE) > MAX_CACHED_INDEXES:
            _CACHE.popitem(last=False)
    return entry


@requires(Action.READ_CASES)
@contextmanager
def link_index(session: Session, actor: Actor) -> Iterator[LinkView]:
    """The link index over the cases the actor may see, current with the session's view.

    The index is held (and locked) for the duration of the ``with`` block; do not keep it
    beyond.
    """
    entry = _cache_entry(session, actor)
    with entry.lock:
        _refresh(session, actor, entry)
        assert entry.view is not None
        yield entry.view


def _refresh(session: Session, actor: Actor, entry: _Entry) -> None:
    stmt = visible(select(CaseRecord.county_code, CaseRecord.case_no, CaseRecord.version), actor)
    current = {
        case_key(county, case_no): version for county, case_no, version in session.execute(stmt)
    }
    counties = tuple(county_names(session).items())
    if (
        entry.view is not None
        and counties == entry.counties
        and all(current.get(case_no) == version for case_no, version in entry.stamp.items())
    ):
        new = [case_no for case_no in current if case_no not in entry.stamp]
        if len(new) <= max(50, REBUILD_SHARE * len(entry.stamp)):
            if new:
                _add_cases(session, entry, new)
            return
    entry.view, entry.stamp = _build(session, actor, counties)
    entry.counties = counties


def _settings(counties: Sequence[tuple[str, str]]) -> ResolutionSettings:
    return ResolutionSettings(counties=dict(counties))


def _visible_rows(session: Session, actor: Actor) -> tuple[list[Any], list[Any]]:
    """Rows of the cases the actor may see and of their mentions, in index order."""
    rows = list(
        session.execute(visible(select(*CASE_COLUMNS), actor).order_by(CaseRecord.id)).all()
    )
    mentions = select(*MENTION_COLUMNS).join(CaseRecord, CaseMentionRecord.case_id == CaseRecord.id)
    if actor.counties is not None:
        mentions = mentions.where(
            CaseMentionRecord.case_id.in_(visible(select(CaseRecord.id), actor))
        )
    mention_rows = list(
        session.execute(
            mentions.order_by(CaseMentionRecord.case_id, CaseMentionRecord.position)
        ).all()
    )
    return rows, mention_rows


def _build(
    session: Session, actor: Actor, counties: Sequence[tuple[str, str]]
) -> tuple[LinkView, dict[str, str]]:
    from gridmgmt.cases.networks import CaseLinkIndex

    rows, mention_rows = _visible_rows(session, actor)
    index = CaseLinkIndex.build(
        [to_case(row, keyed=True) for row in rows],
        [to_mention(row, case_key(row.case_county, row.case_no)) for row in mention_rows],
        resolution_settings=_settings(counties),
    )
    stamp = {case_key(row.county_code, row.case_no): row.version for row in rows}
    return LinkView(index, [row.id for row in mention_rows]), stamp


def _add_cases(session: Session, entry: _Entry, keys: Sequence[str]) -> None:
    assert entry.view is not None
    wanted = set(keys)
    numbers = sorted({split_case_key(key)[1] for key in wanted})
    rows = [
        row
        for row in session.execute(
            select(*CASE_COLUMNS).where(CaseRecord.case_no.in_(numbers)).order_by(CaseRecord.id)
        )
        if case_key(row.county_code, row.case_no) in wanted
    ]
    mention_rows = session.execute(
        select(*MENTION_COLUMNS)
        .join(CaseRecord, CaseMentionRecord.case_id == CaseRecord.id)
        .where(CaseRecord.id.in_([row.id for row in rows]))
        .order_by(CaseMentionRecord.case_id, CaseMentionRecord.position)
    ).all()
    by_case: dict[str, list[Any]] = {}
    for row in mention_rows:
        by_case.setdefault(case_key(row.case_county, row.case_no), []).append(row)
    view = entry.view
    for row in rows:
        key = case_key(row.county_code, row.case_no)
        mentions = by_case.get(key, [])
        view.index.add_case(to_case(row, keyed=True), [to_mention(m, key) for m in mentions])
        view.mention_ids.extend(m.id for m in mentions)
        entry.stamp[key] = row.version


def refresh_entity_ids(session: Session) -> int:
    """Store the entity every mention resolves to over the whole store; return rows changed.

    Resolution is global (the local administrator's view), so ``entity_id`` is the same for
    every user; answers to a user are computed over their own cases only. A cached index of
    the whole store (a running server) is brought up to date and used; otherwise only the
    resolver runs (no link graph, no networks: what a one-off import needs).
    """
    with _CACHE_LOCK:
        cached = _CACHE.get(_cache_key(session, SYSTEM))
    if cached is not None and cached.view is not None:
        with link_index(session, SYSTEM) as view:
            resolved, mention_ids = view.index.resolver.entity_ids(), list(view.mention_ids)
    else:
        resolved, mention_ids = _resolve_all(session)
    stored = dict(session.execute(select(CaseMentionRecord.id, CaseMentionRecord.entity_id)).all())
    changes = [
        {"id": mention_id, "entity_id": entity}
        for mention_id, entity in zip(mention_ids, resolved, strict=True)
        if stored.get(mention_id) != entity
    ]
    if changes:
        session.execute(update(CaseMentionRecord), changes)
    return len(changes)


def _resolve_all(session: Session) -> tuple[list[str], list[int]]:
    """The entity of every stored mention, and the mentions' ids, in the index's order."""
    rows, mention_rows = _visible_rows(session, SYSTEM)
    resolver = EntityResolver(settings=_settings(tuple(county_names(session).items())))
    resolver.add(
        [to_mention(row, case_key(row.case_county, row.case_no)) for row in mention_rows],
        {case_key(row.county_code, row.case_no): row.county_code for row in rows},
    )
    return resolver.entity_ids(), [row.id for row in mention_rows]
