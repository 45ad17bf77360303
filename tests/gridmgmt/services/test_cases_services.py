"""Case services on a real store: import, write, scope, networks, sharing, exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from gridmgmt.crs import to_wgs84
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.io.problems import ImportValidationError
from gridmgmt.services.actor import SYSTEM, AccessDeniedError, Actor
from gridmgmt.services.cases import (
    case_path,
    create_case,
    export_network,
    get_case,
    link_index,
    list_cases,
    list_networks,
    merge_suggestions,
    network_detail,
    network_geojson,
    network_tables,
    share_case,
    share_network,
    update_case,
)
from gridmgmt.services.cases.networks import case_key, stable_network_id
from gridmgmt.services.results import jsonable
from gridmgmt.store import db
from gridmgmt.store.models import AuditEntry, Share
from gridmgmt.store.models.cases import CaseMentionRecord, CaseRecord

from .cases_world import (
    ALICE,
    BAD_ID,
    BOB,
    DAN,
    HUAIAN,
    HUGO,
    LUCY,
    MEMBERS,
    NETWORK,
    NETWORK_ID,
    TIANZHEN,
    XINGHE,
    ZHANG_ID,
    case_records,
    import_case_file,
    key,
    seed_counties,
    write_case_file,
)


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> str:
    """The case world imported into a fresh database on each backend."""
    seed_counties(store_url)
    import_case_file(store_url, write_case_file(tmp_path / "cases.json"))
    return store_url


@pytest.fixture
def sqlite_world(sqlite_url: str, tmp_path: Path) -> str:
    """The case world on SQLite only (for tests of logic the backend does not change)."""
    seed_counties(sqlite_url)
    import_case_file(sqlite_url, write_case_file(tmp_path / "cases.json"))
    return sqlite_url


def _count(url: str, model: type) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _mentions(url: str, case_no: str) -> list[CaseMentionRecord]:
    with db.transaction(url) as session:
        stmt = (
            select(CaseMentionRecord)
            .join(CaseRecord)
            .where(CaseRecord.case_no == case_no)
            .order_by(CaseMentionRecord.position)
        )
        return list(session.scalars(stmt))


def _network_sets(url: str, actor: Actor) -> list[set[str]]:
    with db.transaction(url) as session:
        return [set(n.cases) for n in list_networks(session, actor)]


# --- import ---------------------------------------------------------------------------------


def test_import_stores_normalised_mentions_and_shared_entities(world: str) -> None:
    assert _count(world, CaseRecord) == 6
    assert _count(world, CaseMentionRecord) == 12
    x1, x2 = _mentions(world, "X-001"), _mentions(world, "X-002")
    phone_1, phone_2 = x1[1], x2[0]
    assert phone_1.value == "139 4746 1234"
    assert phone_1.normalised == phone_2.normalised == "+8613947461234"
    assert phone_1.valid
    assert phone_1.entity_id == phone_2.entity_id == "phone:+8613947461234"
    person_x, person_t = x1[0], _mentions(world, "T-001")[0]
    assert person_x.entity_id == person_t.entity_id == f"person:{ZHANG_ID}"
    assert person_x.attributes["birth_date"] == "1985-03-15"
    assert person_x.attributes["name"] == "张伟"
    address = x2[1]
    assert address.attributes["county_code"] == XINGHE


def test_invalid_identifiers_are_kept_and_flagged(world: str) -> None:
    bad_id, bad_phone = _mentions(world, "X-003")
    assert bad_id.value == BAD_ID
    assert not bad_id.valid
    assert "check digit" in (bad_id.reason or "")
    assert bad_phone.value == "12345"
    assert not bad_phone.valid
    assert bad_phone.reason
    assert bad_id.entity_id is not None


def test_case_fields_and_audit_are_stored(world: str) -> None:
    with db.transaction(world) as session:
        case = session.scalars(select(CaseRecord).where(CaseRecord.case_no == "X-001")).one()
        assert case.location is not None
        assert case.location.equals(Point(113.80, 40.90))
        assert (case.seized_cartons, case.value_yuan, case.summary) == (
            120,
            36000,
            "城关镇查获假烟",
        )
        entry = session.scalars(select(AuditEntry).where(AuditEntry.kind == "cases")).one()
    assert entry.action == "import"
    assert entry.detail["inserted"] == 6


def test_reimport_is_unchanged_and_a_change_is_an_update(world: str, tmp_path: Path) -> None:
    path = write_case_file(tmp_path / "again.json")
    report = import_case_file(world, path)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 6)
    with db.transaction(world) as session:
        before = session.scalar(select(CaseRecord.version).where(CaseRecord.case_no == "T-002"))
    records = case_records()
    records[5]["status"] = "closed"
    records[5]["entities"].append({"kind": "plate", "value": "冀G12345", "role": "车辆"})
    report = import_case_file(world, write_case_file(tmp_path / "changed.json", records))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 5)
    with db.transaction(world) as session:
        after = session.scalars(select(CaseRecord).where(CaseRecord.case_no == "T-002")).one()
        assert after.status.value == "closed"
        assert after.version != before
    assert [m.kind.value for m in _mentions(world, "T-002")] == ["phone", "plate"]


def test_bad_file_lists_every_problem_and_writes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    seed_counties(sqlite_url)
    records = case_records()
    records[0]["type"] = "armed_robbery"
    records[2]["opened_on"] = "2023-13-45"
    records[3]["entities"][0] = {"value": "晋B12345"}
    del records[4]["case_no"]
    path = write_case_file(tmp_path / "bad.json", records)
    with pytest.raises(ImportValidationError) as caught:
        import_case_file(sqlite_url, path)
    found = {(p.row, p.field) for p in caught.value.problems}
    assert {(1, "type"), (3, "opened_on"), (4, "entities[0].kind"), (5, "case_no")} <= found
    assert all(p.file == str(path) for p in caught.value.problems)
    assert _count(sqlite_url, CaseRecord) == 0
    assert _count(sqlite_url, CaseMentionRecord) == 0


def test_store_problems_name_the_row(sqlite_url: str, tmp_path: Path) -> None:
    seed_counties(sqlite_url)
    records = case_records()
    records[1]["county_code"] = "110101"
    path = write_case_file(tmp_path / "cases.json", records)
    with pytest.raises(ImportValidationError) as caught:
        import_case_file(sqlite_url, path, actor=ALICE)
    problems = {(p.row, p.field): p.message for p in caught.value.problems}
    assert "unknown county code 110101" in problems[(2, "county_code")]
    assert "not one of your counties" in problems[(3, "county_code")]  # T-001 of 天镇县
    assert _count(sqlite_url, CaseRecord) == 0


def test_csv_problems_carry_file_lines(sqlite_url: str, tmp_path: Path) -> None:
    seed_counties(sqlite_url)
    path = tmp_path / "cases.csv"
    path.write_text(
        "案件编号,县区代码,立案日期,案件类型,实体类型,值,角色\n"
        f"C-1,{XINGHE},2023-01-05,假烟,电话,13947461234,司机\n"
        f"C-1,{XINGHE},2023-01-05,假烟,车牌,蒙J12345,车辆\n"
        f"C-2,{XINGHE},2023-01-06,假烟,电话,13947461234,司机\n"
        f"C-3,999999,2023-01-07,假烟,电话,13900000000,司机\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportValidationError) as caught:
        import_case_file(sqlite_url, path)
    assert [(p.row, p.field) for p in caught.value.problems] == [(5, "county_code")]
    path.write_text(path.read_text(encoding="utf-8").rsplit("C-3", 1)[0], encoding="utf-8")
    report = import_case_file(sqlite_url, path)
    assert (report.rows, report.inserted) == (2, 2)
    assert _network_sets(sqlite_url, SYSTEM) == [{f"{XINGHE}/C-1", f"{XINGHE}/C-2"}]


def test_gcj02_coordinates_are_stored_in_wgs84(sqlite_url: str, tmp_path: Path) -> None:
    seed_counties(sqlite_url)
    records = case_records()[:1]
    import_case_file(sqlite_url, write_case_file(tmp_path / "c.json", records), crs="gcj02")
    lon, lat = to_wgs84([113.80], [40.90], "gcj02")
    with db.transaction(sqlite_url) as session:
        location = session.scalar(select(CaseRecord.location))
    assert location is not None
    assert location.x == pytest.approx(lon[0], abs=1e-7)
    assert location.y == pytest.approx(lat[0])
    assert abs(location.x - 113.80) > 1e-3  # moved by a few hundred metres


# --- networks and scope ---------------------------------------------------------------------


def test_networks_are_computed_over_what_each_actor_may_see(world: str) -> None:
    with db.transaction(world) as session:
        [network] = list_networks(session, SYSTEM)
    assert network.cases == NETWORK
    assert network.counties == (HUAIAN, TIANZHEN, XINGHE)
    assert network.cross_province
    assert network.network_case
    assert network.network_id == NETWORK_ID
    assert network.other_counties == 0
    # one network, one identity: each viewer sees their part and how far it runs beyond
    assert _network_sets(world, ALICE) == [{key("X-001"), key("X-002")}]
    assert _network_sets(world, BOB) == [{key("T-001")}]
    assert _network_sets(world, LUCY) == [{key("X-001"), key("X-002"), key("T-001")}]
    with db.transaction(world) as session:
        seen = {
            actor.username: list_networks(session, actor)[0] for actor in (ALICE, BOB, LUCY, HUGO)
        }
        assert list_networks(session, SYSTEM, county=TIANZHEN)[0].cases == NETWORK
        assert list_networks(session, LUCY, county=HUAIAN) == []
    assert {n.network_id for n in seen.values()} == {NETWORK_ID}
    assert {name: n.other_counties for name, n in seen.items()} == {
        "alice": 2,
        "bob": 2,
        "lucy": 1,
        "hugo": 2,
    }
    assert seen["bob"].counties == (TIANZHEN,)  # nothing of the hidden part but a count


def test_other_countys_cases_are_not_found(sqlite_world: str) -> None:
    with db.transaction(sqlite_world) as session:
        with pytest.raises(NotFoundError):
            get_case(session, ALICE, "T-001")
        page = list_cases(session, ALICE)
        assert [item.case_no for item in page.items] == ["X-003", "X-002", "X-001"]
        assert list_cases(session, ALICE, county=TIANZHEN).total == 0
        assert list_cases(session, SYSTEM, status="open", case_type="假烟").total == 2
        with pytest.raises(ValueError, match="CaseStatus"):
            list_cases(session, SYSTEM, status="archived")


def test_get_case_shows_mentions_entities_and_network(sqlite_world: str) -> None:
    with db.transaction(sqlite_world) as session:
        case = get_case(session, ALICE, "X-002")
    assert case.network_id == NETWORK_ID  # the network over all counties, seen in part
    assert case.own is True
    assert case.redacted is False
    phone = case.mentions[0]
    assert phone.entity_id == "phone:+8613947461234"
    assert phone.valid is True
    assert case.mentions[1].attributes["county_code"] == XINGHE


def test_sharing_a_case_extends_the_receivers_view_read_only(world: str) -> None:
    with db.transaction(world) as session:
        answer = share_case(session, HUGO, "H-001", TIANZHEN, note="同一车辆")
    assert answer.created is True
    assert _network_sets(world, BOB) == [{key("T-001"), key("H-001")}]
    with db.transaction(world) as session:
        assert list_networks(session, BOB)[0].other_counties == 1  # Xinghe's cases
    with db.transaction(world) as session:
        case = get_case(session, BOB, "H-001")
        assert case.own is False
        assert case.shared_with == []
        assert get_case(session, HUGO, "H-001").shared_with == [TIANZHEN]
        with pytest.raises(AccessDeniedError, match="read-only"):
            update_case(session, BOB, "H-001", {"status": "closed"})
        with pytest.raises(AccessDeniedError, match="only county 130728"):
            share_case(session, LUCY, "H-001", XINGHE)
        with pytest.raises(AccessDeniedError, match="roles"):
            share_case(session, BOB, "T-001", XINGHE)
        assert share_case(session, HUGO, "H-001", TIANZHEN).created is False
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "share")).all()
    assert len(audit) == 2
    assert audit[0].detail["note"] == "同一车辆"
    assert audit[0].username == "hugo"
    assert audit[0].county_code == HUAIAN


def test_sharing_a_network_shares_the_actors_own_cases(world: str) -> None:
    with db.transaction(world) as session:
        answer = share_network(session, LUCY, NETWORK_ID, HUAIAN)
    assert answer.shared == [key("T-001"), key("X-001"), key("X-002")]
    assert answer.skipped == []
    assert _network_sets(world, HUGO) == [set(NETWORK)]
    with db.transaction(world) as session:
        again = share_network(session, LUCY, NETWORK_ID, HUAIAN)
        assert again.already == [key("T-001"), key("X-001"), key("X-002")]
        assert session.scalar(select(func.count()).select_from(Share)) == 3
        with pytest.raises(NotFoundError):
            share_network(session, LUCY, "N-000000000000", HUAIAN)
        with pytest.raises(ValueError, match="not stored"):
            share_network(session, LUCY, NETWORK_ID, "110101")


# --- writes through the service, and the cached index ---------------------------------------


def test_a_new_case_joins_its_network_incrementally(world: str) -> None:
    with db.transaction(world) as session, link_index(session, ALICE) as view:
        index = view.index
    new = {
        "case_no": "X-004",
        "county_code": XINGHE,
        "opened_on": "2023-09-09",
        "type": "unlicensed_sale",
        "entities": [{"kind": "phone", "value": "0086-139-4746-1234", "role": "买家"}],
    }
    with db.transaction(world) as session:
        case = create_case(session, ALICE, new)
    grown = stable_network_id([*(case_key(*pair) for pair in MEMBERS), f"{XINGHE}/X-004"])
    assert case.network_id == grown  # a new member: a new set of cases, a new id
    assert case.mentions[0].entity_id == "phone:+8613947461234"
    with db.transaction(world) as session, link_index(session, ALICE) as view:
        assert view.index is index  # added to the cached index, not rebuilt
        assert set(view.index.network(f"N-{key('X-001')}").cases) == {
            key("X-001"),
            key("X-002"),
            key("X-004"),
        }
    assert _mentions(world, "X-004")[0].entity_id == "phone:+8613947461234"


def test_an_edit_rebuilds_the_network(world: str) -> None:
    with db.transaction(world) as session:
        case = update_case(
            session,
            ALICE,
            "X-002",
            {"entities": [{"kind": "phone", "value": "13500000000"}], "status": "closed"},
        )
    assert case.status == "closed"
    assert case.network_id is None
    assert [m.normalised for m in case.mentions] == ["+8613500000000"]
    # X-001 alone in Alice's county, still in a network running into two other counties
    with db.transaction(world) as session:
        [part] = list_networks(session, ALICE)
    assert (part.cases, part.other_counties) == ((key("X-001"),), 2)
    assert set(_network_sets(world, SYSTEM)[0]) == {key("X-001"), key("T-001"), key("H-001")}


def test_a_rolled_back_write_leaves_no_trace_in_the_index(world: str) -> None:
    new = {
        "case_no": "X-009",
        "county_code": XINGHE,
        "opened_on": "2023-09-09",
        "type": "counterfeit",
        "entities": [{"kind": "phone", "value": "13947461234"}],
    }

    def create_then_fail() -> None:
        with db.transaction(world) as session:
            create_case(session, ALICE, new)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert _network_sets(world, ALICE) == [{key("X-001"), key("X-002")}]
    assert _count(world, CaseRecord) == 6


def test_writes_are_checked(sqlite_world: str) -> None:
    with db.transaction(sqlite_world) as session:
        with pytest.raises(ConflictError):
            create_case(session, ALICE, case_records()[0])
        with pytest.raises(InvalidInputError, match="not one of your counties"):
            create_case(session, ALICE, case_records()[2] | {"case_no": "T-009"})
        with pytest.raises(InvalidInputError, match="opened_on") as caught:
            create_case(session, ALICE, case_records()[0] | {"case_no": "X-9", "opened_on": "x"})
        assert caught.value.problems[0]["field"] == "opened_on"
        with pytest.raises(AccessDeniedError, match="roles"):
            create_case(session, DAN, case_records()[0] | {"case_no": "X-10"})
        with pytest.raises(ValueError, match="cannot be changed"):
            update_case(session, ALICE, "X-001", {"case_no": "X-100"})
        with pytest.raises(NotFoundError):
            update_case(session, ALICE, "T-001", {"status": "closed"})


def test_create_converts_gcj02_and_edit_keeps_location(sqlite_world: str) -> None:
    new = case_records()[0] | {"case_no": "X-020", "entities": []}
    with db.transaction(sqlite_world) as session:
        created = create_case(session, ALICE, new, crs="gcj02")
        edited = update_case(session, ALICE, "X-020", {"summary": "改"})
    lon, _ = to_wgs84([113.80], [40.90], "gcj02")
    assert created.lon == pytest.approx(lon[0], abs=1e-6)
    assert (edited.lon, edited.lat) == (created.lon, created.lat)


# --- questions on networks ------------------------------------------------------------------


def test_merge_suggestions_paths_and_details(sqlite_world: str) -> None:
    with db.transaction(sqlite_world) as session:
        suggestions = merge_suggestions(session, SYSTEM, limit=None)
        pairs = {s.cases: s for s in suggestions if s.level == "pair"}
        assert {
            (key("T-001"), key("X-001")),
            (key("X-001"), key("X-002")),
            (key("H-001"), key("T-001")),
        } <= set(pairs)
        evidence = pairs[(key("T-001"), key("X-001"))].evidence
        assert evidence[0].entity_id == f"person:{ZHANG_ID}"
        assert evidence[0].weight == 1.0
        assert all(key("T-001") not in s.cases for s in merge_suggestions(session, ALICE))
        chain = case_path(session, SYSTEM, "X-002", "H-001")
        assert chain is not None
        assert chain.cases == (key("X-002"), key("X-001"), key("T-001"), key("H-001"))
        assert [link.kind for link in chain.links] == ["phone", "person", "plate"]
        assert case_path(session, SYSTEM, "X-001", "X-003").found is False
        with pytest.raises(NotFoundError):
            case_path(session, ALICE, "X-001", "T-001")
        detail = network_detail(session, SYSTEM, NETWORK_ID)
        assert [e.key for e in detail.timeline] == [
            key("X-001"),
            key("X-002"),
            key("T-001"),
            key("H-001"),
        ]
        assert detail.county_names[HUAIAN] == "怀安县"
        assert {c.kind for c in detail.central_entities} <= {"person", "phone"}
        part = network_detail(session, ALICE, NETWORK_ID)
        assert (part.cases, part.other_counties) == ([key("X-001"), key("X-002")], 2)
        assert [e.case_no for e in part.timeline] == ["X-001", "X-002"]
        assert part.counties == [XINGHE]
        with pytest.raises(NotFoundError):
            network_detail(session, ALICE, "N-000000000000")
        with pytest.raises(ValueError, match="min_score"):
            merge_suggestions(session, SYSTEM, min_score=2)


def test_geojson_export_has_cases_and_border_crossing_links(sqlite_world: str) -> None:
    with db.transaction(sqlite_world) as session:
        data = network_geojson(session, SYSTEM, NETWORK_ID)
        with pytest.raises(NotFoundError):
            network_geojson(session, BOB, "N-000000000000")
        seen_by_bob = network_geojson(session, BOB, NETWORK_ID)
        assert {f["properties"].get("case_no") for f in seen_by_bob["features"]} == {"T-001"}
    cases = [f for f in data["features"] if f["properties"]["feature_type"] == "case"]
    links = {
        (f["properties"]["from_case"], f["properties"]["to_case"]): f
        for f in data["features"]
        if f["properties"]["feature_type"] == "link"
    }
    assert sorted(f["properties"]["case_no"] for f in cases) == [no for _, no in MEMBERS]
    x1 = next(f for f in cases if f["properties"]["case_no"] == "X-001")
    assert x1["geometry"]["type"] == "Point"
    assert list(x1["geometry"]["coordinates"]) == [113.8, 40.9]
    assert x1["properties"]["county"] == "兴和县"
    cross = links[(key("T-001"), key("X-001"))]["properties"]
    assert cross["cross_province"]
    assert cross["cross_county"]
    assert cross["strong"]
    assert "张伟" in cross["evidence"]
    assert links[(key("X-001"), key("X-002"))]["properties"]["cross_county"] is False
    assert links[(key("T-001"), key("X-001"))]["geometry"]["type"] == "LineString"
    json.dumps(data)  # JSON-ready


def test_node_edge_tables_and_files(sqlite_world: str, tmp_path: Path) -> None:
    with db.transaction(sqlite_world) as session:
        nodes, edges = network_tables(session, SYSTEM, NETWORK_ID)
    assert set(nodes.loc[nodes["node_type"] == "case", "label"]) == set(NETWORK)
    assert f"person:{ZHANG_ID}" in set(nodes["id"])
    mention = edges[(edges["edge_type"] == "mention") & (edges["target"] == f"person:{ZHANG_ID}")]
    assert set(mention["source"]) == {f"case:{key('X-001')}", f"case:{key('T-001')}"}
    assert set(mention["roles"]) == {"供货人", "寄件人"}
    assert (edges["edge_type"] == "link").sum() == 3
    with db.transaction(sqlite_world) as session:
        paths = export_network(session, SYSTEM, NETWORK_ID, fmt="csv", out=tmp_path / "net.csv")
        [geojson] = export_network(session, SYSTEM, NETWORK_ID, out=tmp_path / "net.geojson")
        with pytest.raises(InvalidInputError, match="expected to be in"):
            export_network(session, SYSTEM, NETWORK_ID, fmt="kml", out=tmp_path / "x.kml")
    assert [p.name for p in paths] == ["net-nodes.csv", "net-edges.csv"]
    assert paths[0].read_bytes().startswith(b"\xef\xbb\xbfid,node_type")
    assert json.loads(geojson.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    assert _count(sqlite_world, AuditEntry) >= 3  # the import and both exports


# --- policy and personal data ---------------------------------------------------------------


def test_a_dispatcher_reads_cases_and_networks_with_personal_data_masked(
    sqlite_world: str,
) -> None:
    with db.transaction(sqlite_world) as session:
        case = get_case(session, DAN, "X-001")
        full = get_case(session, LUCY, "X-001")  # the same counties
        networks = list_networks(session, DAN)
        detail = network_detail(session, DAN, networks[0].network_id)
        page = list_cases(session, DAN)
    assert case.redacted is True
    assert (case.case_no, case.network_id, case.type) == (
        full.case_no,
        full.network_id,
        "counterfeit",
    )
    person, phone = case.mentions
    assert (person.kind, person.role) == ("person", "供货人")
    assert person.name == "张*"
    assert person.id_number is not None
    assert ZHANG_ID[4:-4] not in person.id_number
    assert person.attributes == {}
    assert person.entity_id is not None
    assert ZHANG_ID not in person.entity_id
    assert phone.value is not None
    assert "4746" not in phone.value
    assert "4746" not in phone.normalised
    assert full.mentions[1].normalised == "+8613947461234"
    text = json.dumps([jsonable(case), jsonable(networks), jsonable(detail)], ensure_ascii=False)
    for secret in (ZHANG_ID, "13947461234", "张伟"):
        assert secret not in text
    assert page.total == 5  # the list holds no personal data: nothing to mask


def test_a_dispatcher_is_refused_the_link_analysis_tools(sqlite_world: str, tmp_path: Path) -> None:
    with db.transaction(sqlite_world) as session:
        for refused in (
            lambda: merge_suggestions(session, DAN),
            lambda: case_path(session, DAN, "X-001", "X-002"),
            lambda: network_geojson(session, DAN, NETWORK_ID),
            lambda: network_tables(session, DAN, NETWORK_ID),
            lambda: export_network(session, DAN, NETWORK_ID, out=tmp_path / "n.geojson"),
            lambda: share_case(session, DAN, "X-001", HUAIAN),
            lambda: update_case(session, DAN, "X-001", {"status": "closed"}),
        ):
            with pytest.raises(AccessDeniedError):
                refused()
    assert not (tmp_path / "n.geojson").exists()


def test_every_case_service_taking_an_actor_declares_its_action() -> None:
    import inspect

    from gridmgmt.policy import Action, action_of
    from gridmgmt.services.cases import exports, networks, records, shares

    declared = {}
    for module in (records, networks, shares, exports):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            public = function.__module__ == module.__name__ and not name.startswith("_")
            if public and "actor" in inspect.signature(function).parameters:
                declared[name] = action_of(function)
    assert None not in declared.values(), declared
    assert declared["get_case"] is Action.READ_CASES
    assert declared["merge_suggestions"] is Action.READ_CASE_PERSONAL_DATA
    assert declared["share_network"] is Action.SHARE_CASES
    assert declared["import_cases"] is Action.CHANGE_CASES


def test_unknown_cases_and_networks_are_not_found_errors(sqlite_world: str) -> None:
    with db.transaction(sqlite_world) as session:
        with pytest.raises(NotFoundError) as caught:
            get_case(session, SYSTEM, "Z-404")
        assert (caught.value.what, caught.value.key, caught.value.exit_code) == ("case", "Z-404", 3)
        with pytest.raises(NotFoundError, match="network N-nope"):
            network_detail(session, SYSTEM, "N-nope")
        with pytest.raises(ConflictError, match="already exists"):
            create_case(session, SYSTEM, case_records()[0])
