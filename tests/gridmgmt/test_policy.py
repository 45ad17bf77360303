"""The role x action table walked over every service entry point.

Every public function of the service layer (``gridmgmt.services`` and ``gridmgmt.jobs``) that
acts for a user (takes ``actor``) declares its action with ``@requires``. For each role the
table refuses, it raises AccessDeniedError before doing anything: the arguments are all None,
so any work at all would fail differently. Building blocks that take an actor only to scope
what their caller already checked are listed below, each with the entry points that use it;
private modules (``_store``, ``_common``) hold such blocks by convention.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

import gridmgmt.jobs
import gridmgmt.services
from gridmgmt.domain import UserRole
from gridmgmt.errors import AccessDeniedError
from gridmgmt.policy import POLICY, Action, action_of
from gridmgmt.services.actor import Actor

BUILDING_BLOCKS = {
    "gridmgmt.services.audit.record": "writes the audit line of the caller's change",
    "gridmgmt.services.audit.record_read": "audits the caller's read of shared data",
    "gridmgmt.services.scope.scoped": "adds the county filter to the caller's query",
    "gridmgmt.services.cases.privacy.sees_personal_data": "asks the table, redacts or not",
    "gridmgmt.services.routes.planning.county_orders": "orders of a depot already checked",
    "gridmgmt.services.routes.planning.depot_and_county": "the depot lookup of plan/replan",
    "gridmgmt.services.routes.planning.week_with_changes": "the week plan's day orders",
    "gridmgmt.services.rules.inspections.draw_population": "the population of make_draw",
    "gridmgmt.jobs.runner.submit": "checks the action its job kind declares (@job)",
    "gridmgmt.jobs.runner.execute": "runs a job submit() checked, on a worker",
}


def _modules(package: ModuleType) -> Iterator[ModuleType]:
    yield package
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        yield importlib.import_module(info.name)


def _service_functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    for package in (gridmgmt.services, gridmgmt.jobs):
        for module in _modules(package):
            if any(part.startswith("_") for part in module.__name__.split(".")):
                continue
            for name, function in vars(module).items():
                qualified = f"{module.__name__}.{name}"
                if name.startswith("_") or not inspect.isfunction(function):
                    continue
                if function.__module__ != module.__name__ or qualified in BUILDING_BLOCKS:
                    continue
                if "actor" in inspect.signature(function).parameters:
                    yield qualified, function


SERVICES = sorted(_service_functions())


def test_the_walk_finds_the_services() -> None:
    assert len(SERVICES) > 60


@pytest.mark.parametrize(("name", "function"), SERVICES, ids=[name for name, _ in SERVICES])
def test_every_service_entry_point_declares_and_checks_its_action(
    name: str, function: Callable[..., Any]
) -> None:
    action = action_of(function)
    assert action is not None, f"{name} takes an actor but declares no @requires(Action)"
    parameters = inspect.signature(function).parameters
    refused = [role for role in UserRole if role not in POLICY[action]]
    for role in refused:
        actor = Actor(username=f"a-{role.value}", role=role, counties=frozenset({"000000"}))
        arguments = {p: None for p in parameters if p != "actor"}
        with pytest.raises(AccessDeniedError):
            function(**arguments, actor=actor)


def test_building_blocks_exist() -> None:
    for qualified in BUILDING_BLOCKS:
        module, name = qualified.rsplit(".", 1)
        assert inspect.isfunction(getattr(importlib.import_module(module), name)), qualified


def test_every_action_is_used_by_some_service() -> None:
    used = {action_of(function) for _, function in SERVICES}
    assert set(Action) - used == set()


def test_the_readme_shows_the_table_as_it_is() -> None:
    from pathlib import Path

    from gridmgmt.policy import markdown_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "README's role table is out of date: paste markdown_table()"
