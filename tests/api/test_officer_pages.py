"""The officer's pages: content, county scope, roles, forms (CSRF-safe, errors on the page,
nothing stored on error) and markup in names shown as text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.main import create_app
from gridmgmt.store import db
from gridmgmt.store.models.rules import InspectionResult, TicketRecord

from .conftest import SECRET, World, make_settings
from .officer_world import EVIL_LICENCE, EVIL_NAME, OfficerWorld, add_officer_world

ORIGIN = {"Origin": "http://testserver"}
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def field(api_url: str) -> OfficerWorld:
    return add_officer_world(api_url)


def _login(client: TestClient, world: World, username: str) -> TestClient:
    answer = client.post(
        "/login",
        data={"username": username, "password": world.passwords[username], "next": "/grids"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


@pytest.fixture
def alice(api_url: str, world: World, field: OfficerWorld) -> Iterator[TestClient]:
    """兴和县's officer, logged in, Chinese pages."""
    with TestClient(create_app(make_settings(api_url))) as client:
        yield _login(client, world, "alice")


def _count(url: str, model: type) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/grids", "/tasks", "/tickets", f"/retailers/{EVIL_LICENCE}"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")


def test_other_roles_are_refused(api_url: str, world: World, field: OfficerWorld) -> None:
    with TestClient(create_app(make_settings(api_url))) as client:
        _login(client, world, "lucy")
        for path in ("/grids", "/tasks", "/tickets", f"/retailers/{EVIL_LICENCE}"):
            answer = client.get(path)
            assert answer.status_code == 403
            assert "稽查员" in answer.text or "officers" in answer.text
        page = client.get("/map").text
        assert 'href="/tasks"' not in page


def test_nav_links_the_officer_pages(alice: TestClient) -> None:
    page = alice.get("/map").text
    for path in ("/grids", "/tasks", "/tickets"):
        assert f'href="{path}"' in page


def test_grids_page_is_chinese_and_loads_local_assets(alice: TestClient) -> None:
    page = alice.get("/grids")
    assert page.status_code == 200
    assert "网格" in page.text
    assert "查找零售户" in page.text
    assert "/static/leaflet/leaflet.js" in page.text
    assert "/static/leaflet-markercluster/leaflet.markercluster.js" in page.text
    assert "http://" not in page.text.replace("http://testserver", "")
    alice.get("/locale?locale=en&next=/grids")
    english = alice.get("/grids")
    assert "Find a retailer" in english.text
    assert "查找零售户" not in english.text


def test_grids_page_other_county_answers_404(alice: TestClient) -> None:
    assert alice.get("/grids?county=140222").status_code == 404


def test_map_data_has_grids_and_retailers(alice: TestClient) -> None:
    data = alice.get("/api/v1/officer/map?county=150924").json()
    assert {f["properties"]["grid_id"] for f in data["grids"]["features"]} == {"XH-01", "XH-02"}
    names = [row[data["retailer_columns"].index("name")] for row in data["retailers"]]
    assert EVIL_NAME in names  # data, shown as text by the script
    assert alice.get("/api/v1/officer/map?county=140222").status_code == 404


def test_rule_layers_answer_without_command_line_advice(alice: TestClient) -> None:
    for layer in ("red_lines", "spacing", "borders"):
        answer = alice.get(f"/api/v1/officer/layers/{layer}?county=150924")
        assert answer.status_code == 200, answer.text
        assert "--roads" not in answer.text


def test_licence_check_gives_every_reason_in_plain_language(alice: TestClient) -> None:
    answer = alice.get(
        "/api/v1/officer/licence-check?lon=113.8005&lat=40.9",
        headers={"Accept-Language": "zh-CN"},
    ).json()
    assert answer["allowed"] is False
    codes = [r["code"] for r in answer["reasons"]]
    assert "spacing" in codes
    assert "county" in codes
    assert "grid" in codes
    text = " ".join(r["text"] for r in answer["reasons"]) + " ".join(answer["notes"])
    assert "--" not in text
    assert "gridmgmt" not in text
    assert "网格 XH-01" in text or "XH-01" in text


