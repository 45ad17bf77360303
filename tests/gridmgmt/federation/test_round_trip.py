"""Federation between two separate databases through bundle files, against one area server.

兴和县 and 天镇县 each run their own server; each exports a bundle and imports the other's.
The hits each then lists equal the hits of one server holding both counties' cases, case by
case: same local case, same kind, same other county, and each reference resolves, on the
server that issued it, to the same other case.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.federation import (
    FederationHit,
    export_bundle,
    import_bundle,
    list_hits,
    resolve_ref,
)
from gridmgmt.store import db
from gridmgmt.store.models.cases import CaseRecord

from .conftest import Servers, settings_for
from .fed_world import EXPECTED_HITS, TIANZHEN, XINGHE


def _export(url: str, county: str, path: Path) -> Path:
    with db.transaction(url) as session:
        exported = export_bundle(
            session, actor=SYSTEM, settings=settings_for(url), county_code=county
        )
    path.write_bytes(exported.data)
    return path


def _import(url: str, path: Path) -> str:
    with db.transaction(url) as session:
        result = import_bundle(
            session,
            actor=SYSTEM,
            settings=settings_for(url),
            data=path.read_bytes(),
            source=path.name,
        )
    return result.outcome


def _hits(url: str, county: str | None = None) -> list[FederationHit]:
    with db.transaction(url) as session:
        return list_hits(session, actor=SYSTEM, settings=settings_for(url), county_code=county)


def _resolved(hits: list[FederationHit], issuer: dict[str, str]) -> set[tuple[str, str, str, str]]:
    """(local case, kind, other county, other case) of each hit, resolved where issued."""
    found = set()
    for hit in hits:
        with db.transaction(issuer[hit.county_code]) as session:
            target = resolve_ref(session, hit.ref, county_code=hit.county_code)
        assert target.county_code == hit.county_code
        assert target.kind == hit.kind
        found.add((hit.case_no, hit.kind, hit.county_code, target.case_no))
    return found


@pytest.fixture
def federated(servers: Servers, tmp_path: Path) -> Servers:
    """Both county servers, each holding the other's bundle."""
    x_bundle = _export(servers.xinghe, XINGHE, tmp_path / "xinghe.bundle.json")
    t_bundle = _export(servers.tianzhen, TIANZHEN, tmp_path / "tianzhen.bundle.json")
    assert _import(servers.tianzhen, x_bundle) == "stored"
    assert _import(servers.xinghe, t_bundle) == "stored"
    return servers


def test_one_area_server_finds_exactly_the_shared_identifiers(servers: Servers) -> None:
    hits = _hits(servers.area)
    assert {(h.case_no, h.kind, h.county_code) for h in hits} == EXPECTED_HITS
    assert {h.source for h in hits} == {"area"}


def test_hits_through_bundles_equal_the_one_server_hits(federated: Servers) -> None:
    via_bundles = _hits(federated.xinghe) + _hits(federated.tianzhen)
    in_area = _hits(federated.area)
    assert {h.source for h in via_bundles} == {"bundle"}
    assert {(h.case_no, h.kind, h.county_code) for h in via_bundles} == EXPECTED_HITS
    assert len(via_bundles) == len(in_area)
    issued_by_county = {XINGHE: federated.xinghe, TIANZHEN: federated.tianzhen}
    area_issuer = {XINGHE: federated.area, TIANZHEN: federated.area}
    assert _resolved(via_bundles, issued_by_county) == _resolved(in_area, area_issuer)


def test_references_are_stable_and_one_per_other_case_and_kind(federated: Servers) -> None:
    first, again = _hits(federated.xinghe), _hits(federated.xinghe)
    assert [h.ref for h in first] == [h.ref for h in again]
    # FT-001's phone is shared with FX-001 and FX-005: both hits quote the same reference.
    phone_refs = {h.ref for h in first if h.kind == "phone"}
    assert len(phone_refs) == 1
    # FT-001's ID number and phone are two references: the kind is part of it.
    ft001 = {h.kind: h.ref for h in first if h.case_no == "FX-001"}
    assert ft001["id_number"] != ft001["phone"]
    assert all(h.ref not in {"FT-001", "FT-002", "FT-003"} for h in first)


def test_county_filter_keeps_only_that_countys_cases(servers: Servers) -> None:
    hits = _hits(servers.area, XINGHE)
    assert hits
    assert {h.local_county_code for h in hits} == {XINGHE}
    assert {h.county_code for h in hits} == {TIANZHEN}


def test_a_newer_bundle_replaces_the_older_and_changes_the_hits(
    federated: Servers, tmp_path: Path
) -> None:
    before = {h.kind for h in _hits(federated.xinghe)}
    assert "plate" in before
    # 天镇县 removes FT-002 (the plate) and exports again.
    with db.transaction(federated.tianzhen) as session:
        session.delete(session.scalars(select(CaseRecord).filter_by(case_no="FT-002")).one())
    newer = _export(federated.tianzhen, TIANZHEN, tmp_path / "tianzhen.newer.json")
    assert _import(federated.xinghe, newer) == "replaced"
    assert _import(federated.xinghe, newer) == "unchanged"
    after = {h.kind for h in _hits(federated.xinghe)}
    assert after == before - {"plate"}
