"""Concurrent writes through the services, on SQLite and PostgreSQL.

Tickets filed from many threads at once (each its own session) get distinct numbers. Two
edits of one case interleaved by hand (the second holds the case as loaded before the first
committed, as a concurrent request does) each keep their field: no error, nothing lost.
Concurrent steps of one ticket and changes of one county's rule settings: every change
confirmed is held, the others conflict with the current state.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from shapely.geometry import MultiPolygon, box
from sqlalchemy import text

from gridmgmt.errors import ConflictError
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.cases._store import own_case
from gridmgmt.services.cases.records import create_case, get_case, update_case
from gridmgmt.services.rules.settings import CountySettings, get_rule_settings, set_rule_settings
from gridmgmt.services.rules.tickets import TicketView, advance_ticket, create_ticket, get_ticket
from gridmgmt.store import db
from gridmgmt.store.models import County, Province

COUNTY = "140222"


def _county_and_case(url: str) -> None:
    with db.transaction(url) as session:
        session.add(Province(code="140000", name="山西省"))
        session.flush()
        boundary = MultiPolygon([box(114.3, 40.4, 115.0, 41.0)])
        session.add(
            County(
                code=COUNTY, name="天镇县", province_code="140000", city="大同市", boundary=boundary
            )
        )
        session.flush()
        case = {
            "case_no": "T-RACE",
            "county_code": COUNTY,
            "opened_on": "2023-10-01",
            "type": "counterfeit",
            "entities": [{"kind": "phone", "value": "139-4746-1234", "role": "司机"}],
        }
        create_case(session, SYSTEM, case)


def test_an_edit_from_a_stale_read_keeps_the_other_edit(store_url: str) -> None:
    _county_and_case(store_url)
    factory = db.session_factory(store_url)
    with factory() as late:
        stale = own_case(late, SYSTEM, "T-RACE", doing="change")
        assert len(stale.mentions) == 1  # loaded now, before the first edit commits
        with db.transaction(store_url) as first:
            update_case(first, SYSTEM, "T-RACE", {"status": "investigating"})
        late.execute(text("SELECT 1"))
        update_case(late, SYSTEM, "T-RACE", {"summary": "夜间运输"})
        late.commit()
    with db.transaction(store_url) as session:
        stored = get_case(session, SYSTEM, "T-RACE")
    assert stored.status == "investigating"
    assert stored.summary == "夜间运输"
    assert len(stored.mentions) == 1


def test_tickets_filed_from_many_threads_get_distinct_numbers(store_url: str) -> None:
    _county_and_case(store_url)
    barrier = threading.Barrier(8)

    def file_one(_: int) -> str:
        barrier.wait()
        with db.transaction(store_url) as session:
            return create_ticket(
                session,
                SYSTEM,
                county=COUNTY,
                kind="complaint",
                summary="举报",
                collected_at=dt.datetime(2026, 11, 16, 9),
            ).ticket_no

    with ThreadPoolExecutor(8) as pool:
        numbers = sorted(pool.map(file_one, range(8)))
    assert numbers == [f"{COUNTY}-20261116-{i:03d}" for i in range(1, 9)]


def _threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` for each i in its own thread, all released together; outcomes or
    the ConflictError each raised."""
    barrier = threading.Barrier(count)

    def one(i: int) -> object:
        barrier.wait()
        try:
            return work(i)
        except ConflictError as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_ticket_steps_keep_the_one_confirmed(store_url: str) -> None:
    _county_and_case(store_url)
    with db.transaction(store_url) as session:
        ticket = create_ticket(
            session, SYSTEM, county=COUNTY, kind="complaint", summary="举报"
        ).ticket_no

    def assign(i: int) -> TicketView:
        with db.transaction(store_url) as session:
            return advance_ticket(
                session, SYSTEM, ticket, assignee=f"M0{i}", note=f"M0{i}", base_version=1
            )

    outcomes = _threads(4, assign)
    (won,) = [o for o in outcomes if isinstance(o, TicketView)]
    lost = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(lost) == 3
    assert all(error.current["assignee"] == won.assignee for error in lost)
    with db.transaction(store_url) as session:
        stored = get_ticket(session, SYSTEM, ticket)
    assert (stored.assignee, stored.version, len(stored.events)) == (won.assignee, 2, 2)


def test_concurrent_rule_settings_changes_keep_every_confirmed_change(store_url: str) -> None:
    _county_and_case(store_url)
    changes = [
        {"borders": {"county_border_m": 1500.0}},
        {"outflow": {"threshold": 4.5}},
        {"borders": {"province_border_m": 6000.0}},
        {"borders": {"tolerance_m": 80.0}},
    ]

    def change(i: int) -> CountySettings:
        with db.transaction(store_url) as session:
            return set_rule_settings(session, SYSTEM, COUNTY, overrides=changes[i])

    outcomes = _threads(4, change)
    confirmed = [changes[i] for i, o in enumerate(outcomes) if isinstance(o, CountySettings)]
    assert confirmed
    assert all(isinstance(o, CountySettings | ConflictError) for o in outcomes)
    with db.transaction(store_url) as session:
        stored = get_rule_settings(session, SYSTEM, COUNTY)
    assert stored.version == len(confirmed)
    held = stored.settings.model_dump(mode="json")
    for change in confirmed:
        ((section, values),) = change.items()
        assert held[section] | values == held[section], change
