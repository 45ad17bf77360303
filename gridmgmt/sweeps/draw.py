"""The draw of a joint border-market sweep (毗邻市场集中整治): mixed teams and their targets.

A sweep covers the border band of two or more counties. Its candidates are the retailers in
that band; outflow suspects and price outliers among them are priority candidates. The draw
is the double-random draw of :func:`gridmgmt.rules.draws.draw_inspections`, reused as is:

1. mixed teams (联合检查组) are made first, each with at least one officer of every county:
   each county's officers are put in a random order, team *i* takes the *i*-th officer of
   every county, and the officers left fill the teams in turn up to ``team_size``. So there
   are never more teams than the county with the fewest officers has officers, nor more
   than the officers can fill at ``team_size`` each, and no officer is on two teams; a
   ``team_size`` larger than all the sweep's officers together is refused with a message;
2. the targets are drawn from the candidates as an inspection draw whose "grids" are the
   counties (the quota is split over counties in proportion to their candidates) and whose
   "key retailers" are the priority candidates (always in, with ``priority_always``); each
   target gets one team, the least loaded first.

Both steps use only the uniform stream of numpy's PCG64 generator over inputs in canonical
order, so the same seed, candidates and officers give the same sweep on any machine. The
result carries the seed and SHA-256 hashes of the candidates and officers;
:func:`verify_sweep` draws again and says whether it still matches.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from gridmgmt.errors import InvalidInputError
from gridmgmt.rules.draws import DrawMismatchError, InspectionDraw, draw_inspections
from gridmgmt.rules.settings import InspectionSettings, SweepSettings

__all__ = ["ALGORITHM", "SweepDraw", "SweepTeam", "draw_sweep", "verify_sweep"]

ALGORITHM: Final = "gridmgmt.sweeps.draw/1"
_TEAM_STREAM: Final = 1  # the teams' generator is seeded with (seed, 1); targets use seed


@dataclass(frozen=True)
class SweepTeam:
    """A mixed team (联合检查组): its id and its officers' staff numbers, by county."""

    team: str
    officers: tuple[str, ...]
    counties: tuple[str, ...]


@dataclass(frozen=True)
class SweepDraw:
    """A reproducible sweep draw: the teams, and the targets with their team."""

    seed: int
    counties: tuple[str, ...]
    candidates_hash: str
    officers_hash: str
    settings: dict[str, Any]
    teams: tuple[SweepTeam, ...]
    targets: InspectionDraw
    """The target draw; each inspection's single "officer" is a team id."""
    algorithm: str = ALGORITHM

    def team_of(self) -> dict[str, str]:
        """Team id per target licence number."""
        return {i.retailer: i.officers[0] for i in self.targets.inspections}

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no extra spaces)."""
        data = asdict(self)
        data["targets"] = self.targets.to_dict()
        data["teams"] = [{**t, "officers": list(t["officers"])} for t in data["teams"]]
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SweepDraw:
        """Rebuild a draw from :meth:`to_json`'s output."""
        data = json.loads(text)
        teams = tuple(
            SweepTeam(t["team"], tuple(t["officers"]), tuple(t["counties"])) for t in data["teams"]
        )
        return cls(
            seed=int(data["seed"]),
            counties=tuple(data["counties"]),
            candidates_hash=data["candidates_hash"],
            officers_hash=data["officers_hash"],
            settings=data["settings"],
            teams=teams,
            targets=InspectionDraw.from_dict(data["targets"]),
            algorithm=data["algorithm"],
        )


def _hash_lines(lines: list[str]) -> str:
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


def candidates_hash(candidates: pd.DataFrame) -> str:
    """SHA-256 of ``licence_no<TAB>county_code<TAB>priority`` lines sorted, in UTF-8."""
    return _hash_lines(
        [
            f"{licence}\t{county}\t{int(bool(priority))}\n"
            for licence, county, priority in zip(
                candidates["licence_no"].astype(str),
                candidates["county_code"].astype(str),
                candidates["priority"],
                strict=True,
            )
        ]
    )


def officers_hash(officers: pd.DataFrame) -> str:
    """SHA-256 of ``staff_no<TAB>county_code`` lines sorted, in UTF-8."""
    return _hash_lines(
        [
            f"{staff}\t{county}\n"
            for staff, county in zip(
                officers["staff_no"].astype(str), officers["county_code"].astype(str), strict=True
            )
        ]
    )


def draw_sweep(
    candidates: pd.DataFrame,
    officers: pd.DataFrame,
    *,
    counties: Sequence[str],
    seed: int,
    settings: SweepSettings,
) -> SweepDraw:
    """Make the mixed teams and draw the sweep's targets.

    Parameters
    ----------
    candidates
        ``licence_no``, ``county_code`` and ``priority`` (outflow suspect or price outlier).
    officers
        ``staff_no`` and ``county_code`` of the officers who may take part.
    counties
        The sweep's counties (two or more).
    seed
        Non-negative integer seed; it is recorded with the draw.
    settings
        Target share, priority rule and team size.

    Raises
    ------
    InvalidInputError
        If fewer than two counties are given, a county has no officer, a candidate or
        officer belongs to another county, ids repeat, there are no candidates, or
        ``settings.team_size`` asks for more officers per team than the sweep has.
    """
    codes = _counties(counties)
    _check(candidates, officers, codes, seed)
    _check_team_size(officers, codes, settings.team_size)
    teams = _teams(officers, codes, seed, settings.team_size)
    team_frame = pd.DataFrame({"staff_no": [t.team for t in teams]})
    population = pd.DataFrame(
        {
            "licence_no": candidates["licence_no"].astype(str).to_numpy(),
            "grid_id": candidates["county_code"].astype(str).to_numpy(),
            "key_retailer": candidates["priority"].astype(bool).to_numpy(),
        }
    )
    rules = InspectionSettings(
        quota_share=settings.target_share,
        stratify_by_grid=True,
        key_retailers_always=settings.priority_always,
        exclude_own_grid=False,
        officers_per_inspection=1,
    )
    targets = draw_inspections(population, team_frame, seed=seed, settings=rules)
    return SweepDraw(
        seed=int(seed),
        counties=codes,
        candidates_hash=candidates_hash(candidates),
        officers_hash=officers_hash(officers),
        settings=settings.model_dump(mode="json"),
        teams=teams,
        targets=targets,
    )


