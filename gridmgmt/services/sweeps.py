"""Joint border-market sweeps (毗邻市场集中整治): plan one, read it, record its results.

A sweep covers the border band between two or more counties (each side's band as wide as
the widest ``borders.county_border_m`` of the sweep's counties). Its candidates are the
active retailers in that band; outflow suspects (真烟外流, the orders of each county's last
week with orders) and price outliers (价格异常) among them are priority candidates, with
their reasons. Mixed teams and targets are drawn by :func:`gridmgmt.sweeps.draw.draw_sweep`
(the double-random draw reused), and stored with the seed, the candidates and officers as
drawn from, and their hashes, so anyone can draw it again (:func:`verify_sweep_draw`).

Planning needs every county of the sweep in the planner's scope (an area administrator, or a
liaison working for all of them). Once planned, the sweep (its targets, teams and results) is
shared with the users of every county taking part: they read it and record results; reads of
another county's part are audited. A result is recorded against the version the recorder
read (``base_version``): a stale one answers 409 with the result in force, so no result is
silently overwritten.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import geopandas as gpd
import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.domain import InspectionOutcome, RetailerStatus, StaffRole
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.prices.gaps import border_bands
from gridmgmt.rules.draws import DrawMismatchError
from gridmgmt.rules.settings import SweepSettings
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.bounds import Count, Seed, Version
from gridmgmt.services.frames import load_frame
from gridmgmt.services.numbers import take_number
from gridmgmt.services.prices import price_outlier_report
from gridmgmt.services.results import Result
from gridmgmt.services.rules._common import all_county_shapes, county_borders, county_rules
from gridmgmt.services.rules.checks import outflow_report
from gridmgmt.services.rules.inspections import _violations, parse_outcome
from gridmgmt.store.models import Retailer, Staff
from gridmgmt.store.models.base import _utcnow
from gridmgmt.store.models.prices import SweepCounty, SweepRecord, SweepTarget
from gridmgmt.sweeps.draw import SweepDraw, draw_sweep, verify_sweep

__all__ = [
    "SweepDetail",
    "SweepPlan",
    "SweepResultIn",
    "SweepSummary",
    "SweepTargetView",
    "SweepTeamView",
    "SweepVerification",
    "get_sweep",
    "list_sweeps",
    "plan_sweep",
    "record_sweep_result",
    "verify_sweep_draw",
]


class SweepPlan(BaseModel):
    """What a planner asks for: the counties, the day, and optionally the draw's settings."""

    counties: list[str] = Field(min_length=2, description="Two or more 6-digit county codes.")
    planned_for: dt.date = Field(description="The day of the sweep.")
    title: str = Field(default="", max_length=200)
    seed: Seed | None = Field(default=None, description="Default: a random seed.")
    target_share: float | None = Field(default=None, gt=0, le=1)
    team_size: Count | None = Field(default=None, ge=1)


class SweepResultIn(BaseModel):
    """What a team found at one target (整治结果)."""

    licence_no: str
    outcome: InspectionOutcome | str
    inspected_on: dt.date
    violations: Count | None = None
    seized_cartons: float | None = Field(default=None, ge=0)
    notes: str | None = None
    base_version: Version | None = Field(
        default=None, description="The target's version the result was entered on."
    )


class SweepTeamView(Result):
    """A mixed team: its id, officers (staff numbers and names) and counties."""

    team: str
    officers: list[str]
    names: list[str]
    counties: list[str]


class SweepTargetView(Result):
    """A drawn target, its team and, once recorded, what the team found."""

    position: int
    licence_no: str
    name: str
    county_code: str
    lon: float
    lat: float
    team: str
    priority: bool
    reasons: list[str]
    outcome: InspectionOutcome | None
    violations: int
    seized_cartons: float | None
    notes: str | None
    inspected_on: dt.date | None
    recorded_by: str | None
    recorded_at: dt.datetime | None
    version: int


class SweepSummary(Result):
    """A sweep in a list: who planned it, for when, over which counties, how far it is."""

    sweep_no: str
    title: str
    planned_for: dt.date
    counties: list[str]
    targets: int
    recorded: int
    violations: int
    planned_by: str
    planned_at: dt.datetime


class SweepDetail(SweepSummary):
    """A sweep with its draw's audit data, teams and targets."""

    seed: int
    algorithm: str
    candidates: int
    candidates_hash: str
    officers_hash: str
    seized_cartons: float
    teams: list[SweepTeamView]
    target_rows: list[SweepTargetView]


class SweepVerification(Result):
    """Whether the stored sweep is what its seed, candidates and officers give."""

    sweep_no: str
    ok: bool
    message: str


# -- planning ------------------------------------------------------------------------------


