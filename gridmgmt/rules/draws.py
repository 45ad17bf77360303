"""Double-random inspections (双随机、一公开): draw targets and inspectors, reproducibly.

Targets are drawn at random from the retailer list: a quota (a share of the retailers,
rounded up) allocated over grids in proportion to their retailers (largest remainders,
ties to the lower grid id), optionally with every key retailer (重点零售户) always in.
Each target then gets inspectors drawn from the officer list: two per inspection by
default, never an officer of the retailer's own grid when that rule is on, always among
the least loaded eligible officers (random among equals), most constrained targets first;
then inspections are shifted along chains of officers until no officer could hand one to
an officer two or more below them.

The draw is reproducible and auditable: the same seed, population and settings give the
same draw, on any machine (numpy's PCG64 generator, used only through its uniform
``random()`` stream, with the inputs put in a canonical order first). The result carries
the seed, SHA-256 hashes of the canonical population and officer list, and the settings,
and serialises to JSON; :func:`verify_draw` redraws it and says whether it still matches.
Who drew it and when is for the store to record.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from gridmgmt.errors import InvalidInputError
from gridmgmt.rules.settings import InspectionSettings

__all__ = [
    "ALGORITHM",
    "DrawInfeasibleError",
    "DrawMismatchError",
    "Inspection",
    "InspectionDraw",
    "draw_inspections",
    "officers_hash",
    "population_hash",
    "verify_draw",
]

ALGORITHM: Final = "gridmgmt.rules.draws/1"


class DrawInfeasibleError(InvalidInputError):
    """Raised when the rules leave a target with too few eligible officers (bad input: the
    county's officers and settings cannot give the draw asked for)."""


class DrawMismatchError(InvalidInputError):
    """Raised when a stored draw does not match a redraw from its inputs (the message says
    what differs; the verify service reports it as a result, not as an error)."""


@dataclass(frozen=True)
class Inspection:
    """One drawn inspection: a retailer and the officers sent to it."""

    retailer: str
    grid_id: str | None
    key_retailer: bool
    officers: tuple[str, ...]


@dataclass(frozen=True)
class InspectionDraw:
    """A reproducible double-random draw."""

    seed: int
    population_hash: str
    officers_hash: str
    population_size: int
    quota: int
    settings: dict[str, Any]
    inspections: tuple[Inspection, ...]
    algorithm: str = ALGORITHM

    @property
    def targets(self) -> list[str]:
        """The drawn retailers' ids, in id order."""
        return [i.retailer for i in self.inspections]

    def load(self) -> dict[str, int]:
        """Inspections per officer."""
        counts: dict[str, int] = {}
        for inspection in self.inspections:
            for officer in inspection.officers:
                counts[officer] = counts.get(officer, 0) + 1
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists, not tuples) for JSON and storage."""
        data = asdict(self)
        data["inspections"] = [{**i, "officers": list(i["officers"])} for i in data["inspections"]]
        return data

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no extra spaces, so equal draws give equal text."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InspectionDraw:
        """Rebuild a draw from :meth:`to_dict`'s output."""
        inspections = tuple(
            Inspection(
                retailer=i["retailer"],
                grid_id=i["grid_id"],
                key_retailer=bool(i["key_retailer"]),
                officers=tuple(i["officers"]),
            )
            for i in data["inspections"]
        )
        return cls(**{**data, "inspections": inspections})

    @classmethod
    def from_json(cls, text: str) -> InspectionDraw:
        """Rebuild a draw from :meth:`to_json`'s output."""
        return cls.from_dict(json.loads(text))


