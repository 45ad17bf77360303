"""What the dispatcher's page shows of a depot's day: the plan in force with shop names, the
day's indicators, the stored versions, and how two versions differ.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from gridmgmt.errors import NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.routing.closures import Closure
from gridmgmt.routing.driver_manifest import RetailerContact, stop_note
from gridmgmt.routing.manifest import COORD_DIGITS, day_totals, window_text
from gridmgmt.routing.model import REASON_TEXT_ZH, DayPlan, DepotSite, hhmm
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.results import Result
from gridmgmt.services.routes.closures import closure_feature
from gridmgmt.services.routes.codec import plan_from_json
from gridmgmt.services.routes.manifests import plan_contacts
from gridmgmt.services.routes.planning import county_orders, depot_and_county
from gridmgmt.services.routes.stored import current_plan, plan_versions
from gridmgmt.store.models.routes import RoutePlanRecord

__all__ = ["DayView", "PlanComparison", "compare_versions", "day_view", "indicators"]


class DayView(Result):
    """A depot's day for the dispatcher's page (plain JSON)."""

    depot: dict[str, Any]
    date: dt.date
    vehicles: list[dict[str, Any]]
    orders: int
    plan: dict[str, Any] | None
    indicators: dict[str, Any] | None
    versions: list[dict[str, Any]]


class PlanComparison(Result):
    """Two versions of a day's plan side by side, and the orders that changed."""

    a: dict[str, Any]
    b: dict[str, Any]
    moved: list[dict[str, Any]]
    only_a: list[dict[str, Any]]
    only_b: list[dict[str, Any]]


def indicators(plan: DayPlan, *, fleet: int, orders: int) -> dict[str, Any]:
    """The dispatcher's figures: km, hours, vehicles used of the fleet, orders served of the
    day's, the share of stops on time."""
    totals = day_totals(plan)
    return {
        "km": totals["km"],
        "hours": totals["hours"],
        "vehicles": totals["vehicles"],
        "fleet": fleet,
        "served": totals["stops"],
        "orders": max(orders, totals["stops"] + totals["unserved"]),
        "unserved": totals["unserved"],
        "cartons": totals["cartons"],
        "on_time_share": totals["on_time_share"],
    }


def _stops(plan: DayPlan, contacts: dict[str, RetailerContact]) -> list[dict[str, Any]]:
    rows = []
    for route in plan.routes:
        for s in route.stops:
            contact = contacts.get(s.retailer_id) or RetailerContact(s.retailer_id)
            rows.append(
                {
                    "route_id": route.route_id,
                    "sequence": s.sequence,
                    "licence": s.retailer_id,
                    "name": contact.name,
                    "address": contact.address,
                    "phone": contact.phone,
                    "cartons": s.cartons,
                    "arrival": hhmm(s.arrival_s),
                    "window": window_text(s),
                    "note": stop_note(s),
                    "handoff": s.handoff,
                    "on_time": s.on_time,
                    "lon": round(s.lon, COORD_DIGITS),
                    "lat": round(s.lat, COORD_DIGITS),
                }
            )
    return rows


def _plan_json(
    plan: DayPlan,
    depot: DepotSite,
    contacts: dict[str, RetailerContact],
    closures: tuple[Closure, ...],
    version: int,
) -> dict[str, Any]:
    home = [round(depot.lon, COORD_DIGITS), round(depot.lat, COORD_DIGITS)]
    routes = [
        {
            "route_id": r.route_id,
            "vehicle": r.vehicle_type_id,
            "stops": len(r.stops),
            "load": r.load_cartons,
            "capacity": r.capacity_cartons,
            "km": round(r.distance_m / 1000, 2),
            "start": hhmm(r.start_s),
            "end": hhmm(r.end_s),
            "line": [home, *[[s.lon, s.lat] for s in r.stops], home],
        }
        for r in plan.routes
    ]
    unserved = []
    for u in plan.unserved:
        licence = u.order_id.split("@")[0]
        contact = contacts.get(licence) or RetailerContact(licence)
        unserved.append(
            {"licence": licence, "name": contact.name, "reason": u.reason.value,
             "reason_zh": REASON_TEXT_ZH[u.reason], "detail": u.detail}
        )  # fmt: skip
    return {
        "version": version,
        "routes": routes,
        "stops": _stops(plan, contacts),
        "unserved": unserved,
        "closures": [closure_feature(c) for c in closures],
    }


