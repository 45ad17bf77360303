"""What the cooperation services return (typed, frozen; the API and ``--json`` print the same)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from gridmgmt.services.results import Result

__all__ = [
    "AdjacentPair",
    "AreaView",
    "BoundaryDefect",
    "ContactList",
    "ContactRow",
    "CountyRef",
    "LiaisonView",
]


class CountyRef(Result):
    """A county by code and name, with its province."""

    code: str
    name: str
    province_code: str


class AdjacentPair(Result):
    """Two counties sharing a border (相邻), from the stored outlines."""

    county_a: str
    county_b: str
    name_a: str
    name_b: str
    province_crossing: bool = Field(description="The border is a province line (跨省).")
    border_km: float = Field(description="Length of the shared border.")
    overlap_km2: float = Field(description="Area both outlines claim (owned by the lower code).")


class BoundaryDefect(Result):
    """An overlap or a gap between two counties' outlines, and where it is."""

    kind: str = Field(description="overlap or gap.")
    county_a: str
    county_b: str
    area_km2: float
    pieces: int
    lon: float = Field(description="A point inside the largest piece (WGS-84).")
    lat: float
    text: str = Field(description="The same in a sentence, as the import warns.")


class AreaView(Result):
    """A cooperation area (协作区): a named set of counties set by an administrator."""

    code: str
    name: str
    note: str
    counties: list[CountyRef]
    version: int = Field(description="Send it back when changing the area (409 if stale).")
    updated_by: str
    updated_at: dt.datetime


class LiaisonView(Result):
    """A county's liaison (信息联络员)."""

    id: int
    county_code: str
    name: str
    title: str
    phone: str
    mobile: str
    email: str
    duties: str
    username: str | None
    version: int = Field(description="Send it back when changing the liaison (409 if stale).")
    updated_by: str
    updated_at: dt.datetime


class ContactRow(Result):
    """One line of the joint contact list: a liaison with their county and province."""

    province: str
    county_code: str
    county: str
    name: str
    title: str
    phone: str
    mobile: str
    email: str
    duties: str
    neighbours: list[str] = Field(description="Adjacent member counties' names.")


class ContactList(Result):
    """The joint contact list of an area (打假打私联动联络通讯录)."""

    area: AreaView
    rows: list[ContactRow]
    missing: list[CountyRef] = Field(description="Member counties that name no liaison yet.")
    crossings: list[AdjacentPair] = Field(
        description="Adjacent member pairs, province lines first."
    )