def population_hash(
    retailers: pd.DataFrame,
    *,
    retailer_id: str = "licence_no",
    grid_column: str = "grid_id",
    key_column: str = "key_retailer",
) -> str:
    """SHA-256 of the canonical population.

    The text hashed is one ``id<TAB>grid<TAB>key`` line per retailer (key 1 or 0, no grid
    as an empty field), sorted by id, in UTF-8.
    """
    frame = _canonical_retailers(retailers, retailer_id, grid_column, key_column)
    lines = (
        f"{r}\t{_grid_text(g)}\t{int(k)}\n"
        for r, g, k in zip(frame["id"], frame["grid"], frame["key"], strict=True)
    )
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def officers_hash(
    officers: pd.DataFrame, *, officer_id: str = "staff_no", officer_grid: str = "grid_id"
) -> str:
    """SHA-256 of the canonical officer list: ``id<TAB>grid`` lines sorted by id, in UTF-8."""
    frame = _canonical_officers(officers, officer_id, officer_grid)
    lines = (f"{o}\t{_grid_text(g)}\n" for o, g in zip(frame["id"], frame["grid"], strict=True))
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def draw_inspections(
    retailers: pd.DataFrame,
    officers: pd.DataFrame,
    *,
    seed: int,
    settings: InspectionSettings,
    retailer_id: str = "licence_no",
    grid_column: str = "grid_id",
    key_column: str = "key_retailer",
    officer_id: str = "staff_no",
    officer_grid: str = "grid_id",
) -> InspectionDraw:
    """Draw inspection targets and their inspectors.

    Parameters
    ----------
    retailers
        The population: ``retailer_id`` and, optionally, ``grid_column`` and
        ``key_column`` (missing means no grid / not key). Row order does not matter.
    officers
        Officers who may inspect: ``officer_id`` and, optionally, ``officer_grid`` (their
        own grid, or several joined by ``;``; missing or empty means none).
    seed
        Non-negative integer seed; record it with the draw.
    settings
        Quota, stratification and conflict rules.
    retailer_id, grid_column, key_column, officer_id, officer_grid
        Column names.

    Returns
    -------
    InspectionDraw
        The draw, targets in id order.

    Raises
    ------
    DrawInfeasibleError
        If a target has fewer eligible officers than ``officers_per_inspection``; the
        message names the grids.
    ValueError
        If ids repeat or the seed is negative.
    """
    if seed < 0:
        msg = f"seed must be a non-negative integer; got {seed}"
        raise InvalidInputError(msg)
    people = _canonical_retailers(retailers, retailer_id, grid_column, key_column)
    staff = _canonical_officers(officers, officer_id, officer_grid)
    rng = np.random.Generator(np.random.PCG64(seed))
    quota = math.ceil(settings.quota_share * len(people) - 1e-9)
    chosen = _draw_targets(people, quota, settings, rng)
    targets = people.iloc[chosen].reset_index(drop=True)
    crews = _assign_officers(targets, staff, settings, rng)
    inspections = tuple(
        Inspection(retailer=r, grid_id=g, key_retailer=bool(k), officers=crew)
        for r, g, k, crew in zip(targets["id"], targets["grid"], targets["key"], crews, strict=True)
    )
    return InspectionDraw(
        seed=int(seed),
        population_hash=population_hash(
            retailers, retailer_id=retailer_id, grid_column=grid_column, key_column=key_column
        ),
        officers_hash=officers_hash(officers, officer_id=officer_id, officer_grid=officer_grid),
        population_size=len(people),
        quota=quota,
        settings=settings.model_dump(mode="json"),
        inspections=inspections,
    )


def verify_draw(
    draw: InspectionDraw,
    retailers: pd.DataFrame,
    officers: pd.DataFrame,
    **columns: str,
) -> None:
    """Redraw a stored draw from its seed and settings and check it matches.

    Parameters
    ----------
    draw
        The stored draw.
    retailers, officers
        The population and officer list it was drawn from.
    **columns
        The same column-name options as :func:`draw_inspections`.

    Raises
    ------
    DrawMismatchError
        If the algorithm, the population, the officers or the result differ; the
        message says which.
    """
    if draw.algorithm != ALGORITHM:
        msg = f"draw was made by {draw.algorithm!r}; this is {ALGORITHM!r}"
        raise DrawMismatchError(msg)
    settings = InspectionSettings.model_validate(draw.settings)
    again = draw_inspections(retailers, officers, seed=draw.seed, settings=settings, **columns)
    if again.population_hash != draw.population_hash:
        msg = "the retailer population differs from the one the draw was made from"
        raise DrawMismatchError(msg)
    if again.officers_hash != draw.officers_hash:
        msg = "the officer list differs from the one the draw was made from"
        raise DrawMismatchError(msg)
    if again != draw:
        msg = "redrawing with the stored seed gives a different result"
        raise DrawMismatchError(msg)


