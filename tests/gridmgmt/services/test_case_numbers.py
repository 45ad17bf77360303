"""Case numbers are unique per county (两个县局都可以有12号案件), and every lookup is scoped.

Two bureaus may both have a case 12: creating one whose number another county uses succeeds
and tells nothing of the other; the same county twice is a conflict; a caller who sees both
names the county; shares, networks and leads keep the two apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from gridmgmt.domain import UserRole
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.services.actor import SYSTEM, Actor
from gridmgmt.services.cases import (
    case_path,
    create_case,
    get_case,
    list_networks,
    share_case,
    update_case,
)
from gridmgmt.services.cases._store import case_key, split_case_key
from gridmgmt.services.leads import send_lead
from gridmgmt.store import db
from gridmgmt.store.models import Share
from gridmgmt.store.models.cases import CaseRecord

from .cases_world import (
    ALICE,
    BOB,
    HUAIAN,
    HUGO,
    LUCY,
    TIANZHEN,
    XINGHE,
    import_case_file,
    seed_counties,
    write_case_file,
)

PHONE = "13947461234"


def _case(county: str, case_no: str = "12", **extra: Any) -> dict[str, Any]:
    return {
        "case_no": case_no,
        "county_code": county,
        "opened_on": "2026-03-01",
        "type": "counterfeit",
        "entities": [{"kind": "phone", "value": PHONE, "role": "供货人"}],
    } | extra


@pytest.fixture
def twelves(store_url: str) -> str:
    """Case 12 of 兴和县 (alice's) and case 12 of 天镇县 (bob's), sharing a phone."""
    seed_counties(store_url)
    with db.transaction(store_url) as session:
        create_case(session, ALICE, _case(XINGHE, summary="兴和12号"))
    with db.transaction(store_url) as session:
        created = create_case(session, BOB, _case(TIANZHEN, summary="天镇12号"))
    assert created.county_code == TIANZHEN
    return store_url


def test_two_counties_may_both_have_a_case_12(twelves: str) -> None:
    with db.transaction(twelves) as session:
        stored = session.execute(
            select(CaseRecord.county_code, CaseRecord.summary).order_by(CaseRecord.county_code)
        ).all()
        assert [tuple(row) for row in stored] == [(TIANZHEN, "天镇12号"), (XINGHE, "兴和12号")]
        assert get_case(session, ALICE, "12").summary == "兴和12号"
        assert get_case(session, BOB, "12").summary == "天镇12号"
        assert get_case(session, BOB, "12").key == case_key(TIANZHEN, "12")


def test_creating_a_number_the_county_has_is_a_conflict(twelves: str) -> None:
    with db.transaction(twelves) as session, pytest.raises(ConflictError) as caught:
        create_case(session, BOB, _case(TIANZHEN))
    assert TIANZHEN in caught.value.message
    assert XINGHE not in caught.value.message


def test_creating_reveals_nothing_of_the_other_county(store_url: str) -> None:
    seed_counties(store_url)
    with db.transaction(store_url) as session:
        first = create_case(session, BOB, _case(TIANZHEN, "T-77"))
    with db.transaction(store_url) as session:
        second = create_case(session, ALICE, _case(XINGHE, "T-77"))
    # The same answer as for a number nobody uses: no trace of 天镇县's case.
    assert TIANZHEN not in second.model_dump_json()
    assert second.network_id is None or second.network_id != first.network_id
    with db.transaction(store_url) as session:
        fresh = create_case(session, ALICE, _case(XINGHE, "X-77"))
    assert set(second.model_dump()) == set(fresh.model_dump())
    assert (second.own, fresh.own, second.shared_with) == (True, True, [])


def test_a_caller_who_sees_both_names_the_county(twelves: str) -> None:
    with db.transaction(twelves) as session:
        with pytest.raises(InvalidInputError) as caught:
            get_case(session, LUCY, "12")
        assert caught.value.problems == [
            {"field": "county", "message": caught.value.message},
        ]
        assert f"{TIANZHEN}, {XINGHE}" in caught.value.message
        assert get_case(session, LUCY, "12", county=TIANZHEN).summary == "天镇12号"
        with pytest.raises(NotFoundError):
            get_case(session, ALICE, "12", county=TIANZHEN)  # not hers: as if absent
        with pytest.raises(InvalidInputError):
            update_case(session, LUCY, "12", {"status": "closed"})
        changed = update_case(session, LUCY, "12", {"status": "closed"}, county=XINGHE)
        assert changed.status == "closed"
        assert get_case(session, BOB, "12").status == "open"


def test_networks_and_chains_name_cases_by_key(twelves: str) -> None:
    with db.transaction(twelves) as session:
        [network] = list_networks(session, SYSTEM)
        assert network.cases == (case_key(TIANZHEN, "12"), case_key(XINGHE, "12"))
        with pytest.raises(InvalidInputError):
            case_path(session, SYSTEM, "12", "12")
        chain = case_path(session, SYSTEM, "12", "12", source_county=XINGHE, target_county=TIANZHEN)
        assert chain.cases == (case_key(XINGHE, "12"), case_key(TIANZHEN, "12"))
        [alice_view] = list_networks(session, ALICE)
        assert (alice_view.cases, alice_view.other_counties) == ((case_key(XINGHE, "12"),), 1)


def test_a_share_grants_that_countys_case_only(twelves: str) -> None:
    with db.transaction(twelves) as session:
        share_case(session, LUCY, "12", HUAIAN, county=XINGHE)
    with db.transaction(twelves) as session:
        assert get_case(session, HUGO, "12").summary == "兴和12号"
        with pytest.raises(NotFoundError):
            get_case(session, HUGO, "12", county=TIANZHEN)
        # The other county's case 12 may be shared with the same county too.
        share_case(session, LUCY, "12", HUAIAN, county=TIANZHEN)
    with db.transaction(twelves) as session:
        assert session.scalar(select(func.count()).select_from(Share)) == 2
        assert get_case(session, HUGO, "12", county=TIANZHEN).shared_with == []
        assert get_case(session, SYSTEM, "12", county=XINGHE).shared_with == [HUAIAN]
        with pytest.raises(InvalidInputError):
            get_case(session, HUGO, "12")


def test_a_lead_and_its_share_keep_to_the_senders_case(twelves: str) -> None:
    liaison = Actor("xl", UserRole.LIAISON, frozenset({XINGHE}))
    with db.transaction(twelves) as session:
        [lead] = send_lead(session, liaison, "12", [HUAIAN], note="同一电话")
    assert (lead.from_county, lead.case_no) == (XINGHE, "12")
    from gridmgmt.services.leads import accept_lead, acknowledge_lead

    receiver = Actor("hl", UserRole.LIAISON, frozenset({HUAIAN}))
    with db.transaction(twelves) as session:
        acknowledge_lead(session, receiver, lead.id)
        accept_lead(session, receiver, lead.id)
    with db.transaction(twelves) as session:
        assert get_case(session, receiver, "12").summary == "兴和12号"
        with pytest.raises(NotFoundError):
            get_case(session, receiver, "12", county=TIANZHEN)


def test_moving_a_case_into_a_county_with_its_number_is_a_conflict(twelves: str) -> None:
    with db.transaction(twelves) as session, pytest.raises(ConflictError):
        update_case(session, LUCY, "12", {"county_code": TIANZHEN}, county=XINGHE)
    with db.transaction(twelves) as session:
        create_case(session, LUCY, _case(XINGHE, "X-5"))
        share_case(session, LUCY, "X-5", HUAIAN, county=XINGHE)
    with db.transaction(twelves) as session:
        moved = update_case(session, LUCY, "X-5", {"county_code": TIANZHEN})
    assert (moved.county_code, moved.shared_with) == (TIANZHEN, [HUAIAN])
    with db.transaction(twelves) as session:
        assert get_case(session, HUGO, "X-5").county_code == TIANZHEN


def test_an_import_upserts_on_county_and_number(twelves: str, tmp_path: Path) -> None:
    records = [_case(TIANZHEN, summary="天镇12号 改"), _case(TIANZHEN, "T-13")]
    report = import_case_file(twelves, write_case_file(tmp_path / "t.json", records), actor=BOB)
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 0)
    with db.transaction(twelves) as session:
        assert get_case(session, ALICE, "12").summary == "兴和12号"
        assert get_case(session, BOB, "12").summary == "天镇12号 改"


def test_split_case_key_keeps_slashes_of_the_number() -> None:
    assert split_case_key("150924/XH/2026/12") == ("150924", "XH/2026/12")
    with pytest.raises(InvalidInputError):
        split_case_key("no-county")


def test_existing_cases_and_shares_migrate(tmp_path: Path) -> None:
    """Rows stored under the schema before ``0016_case_numbers`` stay, and get the new keys."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db.upgrade(url)
    seed_counties(url)
    command.downgrade(db.alembic_config(url), "0006_cases")  # the cases branch before 0016
    with db.get_engine(url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO cases (case_no, county_code, opened_on, type, status, summary, "
                "version, created_by, created_at, updated_by, updated_at) VALUES "
                "('12', :county, '2026-03-01', 'counterfeit', 'open', '旧', 'v1', 'x', "
                "'2026-03-01', 'x', '2026-03-01')"
            ),
            {"county": XINGHE},
        )
        connection.execute(
            text(
                "INSERT INTO shares (kind, object_key, from_county, to_county, shared_by, "
                "shared_at) VALUES ('case', '12', :county, :to, 'x', '2026-03-01')"
            ),
            {"county": XINGHE, "to": HUAIAN},
        )
    db.dispose_engine(url)
    db.upgrade(url)
    with db.transaction(url) as session:
        assert get_case(session, HUGO, "12").summary == "旧"
        create_case(session, BOB, _case(TIANZHEN))  # the old unique number is free elsewhere
    with db.transaction(url) as session:
        assert session.scalar(select(func.count()).select_from(CaseRecord)) == 2
        with pytest.raises(ConflictError):
            create_case(session, ALICE, _case(XINGHE))
    db.dispose_engine(url)
