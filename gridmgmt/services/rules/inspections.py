"""Double-random inspections (双随机、一公开): draw, store, verify, record results, publish.

A draw is made for one county and one period from the county's active retailers and its
monopoly officers, with the county's inspection settings. It is stored with who drew it,
when, the seed, the population and officer hashes and the canonical JSON of the draw, so
anyone can redraw it and compare (:func:`verify_inspection_draw`). A county and period
hold one current draw: drawing again is refused unless a reason is given (a conflict,
:class:`DrawExistsError`), and then the old draw is kept, marked superseded, and the redraw
is audited.

Services return :class:`DrawSummary`, :class:`DrawDetail`, :class:`InspectionRow`,
:class:`RecordedResult` and :class:`DrawVerification` results; no stored row leaves here.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any, Final

import pandas as pd
from pydantic import AliasChoices, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmgmt.domain import InspectionOutcome, RetailerStatus, StaffRole
from gridmgmt.errors import ConflictError, InvalidInputError, NotFoundError
from gridmgmt.policy import Action, requires
from gridmgmt.rules.draws import (
    DrawMismatchError,
    InspectionDraw,
    draw_inspections,
    verify_draw,
)
from gridmgmt.rules.settings import InspectionSettings
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.results import Result, jsonable
from gridmgmt.services.row_versions import check_base_version, claim_version, insert_first
from gridmgmt.services.rules._common import (
    county_rules,
    require_visible,
    scope_counties,
    validated,
)
from gridmgmt.services.scope import scoped
from gridmgmt.store.models import Retailer, Staff
from gridmgmt.store.models.base import _utcnow
from gridmgmt.store.models.rules import (
    InspectionAssignment,
    InspectionDrawRecord,
    InspectionResult,
    InspectionTarget,
)

__all__ = [
    "OUTCOME_LABELS_ZH",
    "DrawDetail",
    "DrawExistsError",
    "DrawSummary",
    "DrawVerification",
    "InspectionRow",
    "RecordedResult",
    "draw_population",
    "get_draw",
    "inspection_rows",
    "list_draws",
    "make_draw",
    "parse_outcome",
    "record_inspection_result",
    "results_frame",
    "verify_inspection_draw",
]

OUTCOME_LABELS_ZH: Final[dict[InspectionOutcome, str]] = {
    InspectionOutcome.COMPLIANT: "未发现问题",
    InspectionOutcome.VIOLATION: "发现违法违规",
    InspectionOutcome.NOT_OPEN: "未营业",
    InspectionOutcome.NOT_FOUND: "查无此户",
}

PERIOD_PATTERN: Final = re.compile(r"^\d{4}(?:-(?:0[1-9]|1[0-2])|-Q[1-4]|-H[12])?$")
PERIOD_FORMS: Final = ["YYYY", "YYYY-MM", "YYYY-Qn", "YYYY-Hn"]
MAX_SEED: Final = 10**12  # a seed short enough to read out and publish
_OUTCOME_NAMES: Final = {
    **{o.value: o for o in InspectionOutcome},
    **{label: o for o, label in OUTCOME_LABELS_ZH.items()},
    "合格": InspectionOutcome.COMPLIANT,
    "违规": InspectionOutcome.VIOLATION,
    "违法": InspectionOutcome.VIOLATION,
}


class DrawExistsError(ConflictError):
    """The county and period already have a current draw; redrawing needs a reason."""


class DrawVerification(Result):
    """Whether a stored draw is what its seed and population give (a result either way)."""

    draw_id: int
    ok: bool
    message: str


class DrawSummary(Result):
    """A stored draw: who drew it, when, from what, under which rules."""

    id: int
    county_code: str
    period: str
    revision: int
    current: bool
    seed: int
    quota: int
    population_size: int
    population_hash: str
    officers_hash: str
    algorithm: str
    rules: dict[str, Any]
    drawn_by: str
    drawn_at: dt.datetime
    replaces: int | None = Field(validation_alias=AliasChoices("replaces", "replaces_id"))
    replace_reason: str | None


class InspectionRow(Result):
    """A drawn retailer, its drawn officers and, once recorded, what the inspection found."""

    position: int
    """1-based, in the order of the draw."""
    licence_no: str
    name: str
    address: str | None
    grid_id: str | None
    key_retailer: bool
    officers: str
    """Staff numbers of the drawn officers, ``;``-separated."""
    officer_names: str
    inspected_on: dt.date | None
    outcome: InspectionOutcome | None
    outcome_zh: str
    violations: int | None
    inspectors: str | None
    """Staff numbers of those who inspected, ``;``-separated."""
    notes: str | None
    version: int = 0
    """The result's version (0 while none is recorded): send it back as ``base_version``."""