def _canonical_retailers(
    retailers: pd.DataFrame, retailer_id: str, grid_column: str, key_column: str
) -> pd.DataFrame:
    if retailer_id not in retailers.columns:
        msg = f"retailers lack column {retailer_id!r}; it has {list(retailers.columns)}"
        raise InvalidInputError(msg)
    frame = pd.DataFrame(
        {
            "id": retailers[retailer_id].astype(str).to_numpy(),
            "grid": _grid_values(retailers, grid_column),
            "key": (
                retailers[key_column].fillna(False).astype(bool).to_numpy()
                if key_column in retailers.columns
                else np.zeros(len(retailers), dtype=bool)
            ),
        }
    )
    _no_repeats(frame["id"], "retailers", retailer_id)
    return _sorted(frame)


def _canonical_officers(officers: pd.DataFrame, officer_id: str, officer_grid: str) -> pd.DataFrame:
    if officer_id not in officers.columns:
        msg = f"officers lack column {officer_id!r}; it has {list(officers.columns)}"
        raise InvalidInputError(msg)
    frame = pd.DataFrame(
        {
            "id": officers[officer_id].astype(str).to_numpy(),
            "grid": [_grid_set_text(g) for g in _grid_values(officers, officer_grid)],
        }
    )
    _no_repeats(frame["id"], "officers", officer_id)
    return _sorted(frame)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in id order, with a missing grid as None (pandas would make it NaN)."""
    frame = frame.sort_values("id", ignore_index=True)
    frame["grid"] = pd.Series([_grid_or_none(g) for g in frame["grid"]], dtype=object)
    return frame


def _grid_or_none(grid: object) -> str | None:
    return None if grid is None or pd.isna(grid) or str(grid) == "" else str(grid)


def _grid_set_text(grid: str | None) -> str | None:
    """An officer's grids in canonical form: ids joined by ``;``, sorted (an officer may
    work several grids)."""
    if grid is None:
        return None
    return ";".join(sorted({part.strip() for part in grid.split(";") if part.strip()})) or None


def _own_grids(grid: str | None) -> frozenset[str]:
    return frozenset(grid.split(";")) if grid else frozenset()


def _grid_text(grid: object) -> str:
    value = _grid_or_none(grid)
    return "" if value is None else value


def _grid_values(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame.columns:
        return [None] * len(frame)
    return [_grid_or_none(g) for g in frame[column]]


def _no_repeats(ids: pd.Series, name: str, column: str) -> None:
    repeated = ids[ids.duplicated()]
    if len(repeated):
        msg = f"{name}.{column} repeats ids: {sorted(set(repeated))[:5]}"
        raise InvalidInputError(msg)


def _draw_targets(
    people: pd.DataFrame, quota: int, settings: InspectionSettings, rng: np.random.Generator
) -> np.ndarray:
    """Positions (in canonical order) of the drawn targets, sorted."""
    grid_key = people["grid"].fillna("").to_numpy(dtype=object)
    if settings.stratify_by_grid:
        grids = sorted(set(grid_key))
        sizes = np.array([(grid_key == g).sum() for g in grids])
        shares = _largest_remainder(sizes, quota)
    else:
        grids, shares = [None], np.array([quota])
    keys = people["key"].to_numpy()
    chosen: list[np.ndarray] = []
    for grid, share in zip(grids, shares, strict=True):
        members = np.arange(len(people)) if grid is None else np.flatnonzero(grid_key == grid)
        if settings.key_retailers_always:
            always = members[keys[members]]
            pool = members[~keys[members]]
        else:
            always, pool = members[:0], members
        wanted = min(max(int(share) - len(always), 0), len(pool))
        picked = _sample(rng, len(pool), wanted)
        chosen += [always, pool[picked]]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def _sample(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """``size`` of ``range(n)`` uniformly without replacement, sorted.

    Built on ``Generator.random`` alone (the order of ``n`` uniform keys), whose stream
    numpy keeps stable, so a stored draw can be redrawn after upgrades.
    """
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.argsort(rng.random(n), kind="stable")[:size])


def _largest_remainder(sizes: np.ndarray, total: int) -> npt.NDArray[np.int64]:
    """Split ``total`` over groups in proportion to ``sizes`` (Hamilton's method)."""
    if sizes.sum() == 0:
        return np.zeros(len(sizes), dtype=np.int64)
    exact = sizes * total / sizes.sum()
    base: npt.NDArray[np.int64] = np.floor(exact).astype(np.int64)
    left = total - int(base.sum())
    # Largest fraction first; stable sort keeps ties in grid-id order.
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:left]] += 1
    return base


