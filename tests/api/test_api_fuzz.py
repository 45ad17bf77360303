"""schemathesis over the whole OpenAPI schema, in process: without a token and as each role.

Every operation gets generated requests (path, query and body from the schema); no answer
may be a 5xx, every answer must match what the schema declares (status code, content type,
body), and a request the schema allows must not be refused as invalid (422): enumerations
and formats are declared in the schema (:mod:`api.declared`). The only 422s allowed for such
a request name a field whose rule no schema states (:data:`NOT_IN_THE_SCHEMA`). Every role of the app fuzzes (a new role joins by itself).
Short by default (``GRIDMGMT_FUZZ_EXAMPLES``, 3 examples per operation and role); set it
higher for a longer run, e.g. ``GRIDMGMT_FUZZ_EXAMPLES=100``; ``GRIDMGMT_FUZZ_ONLY=licence``
fuzzes only the operations whose label contains that text.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from api.errors import ERROR_RESPONSES
from api.main import create_app
from gridmgmt.domain import UserRole
from gridmgmt.services.bounds import MAX_REQUEST_INT
from gridmgmt.store import db

from .conftest import TIANZHEN, XINGHE, World, _bearer, add_test_user, make_settings

_CLOSURES = frozenset({"closures"})  # closures' GeoJSON geometries
_REPLAN = _CLOSURES | {"plan"}  # and a saved day plan
_ENTITY = ("entities[].value", "entities[].name")  # what a mention needs depends on its kind
_REPORT = frozenset({"area", "counties"})  # an area or two counties, one of them the caller's
NOT_IN_THE_SCHEMA: dict[str, frozenset[str]] = {
    "POST /api/v1/cases": frozenset({"county_code", "lon", "lat", *_ENTITY}),
    "PATCH /api/v1/cases/{case_no}": frozenset({"county_code", "lon", "lat", *_ENTITY}),
    "POST /api/v1/cases/networks/{network_id}/share": frozenset({"to_county"}),
    "POST /api/v1/cases/{case_no}/share": frozenset({"to_county"}),
    "POST /api/v1/cooperation/areas": frozenset({"counties"}),
    "GET /api/v1/cooperation/report": _REPORT,
    "GET /api/v1/cooperation/report/export": _REPORT,
    "POST /api/v1/imports": frozenset({"file"}),
    "POST /api/v1/federation/bundles": frozenset({"file"}),
    "POST /api/v1/routes/replan": _REPLAN,
    "POST /api/v1/routes/jobs/replan": _REPLAN,
    "POST /api/v1/routes/plan": _CLOSURES,
    "POST /api/v1/routes/jobs/plan": _CLOSURES,
    "POST /api/v1/routes/week": _CLOSURES,
    "POST /api/v1/routes/jobs/week": _CLOSURES,
    "POST /api/v1/leads": frozenset({"county"}),
}
"""Per operation, the fields a schema-valid request may still be refused for (422), by a rule
no schema states: what is stored (a county that exists), a document's content (an uploaded
file, a signed bundle, a saved day plan, closure geometries) or a choice between parameters
(an area or a county pair; which of your counties sends a lead), or between fields (lon and lat together; a person's name or ID
number, another mention's value)."""


def _refused_fields(response: Any) -> set[str]:
    """The fields a 422 answer names (the services' ``problems``, FastAPI's ``detail``)."""
    try:
        body = response.json()
    except ValueError:
        return set()
    problems = body.get("problems") or []
    detail = body.get("detail")
    fields = {
        re.sub(r"\[\d+\]", "[]", str(p["field"])) if p.get("field") else str("file" in p and "file")
        for p in problems
        if isinstance(p, dict)
    }
    if isinstance(detail, list):
        fields |= {str(d["loc"][-1]) for d in detail if isinstance(d, dict) and d.get("loc")}
    return fields


def schema_valid_requests_are_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's ``positive_data_acceptance``, except for :data:`NOT_IN_THE_SCHEMA`."""
    exempt = NOT_IN_THE_SCHEMA.get(case.operation.label, frozenset())
    if response.status_code == 422 and exempt:
        fields = _refused_fields(response)
        if fields and fields <= exempt:
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    schema_valid_requests_are_accepted,
]
"""No 5xx, every answer as declared, and what the schema allows is accepted."""
EXAMPLES = int(os.environ.get("GRIDMGMT_FUZZ_EXAMPLES", "3"))
ONLY = os.environ.get("GRIDMGMT_FUZZ_ONLY", "")
"""Fuzz only operations whose label (``GET /api/v1/...``) contains this, e.g. ``licence``."""
SEEDED_USERS = {"officer": "alice", "liaison": "lucy"}
"""Roles with a user in the seeded world; every other role gets a ``fuzz_<role>`` user."""
USERS = {role.value: SEEDED_USERS.get(role.value, f"fuzz_{role.value}") for role in UserRole}
ROLES = ("anonymous", *USERS)


