"""The job registry: which function runs each kind of job.

An action registers its job function where it is defined, with :func:`job`; the runner
finds it by kind. A worker process that has not imported the defining module yet imports it
by name (recorded at registration), so a remote Dask worker needs only gridmgmt installed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action
from gridmgmt.services.results import Result

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gridmgmt.jobs.context import JobContext

__all__ = ["JobFunction", "JobSpec", "job", "kinds", "lookup"]

ParamsT = TypeVar("ParamsT", bound=BaseModel)
ParamsT_contra = TypeVar("ParamsT_contra", bound=BaseModel, contravariant=True)
ResultT_co = TypeVar("ResultT_co", bound=Result, covariant=True)
FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])


class JobFunction(Protocol[ParamsT_contra, ResultT_co]):
    """What a job function looks like: context, the unit of work, typed params -> result."""

    def __call__(
        self, ctx: JobContext, session: Session, params: ParamsT_contra, /
    ) -> ResultT_co: ...  # pragma: no cover - a protocol


def counties_of(params: BaseModel) -> list[str]:
    """The default scope: the params' ``county_code`` and ``county_codes`` fields."""
    single = getattr(params, "county_code", None)
    many = getattr(params, "county_codes", None) or []
    codes = ([single] if single else []) + list(many)
    return sorted({str(code) for code in codes})


@dataclass(frozen=True)
class JobSpec(Generic[ParamsT]):
    """A registered kind of job.

    Parameters
    ----------
    kind
        Its name, ``area.action`` (``"routes.plan_week"``).
    function
        ``function(ctx, session, params) -> Result``.
    params_type
        The pydantic model of its parameters (its typed request).
    action
        The policy action a user needs to submit it.
    module
        The module defining it, imported on a worker that does not know the kind yet.
    scope
        The county codes the job belongs to, from its params.
    """

    kind: str
    function: Callable[..., Result]
    params_type: type[ParamsT]
    action: Action
    module: str
    scope: Callable[[ParamsT], Iterable[str]] = field(default=counties_of)

    def parse(self, params: BaseModel | dict[str, Any]) -> ParamsT:
        """``params`` validated as this kind's parameters; bad values are invalid input."""
        from pydantic import ValidationError

        raw = params.model_dump(mode="json") if isinstance(params, BaseModel) else params
        try:
            return self.params_type.model_validate(raw)
        except ValidationError as error:
            problems = [
                {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in error.errors()
            ]
            msg = f"invalid parameters for job {self.kind}"
            raise InvalidInputError(msg, problems) from None


_REGISTRY: dict[str, JobSpec[Any]] = {}


def job(
    kind: str,
    *,
    params: type[ParamsT],
    action: Action,
    scope: Callable[[ParamsT], Iterable[str]] = counties_of,
) -> Callable[[FunctionT], FunctionT]:
    """Register the decorated function as the job ``kind`` (the function is unchanged).

    Parameters
    ----------
    kind
        A unique name, ``area.action``.
    params
        The pydantic model of the job's parameters.
    action
        The policy action needed to submit it (checked by :func:`gridmgmt.jobs.submit`).
    scope
        The counties a job belongs to; by default the params' ``county_code`` and
        ``county_codes`` fields. The submitter must have all of them in scope.
    """

    def register(function: FunctionT) -> FunctionT:
        known = _REGISTRY.get(kind)
        if known is not None and known.function is not function:
            where = f"{known.module}.{known.function.__qualname__}"
            msg = f"job kind {kind!r} is registered already, by {where}"
            raise ValueError(msg)
        _REGISTRY[kind] = JobSpec(kind, function, params, action, function.__module__, scope)
        return function

    return register


def kinds() -> list[str]:
    """The kinds registered in this process, sorted."""
    return sorted(_REGISTRY)


def lookup(kind: str, *, module: str | None = None) -> JobSpec[Any]:
    """The spec of ``kind``, importing ``module`` first if the kind is not known yet.

    Raises
    ------
    InvalidInputError
        No job of that kind is registered.
    """
    if kind not in _REGISTRY and module:
        importlib.import_module(module)
    spec = _REGISTRY.get(kind)
    if spec is None:
        msg = f"`kind` was {kind!r} but is expected to be in {kinds()}"
        raise InvalidInputError(msg)
    return spec