def verify_sweep(draw: SweepDraw, candidates: pd.DataFrame, officers: pd.DataFrame) -> None:
    """Draw a stored sweep again from its seed and settings and check it matches.

    Raises
    ------
    DrawMismatchError
        If the algorithm, the candidates, the officers or the result differ; the message
        says which.
    """
    if draw.algorithm != ALGORITHM:
        msg = f"sweep was drawn by {draw.algorithm!r}; this is {ALGORITHM!r}"
        raise DrawMismatchError(msg)
    if candidates_hash(candidates) != draw.candidates_hash:
        msg = "the candidates differ from the ones the sweep was drawn from"
        raise DrawMismatchError(msg)
    if officers_hash(officers) != draw.officers_hash:
        msg = "the officers differ from the ones the sweep was drawn from"
        raise DrawMismatchError(msg)
    again = draw_sweep(
        candidates,
        officers,
        counties=draw.counties,
        seed=draw.seed,
        settings=SweepSettings.model_validate(draw.settings),
    )
    if again != draw:
        msg = "drawing again with the stored seed gives a different sweep"
        raise DrawMismatchError(msg)


def _counties(counties: Sequence[str]) -> tuple[str, ...]:
    codes = tuple(sorted({str(c) for c in counties}))
    if len(codes) < 2:
        msg = f"a joint sweep needs two or more counties; got {list(codes)}"
        raise InvalidInputError(msg, [{"field": "counties", "message": msg}])
    return codes


def _check(
    candidates: pd.DataFrame, officers: pd.DataFrame, codes: tuple[str, ...], seed: int
) -> None:
    if seed < 0:
        msg = f"seed must be a non-negative integer; got {seed}"
        raise InvalidInputError(msg, [{"field": "seed", "message": msg}])
    for frame, name, columns in (
        (candidates, "candidates", ["licence_no", "county_code", "priority"]),
        (officers, "officers", ["staff_no", "county_code"]),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            msg = f"{name} lack columns {missing}; they have {list(frame.columns)}"
            raise InvalidInputError(msg)
        key = columns[0]
        repeated = sorted(set(frame[key][frame[key].duplicated()].astype(str)))
        if repeated:
            msg = f"{name}.{key} repeats ids: {repeated[:5]}"
            raise InvalidInputError(msg)
        foreign = sorted(set(frame["county_code"].astype(str)) - set(codes))
        if foreign:
            msg = f"{name} of counties {foreign} are not in the sweep's counties {list(codes)}"
            raise InvalidInputError(msg)
    if not len(candidates):
        msg = f"no candidates in the border band of counties {list(codes)}"
        raise InvalidInputError(msg, [{"field": "counties", "message": msg}])
    have = set(officers["county_code"].astype(str))
    without = [c for c in codes if c not in have]
    if without:
        msg = (
            f"counties {without} have no monopoly officer to send: every mixed team needs an "
            "officer of each county"
        )
        raise InvalidInputError(msg, [{"field": "counties", "message": msg}])


def _check_team_size(officers: pd.DataFrame, codes: tuple[str, ...], team_size: int) -> None:
    """Refuse a team size no team can be made at: more officers than the sweep has."""
    available = len(officers)
    if max(team_size, len(codes)) > available:
        msg = (
            f"team_size {team_size} asks for more officers per team than the "
            f"{available} monopoly officers of counties {list(codes)}: "
            f"ask for {available} or fewer"
        )
        raise InvalidInputError(msg, [{"field": "team_size", "message": msg}])


def _teams(
    officers: pd.DataFrame, codes: tuple[str, ...], seed: int, team_size: int
) -> tuple[SweepTeam, ...]:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _TEAM_STREAM])))
    frame = pd.DataFrame(
        {
            "staff_no": officers["staff_no"].astype(str).to_numpy(),
            "county_code": officers["county_code"].astype(str).to_numpy(),
        }
    ).sort_values("staff_no", ignore_index=True)
    shuffled: dict[str, list[str]] = {}
    for code in codes:
        ids = frame.loc[frame["county_code"] == code, "staff_no"].to_numpy(dtype=object)
        shuffled[code] = [str(i) for i in ids[np.argsort(rng.random(len(ids)), kind="stable")]]
    size = max(team_size, len(codes))
    count = min(min(len(v) for v in shuffled.values()), len(frame) // size)
    members: list[list[tuple[str, str]]] = [
        [(code, shuffled[code][i]) for code in codes] for i in range(count)
    ]
    rest = [(code, staff) for code in codes for staff in shuffled[code][count:]]
    rest = [rest[i] for i in np.argsort(rng.random(len(rest)), kind="stable")]
    for turn, officer in enumerate(rest):
        open_teams = [t for t in range(count) if len(members[t]) < size]
        if not open_teams:
            break
        members[open_teams[turn % len(open_teams)]].append(officer)
    width = max(2, math.ceil(math.log10(count + 1)))
    return tuple(
        SweepTeam(
            team=f"T{i + 1:0{width}d}",
            officers=tuple(sorted(staff for _, staff in team)),
            counties=tuple(sorted({code for code, _ in team})),
        )
        for i, team in enumerate(members)
    )
