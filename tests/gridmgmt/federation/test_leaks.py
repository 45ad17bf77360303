"""Nothing leaks: no identifier, name, address or case number crosses to the other county.

Every clear text of the fixture (raw, normalised, and as plain digits) is searched for in the
bundle's bytes and in everything the other county's server answers; and who may ask is
checked (role and county scope).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, InvalidInputError, NotFoundError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.federation import (
    export_bundle,
    import_bundle,
    list_bundles,
    list_hits,
    resolve_ref,
)
from gridmgmt.services.results import jsonable
from gridmgmt.store import db

from .conftest import Servers, settings_for
from .fed_world import TIANZHEN, XINGHE, clear_values, tianzhen_cases, xinghe_cases

XINGHE_LIAISON = Actor("li", UserRole.LIAISON, frozenset({XINGHE}))
XINGHE_OFFICER = Actor("wang", UserRole.OFFICER, frozenset({XINGHE}))


def _secrets_of_tianzhen() -> set[str]:
    values = clear_values(tianzhen_cases())
    assert {"FT-001", "王建国", "+8613947461234", "13947461234", "晋B12345"} <= values
    return values


def _leaks(blob: bytes, values: set[str]) -> list[str]:
    text = blob.decode("utf-8", errors="replace")
    return sorted(value for value in values if value in text or value.lower() in text)


def test_a_bundle_holds_no_clear_value(servers: Servers) -> None:
    for url, county, records in (
        (servers.tianzhen, TIANZHEN, tianzhen_cases()),
        (servers.xinghe, XINGHE, xinghe_cases()),
    ):
        with db.transaction(url) as session:
            data = export_bundle(
                session, actor=SYSTEM, settings=settings_for(url), county_code=county
            ).data
        assert _leaks(data, clear_values(records)) == []
        assert json.loads(data)["bundle"]["county_code"] == county


def test_nothing_the_other_county_is_told_names_its_cases(servers: Servers, tmp_path: Path) -> None:
    with db.transaction(servers.tianzhen) as session:
        data = export_bundle(
            session, actor=SYSTEM, settings=settings_for(servers.tianzhen), county_code=TIANZHEN
        ).data
    settings = settings_for(servers.xinghe)
    with db.transaction(servers.xinghe) as session:
        imported = import_bundle(
            session, actor=XINGHE_LIAISON, settings=settings, data=data, source="t.json"
        )
        hits = list_hits(session, actor=XINGHE_LIAISON, settings=settings)
        bundles = list_bundles(session, actor=XINGHE_LIAISON, settings=settings)
    answers = json.dumps(jsonable([imported, hits, bundles]), ensure_ascii=False).encode()
    assert hits
    assert _leaks(answers, _secrets_of_tianzhen()) == []


def test_the_area_server_tells_a_liaison_only_their_side(servers: Servers) -> None:
    with db.transaction(servers.area) as session:
        hits = list_hits(session, actor=XINGHE_LIAISON, settings=settings_for(servers.area))
    assert {h.local_county_code for h in hits} == {XINGHE}
    answer = json.dumps(jsonable(hits), ensure_ascii=False).encode()
    assert _leaks(answer, _secrets_of_tianzhen()) == []


def test_only_liaisons_and_admins_see_hits_and_only_of_their_counties(servers: Servers) -> None:
    settings = settings_for(servers.area)
    with db.transaction(servers.area) as session:
        with pytest.raises(AccessDeniedError):
            list_hits(session, actor=XINGHE_OFFICER, settings=settings)
        with pytest.raises(NotFoundError):
            list_hits(session, actor=XINGHE_LIAISON, settings=settings, county_code=TIANZHEN)
        with pytest.raises(NotFoundError):
            export_bundle(session, actor=XINGHE_LIAISON, settings=settings, county_code=TIANZHEN)
        with pytest.raises(AccessDeniedError):
            export_bundle(session, actor=XINGHE_OFFICER, settings=settings, county_code=XINGHE)


def test_resolve_ref_finds_the_case_on_the_issuing_server_only(servers: Servers) -> None:
    with db.transaction(servers.area) as session:
        hits = list_hits(session, actor=XINGHE_LIAISON, settings=settings_for(servers.area))
        plate = next(h for h in hits if h.kind == "plate")
        target = resolve_ref(session, plate.ref)
        assert (target.county_code, target.case_no, target.kind) == (TIANZHEN, "FT-002", "plate")
        with pytest.raises(InvalidInputError):
            resolve_ref(session, "FT-002")
    with db.transaction(servers.tianzhen) as session, pytest.raises(NotFoundError):
        resolve_ref(session, plate.ref)  # another server's secret: not its reference
