"""Weekly delivery days (周配送日): which weekday each retailer is visited.

Retailers are spread over the delivery weekdays so that each day carries about the same
volume and each day's retailers lie close together (a compact area makes short routes).
Fixed weekdays in the data are kept. Everyone else stays on their current weekday unless
moving them pays: a move costs :attr:`WeekSettings.move_penalty_m` metres of "geography",
so a new week's assignment changes little when the orders change little, and the result
lists every change.

The method: start from the current weekdays (new retailers join the nearest day with
room, or all are swept into angular sectors around the depot when nobody has a weekday
yet), then move single retailers while the objective falls. The objective is the sum of
each retailer's distance to its day's volume-weighted centre, plus the volume outside
``target * (1 +- balance_tolerance)`` times ``imbalance_penalty_m_per_carton``, plus the
move penalties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gridmgmt.crs import WGS84, metric_crs, transformer
from gridmgmt.errors import InvalidInputError

WEEKDAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class RetailerVolume:
    """A retailer's weekly delivery volume and weekday constraints.

    Attributes
    ----------
    retailer_id
        The retailer.
    lon, lat
        WGS-84 position.
    cartons
        Expected cartons per delivery (e.g. the recent average order).
    current_weekday
        Weekday delivered now (0 = Monday), if any.
    fixed_weekday
        Weekday that must be kept (from the data), if any.
    """

    retailer_id: str
    lon: float
    lat: float
    cartons: float
    current_weekday: int | None = None
    fixed_weekday: int | None = None

    def __post_init__(self) -> None:
        for name in ("current_weekday", "fixed_weekday"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 6:
                msg = f"retailer {self.retailer_id}: {name} was {value}, expected 0 (Mon)-6 (Sun)"
                raise InvalidInputError(msg)
        if self.cartons < 0:
            msg = f"retailer {self.retailer_id}: cartons must not be negative"
            raise InvalidInputError(msg)


@dataclass(frozen=True)
class WeekSettings:
    """Options for the weekly assignment.

    Attributes
    ----------
    weekdays
        Delivery weekdays (0 = Monday).
    balance_tolerance
        Allowed deviation of a day's volume from the mean, as a share.
    imbalance_penalty_m_per_carton
        Cost, in metres, of each carton outside the tolerance band.
    move_penalty_m
        Cost, in metres, of moving a retailer off their current weekday.
    max_rounds
        Improvement rounds over all retailers.
    """

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    balance_tolerance: float = 0.05
    imbalance_penalty_m_per_carton: float = 200.0
    move_penalty_m: float = 2_000.0
    max_rounds: int = 50

    def __post_init__(self) -> None:
        if not self.weekdays or len(set(self.weekdays)) != len(self.weekdays):
            msg = f"`weekdays` must be distinct, got {self.weekdays}"
            raise InvalidInputError(msg)
        if any(not 0 <= d <= 6 for d in self.weekdays):
            msg = f"`weekdays` must be in 0 (Mon) to 6 (Sun), got {self.weekdays}"
            raise InvalidInputError(msg)


@dataclass(frozen=True)
class WeekdayChange:
    """A retailer whose weekday changes."""

    retailer_id: str
    old_weekday: int | None
    new_weekday: int
    reason: str


@dataclass(frozen=True)
class WeekAssignment:
    """Weekday of every retailer, with the changes and each day's load.

    Attributes
    ----------
    weekday
        Retailer id to weekday.
    changes
        Retailers whose weekday differs from their current one (new retailers included).
    day_cartons
        Volume per weekday.
    day_retailers
        Retailers per weekday.
    spread_m
        Mean distance of a retailer to its day's centre (lower is more compact).
    """

    weekday: dict[str, int]
    changes: tuple[WeekdayChange, ...]
    day_cartons: dict[int, float]
    day_retailers: dict[int, int]
    spread_m: float

    @property
    def imbalance(self) -> float:
        """Largest relative deviation of a day's volume from the mean."""
        volumes = np.array(list(self.day_cartons.values()))
        mean = volumes.mean() if len(volumes) else 0.0
        return float(np.abs(volumes - mean).max() / mean) if mean > 0 else 0.0


def assign_weekdays(
    retailers: Sequence[RetailerVolume],
    *,
    depot: tuple[float, float] | None = None,
    settings: WeekSettings | None = None,
) -> WeekAssignment:
    """Assign each retailer a delivery weekday, balanced, compact and stable.

    Parameters
    ----------
    retailers
        Retailers with volumes and weekday constraints.
    depot
        WGS-84 ``(lon, lat)`` of the depot, for the first sweep when nobody has a weekday
        yet; default the retailers' centre.
    settings
        Options.

    Returns
    -------
    WeekAssignment
        The weekdays and what changed.
    """
    settings = settings or WeekSettings()
    days = list(settings.weekdays)
    ids = [r.retailer_id for r in retailers]
    if len(set(ids)) != len(ids):
        msg = "duplicate retailer ids"
        raise InvalidInputError(msg)
    for r in retailers:
        if r.fixed_weekday is not None and r.fixed_weekday not in days:
            msg = (
                f"retailer {r.retailer_id}: fixed weekday {r.fixed_weekday} is expected to be in "
                f"{days}"
            )
            raise InvalidInputError(msg)
    if not retailers:
        return WeekAssignment({}, (), dict.fromkeys(days, 0.0), dict.fromkeys(days, 0), 0.0)
    xy = _project(retailers)
    volume = np.array([max(r.cartons, 0.0) for r in retailers])
    state = _initial(retailers, xy, volume, days, depot)
    _improve(state, retailers, xy, volume, days, settings)
    return _result(state, retailers, xy, volume, days)