class DrawDetail(DrawSummary):
    """A stored draw with its inspections and their results so far."""

    inspections: list[InspectionRow]


class RecordedResult(Result):
    """What was recorded for one drawn retailer."""

    draw_id: int
    licence_no: str
    outcome: InspectionOutcome
    violations: int
    inspected_on: dt.date
    inspectors: list[str]
    notes: str | None
    version: int = Field(description="Send it back as base_version to correct it (409 if stale).")


def parse_period(period: str) -> str:
    """Check a period name: ``YYYY``, ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY-Hn``."""
    text = period.strip().upper()
    if not PERIOD_PATTERN.match(text):
        msg = f"`period` was {period!r} but is expected to be one of the forms {PERIOD_FORMS}"
        raise InvalidInputError(msg)
    return text


def parse_outcome(text: str) -> InspectionOutcome:
    """An inspection outcome from its English value or Chinese label."""
    key = text.strip()
    outcome = _OUTCOME_NAMES.get(key) or _OUTCOME_NAMES.get(key.lower())
    if outcome is None:
        allowed = [o.value for o in InspectionOutcome]
        msg = f"`outcome` was {text!r} but is expected to be in {allowed} (or 中文: "
        msg += ", ".join(OUTCOME_LABELS_ZH.values()) + ")"
        raise InvalidInputError(msg)
    return outcome


