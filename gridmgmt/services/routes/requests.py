"""One typed request per route-planning action, validated once, with one set of defaults.

:class:`PlanRequest` (a depot's day), :class:`WeekRequest` (its week) and
:class:`ReplanRequest` (a planned day after order changes) share :class:`SolverOptions`
(time limit, seed, iteration bound); the engine's :class:`~gridmgmt.routing.vrp.PlanSettings`
is built from them in one place (:meth:`SolverOptions.engine_settings`). The API takes these
models as its bodies (the JSON field names are the attribute names); the CLI builds them
from its options with :meth:`RouteRequest.of`, which turns a validation error into
:class:`~gridmgmt.errors.InvalidInputError`. A new solver option is a field here plus its
CLI option.

Closures are GeoJSON features in WGS-84 on the wire and :class:`~gridmgmt.routing.closures.
Closure` objects once validated (a face reading a closure file passes the objects); a
replan's current plan is the JSON of :func:`~gridmgmt.services.routes.codec.plan_to_json`
on the wire and a :class:`~gridmgmt.routing.model.DayPlan` once validated.

The road network is not part of a request: it is the deployment's (the settings' roads
file), passed by the face beside the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Final, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    InstanceOf,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing.closures import Closure, ClosurePolicy
from gridmgmt.routing.model import DayPlan
from gridmgmt.routing.vrp import PlanSettings
from gridmgmt.services.bounds import Count, SolverSeed, Version
from gridmgmt.services.routes.closures import closure_feature, closures_from_features
from gridmgmt.services.routes.codec import plan_from_json, plan_to_json

__all__ = [
    "MAX_TIME_LIMIT_S",
    "PlanRequest",
    "ReplanRequest",
    "RouteRequest",
    "SolverOptions",
    "WeekRequest",
    "check_solver_budget",
]

_ENGINE: Final = PlanSettings()
Cartons = Annotated[Count, Field(ge=1)]
"""Cartons of one order (at least one)."""
MAX_TIME_LIMIT_S: Final = 600.0
"""The largest solver budget a request may ask for, in seconds (per day for a week)."""
MAX_ITERATIONS: Final = 1_000_000
REPLAN_TIME_LIMIT_S: Final = 10.0
REPLAN_MAX_ITERATIONS: Final = 5_000

CLOSURES_HELP: Final = (
    "Closures (封控区, 施工路段) as GeoJSON features in WGS-84: (Multi)Polygons with "
    "optional properties id, start, end (dates or datetimes) and reason."
)
CLOSURE_MODE_HELP: Final = (
    "Retailers inside a closure: skipped with the reason, or served at a handoff point on "
    "its edge (约时约地)."
)


def _closures(value: Any) -> Any:
    if value is None or isinstance(value, Closure):
        return value
    items = list(value)
    if all(isinstance(item, Closure) for item in items):
        return tuple(items)
    if all(isinstance(item, Mapping) for item in items):
        return tuple(closures_from_features(items))
    msg = "closures must be GeoJSON features"
    raise InvalidInputError(msg)


def _features(closures: tuple[Closure, ...]) -> list[dict[str, Any]]:
    return [closure_feature(c) for c in closures]


Closures = Annotated[
    tuple[InstanceOf[Closure], ...],
    BeforeValidator(_closures),
    PlainSerializer(_features, return_type=list[dict[str, Any]]),
    WithJsonSchema({"type": "array", "items": {"type": "object"}, "description": CLOSURES_HELP}),
]
"""Closures: GeoJSON features on the wire, :class:`Closure` objects once validated."""


def _day_plan(value: Any) -> Any:
    if value is None or isinstance(value, DayPlan):
        return value
    if isinstance(value, Mapping):
        return plan_from_json(value)
    msg = "the plan must be a saved day plan (JSON object)"
    raise InvalidInputError(msg)


CurrentPlan = Annotated[
    InstanceOf[DayPlan],
    BeforeValidator(_day_plan),
    PlainSerializer(plan_to_json, return_type=dict[str, Any]),
    WithJsonSchema(
        {
            "type": "object",
            "description": "A saved day plan (`plan` of POST /routes/plan).",
        }
    ),
]


class RouteRequest(BaseModel):
    """Base of the route requests: immutable; unknown fields are ignored, as before."""

    model_config = ConfigDict(frozen=True)

    @classmethod
    def of(cls, **values: Any) -> Self:
        """Validate ``values`` into a request; a bad value is :class:`InvalidInputError`.

        A face leaves out the options it was not given, so the defaults here apply.
        """
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = [
                {"field": ".".join(str(part) for part in e["loc"]), "message": e["msg"]}
                for e in error.errors(include_url=False)
            ]
            first = problems[0]
            msg = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
            raise InvalidInputError(msg, problems=problems) from None


class SolverOptions(RouteRequest):
    """How long and how the search runs (the same for a day, a week and a replan)."""

    # Declared in the API schema too: not both bounds null (an absent one has its default).
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "anyOf": [
                {"properties": {"time_limit": {"type": "number"}}},
                {"properties": {"max_iterations": {"type": "integer"}}},
            ]
        },
    )

    time_limit: float | None = Field(
        default=_ENGINE.time_limit_s,
        gt=0,
        le=MAX_TIME_LIMIT_S,
        description="Solver seconds (per day for a week); null: the iteration bound ends it.",
    )
    seed: SolverSeed = Field(default=_ENGINE.seed, description="Solver seed.")
    max_iterations: int | None = Field(
        default=_ENGINE.max_iterations,
        ge=1,
        le=MAX_ITERATIONS,
        description="Iteration bound of the search; the plan is reproducible for a seed "
        "when this bound, not the time limit, ends it.",
    )

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if self.time_limit is None and self.max_iterations is None:
            msg = "the search needs a bound: give `time_limit` or `max_iterations`"
            raise ValueError(msg)
        return self

    def check_budget(self, max_seconds: float) -> None:
        """Refuse a time budget over ``max_seconds`` (the ``max_solver_seconds`` setting)."""
        check_solver_budget(self.time_limit, max_seconds)

    def engine_settings(self, closure_mode: ClosurePolicy = ClosurePolicy.SKIP) -> PlanSettings:
        """The engine's settings for these options (the one place they are translated)."""
        return PlanSettings(
            time_limit_s=self.time_limit,
            max_iterations=self.max_iterations,
            seed=self.seed,
            closure_policy=ClosurePolicy(closure_mode),
        )


