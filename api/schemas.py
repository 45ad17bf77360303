"""Shapes of the JSON API's answers (pydantic models, shown in the OpenAPI docs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from gridmgmt.domain import label_zh
from gridmgmt.store.models import County, Retailer, User


class TokenOut(BaseModel):
    """An access token from the OAuth2 password flow."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class UserOut(BaseModel):
    """The logged-in user."""

    username: str
    full_name: str | None
    role: str
    role_zh: str
    counties: list[str]

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            username=user.username,
            full_name=user.full_name,
            role=user.role.value,
            role_zh=label_zh(user.role),
            counties=user.county_codes,
        )


class HealthOut(BaseModel):
    """Whether the service and its database work."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "error"]
    schema_revision: str | None
    schema_head: str | None
    version: str


class CountyOut(BaseModel):
    """A county (县) the caller works for."""

    code: str
    name: str
    province_code: str
    province: str
    city: str | None
    bbox: list[float] = Field(description="[min lon, min lat, max lon, max lat], WGS-84.")

    @classmethod
    def of(cls, county: County) -> CountyOut:
        return cls(
            code=county.code,
            name=county.name,
            province_code=county.province_code,
            province=county.province.name,
            city=county.city,
            bbox=[round(float(v), 7) for v in county.boundary.bounds],
        )


class CountyDetail(CountyOut):
    """A county with its boundary and retailer counts."""

    retailers_by_status: dict[str, int]
    boundary: dict[str, Any] = Field(description="GeoJSON MultiPolygon, WGS-84.")


class RetailerOut(BaseModel):
    """A licensed retailer (零售户), location in WGS-84."""

    licence_no: str
    name: str
    address: str | None
    county_code: str
    tier: int
    business_type: str
    status: str
    key_retailer: bool
    phone: str | None
    lon: float
    lat: float

    @classmethod
    def of(cls, retailer: Retailer) -> RetailerOut:
        return cls(
            licence_no=retailer.licence_no,
            name=retailer.name,
            address=retailer.address,
            county_code=retailer.county_code,
            tier=retailer.tier,
            business_type=retailer.business_type.value,
            status=retailer.status.value,
            key_retailer=retailer.key_retailer,
            phone=retailer.phone,
            lon=retailer.location.x,
            lat=retailer.location.y,
        )


class RetailerPageOut(BaseModel):
    """One page of retailers."""

    total: int = Field(description="Retailers matching the filter, in all pages.")
    limit: int
    offset: int
    items: list[RetailerOut]


class PointGeometry(BaseModel):
    """A GeoJSON point."""

    type: Literal["Point"] = "Point"
    coordinates: list[float]


class RetailerFeature(BaseModel):
    """A retailer as a GeoJSON feature."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry
    properties: dict[str, Any]

    @classmethod
    def of(cls, retailer: Retailer) -> RetailerFeature:
        out = RetailerOut.of(retailer)
        properties = out.model_dump(exclude={"lon", "lat"})
        return cls(
            id=out.licence_no,
            geometry=PointGeometry(coordinates=[out.lon, out.lat]),
            properties=properties,
        )


class RetailerFeatureCollection(BaseModel):
    """One page of retailers as a GeoJSON FeatureCollection (paging as foreign members)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    total: int
    limit: int
    offset: int
    features: list[RetailerFeature]
