"""The demo's joint case: a cross-county network opened, the demo liaison invited to join."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmgmt.config import Settings
from gridmgmt.demo import STATE_STEPS, DemoRun
from gridmgmt.demo.cases import step as cases_step
from gridmgmt.demo.joint import open_demo_joint_case
from gridmgmt.demo.users import step as users_step
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.cases.joint import list_joint_cases
from gridmgmt.services.imports import import_file
from gridmgmt.services.users import actor_for, user_by_name
from gridmgmt.store import db

from .conftest import DEMO_DIR

pytestmark = pytest.mark.slow


def test_the_demo_has_one_joint_case_the_liaison_may_join(
    sqlite_url: str, tmp_path: Path, settings: Settings
) -> None:
    assert "open_demo_joint_case" in [name for name, _text, _fn in STATE_STEPS]
    with db.transaction(sqlite_url) as session:
        import_file(session, SYSTEM, "counties", DEMO_DIR / "counties.geojson")
    run = DemoRun(sqlite_url, tmp_path / "out", settings)
    cases_step(run)
    users_step(run)
    assert open_demo_joint_case(run).counts == {"joint_cases": 1}
    assert open_demo_joint_case(run).counts == {"joint_cases": 1}  # idempotent
    with db.transaction(sqlite_url) as session:
        [joint] = list_joint_cases(session, SYSTEM)
        assert len(joint.counties) > 1
        info = user_by_name(session, "liaison")
        assert info is not None
        liaison = actor_for(info)
        [seen] = list_joint_cases(session, liaison)
    assert seen.can_answer  # an invitation waits on /cases/joint