def _project(retailers: Sequence[RetailerVolume]) -> npt.NDArray[np.float64]:
    lon = np.array([r.lon for r in retailers])
    lat = np.array([r.lat for r in retailers])
    crs = metric_crs((float(np.mean(lon)), float(np.mean(lat))))
    x, y = transformer(WGS84, crs).transform(lon, lat)
    return np.column_stack([x, y])


def _initial(
    retailers: Sequence[RetailerVolume],
    xy: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
    days: list[int],
    depot: tuple[float, float] | None,
) -> npt.NDArray[np.int64]:
    """Day index per retailer: fixed, else current, else by sweep or nearest day centre."""
    n = len(retailers)
    state = np.full(n, -1, np.int64)
    for i, r in enumerate(retailers):
        day = r.fixed_weekday if r.fixed_weekday is not None else r.current_weekday
        if day is not None and day in days:
            state[i] = days.index(day)
    free = np.flatnonzero(state < 0)
    if len(free) == 0:
        return state
    if len(free) == n or all(np.count_nonzero(state == d) == 0 for d in range(len(days))):
        centre = xy.mean(axis=0) if depot is None else _project_point(depot, retailers)
        angle = np.arctan2(xy[free, 1] - centre[1], xy[free, 0] - centre[0])
        order = free[np.argsort(angle, kind="stable")]
        share = np.cumsum(volume[order]) / max(volume[order].sum(), 1e-9)
        state[order] = np.minimum((share * len(days) - 1e-9).astype(np.int64), len(days) - 1)
        return state
    target = volume.sum() / len(days)
    load = np.array([volume[state == d].sum() for d in range(len(days))])
    centres = _centres(state, xy, volume, len(days))
    for i in free[np.argsort(-volume[free], kind="stable")]:
        dist = np.hypot(*(centres - xy[i]).T)
        dist[load + volume[i] > target * 1.05] += 1e12  # full days last
        state[i] = int(np.argmin(dist))
        load[state[i]] += volume[i]
    return state


def _project_point(
    lonlat: tuple[float, float], retailers: Sequence[RetailerVolume]
) -> npt.NDArray[np.float64]:
    lon = np.mean([r.lon for r in retailers])
    lat = np.mean([r.lat for r in retailers])
    crs = metric_crs((float(lon), float(lat)))
    x, y = transformer(WGS84, crs).transform(*lonlat)
    return np.array([x, y])


def _centres(
    state: npt.NDArray[np.int64],
    xy: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
    k: int,
) -> npt.NDArray[np.float64]:
    weights = volume + 1e-6
    centres = np.zeros((k, 2))
    for d in range(k):
        mask = state == d
        if mask.any():
            centres[d] = np.average(xy[mask], axis=0, weights=weights[mask])
        else:
            centres[d] = xy.mean(axis=0)
    return centres


def _improve(
    state: npt.NDArray[np.int64],
    retailers: Sequence[RetailerVolume],
    xy: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
    days: list[int],
    settings: WeekSettings,
) -> None:
    """Move single retailers while the objective falls (first improvement, in rounds)."""
    k = len(days)
    target = volume.sum() / k
    low, high = target * (1 - settings.balance_tolerance), target * (1 + settings.balance_tolerance)
    rate = settings.imbalance_penalty_m_per_carton
    current = np.array(
        [days.index(r.current_weekday) if r.current_weekday in days else -1 for r in retailers]
    )
    movable = np.array([r.fixed_weekday is None for r in retailers])
    load = np.array([volume[state == d].sum() for d in range(k)])

    def excess(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        outside: npt.NDArray[np.float64] = np.maximum(v - high, 0) + np.maximum(low - v, 0)
        return rate * outside

    for _ in range(settings.max_rounds):
        centres = _centres(state, xy, volume, k)
        moved = 0
        for i in np.flatnonzero(movable):
            a = state[i]
            dist = np.hypot(*(centres - xy[i]).T)
            new_load = load[None, :] + np.zeros((k, 1))
            new_load[np.arange(k), a] -= volume[i]
            new_load[np.arange(k), np.arange(k)] += volume[i]
            balance = excess(new_load).sum(axis=1) - excess(load).sum()
            move = np.where(np.arange(k) == current[i], 0.0, settings.move_penalty_m)
            move -= 0.0 if a == current[i] else settings.move_penalty_m
            gain = dist + balance + move - dist[a]
            gain[a] = 0.0
            b = int(np.argmin(gain))
            if gain[b] < -1e-6:
                state[i] = b
                load[a] -= volume[i]
                load[b] += volume[i]
                moved += 1
        if moved == 0:
            break


def _result(
    state: npt.NDArray[np.int64],
    retailers: Sequence[RetailerVolume],
    xy: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
    days: list[int],
) -> WeekAssignment:
    centres = _centres(state, xy, volume, len(days))
    spread = float(np.mean(np.hypot(*(xy - centres[state]).T)))
    weekday = {r.retailer_id: days[int(state[i])] for i, r in enumerate(retailers)}
    changes = []
    for r in retailers:
        new = weekday[r.retailer_id]
        if r.current_weekday == new:
            continue
        if r.fixed_weekday is not None:
            reason = "fixed weekday in the data"
        elif r.current_weekday is None:
            reason = "new retailer"
        elif r.current_weekday not in days:
            reason = "current weekday is not a delivery day"
        else:
            reason = "rebalanced volume or geography"
        changes.append(WeekdayChange(r.retailer_id, r.current_weekday, new, reason))
    return WeekAssignment(
        weekday=weekday,
        changes=tuple(changes),
        day_cartons={d: float(volume[state == k].sum()) for k, d in enumerate(days)},
        day_retailers={d: int(np.count_nonzero(state == k)) for k, d in enumerate(days)},
        spread_m=spread,
    )