def draw_population(
    session: Session, actor: Actor, county: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The population and officer list a draw of ``county`` is made from.

    Returns
    -------
    tuple of pandas.DataFrame
        Active retailers (``licence_no``, ``grid_id`` when grids exist, ``key_retailer``)
        and monopoly officers (``staff_no``, ``grid_id`` when officers have grids).
    """
    retailers = load_frame(session, "retailers", actor, county_codes=[county])
    retailers = retailers[retailers["status"] == RetailerStatus.ACTIVE.value]
    columns = [c for c in ("licence_no", "grid_id", "key_retailer") if c in retailers.columns]
    staff = load_frame(session, "staff", actor, county_codes=[county])
    staff = staff[staff["role"] == StaffRole.MONOPOLY_OFFICER.value]
    # An officer may work several grids: the draw excludes all of them (`grid_ids`).
    if "grid_ids" in staff.columns:
        staff = staff.assign(grid_id=staff["grid_ids"])
    officer_columns = [c for c in ("staff_no", "grid_id") if c in staff.columns]
    return (
        pd.DataFrame(retailers[columns]).reset_index(drop=True),
        pd.DataFrame(staff[officer_columns]).reset_index(drop=True),
    )


def _current(session: Session, county: str, period: str) -> InspectionDrawRecord | None:
    return session.scalar(
        select(InspectionDrawRecord).where(
            InspectionDrawRecord.county_code == county,
            InspectionDrawRecord.period == period,
            InspectionDrawRecord.superseded_at.is_(None),
        )
    )


@requires(Action.DRAW_INSPECTIONS)
def make_draw(
    session: Session,
    actor: Actor,
    *,
    county: str,
    period: str,
    share: float | None = None,
    seed: int | None = None,
    key_retailers_always: bool | None = None,
    exclude_own_grid: bool | None = None,
    replace_reason: str | None = None,
) -> DrawDetail:
    """Draw inspection targets and inspectors for a county and period, and store the draw.

    Parameters
    ----------
    session
        An open session (the caller commits).
    actor
        Who draws: an officer or admin of the county; recorded with the draw.
    county
        The county.
    period
        ``YYYY``, ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY-Hn``.
    share
        Quota as a share of the active retailers; by default the county's setting.
    seed
        Seed of the draw; by default a random one (recorded, so the draw can be redrawn).
    key_retailers_always, exclude_own_grid
        Override the county's settings.
    replace_reason
        Needed when the county and period already have a draw: the old one is kept,
        marked superseded, and the redraw is audited with this reason.

    Raises
    ------
    DrawExistsError
        If a current draw exists and no reason is given (a conflict).
    NotFoundError
        If the county is not one of the actor's.
    InvalidInputError
        If the period or seed is malformed, or the rules leave too few officers.
    """
    (code,) = scope_counties(session, actor, county)
    period = parse_period(period)
    if seed is not None and not 0 <= seed < 2**63:
        msg = f"seed must be an integer in [0, 2**63); got {seed}"
        raise InvalidInputError(msg)
    previous = _current(session, code, period)
    if previous is not None and not (replace_reason and replace_reason.strip()):
        msg = (
            f"county {code} already has draw #{previous.id} for {period}, drawn by "
            f"{previous.drawn_by} at {previous.drawn_at:%Y-%m-%d %H:%M} UTC; a stored draw "
            "is never replaced silently: give a reason (--replace REASON) to redraw, "
            "and the old draw is kept, marked superseded"
        )
        current = DrawSummary.model_validate(previous).model_dump(mode="json")
        raise DrawExistsError(msg, current=current)
    settings = _settings(session, code, share, key_retailers_always, exclude_own_grid)
    retailers, officers = draw_population(session, actor, code)
    chosen_seed = secrets.randbelow(MAX_SEED) if seed is None else int(seed)
    draw = draw_inspections(retailers, officers, seed=chosen_seed, settings=settings)
    record = _store_draw(session, actor, code, period, draw, previous, replace_reason)
    _audit_draw(session, actor, record, draw, previous)
    return _detail(record)


def _store_draw(
    session: Session,
    actor: Actor,
    code: str,
    period: str,
    draw: InspectionDraw,
    previous: InspectionDrawRecord | None,
    replace_reason: str | None,
) -> InspectionDrawRecord:
    """Store a draw with its targets; a previous one is kept, marked superseded."""
    now = _utcnow()
    revision = 1
    if previous is not None:
        previous.superseded_at = now
        revision = previous.revision + 1
        session.flush()  # the old draw leaves the one-current-draw index first
    record = InspectionDrawRecord(
        county_code=code,
        period=period,
        revision=revision,
        seed=draw.seed,
        quota=draw.quota,
        population_size=draw.population_size,
        population_hash=draw.population_hash,
        officers_hash=draw.officers_hash,
        algorithm=draw.algorithm,
        rules=draw.settings,
        draw_json=draw.to_json(),
        drawn_by=actor.username,
        drawn_at=now,
        replaces_id=previous.id if previous is not None else None,
        replace_reason=replace_reason.strip() if previous is not None and replace_reason else None,
    )
    record.targets = _targets(session, code, draw)
    session.add(record)
    try:
        session.flush()
    except IntegrityError as error:  # another draw for the county and period came first
        if "inspection_draws" not in str(error.orig):
            raise
        msg = (
            f"county {code} got another draw for {period} while this one was made; "
            "reload it, and give a reason to redraw"
        )
        raise DrawExistsError(msg) from None
    return record


def _audit_draw(
    session: Session,
    actor: Actor,
    record: InspectionDrawRecord,
    draw: InspectionDraw,
    previous: InspectionDrawRecord | None,
) -> None:
    detail: dict[str, Any] = {
        "draw_id": record.id,
        "period": record.period,
        "seed": draw.seed,
        "quota": draw.quota,
        "population_size": draw.population_size,
        "population_hash": draw.population_hash,
        "officers_hash": draw.officers_hash,
    }
    if previous is not None:
        results = session.scalar(
            select(func.count()).where(InspectionResult.draw_id == previous.id)
        )
        detail |= {"replaces": previous.id, "reason": record.replace_reason, "results": results}
    action = "inspections.redraw" if previous is not None else "inspections.draw"
    county = record.county_code
    audit.record(session, actor, action, kind="inspection_draw", county_code=county, detail=detail)


def _settings(
    session: Session,
    county: str,
    share: float | None,
    key_retailers_always: bool | None,
    exclude_own_grid: bool | None,
) -> InspectionSettings:
    base = county_rules(session, [county])[county].settings.inspections
    update: dict[str, Any] = {}
    if share is not None:
        update["quota_share"] = share
    if key_retailers_always is not None:
        update["key_retailers_always"] = key_retailers_always
    if exclude_own_grid is not None:
        update["exclude_own_grid"] = exclude_own_grid
    return validated(InspectionSettings, {**base.model_dump(), **update}, "inspection settings")


def _targets(session: Session, county: str, draw: InspectionDraw) -> list[InspectionTarget]:
    licences = [i.retailer for i in draw.inspections]
    officers = sorted({o for i in draw.inspections for o in i.officers})
    retailers = select(Retailer.licence_no, Retailer.id).where(Retailer.licence_no.in_(licences))
    retailer_ids: dict[str, int] = {str(a): int(b) for a, b in session.execute(retailers)}
    staff = select(Staff.staff_no, Staff.id).where(Staff.staff_no.in_(officers))
    staff_ids: dict[str, int] = {str(a): int(b) for a, b in session.execute(staff)}
    return [
        InspectionTarget(
            position=position,
            retailer_id=retailer_ids[inspection.retailer],
            county_code=county,
            grid_id=inspection.grid_id,
            key_retailer=inspection.key_retailer,
            assignments=[InspectionAssignment(staff_id=staff_ids[o]) for o in inspection.officers],
        )
        for position, inspection in enumerate(draw.inspections)
    ]


def _draw(session: Session, actor: Actor, draw_id: int) -> InspectionDrawRecord:
    """The stored draw, if the actor may see it (else :class:`NotFoundError`)."""
    record = session.get(InspectionDrawRecord, draw_id)
    if record is None:
        raise NotFoundError("inspection draw", draw_id)
    require_visible(actor, record.county_code, "inspection draw", draw_id)
    return record


def _detail(record: InspectionDrawRecord) -> DrawDetail:
    summary = DrawSummary.model_validate(record)
    return DrawDetail(**dict(summary), inspections=_rows(record))


@requires(Action.READ_INSPECTIONS)
def get_draw(session: Session, actor: Actor, draw_id: int) -> DrawDetail:
    """A stored draw the actor may see, with its inspections and results so far.

    Raises
    ------
    NotFoundError
        If there is no such draw, or it is another county's.
    """
    return _detail(_draw(session, actor, draw_id))


@requires(Action.READ_INSPECTIONS)
def list_draws(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    period: str | None = None,
    include_superseded: bool = False,
) -> list[DrawSummary]:
    """The actor's stored draws, newest period first."""
    stmt = scoped(select(InspectionDrawRecord), InspectionDrawRecord.county_code, actor)
    if county is not None:
        stmt = stmt.where(InspectionDrawRecord.county_code == county)
    if period is not None:
        stmt = stmt.where(InspectionDrawRecord.period == parse_period(period))
    if not include_superseded:
        stmt = stmt.where(InspectionDrawRecord.superseded_at.is_(None))
    order = (
        InspectionDrawRecord.period.desc(),
        InspectionDrawRecord.county_code,
        InspectionDrawRecord.revision.desc(),
    )
    return [DrawSummary.model_validate(r) for r in session.scalars(stmt.order_by(*order))]


@requires(Action.READ_INSPECTIONS)
def verify_inspection_draw(session: Session, actor: Actor, draw_id: int) -> DrawVerification:
    """Redraw a stored draw from its seed and today's population and compare.

    The stored targets and officers must also match the stored JSON. A changed population
    (a new licence, a retailer moved to another grid) is reported as such: the draw was
    made from the population of its day, whose hash it carries.
    """
    record = _draw(session, actor, draw_id)
    draw = InspectionDraw.from_json(record.draw_json)
    stored = [
        (t.retailer.licence_no, sorted(a.staff.staff_no for a in t.assignments))
        for t in record.targets
    ]
    expected = [(i.retailer, sorted(i.officers)) for i in draw.inspections]
    if stored != expected:
        message = "the stored targets differ from the draw's JSON"
        return DrawVerification(draw_id=record.id, ok=False, message=message)
    retailers, officers = draw_population(session, actor, record.county_code)
    try:
        verify_draw(draw, retailers, officers)
    except DrawMismatchError as error:
        return DrawVerification(draw_id=record.id, ok=False, message=str(error))
    message = (
        f"draw #{record.id} verified: seed {record.seed} over {record.population_size} "
        f"retailers (sha256 {record.population_hash[:12]}...) gives the same "
        f"{len(draw.inspections)} inspections"
    )
    return DrawVerification(draw_id=record.id, ok=True, message=message)


@requires(Action.RECORD_INSPECTIONS)
def record_inspection_result(
    session: Session,
    actor: Actor,
    *,
    draw_id: int,
    licence_no: str,
    outcome: InspectionOutcome | str,
    inspected_on: dt.date,
    violations: int | None = None,
    inspectors: list[str] | None = None,
    notes: str | None = None,
    base_version: int | None = None,
) -> RecordedResult:
    """Record what the inspection of a drawn retailer found (a second call corrects it).

    Parameters
    ----------
    session
        An open session (the caller commits).
    actor
        An officer or admin of the draw's county.
    draw_id
        The current draw the retailer was drawn in.
    licence_no
        The retailer.
    outcome
        ``compliant``, ``violation``, ``not_open`` or ``not_found`` (or the Chinese label).
    inspected_on
        Date of the inspection.
    violations
        Number of violations found: at least 1 for ``violation``, else 0 (the default).
    inspectors
        Staff numbers of the officers who inspected; by default those drawn. At least
        as many as the draw's ``officers_per_inspection``, all monopoly officers of the
        county.
    notes
        Free text.
    base_version
        The result's ``version`` the correction was made from (0: no result was seen);
        by default the one read now.

    Raises
    ------
    NotFoundError
        If the draw is not the actor's.
    ConflictError
        If the draw was superseded by a redraw, or the result was recorded or corrected
        by someone else since ``base_version`` (with the result as it is now).
    InvalidInputError
        If the retailer was not drawn or the values are wrong.
    """
    record = _draw(session, actor, draw_id)
    if not record.current:
        msg = f"draw #{draw_id} was superseded by a redraw; record results against the current one"
        raise ConflictError(msg)
    target = next((t for t in record.targets if t.retailer.licence_no == licence_no), None)
    if target is None:
        msg = f"retailer {licence_no} was not drawn in draw #{draw_id}"
        raise InvalidInputError(msg)
    outcome = parse_outcome(outcome) if isinstance(outcome, str) else outcome
    count = _violations(outcome, violations)
    if inspected_on < record.drawn_at.date():
        msg = (
            f"inspected_on {inspected_on} is before the draw was made ({record.drawn_at:%Y-%m-%d})"
        )
        raise InvalidInputError(msg)
    names = _inspectors(session, record, target, inspectors)
    values = {
        "outcome": outcome,
        "violations": count,
        "inspected_on": inspected_on,
        "inspectors": names,
        "notes": notes,
        "recorded_by": actor.username,
    }
    previous = target.result
    before = _result_dict(previous) if previous is not None else None
    result = _store_result(session, record, target, values, base_version=base_version)
    audit.record(
        session,
        actor,
        "inspections.result.correct" if previous is not None else "inspections.result",
        kind="inspection_result",
        county_code=record.county_code,
        detail={"draw_id": record.id, "licence_no": licence_no, **_result_dict(result)}
        | ({"previous": before} if before is not None else {}),
    )
    return _recorded(record.id, licence_no, result)


def _recorded(draw_id: int, licence_no: str, result: InspectionResult) -> RecordedResult:
    return RecordedResult(
        draw_id=draw_id,
        licence_no=licence_no,
        outcome=InspectionOutcome(result.outcome),
        violations=result.violations,
        inspected_on=result.inspected_on,
        inspectors=list(result.inspectors),
        notes=result.notes,
        version=result.version,
    )


def _store_result(
    session: Session,
    record: InspectionDrawRecord,
    target: InspectionTarget,
    values: dict[str, Any],
    *,
    base_version: int | None,
) -> InspectionResult:
    """Store a target's first result or correct it, compare-and-set on its version."""
    licence_no = target.retailer.licence_no
    what = f"the result of retailer {licence_no} in draw #{record.id}"

    def current() -> dict[str, Any] | None:
        session.expire(target, ["result"])
        stored = target.result
        return None if stored is None else jsonable(_recorded(record.id, licence_no, stored))

    previous = target.result
    if previous is None:
        check_base_version(base_version, 0, what=what, current=current)
        row = {"target_id": target.id, "draw_id": record.id, "county_code": record.county_code}
        insert_first(
            session, InspectionResult, row | values, key=["target_id"], what=what, current=current
        )
        session.expire(target, ["result"])
        return session.scalars(
            select(InspectionResult).where(InspectionResult.target_id == target.id)
        ).one()
    claim_version(session, previous, base_version=base_version, what=what, current=current)
    for name, value in values.items():
        setattr(previous, name, value)
    session.flush()
    return previous


def _violations(outcome: InspectionOutcome, violations: int | None) -> int:
    if outcome is InspectionOutcome.VIOLATION:
        count = 1 if violations is None else violations
        if count < 1:
            msg = "an outcome of 'violation' needs at least 1 violation"
            raise InvalidInputError(msg)
        return count
    if violations not in (None, 0):
        msg = f"an outcome of {outcome.value!r} has no violations; got {violations}"
        raise InvalidInputError(msg)
    return 0


def _inspectors(
    session: Session,
    record: InspectionDrawRecord,
    target: InspectionTarget,
    inspectors: list[str] | None,
) -> list[str]:
    drawn = sorted(a.staff.staff_no for a in target.assignments)
    names = drawn if inspectors is None else sorted(set(inspectors))
    needed = int(record.rules.get("officers_per_inspection", 2))
    if len(names) < needed:
        msg = f"an inspection needs at least {needed} officers; got {names}"
        raise InvalidInputError(msg)
    known = set(
        session.scalars(
            select(Staff.staff_no).where(
                Staff.staff_no.in_(names),
                Staff.county_code == record.county_code,
                Staff.role == StaffRole.MONOPOLY_OFFICER,
            )
        )
    )
    unknown = sorted(set(names) - known)
    if unknown:
        msg = f"{unknown} are not monopoly officers of county {record.county_code}"
        raise InvalidInputError(msg)
    return names


def _result_dict(result: InspectionResult) -> dict[str, Any]:
    return {
        "outcome": InspectionOutcome(result.outcome).value,
        "violations": result.violations,
        "inspected_on": result.inspected_on.isoformat(),
        "inspectors": list(result.inspectors),
        "notes": result.notes,
    }


RESULT_COLUMNS: Final = list(InspectionRow.model_fields)


def _row(target: InspectionTarget) -> InspectionRow:
    result = target.result
    staff = sorted((a.staff for a in target.assignments), key=lambda s: s.staff_no)
    outcome = InspectionOutcome(result.outcome) if result is not None else None
    return InspectionRow(
        position=target.position + 1,
        licence_no=target.retailer.licence_no,
        name=target.retailer.name,
        address=target.retailer.address,
        grid_id=target.grid_id,
        key_retailer=target.key_retailer,
        officers=";".join(s.staff_no for s in staff),
        officer_names="、".join(s.name for s in staff),
        inspected_on=result.inspected_on if result is not None else None,
        outcome=outcome,
        outcome_zh=OUTCOME_LABELS_ZH[outcome] if outcome is not None else "待检查",
        violations=result.violations if result is not None else None,
        inspectors=";".join(result.inspectors) if result is not None else None,
        notes=result.notes if result is not None else None,
        version=result.version if result is not None else 0,
    )


def _rows(record: InspectionDrawRecord) -> list[InspectionRow]:
    return [_row(target) for target in record.targets]


@requires(Action.READ_INSPECTIONS)
def inspection_rows(session: Session, actor: Actor, draw_id: int) -> list[InspectionRow]:
    """One row per drawn retailer with its drawn officers and, once recorded, its result."""
    return _rows(_draw(session, actor, draw_id))


def rows_frame(rows: list[InspectionRow]) -> pd.DataFrame:
    """Inspection rows as a table (``outcome`` as its plain value), for CSV and pages."""
    data = [{**row.model_dump(), "outcome": row.outcome and row.outcome.value} for row in rows]
    frame = pd.DataFrame(data, columns=RESULT_COLUMNS)
    frame["violations"] = frame["violations"].astype("Int64")
    return frame


@requires(Action.READ_INSPECTIONS)
def results_frame(session: Session, actor: Actor, draw_id: int) -> pd.DataFrame:
    """:func:`inspection_rows` as a table (the columns of :class:`InspectionRow`)."""
    return rows_frame(_rows(_draw(session, actor, draw_id)))
