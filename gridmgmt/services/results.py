"""Typed service results and the one way faces turn them into JSON.

Services return :class:`Result` models (or frozen dataclasses, or lists of them); no ORM row
leaves the service layer. The API returns them as its response models; the CLI prints
:func:`jsonable` of the same object for ``--json``, so both faces say the same thing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter


class Result(BaseModel):
    """Base of service results: immutable, built from ORM rows by attribute."""

    model_config = ConfigDict(from_attributes=True, frozen=True)


def jsonable(value: Any) -> Any:
    """``value`` (a result, dataclass, list or dict of them) as plain JSON data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return TypeAdapter(type(value)).dump_python(value, mode="json")
