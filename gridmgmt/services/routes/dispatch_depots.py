"""The depots a dispatcher may choose and the day their page opens on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.policy import Action, requires
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.routes.planning import depot_and_county
from gridmgmt.store.models.routes import RoutePlanRecord

__all__ = ["default_day", "depot_choices"]


@requires(Action.READ_ROUTES)
def depot_choices(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The actor's depots (code, name, county), by code."""
    depots = load_frame(session, "depots", actor).sort_values("code")
    return [
        {"code": str(d.code), "name": str(d.name), "county_code": str(d.county_code)}
        for d in depots.itertuples(index=False)
    ]


@requires(Action.READ_ROUTES)
def default_day(
    session: Session, actor: Actor, depot_code: str, *, today: dt.date | None = None
) -> dt.date:
    """The day the dispatcher's page opens on: the first date from ``today`` with orders in
    the depot's county; else the latest date with a stored plan (what was planned last);
    else the last date with orders; else today."""
    today = today or dt.date.today()
    _, county = depot_and_county(session, actor, depot_code)
    dates = sorted(set(load_frame(session, "orders", actor, county_codes=[county])["date"]))
    coming = [d for d in dates if d >= today]
    if coming:
        return coming[0]
    planned = session.scalar(
        select(func.max(RoutePlanRecord.delivery_date)).where(
            RoutePlanRecord.depot_code == depot_code, RoutePlanRecord.is_current.is_(True)
        )
    )
    if planned is not None:
        return planned
    return dates[-1] if dates else today