@requires(Action.READ_ROUTES)
def day_view(session: Session, actor: Actor, *, depot_code: str, day: dt.date) -> DayView:
    """The depot's day: its vehicles, the day's orders, the plan in force (if any) with shop
    names, the indicators and the stored versions.

    Raises
    ------
    NotFoundError
        The depot is unknown or of a county outside the actor's.
    """
    depot, county = depot_and_county(session, actor, depot_code)
    vehicles = load_frame(session, "vehicles", actor, county_codes=[county])
    fleet = [
        {"plate": str(v.plate), "capacity": int(v.capacity_cartons)}
        for v in vehicles[vehicles["depot_code"] == depot_code].itertuples(index=False)
    ]
    orders = len(county_orders(session, actor, county, day, day))
    versions = [
        v.to_json() for v in plan_versions(session, actor, depot_code=depot_code, day=day).versions
    ]
    plan = figures = None
    if versions:
        stored = current_plan(session, actor, depot_code=depot_code, day=day)
        _, contacts = plan_contacts(session, actor, depot_code=depot_code, plan=stored.plan)
        plan = _plan_json(stored.plan, depot, contacts, stored.closures, stored.version.version)
        figures = indicators(stored.plan, fleet=len(fleet), orders=orders)
    return DayView(
        depot={"code": depot.depot_id, "name": depot.name, "lon": depot.lon, "lat": depot.lat},
        date=day,
        vehicles=fleet,
        orders=orders,
        plan=plan,
        indicators=figures,
        versions=versions,
    )


def _version_plan(session: Session, depot_code: str, day: dt.date, version: int) -> DayPlan:
    record = session.scalars(
        select(RoutePlanRecord)
        .where(
            RoutePlanRecord.depot_code == depot_code,
            RoutePlanRecord.delivery_date == day,
            RoutePlanRecord.version == version,
        )
        .options(undefer(RoutePlanRecord.plan))
    ).one_or_none()
    if record is None:
        raise NotFoundError("plan", f"{depot_code} {day.isoformat()} v{version}")
    return plan_from_json(record.plan)


def _route_by_licence(plan: DayPlan) -> dict[str, str]:
    return {s.retailer_id: r.route_id for r in plan.routes for s in r.stops}


@requires(Action.READ_ROUTES)
def compare_versions(
    session: Session, actor: Actor, *, depot_code: str, day: dt.date, a: int, b: int
) -> PlanComparison:
    """Versions ``a`` and ``b`` of the depot's day: totals of each, orders on another route,
    orders served in one only (with shop names)."""
    depot_and_county(session, actor, depot_code)
    first, second = (_version_plan(session, depot_code, day, v) for v in (a, b))
    _, names = plan_contacts(session, actor, depot_code=depot_code, plan=first)
    names.update(plan_contacts(session, actor, depot_code=depot_code, plan=second)[1])
    in_a, in_b = _route_by_licence(first), _route_by_licence(second)

    def row(licence: str) -> dict[str, Any]:
        name = names.get(licence, RetailerContact(licence)).name
        return {"licence": licence, "name": name, "a": in_a.get(licence), "b": in_b.get(licence)}

    return PlanComparison(
        a={"version": a, **day_totals(first)},
        b={"version": b, **day_totals(second)},
        moved=[row(k) for k in sorted(in_a.keys() & in_b.keys()) if in_a[k] != in_b[k]],
        only_a=[row(k) for k in sorted(in_a.keys() - in_b.keys())],
        only_b=[row(k) for k in sorted(in_b.keys() - in_a.keys())],
    )