@pytest.fixture(scope="module")
def fuzz_app(
    _seeded: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    """The app on a copy of the seeded world with a user of every role, and a federation key."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(_seeded[0], path)
    url = f"sqlite:///{path}"
    for role in UserRole:
        if role.value not in SEEDED_USERS:
            name = USERS[role.value]
            add_test_user(url, name, secrets.token_urlsafe(12), role, [XINGHE, TIANZHEN])
    yield create_app(make_settings(url, federation_key=f"fuzz:{secrets.token_urlsafe(24)}"))
    db.dispose_engine(url)


def _headers(role: str) -> dict[str, str]:
    """No token, or a bearer token of a user of that role."""
    return {} if role == "anonymous" else _bearer(USERS[role])


def _fuzz(operation: Any) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        for role in ROLES:  # the same request without a token and as each role
            case.call_and_validate(headers=_headers(role), checks=CHECKS)

    run()


@pytest.mark.slow
def test_no_5xx_and_every_answer_matches_the_schema(fuzz_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if ONLY not in operation.label:
            continue
        operations += 1
        try:
            _fuzz(operation)
        except (
            Exception,
            BaseExceptionGroup,
        ) as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {type(error).__name__}: {str(error)[:1500]}")
    assert operations > (0 if ONLY else 50)
    assert not failures, f"{len(failures)} of {operations} operations failed:\n" + "\n\n".join(
        failures
    )


def test_every_operation_declares_the_error_answers_and_the_setting_bounds(api_url: str) -> None:
    """Every API operation declares every error answer (api/errors.py); a bound that a
    setting sets is the schema's maximum; enumerations and formats are in the schema."""
    from fastapi.testclient import TestClient

    settings = make_settings(api_url, max_solver_seconds=42)
    with TestClient(create_app(settings)) as client:
        schema = client.get("/openapi.json").json()
    undeclared = {
        f"{method.upper()} {path}": sorted(set(ERROR_RESPONSES) - {int(c) for c in op["responses"]})
        for path, operations in schema["paths"].items()
        for method, op in operations.items()
        if path.startswith("/api/")
    }
    assert {name: codes for name, codes in undeclared.items() if codes} == {}
    bounds = [
        branch.get("maximum")
        for model in schema["components"]["schemas"].values()
        for branch in model.get("properties", {}).get("time_limit", {}).get("anyOf", [])
        if branch.get("type") == "number"
    ]
    assert bounds
    assert set(bounds) == {42}
    check = schema["paths"]["/api/v1/rules/check-licence"]["get"]["parameters"]
    crs = next(p for p in check if p["name"] == "crs")["schema"]
    assert {"wgs84", "gcj02", "bd09", "cgcs2000"} <= set(crs["enum"])
    quarter = schema["paths"]["/api/v1/cooperation/report"]["get"]["parameters"]
    assert next(p for p in quarter if p["name"] == "quarter")["schema"]["pattern"]


def test_a_record_number_too_large_to_store_is_refused_not_a_500(client: Any) -> None:
    """Found by schemathesis: ids past 2**63 - 1 failed in the database driver (500)."""
    admin = _bearer("lucy")
    for path in ("/api/v1/leads/{}", "/api/v1/inspections/{}", "/api/v1/inspections/{}/verify"):
        too_large = client.get(path.format(2**63), headers=admin)
        assert too_large.status_code == 422, (path, too_large.text)
        largest = client.get(path.format(MAX_REQUEST_INT), headers=admin)
        assert largest.status_code in {403, 404}, (path, largest.text)


def _unbounded_integers(
    node: Any, schemas: dict[str, Any], where: str, seen: set[str]
) -> list[str]:
    """Places under ``node`` (a JSON schema) where an integer has no maximum."""
    if isinstance(node, list):
        return [hit for item in node for hit in _unbounded_integers(item, schemas, where, seen)]
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded_integers(schemas[name], schemas, name, seen | {name})
    found = [where] if node.get("type") == "integer" and "maximum" not in node else []
    for key, value in node.items():
        if key == "anyOf" and "properties" in node:
            continue  # an object's rule over its own properties (e.g. "one of these is set")
        inner = f"{where}.{key}" if key not in {"anyOf", "items", "properties"} else where
        found += _unbounded_integers(value, schemas, inner, seen)
    return found


def test_every_integer_a_request_sends_has_a_maximum_the_database_can_store(
    api_url: str,
) -> None:
    """Found by schemathesis: an integer past 2**63 - 1 reached SQLite (OverflowError, 500)."""
    from fastapi.testclient import TestClient

    with TestClient(create_app(make_settings(api_url))) as client:
        schema = client.get("/openapi.json").json()
    schemas = schema["components"]["schemas"]
    unbounded = [
        f"{method.upper()} {path} {hit}"
        for path, operations in schema["paths"].items()
        for method, op in operations.items()
        for where, part in [
            *((p["name"], p["schema"]) for p in op.get("parameters", [])),
            ("body", op.get("requestBody", {})),
        ]
        for hit in _unbounded_integers(part, schemas, where, set())
    ]
    assert unbounded == [], "\n".join(unbounded)


@pytest.mark.parametrize(
    ("path", "largest"),
    [
        ("/api/v1/audit?before_seq={}", MAX_REQUEST_INT),
        ("/api/v1/routes/plans/compare?depot=D&date=2026-01-05&a=1&b={}", MAX_REQUEST_INT),
        (f"/api/v1/dashboard/retailers?county={XINGHE}&page={{}}", MAX_REQUEST_INT // 200),
    ],
)
def test_a_query_number_too_large_to_store_is_refused_not_a_500(
    api_url: str, client: Any, path: str, largest: int
) -> None:
    """Found by schemathesis: ``before_seq`` past 2**63 - 1 reached SQLite (OverflowError).

    Every integer of a request is bounded by 2**53 - 1, the largest JSON clients keep exact."""
    add_test_user(api_url, "root", secrets.token_urlsafe(12), UserRole.ADMIN, [XINGHE])
    admin = _bearer("root")
    too_large = client.get(path.format(largest + 1), headers=admin)
    assert too_large.status_code == 422, too_large.text
    assert client.get(path.format(largest), headers=admin).status_code < 500
