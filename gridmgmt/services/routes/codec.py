"""Day plans as plain JSON and back (the stored plan and the replan start)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing.manifest import day_totals, route_table, stop_table
from gridmgmt.routing.model import (
    DayPlan,
    PlannedRoute,
    PlannedStop,
    UnservedOrder,
    UnservedReason,
)

PLAN_FORMAT = "gridmgmt.dayplan/1"


def plan_to_json(plan: DayPlan) -> dict[str, Any]:
    """A day plan as plain JSON data, read back by :func:`plan_from_json`."""
    return {
        "format": PLAN_FORMAT,
        "day": plan.day.isoformat(),
        "routes": [
            {**asdict(replace(r, stops=())), "stops": [asdict(s) for s in r.stops]}
            for r in plan.routes
        ],
        "unserved": unserved_json(plan),
        "places": dict(plan.places),
        "runtime_s": plan.runtime_s,
        "seed": plan.seed,
    }


def plan_from_json(data: Mapping[str, Any]) -> DayPlan:
    """The day plan of :func:`plan_to_json` (or of ``routes plan --json``, under ``plan``).

    Raises
    ------
    InvalidInputError
        The data is not a saved plan.
    """
    if "plan" in data and isinstance(data["plan"], Mapping):
        data = data["plan"]
    if data.get("format") != PLAN_FORMAT:
        msg = f"not a saved day plan: `format` is {data.get('format')!r}, expected {PLAN_FORMAT!r}"
        raise InvalidInputError(msg)
    try:
        routes = tuple(
            PlannedRoute(
                **{k: v for k, v in r.items() if k != "stops"},
                stops=tuple(PlannedStop(**s) for s in r["stops"]),
            )
            for r in data["routes"]
        )
        unserved = tuple(
            UnservedOrder(u["order_id"], UnservedReason(u["reason"]), u.get("detail", ""))
            for u in data["unserved"]
        )
        return DayPlan(
            day=dt.date.fromisoformat(data["day"]),
            routes=routes,
            unserved=unserved,
            places={str(k): int(v) for k, v in data.get("places", {}).items()},
            runtime_s=float(data.get("runtime_s", 0.0)),
            seed=int(data.get("seed", 0)),
        )
    except (KeyError, TypeError, ValueError) as error:
        msg = f"saved day plan is malformed: {error!r}"
        raise InvalidInputError(msg) from None


def _records(frame: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(
        frame.to_json(orient="records", date_format="iso", force_ascii=False)
    )
    return records


def day_plan_json(depot_code: str, plan: DayPlan) -> dict[str, Any]:
    """A day plan as both faces answer it: totals, routes, stops in order, unserved orders
    with reasons, and ``plan`` (:func:`plan_to_json`, the start of a replan)."""
    return {
        "depot_code": depot_code,
        "date": plan.day.isoformat(),
        "totals": day_totals(plan),
        "routes": _records(route_table(plan)),
        "stops": _records(stop_table(plan)),
        "unserved": unserved_json(plan),
        "plan": plan_to_json(plan),
    }


def unserved_json(plan: DayPlan) -> list[dict[str, Any]]:
    return [
        {"order_id": u.order_id, "reason": u.reason.value, "detail": u.detail}
        for u in plan.unserved
    ]
