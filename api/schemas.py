"""Shapes of the JSON API's answers that are not service results (shown in the OpenAPI docs).

Counties, retailers and users are answered as the services' result models
(:mod:`gridmgmt.services.records`, :mod:`gridmgmt.services.users`); here are the token, the
health check and the GeoJSON forms.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from gridmgmt.services.records import RetailerInfo, RetailerPage


class TokenOut(BaseModel):
    """An access token from the OAuth2 password flow."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class HealthOut(BaseModel):
    """Whether the service and its database work."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "error"]
    schema_revision: str | None
    schema_head: str | None
    version: str


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
    def of(cls, out: RetailerInfo) -> RetailerFeature:
        properties = out.model_dump(mode="json", exclude={"lon", "lat"})
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

    @classmethod
    def of(cls, page: RetailerPage) -> RetailerFeatureCollection:
        return cls(
            total=page.total,
            limit=page.limit,
            offset=page.offset,
            features=[RetailerFeature.of(r) for r in page.items],
        )