def check_solver_budget(time_limit: float | None, max_seconds: float) -> None:
    """Refuse a solver time budget over ``max_seconds`` (InvalidInputError, 422).

    The request models bound ``time_limit`` by :data:`MAX_TIME_LIMIT_S`; the deployment's
    ``max_solver_seconds`` setting bounds it further, per request (per day for a week).
    """
    if time_limit is not None and time_limit > max_seconds:
        msg = (
            f"`time_limit` was {time_limit:g} s but is at most {max_seconds:g} s here "
            "(setting max_solver_seconds)"
        )
        raise InvalidInputError(msg, [{"field": "time_limit", "message": msg}])


class _DepotPlan(SolverOptions):
    depot_code: str = Field(min_length=1, description="The depot's code.")
    closures: Closures = ()
    closure_mode: ClosurePolicy = Field(default=ClosurePolicy.SKIP, description=CLOSURE_MODE_HELP)


class PlanRequest(_DepotPlan):
    """Plan a depot's delivery day (日配送线路): its vehicles, its county's orders of the day.

    The closures active on the day close their roads; retailers inside them are skipped
    (reported) or served at a handoff point, by ``closure_mode``.
    """

    date: dt.date = Field(description="Delivery date.")

    @property
    def day(self) -> dt.date:
        """The delivery date."""
        return self.date


class WeekRequest(_DepotPlan):
    """Plan a depot's week: retailers' delivery weekdays (balanced, stable), each day routed."""

    week_of: dt.date = Field(description="Any date of the week.")

    @property
    def monday(self) -> dt.date:
        """The Monday of the week."""
        return self.week_of - dt.timedelta(days=self.week_of.weekday())


class ReplanRequest(SolverOptions):
    """Re-optimise a planned day (调整配送计划) after orders are added, cancelled or changed.

    The start is ``plan`` when given, else the stored current plan (whose earlier order
    changes, closures and closure mode still apply unless given here).
    """

    depot_code: str = Field(min_length=1, description="The depot's code.")
    date: dt.date = Field(description="Delivery date.")
    time_limit: float | None = Field(
        default=REPLAN_TIME_LIMIT_S,
        gt=0,
        le=MAX_TIME_LIMIT_S,
        description="Solver seconds; null: the iteration bound ends the search.",
    )
    max_iterations: int | None = Field(
        default=REPLAN_MAX_ITERATIONS,
        ge=1,
        le=MAX_ITERATIONS,
        description="Iteration bound of the search.",
    )
    plan: CurrentPlan | None = Field(
        default=None,
        description="Start from this plan (`plan` of POST /routes/plan) instead of the "
        "stored current plan.",
    )
    closures: Closures | None = Field(
        default=None, description=CLOSURES_HELP + " Default: the stored plan's."
    )
    closure_mode: ClosurePolicy | None = Field(
        default=None, description=CLOSURE_MODE_HELP + " Default: the stored plan's."
    )
    add: dict[str, Cartons] = Field(
        default_factory=dict, description="New orders: cartons by licence number."
    )
    cancel: tuple[str, ...] = Field(default=(), description="Licence numbers cancelling.")
    change: dict[str, Cartons] = Field(
        default_factory=dict, description="Changed orders: new cartons by licence number."
    )
    base_version: Version | None = Field(
        default=None,
        ge=1,
        description="The stored version this replan is computed from (`plan_version` of the "
        "plan read). Storing fails with a conflict (409, the version in force in `current`) "
        "when it is no longer the current one. Default: the current version when the "
        "replan starts.",
    )

    @model_validator(mode="after")
    def _plan_of_the_day(self) -> Self:
        if self.plan is not None and self.plan.day != self.date:
            msg = (
                f"the current plan is for {self.plan.day.isoformat()}, not {self.date.isoformat()}"
            )
            raise ValueError(msg)
        return self

    @property
    def day(self) -> dt.date:
        """The delivery date."""
        return self.date