def test_where_am_i_names_the_grid_and_the_nearest_retailers(alice: TestClient) -> None:
    answer = alice.get("/api/v1/officer/where?lon=113.8011&lat=40.9001").json()
    assert answer["grid"]["grid_id"] == "XH-01"
    assert answer["retailers"][0]["licence_no"] == "150924000001"
    distances = [r["distance_m"] for r in answer["retailers"]]
    assert distances == sorted(distances)


def test_retailer_page_shows_its_history(alice: TestClient, field: OfficerWorld) -> None:
    page = alice.get(f"/retailers/{EVIL_LICENCE}")
    assert page.status_code == 200
    assert ESCAPED in page.text
    assert EVIL_NAME not in page.text
    assert field.tickets[0] in page.text
    assert "2026-Q1" in page.text
    assert "XH-01" in page.text


def test_another_countys_retailer_answers_404(alice: TestClient) -> None:
    assert alice.get("/retailers/140222000001").status_code == 404
    assert alice.get("/retailers/999999999999").status_code == 404


def test_tasks_list_and_record_a_result(
    alice: TestClient, api_url: str, field: OfficerWorld
) -> None:
    page = alice.get("/tasks")
    assert page.status_code == 200
    assert ESCAPED in page.text
    assert EVIL_NAME not in page.text
    answer = alice.post(
        f"/tasks/{field.draw_id}/results",
        data={
            "licence_no": EVIL_LICENCE,
            "outcome": "violation",
            "inspected_on": "2099-01-05",
            "violations": "2",
            "notes": "<script>x</script>",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    with db.transaction(api_url) as session:
        result = session.scalar(select(InspectionResult))
        assert result is not None
        assert result.violations == 2
    page = alice.get(answer.headers["location"]).text
    assert "&lt;script&gt;x&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("outcome", "date", "violations"),
    [
        ("violation", "2099-01-05", "0"),
        ("", "2099-01-05", ""),
        ("compliant", "soon", ""),
        ("compliant", "2000-01-01", ""),
    ],
)
def test_a_wrong_result_is_shown_and_nothing_is_stored(
    alice: TestClient, api_url: str, field: OfficerWorld, outcome: str, date: str, violations: str
) -> None:
    answer = alice.post(
        f"/tasks/{field.draw_id}/results",
        data={
            "licence_no": EVIL_LICENCE,
            "outcome": outcome,
            "inspected_on": date,
            "violations": violations,
        },
        headers=ORIGIN,
    )
    assert answer.status_code == 422
    assert "om-errors" in answer.text
    assert "没有保存" in answer.text
    assert _count(api_url, InspectionResult) == 0


def test_a_form_from_another_site_is_refused(
    alice: TestClient, api_url: str, field: OfficerWorld
) -> None:
    answer = alice.post(
        f"/tasks/{field.draw_id}/results",
        data={"licence_no": EVIL_LICENCE, "outcome": "compliant", "inspected_on": "2099-01-05"},
        headers={"Origin": "http://evil.example"},
    )
    assert answer.status_code == 403
    assert _count(api_url, InspectionResult) == 0


def test_tickets_overdue_first_and_escaped(alice: TestClient, field: OfficerWorld) -> None:
    page = alice.get("/tickets").text
    old, fresh = field.tickets
    assert page.index(f"t-{old}") < page.index(f"t-{fresh}")
    assert "om-overdue" in page
    assert "超期" in page
    assert EVIL_NAME not in page
    assert ESCAPED in page


def test_open_advance_and_close_a_ticket(alice: TestClient, api_url: str) -> None:
    answer = alice.post(
        "/tickets",
        data={
            "county": "150924",
            "kind": "violation",
            "summary": "门店<b>私售</b>",
            "licence_no": "150924000001",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    number = answer.headers["location"].rsplit("/", 1)[-1]
    for state in ("assigned", "responded", "handled", "fed_back"):
        moved = alice.post(
            f"/tickets/{number}/advance", data={"to": state, "note": "ok"}, headers=ORIGIN
        )
        assert moved.status_code == 200, moved.text
    with db.transaction(api_url) as session:
        record = session.scalar(select(TicketRecord).where(TicketRecord.ticket_no == number))
        assert record is not None
        assert record.state == "fed_back"
    page = alice.get(f"/tickets/{number}").text
    assert "门店&lt;b&gt;私售&lt;/b&gt;" in page


def test_a_wrong_move_is_shown_and_nothing_is_stored(
    alice: TestClient, api_url: str, field: OfficerWorld
) -> None:
    number = field.tickets[1]
    answer = alice.post(f"/tickets/{number}/advance", data={"to": "handled"}, headers=ORIGIN)
    assert answer.status_code == 409
    assert "om-errors" in answer.text
    with db.transaction(api_url) as session:
        record = session.scalar(select(TicketRecord).where(TicketRecord.ticket_no == number))
        assert record is not None
        assert record.state == "collected"
        assert len(record.events) == 1


def test_a_stale_ticket_form_conflicts_and_shows_the_ticket_now(
    alice: TestClient, api_url: str, field: OfficerWorld
) -> None:
    number = field.tickets[1]
    page = alice.get(f"/tickets/{number}").text
    assert 'name="base_version" value="1"' in page
    listed = alice.get("/tickets").text.split(f'id="t-{number}"', 1)[1].split("</tr>", 1)[0]
    assert 'name="base_version" value="1"' in listed  # the list's quick step sends it too
    form = {"to": "assigned", "base_version": "1"}
    moved = alice.post(f"/tickets/{number}/advance", data=form | {"note": "first"}, headers=ORIGIN)
    assert moved.status_code == 200
    stale = alice.post(f"/tickets/{number}/advance", data=form | {"note": "second"}, headers=ORIGIN)
    assert stale.status_code == 409
    assert 'id="gm-conflict"' in stale.text
    assert "om-errors" not in stale.text
    assert 'name="base_version" value="2"' in stale.text  # the fresh form
    with db.transaction(api_url) as session:
        record = session.scalar(select(TicketRecord).where(TicketRecord.ticket_no == number))
        assert record is not None
        assert (record.state, record.version) == ("assigned", 2)
        assert [e.note for e in record.events][1:] == ["first"]


def test_a_stale_result_form_conflicts_and_shows_the_result_now(
    alice: TestClient, api_url: str, field: OfficerWorld
) -> None:
    row = f'id="r-{field.draw_id}-{EVIL_LICENCE}"'
    page = alice.get("/tasks", params={"whose": "all"}).text
    assert 'name="base_version" value="0"' in page.split(row, 1)[1]
    form = {"licence_no": EVIL_LICENCE, "inspected_on": "2099-01-05", "base_version": "0"}
    url = f"/tasks/{field.draw_id}/results"
    first = alice.post(url, data=form | {"outcome": "compliant"}, headers=ORIGIN)
    assert first.status_code == 200
    stale = alice.post(url, data=form | {"outcome": "not_open"}, headers=ORIGIN)
    assert stale.status_code == 409
    assert 'id="gm-conflict"' in stale.text
    shown = stale.text.split(row, 1)[1].split("</tr>", 1)[0]
    assert 'name="base_version" value="1"' in shown
    assert '<option value="compliant" selected>' in shown  # the result in force, not the typed
    with db.transaction(api_url) as session:
        results = list(session.scalars(select(InspectionResult)))
        assert [(r.outcome, r.version) for r in results] == [("compliant", 1)]


def test_an_empty_ticket_is_refused_on_the_page(alice: TestClient, api_url: str) -> None:
    before = _count(api_url, TicketRecord)
    answer = alice.post(
        "/tickets", data={"county": "150924", "kind": "complaint", "summary": " "}, headers=ORIGIN
    )
    assert answer.status_code == 422
    assert "om-errors" in answer.text
    assert _count(api_url, TicketRecord) == before


def test_another_countys_ticket_answers_404(
    api_url: str, world: World, field: OfficerWorld
) -> None:
    with TestClient(create_app(make_settings(api_url))) as client:
        _login(client, world, "bob")
        assert client.get(f"/tickets/{field.tickets[0]}").status_code == 404
        assert client.get(f"/retailers/{EVIL_LICENCE}").status_code == 404
        assert SECRET  # the app is signed with the tests' key
