"""The registry and the checks of submit: kind, params, role and county scope."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from gridmgmt.config import Settings
from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError, InvalidInputError, NotFoundError
from gridmgmt.jobs import job, kinds, lookup, submit
from gridmgmt.policy import Action
from gridmgmt.services.actor import SYSTEM, Actor

from .conftest import COUNTY, OTHER_COUNTY
from .sample_jobs import WriteParams, write_provinces

OFFICER = Actor(username="olga", role=UserRole.OFFICER, counties=frozenset({COUNTY}))


def test_the_registry_refuses_an_unknown_kind() -> None:
    with pytest.raises(InvalidInputError, match=r"tests\.write"):
        lookup("routes.no_such_job")


def test_submit_refuses_an_unknown_kind(settings: Settings) -> None:
    with pytest.raises(InvalidInputError, match="no_such_job"):
        submit("routes.no_such_job", {}, actor=SYSTEM, settings=settings)


def test_a_kind_is_registered_once() -> None:
    assert "tests.write" in kinds()
    # The same function again (a module imported twice) is fine; another one is not.
    job("tests.write", params=WriteParams, action=Action.READ_BASE_DATA)(write_provinces)
    with pytest.raises(ValueError, match="registered already"):
        job("tests.write", params=BaseModel, action=Action.READ_BASE_DATA)(lambda *a: None)


def test_submit_refuses_invalid_params_with_the_problems(settings: Settings) -> None:
    with pytest.raises(InvalidInputError) as caught:
        submit("tests.write", {"codes": "x"}, actor=SYSTEM, settings=settings)
    fields = {problem["field"] for problem in caught.value.problems}
    assert {"county_code", "codes"} <= fields


def test_submit_checks_the_role(settings: Settings) -> None:
    with pytest.raises(AccessDeniedError, match=r"routes\.plan"):
        submit("tests.wait", {"county_code": COUNTY, "gate": "g"}, actor=OFFICER, settings=settings)


def test_submit_checks_the_county_scope(settings: Settings) -> None:
    with pytest.raises(AccessDeniedError, match=OTHER_COUNTY):
        submit("tests.write", {"county_code": OTHER_COUNTY}, actor=OFFICER, settings=settings)


def test_submit_refuses_an_unknown_county(settings: Settings) -> None:
    with pytest.raises(NotFoundError, match="999999"):
        submit("tests.write", {"county_code": "999999"}, actor=SYSTEM, settings=settings)
