"""``POST /api/v1/imports``: a file imported as a job, all or nothing, with its problems
listed row by row in the job's result."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gridmgmt.domain import UserRole
from gridmgmt.store import db
from gridmgmt.store.models import Retailer

from .conftest import XINGHE, add_test_user, wait_for_job

Headers = Callable[..., dict[str, str]]
HEADER = "licence_no,name,county_code,tier,business_type,status,lon,lat\n"


def _retailers(url: str) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count(Retailer.id))) or 0)


def _upload(client: TestClient, headers: dict[str, str], text: str) -> object:
    files = {"file": ("shops.csv", text.encode(), "text/csv")}
    return client.post("/api/v1/imports", headers=headers, files=files, data={"kind": "retailers"})


def test_import_job_stores_a_good_file_and_nothing_of_a_bad_one(
    client: TestClient, bearer: Headers, api_url: str
) -> None:
    add_test_user(api_url, "ada", "Kx7-qLm2-Vw9z-Rt4", UserRole.ADMIN, [XINGHE])
    admin = bearer("ada")
    before = _retailers(api_url)
    good = HEADER + f"{XINGHE}777001,新店,{XINGHE},5,grocery,active,113.9,40.95\n"
    view = wait_for_job(client, _upload(client, admin, good), admin)
    assert view["state"] == "succeeded", view.get("error")
    assert view["result"]["imported"] is True, view["result"]["problems"]
    assert view["result"]["report"]["inserted"] == 1
    assert _retailers(api_url) == before + 1
    bad = (
        good.replace("777001", "777002") + f"{XINGHE}777003,坏店,{XINGHE},99,grocery,active,x,40\n"
    )
    view = wait_for_job(client, _upload(client, admin, bad), admin)
    assert view["state"] == "succeeded", view
    result = view["result"]
    assert result["imported"] is False
    assert result["problems"], result
    assert any(p.get("row") for p in result["problems"])
    assert _retailers(api_url) == before + 1  # nothing of the bad file
    assert _upload(client, bearer("alice"), good).status_code == 403
    wrong = client.post(
        "/api/v1/imports",
        headers=admin,
        files={"file": ("a.csv", good.encode(), "text/csv")},
        data={"kind": "ghosts"},
    )
    assert wrong.status_code == 422