def _visible_counties(actor: Actor, counties: list[str]) -> list[str]:
    codes = sorted(set(counties))
    for code in codes:
        if not actor.can_see(code):
            raise NotFoundError("county", code)
    return codes


def _band_retailers(
    session: Session, actor: Actor, codes: list[str]
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Active retailers of ``codes`` and their band membership on the borders between them."""
    rules = county_rules(session, codes)
    band_m = max(r.settings.borders.county_border_m for r in rules.values())
    tolerance = max(r.settings.borders.tolerance_m for r in rules.values())
    shapes = all_county_shapes(session)
    borders = county_borders(shapes, tolerance_m=tolerance)
    between = borders[borders["county_a"].isin(codes) & borders["county_b"].isin(codes)]
    retailers = load_frame(session, "retailers", actor, county_codes=codes)
    retailers = retailers[retailers["status"] == RetailerStatus.ACTIVE.value]
    retailers = gpd.GeoDataFrame(retailers.reset_index(drop=True), geometry="geometry")
    if not len(between):
        msg = f"counties {codes} share no border: a joint sweep covers a border band between them"
        raise InvalidInputError(msg, [{"field": "counties", "message": msg}])
    return retailers, border_bands(retailers, between, band_m=band_m)


def _candidates(session: Session, actor: Actor, codes: list[str]) -> pd.DataFrame:
    """The band's retailers with priority and reasons (outflow suspects, price outliers)."""
    retailers, bands = _band_retailers(session, actor, codes)
    reasons: dict[str, list[str]] = {}
    for row in bands.sort_values("border_m").itertuples(index=False):
        reasons.setdefault(str(row.licence_no), []).append(
            f"border market: {row.border_m:.0f} m from the border with {row.neighbour}"
        )
    priority: set[str] = set()
    for code in codes:
        suspects = outflow_report(session, actor, county=code).suspects
        for row in suspects.itertuples(index=False):
            licence = str(row.licence_no)
            if licence in reasons:
                priority.add(licence)
                reasons[licence].append(f"outflow suspect (score {row.score:.1f}): {row.reasons}")
        for outlier in price_outlier_report(session, actor, county=code).outliers:
            if outlier.licence_no in reasons:
                priority.add(outlier.licence_no)
                reasons[outlier.licence_no].append(
                    f"price outlier: {outlier.brand} {outlier.pack} at ¥{outlier.price:.2f}, "
                    f"{abs(outlier.deviation):.0%} {outlier.direction} the county median "
                    f"¥{outlier.county_median:.2f}"
                )
    county_of = dict(zip(retailers["licence_no"], retailers["county_code"], strict=True))
    licences = sorted(reasons)
    return pd.DataFrame(
        {
            "licence_no": licences,
            "county_code": [county_of[k] for k in licences],
            "priority": [k in priority for k in licences],
            "reasons": [reasons[k] for k in licences],
        }
    )


def _officers(session: Session, actor: Actor, codes: list[str]) -> pd.DataFrame:
    staff = load_frame(session, "staff", actor, county_codes=codes)
    staff = staff[staff["role"] == StaffRole.MONOPOLY_OFFICER.value]
    return pd.DataFrame(staff[["staff_no", "county_code"]]).sort_values(
        "staff_no", ignore_index=True
    )


def _settings(session: Session, codes: list[str], plan: SweepPlan) -> SweepSettings:
    base = county_rules(session, codes[:1])[codes[0]].settings.sweeps
    changes: dict[str, Any] = {}
    if plan.target_share is not None:
        changes["target_share"] = plan.target_share
    if plan.team_size is not None:
        changes["team_size"] = plan.team_size
    return SweepSettings.model_validate(base.model_dump() | changes)


@requires(Action.PLAN_SWEEPS)
def plan_sweep(session: Session, actor: Actor, plan: SweepPlan) -> SweepDetail:
    """Plan a joint sweep: gather candidates and officers, draw teams and targets, store.

    Raises
    ------
    NotFoundError
        If a county is not in the planner's scope.
    InvalidInputError
        If the counties share no border, the band holds no retailer, or a county has no
        monopoly officer.
    """
    codes = _visible_counties(actor, plan.counties)
    candidates = _candidates(session, actor, codes)
    officers = _officers(session, actor, codes)
    settings = _settings(session, codes, plan)
    seed = plan.seed if plan.seed is not None else secrets.randbelow(2**31)
    draw = draw_sweep(candidates, officers, counties=codes, seed=seed, settings=settings)
    year = plan.planned_for.year
    number = take_number(session, f"sweep:{year}")
    record = SweepRecord(
        sweep_no=f"ZZ{year}-{number:03d}",
        title=plan.title.strip() or f"毗邻市场集中整治 {plan.planned_for:%Y-%m-%d}",
        planned_for=plan.planned_for,
        seed=seed,
        algorithm=draw.algorithm,
        candidates_hash=draw.candidates_hash,
        officers_hash=draw.officers_hash,
        candidates=_json_rows(candidates),
        officers=_json_rows(officers),
        draw_json=draw.to_json(),
        planned_by=actor.username,
        counties=[SweepCounty(county_code=code) for code in codes],
    )
    record.targets = _targets(session, draw, candidates)
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        "sweeps.plan",
        kind="sweep",
        county_code=codes[0] if len(codes) == 1 else None,
        detail={
            "sweep_no": record.sweep_no,
            "counties": codes,
            "seed": seed,
            "candidates": len(candidates),
            "candidates_hash": draw.candidates_hash,
            "officers_hash": draw.officers_hash,
            "targets": len(record.targets),
            "algorithm": draw.algorithm,
        },
    )
    return _detail(session, record)