def _assign_officers(
    targets: pd.DataFrame,
    staff: pd.DataFrame,
    settings: InspectionSettings,
    rng: np.random.Generator,
) -> list[tuple[str, ...]]:
    need = settings.officers_per_inspection
    officer_ids = staff["id"].to_numpy(dtype=object)
    own = [_own_grids(g) for g in staff["grid"]]
    eligible = [
        np.array([i for i, grids in enumerate(own) if g not in grids], dtype=np.int64)
        if settings.exclude_own_grid and g is not None
        else np.arange(len(officer_ids))
        for g in targets["grid"]
    ]
    _check_feasible(targets, eligible, need, settings)
    # Most constrained targets first; random among equally constrained ones.
    sizes = np.array([len(e) for e in eligible], dtype=np.int64)
    order = np.lexsort((rng.random(len(targets)), sizes))
    load = np.zeros(len(officer_ids), dtype=np.int64)
    crews: list[list[int]] = [[] for _ in range(len(targets))]
    for t in order:
        pool = eligible[t]
        ranked = pool[np.lexsort((rng.random(len(pool)), load[pool]))][:need]
        load[ranked] += 1
        crews[t] = [int(o) for o in ranked]
    _rebalance(crews, eligible, load)
    return [tuple(sorted(officer_ids[crew])) for crew in crews]


def _rebalance(crews: list[list[int]], eligible: Sequence[np.ndarray], load: np.ndarray) -> None:
    """Even out the greedy load by shifting inspections along chains of officers.

    Greedy choice under conflict rules can leave one officer two inspections above
    another. While some officer ``h`` can hand an inspection to an officer two or more
    below them, directly or through a chain of officers each taking one from the
    previous and handing one on, do it. Every shift lowers the sum of squared loads, so
    this ends; it ends with no such chain left.
    """
    while True:
        for heavy in np.argsort(-load, kind="stable"):
            path = _shift_path(int(heavy), crews, eligible, load)
            if path:
                for target, giver, taker in path:
                    crews[target][crews[target].index(giver)] = taker
                load[heavy] -= 1
                load[path[-1][2]] += 1
                break
        else:
            return


def _shift_path(
    heavy: int, crews: list[list[int]], eligible: Sequence[np.ndarray], load: np.ndarray
) -> list[tuple[int, int, int]]:
    """Breadth-first chain of (target, giver, taker) from ``heavy`` to a light officer."""
    serving: dict[int, list[int]] = {}
    for target, crew in enumerate(crews):
        for officer in crew:
            serving.setdefault(officer, []).append(target)
    came_from: dict[int, tuple[int, int, int]] = {}
    frontier, seen = [heavy], {heavy}
    while frontier:
        following = []
        for giver in frontier:
            for target in serving.get(giver, []):
                for taker in (int(o) for o in eligible[target]):
                    if taker in seen or taker in crews[target]:
                        continue
                    seen.add(taker)
                    came_from[taker] = (target, giver, taker)
                    if load[taker] <= load[heavy] - 2:
                        return _unwind(came_from, taker, heavy)
                    following.append(taker)
        frontier = following
    return []


def _unwind(
    came_from: dict[int, tuple[int, int, int]], end: int, start: int
) -> list[tuple[int, int, int]]:
    path = []
    while end != start:
        step = came_from[end]
        path.append(step)
        end = step[1]
    return path[::-1]


def _check_feasible(
    targets: pd.DataFrame,
    eligible: Sequence[np.ndarray],
    need: int,
    settings: InspectionSettings,
) -> None:
    short: dict[str, int] = {}
    for grid, pool in zip(targets["grid"], eligible, strict=True):
        if len(pool) < need:
            short[str(grid)] = len(pool)
    if not short:
        return
    detail = ", ".join(f"grid {g}: {n}" for g, n in sorted(short.items()))
    rule = " outside the retailer's own grid" if settings.exclude_own_grid else ""
    msg = (
        f"cannot draw {need} officers{rule} for every inspection; eligible officers per "
        f"grid: {detail}. Add officers, lower officers_per_inspection, or turn off "
        "exclude_own_grid"
    )
    raise DrawInfeasibleError(msg)
