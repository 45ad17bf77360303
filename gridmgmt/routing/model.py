"""The inputs and outputs of a delivery day: depots, vehicles, orders, routes, unserved orders.

Times are whole seconds after midnight of the delivery day; loads are cartons (条);
distances are metres along the road.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from gridmgmt.errors import InvalidInputError

DAY_S = 24 * 3600


def hhmm(seconds: float) -> str:
    """Format seconds after midnight as ``HH:MM`` (past midnight as ``+1d HH:MM``)."""
    total = round(seconds / 60)
    days, minutes = divmod(total, 24 * 60)
    text = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return text if days == 0 else f"+{days}d {text}"


@dataclass(frozen=True)
class DepotSite:
    """A logistics centre or delivery station (配送站) vehicles start and end at.

    Attributes
    ----------
    depot_id
        Stable identifier.
    lon, lat
        WGS-84 position.
    opens_s, closes_s
        Opening hours: vehicles leave after ``opens_s`` and are back by ``closes_s``.
    name
        Display name.
    """

    depot_id: str
    lon: float
    lat: float
    opens_s: int = 7 * 3600
    closes_s: int = 19 * 3600
    name: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.opens_s < self.closes_s <= 2 * DAY_S:
            msg = (
                f"depot {self.depot_id}: opening hours {self.opens_s}-{self.closes_s} s are not "
                "an interval within two days"
            )
            raise InvalidInputError(msg)


@dataclass(frozen=True)
class VehicleType:
    """Vehicles of one kind at one depot (a heterogeneous fleet has several types).

    Attributes
    ----------
    vehicle_type_id
        Identifier; routes are named ``<id>#<n>``.
    depot_id
        Depot the vehicles start from and return to.
    capacity_cartons
        Load capacity in cartons (1 case = 50 cartons).
    count
        Vehicles available on the day.
    shift_s
        Length of a driver's shift: the longest a route may take, from leaving the depot to
        returning.
    max_route_s
        Optional tighter limit on a route's duration (for example a rule for drivers).
    fixed_cost_m
        Cost of using one vehicle, expressed in metres of driving; above zero the plan
        prefers fewer vehicles.
    """

    vehicle_type_id: str
    depot_id: str
    capacity_cartons: int
    count: int = 1
    shift_s: int = 8 * 3600
    max_route_s: int | None = None
    fixed_cost_m: int = 0

    def __post_init__(self) -> None:
        if self.capacity_cartons <= 0 or self.count < 0 or self.shift_s <= 0:
            msg = (
                f"vehicle type {self.vehicle_type_id}: capacity and shift must be positive and "
                "count not negative"
            )
            raise InvalidInputError(msg)

    @property
    def max_duration_s(self) -> int:
        """The binding limit on a route's duration."""
        if self.max_route_s is None:
            return self.shift_s
        return min(self.shift_s, self.max_route_s)


@dataclass(frozen=True)
class Order:
    """One retailer's order for the day (订单).

    Attributes
    ----------
    order_id
        Stable identifier.
    retailer_id
        The retailer (零售户) it goes to.
    lon, lat
        WGS-84 position of the retailer.
    cartons
        Size in cartons.
    tw_start_s, tw_end_s
        Optional time window agreed with the retailer.
    depot_id
        Depot that serves it; ``None``: the nearest depot by road.
    """

    order_id: str
    retailer_id: str
    lon: float
    lat: float
    cartons: int
    tw_start_s: int | None = None
    tw_end_s: int | None = None
    depot_id: str | None = None

    def __post_init__(self) -> None:
        if self.cartons <= 0:
            msg = f"order {self.order_id}: cartons must be positive, got {self.cartons}"
            raise InvalidInputError(msg)
        start, end = self.tw_start_s, self.tw_end_s
        if start is not None and end is not None and end < start:
            msg = f"order {self.order_id}: time window ends ({end}) before it starts ({start})"
            raise InvalidInputError(msg)


@dataclass(frozen=True)
class ServiceTimeModel:
    """Time spent at a stop: a fixed part plus a part per carton.

    Attributes
    ----------
    fixed_s
        Parking, handing over, signing.
    per_carton_s
        Unloading and checking per carton.
    """

    fixed_s: float = 180.0
    per_carton_s: float = 3.0

    def service_s(self, cartons: int) -> int:
        """Service time in whole seconds for an order of ``cartons``."""
        return round(self.fixed_s + self.per_carton_s * cartons)


