"""Building the case networks as a job: ``POST /api/v1/cases/networks/build`` answers 202,
the job resolves entities over every county and stores them; the result counts the caller's
networks. The case world is that of ``test_api_cases`` (one network over three counties)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from gridmgmt.store import db
from gridmgmt.store.models.cases import CaseMentionRecord

from .conftest import wait_for_job
from .test_api_cases import (
    _page_login,
    cases_client,  # noqa: F401 - the fixture
)

Headers = Callable[..., dict[str, str]]
BUILD = "/api/v1/cases/networks/build"


def _entity_ids(url: str) -> list[str | None]:
    with db.transaction(url) as session:
        return list(session.scalars(select(CaseMentionRecord.entity_id)))


def test_build_is_a_job_storing_entities_and_counting_the_callers_networks(
    cases_client: TestClient,  # noqa: F811 - the fixture
    bearer: Headers,
    api_url: str,
) -> None:
    with db.transaction(api_url) as session:
        session.execute(update(CaseMentionRecord).values(entity_id=None))
    answer = cases_client.post(BUILD, headers=bearer("alice"))
    view = wait_for_job(cases_client, answer, bearer("alice"))
    assert view["state"] == "succeeded", view
    assert view["kind"] == "cases.build_networks"
    assert view["counties"] == ["150924"]
    result = view["result"]
    assert (result["networks"], result["cases_in_networks"]) == (1, 2)
    assert result["extending_elsewhere"] == 1
    assert result["mentions_updated"] > 0
    assert None not in _entity_ids(api_url)
    lucy = wait_for_job(
        cases_client, cases_client.post(BUILD, headers=bearer("lucy")), bearer("lucy")
    )
    assert lucy["result"]["cases_in_networks"] == 3
    assert lucy["result"]["mentions_updated"] == 0  # stored by alice's build
    refused = cases_client.post(BUILD, headers=bearer("dan"))
    assert refused.status_code == 403
    assert cases_client.post(BUILD).status_code == 401


def test_networks_page_has_the_build_button_for_caseworkers(
    cases_client: TestClient,  # noqa: F811 - the fixture
    bearer: Headers,
) -> None:
    _page_login(cases_client, "alice")
    page = cases_client.get("/cases")
    assert page.status_code == 200
    assert f'data-gm-job="{BUILD}"' in page.text
    assert "/static/app/jobs.js" in page.text
    _page_login(cases_client, "dan")
    assert f'data-gm-job="{BUILD}"' not in cases_client.get("/cases").text
