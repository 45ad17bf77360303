"""Day plans as plain JSON and back (the stored plan and the replan start)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

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
        "unserved": [
            {"order_id": u.order_id, "reason": u.reason.value, "detail": u.detail}
            for u in plan.unserved
        ],
        "places": dict(plan.places),
        "runtime_s": plan.runtime_s,
        "seed": plan.seed,
    }


def plan_from_json(data: Mapping[str, Any]) -> DayPlan:
    """The day plan of :func:`plan_to_json` (or of ``routes plan --json``, under ``plan``).

    Raises
    ------
    ValueError
        The data is not a saved plan.
    """
    if "plan" in data and isinstance(data["plan"], Mapping):
        data = data["plan"]
    if data.get("format") != PLAN_FORMAT:
        msg = f"not a saved day plan: `format` is {data.get('format')!r}, expected {PLAN_FORMAT!r}"
        raise ValueError(msg)
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
        raise ValueError(msg) from None