class UnservedReason(StrEnum):
    """Why an order is not on any route."""

    TOO_LARGE = "too_large"
    UNREACHABLE = "unreachable"
    INSIDE_CLOSURE = "inside_closure"
    TIME_WINDOW = "time_window_impossible"
    NO_ROAD_NEARBY = "no_road_nearby"
    NO_VEHICLE = "no_vehicle"
    FLEET_FULL = "fleet_full"
    CANCELLED = "cancelled"


REASON_TEXT_ZH: dict[UnservedReason, str] = {
    UnservedReason.TOO_LARGE: "订单超过所有车辆载量",
    UnservedReason.UNREACHABLE: "道路不可达",
    UnservedReason.INSIDE_CLOSURE: "位于封控区内",
    UnservedReason.TIME_WINDOW: "时间窗无法满足",
    UnservedReason.NO_ROAD_NEARBY: "附近无道路",
    UnservedReason.NO_VEHICLE: "配送站无可用车辆",
    UnservedReason.FLEET_FULL: "车辆载量或班次不足",
    UnservedReason.CANCELLED: "订单已取消",
}


@dataclass(frozen=True)
class UnservedOrder:
    """An order left off the plan, with the reason.

    Attributes
    ----------
    order_id
        The order.
    reason
        Machine-readable reason.
    detail
        A sentence for the dispatcher.
    """

    order_id: str
    reason: UnservedReason
    detail: str = ""


@dataclass(frozen=True)
class PlannedStop:
    """A stop on a route.

    Attributes
    ----------
    order_id, retailer_id
        What is delivered, to whom.
    sequence
        1 for the first stop.
    place
        Index of the stop's place in the day's travel matrix.
    lon, lat
        Where the vehicle stops (a handoff point for retailers inside a closure).
    cartons
        Cartons unloaded.
    arrival_s
        Arrival time.
    start_s
        Service start (after waiting for the time window to open).
    departure_s
        Departure time.
    travel_m, travel_s
        Distance and time from the previous stop (or the depot).
    tw_start_s, tw_end_s
        The order's time window, if any.
    handoff
        Delivered at a handoff point on a closure's edge (约时约地).
    """

    order_id: str
    retailer_id: str
    sequence: int
    place: int
    lon: float
    lat: float
    cartons: int
    arrival_s: int
    start_s: int
    departure_s: int
    travel_m: float
    travel_s: float
    tw_start_s: int | None = None
    tw_end_s: int | None = None
    handoff: bool = False

    @property
    def on_time(self) -> bool:
        """Whether service starts inside the time window (always, without one)."""
        return self.tw_end_s is None or self.start_s <= self.tw_end_s


@dataclass(frozen=True)
class PlannedRoute:
    """One vehicle's route for the day (配送线路).

    Attributes
    ----------
    route_id
        ``<vehicle type>#<n>``.
    vehicle_type_id, depot_id
        The vehicle and where it starts and ends.
    capacity_cartons
        Its capacity.
    start_s, end_s
        Leaving and returning to the depot.
    stops
        Stops in order.
    return_m, return_s
        Distance and time from the last stop back to the depot.
    """

    route_id: str
    vehicle_type_id: str
    depot_id: str
    capacity_cartons: int
    start_s: int
    end_s: int
    stops: tuple[PlannedStop, ...]
    return_m: float
    return_s: float

    @property
    def load_cartons(self) -> int:
        """Cartons loaded at the depot."""
        return sum(s.cartons for s in self.stops)

    @property
    def distance_m(self) -> float:
        """Total driving distance."""
        return sum(s.travel_m for s in self.stops) + self.return_m

    @property
    def duration_s(self) -> int:
        """From leaving to returning to the depot."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class DayPlan:
    """The routes of one day.

    Attributes
    ----------
    day
        Delivery day.
    routes
        Routes with at least one stop.
    unserved
        Orders on no route, with reasons.
    places
        Index in the travel matrix of each depot and order (``"depot:<id>"`` and
        ``"order:<id>"``).
    runtime_s
        Solver wall-clock time.
    seed
        Solver seed.
    """

    day: date
    routes: tuple[PlannedRoute, ...]
    unserved: tuple[UnservedOrder, ...]
    places: dict[str, int] = field(default_factory=dict)
    runtime_s: float = 0.0
    seed: int = 0

    @property
    def served_order_ids(self) -> list[str]:
        """Orders on a route, in route order."""
        return [s.order_id for r in self.routes for s in r.stops]

    def route_of(self) -> dict[str, str]:
        """Route id of each served order."""
        return {s.order_id: r.route_id for r in self.routes for s in r.stops}
