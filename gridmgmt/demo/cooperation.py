"""The demo's cooperation area: the six demo counties as one area, each with liaisons.

:func:`demo_cooperation_area` is idempotent: a second run keeps the area (setting its
counties again if they changed) and adds only the liaisons missing. The people are made up,
as everything in the demo region; the phone numbers are of the 555 kind.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.cooperation import (
    AreaView,
    add_liaison,
    create_area,
    get_area,
    list_areas,
    list_liaisons,
    set_area,
)
from gridmgmt.store import db
from gridmgmt.store.models import County

__all__ = ["DEMO_AREA", "DEMO_LIAISONS", "demo_cooperation_area", "step"]

DEMO_AREA: Final = ("mengjinji", "蒙晋冀毗邻五县一区")
"""The demo area's code and name (the source article's "five counties and one district")."""
DEMO_LIAISONS: Final = (
    ("稽查大队 信息联络员", "专卖稽查", "日常衔接与信息沟通、线索移交"),
    ("专卖管理科 副科长", "专卖管理", "季度通报、联合整治协调"),
)
"""(title, department, duties) of the two liaisons each demo county names."""
_SURNAMES: Final = "王李张刘陈杨赵黄周吴徐孙"
_GIVEN: Final = ("建国", "海燕")


def demo_cooperation_area(session: Session, *, code: str = DEMO_AREA[0]) -> dict[str, int]:
    """Make every stored county one cooperation area, with two liaisons each.

    Returns
    -------
    dict
        ``counties`` in the area and ``liaisons`` added by this call.
    """
    counties = session.scalars(select(County).order_by(County.code)).all()
    codes = [county.code for county in counties]
    existing = {area.code: area for area in _areas(session)}
    if code not in existing:
        create_area(session, SYSTEM, code, DEMO_AREA[1], codes, note="demo")
    elif [c.code for c in existing[code].counties] != codes:
        set_area(session, SYSTEM, code, version=existing[code].version, counties=codes)
    named = {(x.county_code, x.name) for x in list_liaisons(session, SYSTEM)}
    added = 0
    for i, county in enumerate(counties):
        for j, (title, _department, duties) in enumerate(DEMO_LIAISONS):
            name = _SURNAMES[(2 * i + j) % len(_SURNAMES)] + _GIVEN[j]
            if (county.code, name) in named:
                continue
            add_liaison(
                session,
                SYSTEM,
                county.code,
                name=name,
                title=title,
                phone=f"0{county.code[:3]}-555{i}{j:02d}",
                mobile=f"139{county.code[-4:]}{i:02d}{j:02d}",
                duties=duties,
            )
            added += 1
    return {"counties": len(get_area(session, SYSTEM, code).counties), "liaisons": added}


def _areas(session: Session) -> list[AreaView]:
    return list_areas(session, SYSTEM)


def step(run: DemoRun) -> StepResult:
    """The demo step: the cooperation area and its liaisons, in one transaction."""
    with db.transaction(run.url) as session:
        counts = demo_cooperation_area(session)
    return StepResult(counts={f"cooperation_{k}": v for k, v in counts.items()})