def _json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = frame.to_dict(orient="records")
    return [{k: (bool(v) if k == "priority" else v) for k, v in row.items()} for row in rows]


def _targets(session: Session, draw: SweepDraw, candidates: pd.DataFrame) -> list[SweepTarget]:
    licences = draw.targets.targets
    ids = dict(
        session.execute(
            select(Retailer.licence_no, Retailer.id).where(Retailer.licence_no.in_(licences))
        ).all()
    )
    info = candidates.set_index("licence_no")
    teams = draw.team_of()
    return [
        SweepTarget(
            position=position,
            retailer_id=ids[licence],
            county_code=str(info.at[licence, "county_code"]),
            team=teams[licence],
            priority=bool(info.at[licence, "priority"]),
            reasons=list(info.at[licence, "reasons"]),
            violations=0,
            version=0,
        )
        for position, licence in enumerate(licences, start=1)
    ]


# -- reading -------------------------------------------------------------------------------


def _sweep(session: Session, actor: Actor, sweep_no: str) -> SweepRecord:
    record = session.scalar(select(SweepRecord).where(SweepRecord.sweep_no == sweep_no))
    if record is None or not any(actor.can_see(c.county_code) for c in record.counties):
        raise NotFoundError("sweep", sweep_no)
    return record


def _summary_fields(record: SweepRecord) -> dict[str, Any]:
    done = [t for t in record.targets if t.outcome is not None]
    return {
        "sweep_no": record.sweep_no,
        "title": record.title,
        "planned_for": record.planned_for,
        "counties": [c.county_code for c in record.counties],
        "targets": len(record.targets),
        "recorded": len(done),
        "violations": sum(t.violations for t in done),
        "planned_by": record.planned_by,
        "planned_at": record.planned_at,
    }


def _target_view(target: SweepTarget) -> SweepTargetView:
    point = target.retailer.location
    return SweepTargetView(
        position=target.position,
        licence_no=target.retailer.licence_no,
        name=target.retailer.name,
        county_code=target.county_code,
        lon=round(float(point.x), 7),
        lat=round(float(point.y), 7),
        team=target.team,
        priority=target.priority,
        reasons=list(target.reasons),
        outcome=target.outcome,
        violations=target.violations,
        seized_cartons=target.seized_cartons,
        notes=target.notes,
        inspected_on=target.inspected_on,
        recorded_by=target.recorded_by,
        recorded_at=target.recorded_at,
        version=target.version,
    )


def _detail(session: Session, record: SweepRecord) -> SweepDetail:
    draw = SweepDraw.from_json(record.draw_json)
    staff = {o for t in draw.teams for o in t.officers}
    names = dict(
        session.execute(select(Staff.staff_no, Staff.name).where(Staff.staff_no.in_(staff))).all()
    )
    return SweepDetail(
        **_summary_fields(record),
        seed=record.seed,
        algorithm=record.algorithm,
        candidates=len(record.candidates),
        candidates_hash=record.candidates_hash,
        officers_hash=record.officers_hash,
        seized_cartons=float(sum(t.seized_cartons or 0 for t in record.targets)),
        teams=[
            SweepTeamView(
                team=t.team,
                officers=list(t.officers),
                names=[names.get(o, o) for o in t.officers],
                counties=list(t.counties),
            )
            for t in draw.teams
        ],
        target_rows=[_target_view(t) for t in record.targets],
    )


def _audit_shared_read(session: Session, actor: Actor, record: SweepRecord) -> None:
    for county in record.counties:
        audit.record_read(session, actor, "sweep", county.county_code, record.sweep_no)


