"""Plan tables (stops, routes, unserved orders), day totals and a nearest-neighbour baseline.

The driver's manifest (names, addresses, phones, Chinese headers) is
:mod:`gridmgmt.routing.driver_manifest`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from gridmgmt.routing.model import (
    REASON_TEXT_ZH,
    DayPlan,
    DepotSite,
    Order,
    PlannedRoute,
    PlannedStop,
    UnservedOrder,
    UnservedReason,
    VehicleType,
    hhmm,
)
from gridmgmt.routing.vrp import DayInputs, PlanSettings

COORD_DIGITS = 6
"""Decimals of longitude and latitude in tables and manifests (about 0.1 m)."""

STOP_COLUMNS = [
    "route_id",
    "vehicle_type_id",
    "depot_id",
    "sequence",
    "order_id",
    "retailer_id",
    "cartons",
    "load_after",
    "arrival",
    "service_start",
    "departure",
    "time_window",
    "on_time",
    "handoff",
    "leg_km",
    "cumulative_km",
    "lon",
    "lat",
]


def stop_table(plan: DayPlan) -> pd.DataFrame:
    """One row per stop, in route order: the driver manifest.

    Parameters
    ----------
    plan
        A day plan.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STOP_COLUMNS`; times as ``HH:MM``, distances in km.
    """
    rows = []
    for route in plan.routes:
        load = route.load_cartons
        km = 0.0
        for stop in route.stops:
            load -= stop.cartons
            km += stop.travel_m / 1000
            rows.append(
                {
                    "route_id": route.route_id,
                    "vehicle_type_id": route.vehicle_type_id,
                    "depot_id": route.depot_id,
                    "sequence": stop.sequence,
                    "order_id": stop.order_id,
                    "retailer_id": stop.retailer_id,
                    "cartons": stop.cartons,
                    "load_after": load,
                    "arrival": hhmm(stop.arrival_s),
                    "service_start": hhmm(stop.start_s),
                    "departure": hhmm(stop.departure_s),
                    "time_window": window_text(stop),
                    "on_time": stop.on_time,
                    "handoff": stop.handoff,
                    "leg_km": round(stop.travel_m / 1000, 2),
                    "cumulative_km": round(km, 2),
                    "lon": round(stop.lon, COORD_DIGITS),
                    "lat": round(stop.lat, COORD_DIGITS),
                }
            )
    return pd.DataFrame(rows, columns=STOP_COLUMNS)


def window_text(stop: PlannedStop) -> str:
    """A stop's time window as ``HH:MM-HH:MM`` (an open end left blank; none: empty)."""
    if stop.tw_start_s is None and stop.tw_end_s is None:
        return ""
    start = "" if stop.tw_start_s is None else hhmm(stop.tw_start_s)
    end = "" if stop.tw_end_s is None else hhmm(stop.tw_end_s)
    return f"{start}-{end}"


def route_table(plan: DayPlan) -> pd.DataFrame:
    """One row per route: stops, load, distance, duration, times.

    Parameters
    ----------
    plan
        A day plan.

    Returns
    -------
    pandas.DataFrame
        Per route: ``route_id, vehicle_type_id, depot_id, stops, load_cartons,
        capacity_cartons, utilisation, distance_km, duration_h, start, end``.
    """
    rows = [
        {
            "route_id": r.route_id,
            "vehicle_type_id": r.vehicle_type_id,
            "depot_id": r.depot_id,
            "stops": len(r.stops),
            "load_cartons": r.load_cartons,
            "capacity_cartons": r.capacity_cartons,
            "utilisation": round(r.load_cartons / r.capacity_cartons, 3),
            "distance_km": round(r.distance_m / 1000, 2),
            "duration_h": round(r.duration_s / 3600, 2),
            "start": hhmm(r.start_s),
            "end": hhmm(r.end_s),
        }
        for r in plan.routes
    ]
    columns = [
        "route_id",
        "vehicle_type_id",
        "depot_id",
        "stops",
        "load_cartons",
        "capacity_cartons",
        "utilisation",
        "distance_km",
        "duration_h",
        "start",
        "end",
    ]
    return pd.DataFrame(rows, columns=columns)


def unserved_table(plan: DayPlan) -> pd.DataFrame:
    """Orders not on any route, with the reason in English and Chinese."""
    rows = [
        {
            "order_id": u.order_id,
            "reason": u.reason.value,
            "reason_zh": REASON_TEXT_ZH[u.reason],
            "detail": u.detail,
        }
        for u in plan.unserved
    ]
    return pd.DataFrame(rows, columns=["order_id", "reason", "reason_zh", "detail"])


def day_totals(plan: DayPlan) -> dict[str, Any]:
    """Day totals: km, vehicles, hours, stops, cartons, on-time share, unserved orders.

    Parameters
    ----------
    plan
        A day plan.

    Returns
    -------
    dict
        ``km``, ``vehicles``, ``hours``, ``stops``, ``cartons``, ``on_time_share`` (1.0 when
        there are no stops), ``unserved`` and ``unserved_by_reason``.
    """
    stops = [s for r in plan.routes for s in r.stops]
    by_reason: dict[str, int] = {}
    for u in plan.unserved:
        by_reason[u.reason.value] = by_reason.get(u.reason.value, 0) + 1
    return {
        "day": plan.day.isoformat(),
        "km": round(sum(r.distance_m for r in plan.routes) / 1000, 2),
        "vehicles": len(plan.routes),
        "hours": round(sum(r.duration_s for r in plan.routes) / 3600, 2),
        "stops": len(stops),
        "cartons": sum(s.cartons for s in stops),
        "on_time_share": round(float(np.mean([s.on_time for s in stops])), 4) if stops else 1.0,
        "unserved": len(plan.unserved),
        "unserved_by_reason": by_reason,
    }


# ------------------------------------------------------------------ nearest-neighbour baseline
def nearest_neighbour_plan(inputs: DayInputs, *, settings: PlanSettings | None = None) -> DayPlan:
    """A simple plan to compare with: each vehicle in turn drives to the nearest order it can
    still take (capacity, time window, depot hours, shift) until none fits.

    Parameters
    ----------
    inputs
        The prepared day (same matrix and screening as the optimised plan).
    settings
        Planning options (for service times).

    Returns
    -------
    DayPlan
        The baseline plan; orders left over are reported as ``fleet_full``.
    """
    settings = settings or PlanSettings()
    routes: list[PlannedRoute] = []
    unserved = dict(inputs.prescreen)
    n_depots = len(inputs.depots)
    for k, depot in enumerate(inputs.depots):
        todo = {
            i
            for i, o in enumerate(inputs.orders)
            if inputs.order_depot.get(o.order_id) == depot.depot_id
        }
        for vtype in (v for v in inputs.vehicle_types if v.depot_id == depot.depot_id):
            for number in range(1, vtype.count + 1):
                if not todo:
                    break
                route = _greedy_route(inputs, k, depot, vtype, todo, settings, n_depots)
                if route is None:
                    break
                routes.append(replace(route, route_id=f"{vtype.vehicle_type_id}#{number}"))
        for i in sorted(todo):
            order_id = inputs.orders[i].order_id
            unserved[order_id] = UnservedOrder(
                order_id,
                UnservedReason.FLEET_FULL,
                "nearest-neighbour baseline ran out of vehicles",
            )
    rank = {o.order_id: i for i, o in enumerate(inputs.orders)}
    return DayPlan(
        day=inputs.day,
        routes=tuple(routes),
        unserved=tuple(sorted(unserved.values(), key=lambda u: rank[u.order_id])),
        places=inputs.places,
    )


def _greedy_route(
    inputs: DayInputs,
    k: int,
    depot: DepotSite,
    vtype: VehicleType,
    todo: set[int],
    settings: PlanSettings,
    n_depots: int,
) -> PlannedRoute | None:
    time, dist = inputs.matrix.time_s, inputs.matrix.distance_m
    here, clock, load = k, float(depot.opens_s), 0
    stops: list[PlannedStop] = []
    while True:
        best = None
        for i in todo:
            order = inputs.orders[i]
            p = n_depots + i
            fit = _fits(order, p, here, clock, load, depot, vtype, time, settings, k)
            if fit is not None and (best is None or time[here, p] < best[0]):
                best = (time[here, p], i, fit)
        if best is None:
            break
        _, i, (arrival, start) = best
        order = inputs.orders[i]
        p = n_depots + i
        departure = start + settings.service.service_s(order.cartons)
        stops.append(
            PlannedStop(
                order_id=order.order_id,
                retailer_id=order.retailer_id,
                sequence=len(stops) + 1,
                place=p,
                lon=float(inputs.lon[p]),
                lat=float(inputs.lat[p]),
                cartons=order.cartons,
                arrival_s=round(arrival),
                start_s=round(start),
                departure_s=round(departure),
                travel_m=float(dist[here, p]),
                travel_s=float(time[here, p]),
                tw_start_s=order.tw_start_s,
                tw_end_s=order.tw_end_s,
                handoff=bool(inputs.handoff[i]),
            )
        )
        todo.discard(i)
        here, clock, load = p, departure, load + order.cartons
    if not stops:
        return None
    return PlannedRoute(
        route_id="",
        vehicle_type_id=vtype.vehicle_type_id,
        depot_id=depot.depot_id,
        capacity_cartons=vtype.capacity_cartons,
        start_s=depot.opens_s,
        end_s=round(clock + time[here, k]),
        stops=tuple(stops),
        return_m=float(dist[here, k]),
        return_s=float(time[here, k]),
    )


def _fits(
    order: Order,
    p: int,
    here: int,
    clock: float,
    load: int,
    depot: DepotSite,
    vtype: VehicleType,
    time: np.ndarray,
    settings: PlanSettings,
    k: int,
) -> tuple[float, float] | None:
    if load + order.cartons > vtype.capacity_cartons or not np.isfinite(time[here, p]):
        return None
    arrival = clock + time[here, p]
    start = max(arrival, order.tw_start_s if order.tw_start_s is not None else arrival)
    if order.tw_end_s is not None and start > order.tw_end_s:
        return None
    back = start + settings.service.service_s(order.cartons) + time[p, k]
    if back > depot.closes_s or back - depot.opens_s > vtype.max_duration_s:
        return None
    return arrival, start


def compare_with_baseline(plan: DayPlan, baseline: DayPlan) -> dict[str, Any]:
    """Optimised plan against the nearest-neighbour baseline: km, vehicles, hours, served.

    Parameters
    ----------
    plan
        The optimised plan.
    baseline
        The baseline on the same inputs.

    Returns
    -------
    dict
        Totals of both and the km saving in percent.
    """
    ours, base = day_totals(plan), day_totals(baseline)
    saving = 100 * (base["km"] - ours["km"]) / base["km"] if base["km"] else 0.0
    return {
        "plan": ours,
        "nearest_neighbour": base,
        "km_saving_pct": round(saving, 2),
        "extra_stops_served": ours["stops"] - base["stops"],
    }


def plan_geojson(plan: DayPlan, depots: Sequence[DepotSite]) -> dict[str, Any]:
    """The plan as a GeoJSON FeatureCollection (WGS-84): a line per route, a point per stop.

    Route lines join depot, stops and depot in visiting order (straight legs; the road
    path of each leg is in the travel matrix, not drawn here). Stop points carry the route,
    sequence number, order, retailer, arrival time and cartons; depots are points too.

    Parameters
    ----------
    plan
        A day plan.
    depots
        The depots of the plan.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection.
    """
    depot_at = {d.depot_id: (d.lon, d.lat) for d in depots}
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
            "properties": {"kind": "depot", "depot_id": d.depot_id, "name": d.name},
        }
        for d in depots
    ]
    for route in plan.routes:
        home = depot_at[route.depot_id]
        coords = [home, *[(s.lon, s.lat) for s in route.stops], home]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]},
                "properties": {
                    "kind": "route",
                    "route_id": route.route_id,
                    "depot_id": route.depot_id,
                    "stops": len(route.stops),
                    "load_cartons": route.load_cartons,
                    "distance_km": round(route.distance_m / 1000, 2),
                    "start": hhmm(route.start_s),
                    "end": hhmm(route.end_s),
                },
            }
        )
        features += [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {
                    "kind": "stop",
                    "route_id": route.route_id,
                    "sequence": s.sequence,
                    "order_id": s.order_id,
                    "retailer_id": s.retailer_id,
                    "arrival": hhmm(s.arrival_s),
                    "cartons": s.cartons,
                    "handoff": s.handoff,
                },
            }
            for s in route.stops
        ]
    return {"type": "FeatureCollection", "features": features}