@requires(Action.READ_SWEEPS)
def list_sweeps(session: Session, actor: Actor) -> list[SweepSummary]:
    """The sweeps one of the actor's counties takes part in, latest day first."""
    stmt = select(SweepRecord).order_by(SweepRecord.planned_for.desc(), SweepRecord.id.desc())
    if actor.counties is not None:
        mine = select(SweepCounty.sweep_id).where(SweepCounty.county_code.in_(actor.counties))
        stmt = stmt.where(SweepRecord.id.in_(mine))
    return [SweepSummary(**_summary_fields(r)) for r in session.scalars(stmt)]


@requires(Action.READ_SWEEPS)
def get_sweep(session: Session, actor: Actor, sweep_no: str) -> SweepDetail:
    """A sweep with its teams, targets and results (404 unless a county of yours takes part)."""
    record = _sweep(session, actor, sweep_no)
    _audit_shared_read(session, actor, record)
    return _detail(session, record)


@requires(Action.READ_SWEEPS)
def verify_sweep_draw(session: Session, actor: Actor, sweep_no: str) -> SweepVerification:
    """Draw the stored sweep again from its seed, candidates and officers, and compare;
    the stored targets and teams must match the stored draw too."""
    record = _sweep(session, actor, sweep_no)
    draw = SweepDraw.from_json(record.draw_json)
    candidates = pd.DataFrame(record.candidates)
    officers = pd.DataFrame(record.officers)
    stored = [(t.retailer.licence_no, t.team) for t in record.targets]
    try:
        verify_sweep(draw, candidates, officers)
    except DrawMismatchError as error:
        return SweepVerification(sweep_no=sweep_no, ok=False, message=error.message)
    if sorted(stored) != sorted(draw.team_of().items()) or record.seed != draw.seed:
        message = "the stored targets or teams differ from the stored draw"
        return SweepVerification(sweep_no=sweep_no, ok=False, message=message)
    message = (
        f"drawing again with seed {draw.seed} from {len(candidates)} candidates and "
        f"{len(officers)} officers gives the same {len(draw.teams)} teams and "
        f"{len(stored)} targets"
    )
    return SweepVerification(sweep_no=sweep_no, ok=True, message=message)


# -- results -------------------------------------------------------------------------------


@requires(Action.RECORD_SWEEPS)
def record_sweep_result(
    session: Session, actor: Actor, sweep_no: str, result: SweepResultIn
) -> SweepTargetView:
    """Record (or correct) what a team found at one target.

    Raises
    ------
    NotFoundError
        If the sweep is not one of the actor's counties'.
    InvalidInputError
        If the retailer was not drawn, or the outcome, date or counts are wrong.
    ConflictError
        If ``base_version`` is not the target's current version (someone recorded since);
        ``current`` is the result in force.
    """
    record = _sweep(session, actor, sweep_no)
    target = session.scalar(
        select(SweepTarget)
        .join(Retailer)
        .where(SweepTarget.sweep_id == record.id, Retailer.licence_no == result.licence_no)
        .with_for_update(of=SweepTarget)
    )
    if target is None:
        msg = f"retailer {result.licence_no} was not drawn in sweep {sweep_no}"
        raise InvalidInputError(msg, [{"field": "licence_no", "message": msg}])
    session.refresh(target)  # the locked row, not a copy read before the lock
    if result.base_version is not None and result.base_version != target.version:
        msg = (
            f"the result of {result.licence_no} was recorded by {target.recorded_by} since "
            f"you read it (version {target.version}); reload and check it before recording"
        )
        raise ConflictError(msg, current=_target_view(target).model_dump(mode="json"))
    outcome = parse_outcome(result.outcome) if isinstance(result.outcome, str) else result.outcome
    if result.inspected_on < record.planned_at.date():
        msg = f"inspected_on {result.inspected_on} is before the sweep was planned"
        raise InvalidInputError(msg, [{"field": "inspected_on", "message": msg}])
    previous = _target_view(target) if target.outcome is not None else None
    target.outcome = outcome
    target.violations = _violations(outcome, result.violations)
    target.seized_cartons = result.seized_cartons
    target.notes = result.notes
    target.inspected_on = result.inspected_on
    target.recorded_by = actor.username
    target.recorded_at = _utcnow()
    target.version += 1
    session.flush()
    view = _target_view(target)
    audit.record(
        session,
        actor,
        "sweeps.result.correct" if previous is not None else "sweeps.result",
        kind="sweep_target",
        county_code=target.county_code,
        detail={
            "sweep_no": sweep_no,
            "licence_no": result.licence_no,
            "outcome": outcome.value,
            "violations": target.violations,
            "seized_cartons": target.seized_cartons,
            "version": target.version,
        }
        | ({"previous": previous.model_dump(mode="json")} if previous is not None else {}),
    )
    return view
