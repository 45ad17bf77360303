"""Price checks (价格互查) over stored data: medians, cross-border gaps, outliers, evidence.

Medians and outliers read the actor's own counties. A cross-border gap compares the actor's
side of a border with the neighbour's: the neighbour's side is read by this service only to
take its median per product (the counties of an area agree to check each other's prices),
and leaves it as a median and a count of retailers, never as a retailer or a single price;
a side with fewer than ``prices.min_observations`` retailers says nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import pandas as pd
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.crs import WGS84
from gridmgmt.policy import Action, requires
from gridmgmt.prices.gaps import border_bands, gap_evidence, price_gaps
from gridmgmt.prices.medians import latest_prices, median_prices, period_of, price_outliers
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.results import Result
from gridmgmt.services.rules._common import (
    all_county_shapes,
    county_borders,
    county_rules,
    group_by_rules,
    scope_counties,
)
from gridmgmt.store.models import Retailer
from gridmgmt.store.models.prices import PriceObservation, RetailerGroup

__all__ = [
    "PriceGap",
    "PriceGaps",
    "PriceMedian",
    "PriceMedians",
    "PriceOutlier",
    "PriceOutliers",
    "attach_gap_evidence",
    "gap_frame",
    "group_members",
    "price_gap_report",
    "price_medians",
    "price_outlier_report",
]


class PriceMedian(Result):
    """The median price of a product in a county, or in a self-discipline group there."""

    county_code: str
    group_code: str | None = None
    group_name: str | None = None
    brand: str
    pack: str
    retailers: int
    median: float
    min: float
    max: float


class PriceMedians(Result):
    """Median prices per county and per group (自律互助小组) and county, for a period."""

    start: dt.date | None
    end: dt.date | None
    by_county: list[PriceMedian]
    by_group: list[PriceMedian]
    notes: list[str] = Field(default_factory=list)


class PriceGap(Result):
    """A product's price gap across the border of two counties (跨界价差)."""

    county_a: str
    county_b: str
    kind: str
    """``county`` or ``province`` border."""
    brand: str
    pack: str
    retailers_a: int
    median_a: float
    retailers_b: int
    median_b: float
    gap: float
    """``median_a - median_b`` in yuan per pack."""
    gap_share: float
    """The gap as a share of the lower median."""
    cheaper: str
    dearer: str
    flagged: bool


class PriceGaps(Result):
    """Price gaps across the borders of the actor's counties."""

    start: dt.date | None
    end: dt.date | None
    gaps: list[PriceGap]
    borders: dict[str, Any]
    """The borders with a gap as a GeoJSON FeatureCollection (WGS-84) for maps: each
    feature's properties are ``county_a``, ``county_b``, ``kind``, ``flagged`` (how many
    products), ``max_share`` and ``products`` (the flagged ones, in words)."""
    notes: list[str] = Field(default_factory=list)


class PriceOutlier(Result):
    """A retailer whose price is far off its county's median (a sweep candidate)."""

    licence_no: str
    name: str | None = None
    county_code: str
    brand: str
    pack: str
    price: float
    county_median: float
    deviation: float
    """Signed share of the median; negative is cheaper."""
    direction: str
    date: dt.date


class PriceOutliers(Result):
    """Price outliers of the actor's counties for a period."""

    start: dt.date | None
    end: dt.date | None
    outliers: list[PriceOutlier]
    notes: list[str] = Field(default_factory=list)


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    plain = pd.DataFrame(frame)[columns].astype(object)
    plain = plain.where(plain.notna(), None)
    return [dict(zip(columns, row, strict=True)) for row in plain.itertuples(index=False)]


def _observations(session: Session, actor: Actor, codes: list[str]) -> pd.DataFrame:
    prices = load_frame(session, "prices", actor, county_codes=codes)
    groups = load_frame(session, "groups", actor, county_codes=codes)
    if not len(prices):
        return pd.DataFrame(
            columns=["licence_no", "county_code", "brand", "pack", "price", "date", "group_code"]
        )
    members = groups[["licence_no", "group_code", "group_name"]] if len(groups) else None
    if members is None:
        return prices.assign(group_code=None, group_name=None)
    return prices.merge(members, on="licence_no", how="left")


def _period(
    frame: pd.DataFrame,
    codes: list[str],
    session: Session,
    start: dt.date | None,
    end: dt.date | None,
) -> tuple[dt.date | None, dt.date | None, list[str]]:
    days = county_rules(session, codes[:1])[codes[0]].settings.prices.period_days if codes else 90
    chosen = period_of(frame, start=start, end=end, default_days=days)
    notes = []
    if (start, end) == (None, None) and chosen != (None, None):
        notes.append(f"observations of the last {days} days observed: {chosen[0]} to {chosen[1]}")
    return chosen[0], chosen[1], notes


@requires(Action.READ_PRICES)
def price_medians(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> PriceMedians:
    """Median price per brand and pack, per county and per self-discipline group.

    Parameters
    ----------
    session
        An open session.
    actor
        Whose counties are read.
    county
        Only this county (404 when it is not the actor's).
    start, end
        Observations from ``start`` to ``end`` inclusive; by default the county's
        ``prices.period_days`` up to the latest observation.
    """
    codes = scope_counties(session, actor, county)
    observations = _observations(session, actor, codes)
    start, end, notes = _period(observations, codes, session, start, end)
    if not len(observations):
        return PriceMedians(start=start, end=end, by_county=[], by_group=[], notes=["no prices"])
    latest = latest_prices(observations, start=start, end=end)
    by_county = median_prices(latest, ["county_code"])
    by_group = median_prices(latest, ["group_code", "county_code"])
    names = observations.dropna(subset=["group_code"]).drop_duplicates("group_code")
    by_group["group_name"] = by_group["group_code"].map(
        dict(zip(names["group_code"], names["group_name"], strict=True))
    )
    keys = ["county_code", "brand", "pack", "retailers", "median", "min", "max"]
    return PriceMedians(
        start=start,
        end=end,
        by_county=[PriceMedian(**row) for row in _records(by_county, keys)],
        by_group=[
            PriceMedian(**row) for row in _records(by_group, ["group_code", "group_name", *keys])
        ],
        notes=notes,
    )


def _all_sides(session: Session, codes: set[str]) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Retailer points and price observations of ``codes`` (both sides of the borders).

    Read past the actor's scope on purpose; only medians of it leave this module.
    """
    points = session.execute(
        select(Retailer.licence_no, Retailer.county_code, Retailer.location).where(
            Retailer.county_code.in_(sorted(codes))
        )
    ).all()
    retailers = gpd.GeoDataFrame(
        pd.DataFrame(points, columns=["licence_no", "county_code", "geometry"]),
        geometry="geometry",
        crs=WGS84,
    )
    rows = session.execute(
        select(
            Retailer.licence_no,
            PriceObservation.county_code,
            PriceObservation.brand,
            PriceObservation.pack,
            PriceObservation.price_yuan.label("price"),
            PriceObservation.observed_on.label("date"),
        )
        .join(Retailer)
        .where(PriceObservation.county_code.in_(sorted(codes)))
    ).all()
    observations = pd.DataFrame(
        rows, columns=["licence_no", "county_code", "brand", "pack", "price", "date"]
    )
    return retailers, observations


def _gap_tables(
    session: Session,
    actor: Actor,
    codes: list[str],
    start: dt.date | None,
    end: dt.date | None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dt.date | None, dt.date | None, list[str]]:
    """Gaps across every border of ``codes``, the bands they were measured on, the period."""
    shapes = all_county_shapes(session)
    notes: list[str] = []
    found: list[gpd.GeoDataFrame] = []
    bands_found: list[pd.DataFrame] = []
    done: set[tuple[str, str]] = set()
    period: tuple[dt.date | None, dt.date | None] = (start, end)
    for rules, members in group_by_rules(county_rules(session, codes)):
        settings = rules.settings
        borders = county_borders(shapes, tolerance_m=settings.borders.tolerance_m)
        if not len(borders):
            notes.append("fewer than two counties stored: no borders to compare prices across")
            continue
        mine = borders[borders["county_a"].isin(members) | borders["county_b"].isin(members)]
        mine = mine[
            [(a, b) not in done for a, b in zip(mine["county_a"], mine["county_b"], strict=True)]
        ]
        if not len(mine):
            continue
        done |= set(zip(mine["county_a"], mine["county_b"], strict=True))
        sides = set(mine["county_a"]) | set(mine["county_b"])
        retailers, observations = _all_sides(session, sides)
        if not len(observations):
            continue
        if period == (None, None):
            period = period_of(
                observations, start=None, end=None, default_days=settings.prices.period_days
            )
            notes.append(
                f"observations of the last {settings.prices.period_days} days observed: "
                f"{period[0]} to {period[1]}"
            )
        latest = latest_prices(observations, start=period[0], end=period[1])
        bands = border_bands(retailers, mine, band_m=settings.borders.county_border_m)
        found.append(
            price_gaps(
                latest,
                bands,
                mine,
                gap_share=settings.prices.gap_share,
                min_observations=settings.prices.min_observations,
            )
        )
        bands_found.append(bands)
    if not found:
        empty = price_gaps(
            pd.DataFrame(columns=["licence_no", "brand", "pack", "price"]),
            pd.DataFrame(columns=["licence_no", "county_code", "county_a", "county_b"]),
            gpd.GeoDataFrame(
                pd.DataFrame(columns=["county_a", "county_b", "kind"]), geometry=[], crs=WGS84
            ),
            gap_share=1,
            min_observations=1,
        )
        return empty, pd.DataFrame(), period[0], period[1], notes or ["no prices"]
    gaps = gpd.GeoDataFrame(pd.concat(found, ignore_index=True), geometry="geometry", crs=WGS84)
    bands = pd.concat(bands_found, ignore_index=True)
    return gaps, bands, period[0], period[1], notes


_GAP_FIELDS = [
    "county_a",
    "county_b",
    "kind",
    "brand",
    "pack",
    "retailers_a",
    "median_a",
    "retailers_b",
    "median_b",
    "gap",
    "gap_share",
    "cheaper",
    "dearer",
    "flagged",
]


def _border_features(gaps: gpd.GeoDataFrame) -> dict[str, Any]:
    features = []
    if len(gaps):
        for (a, b), rows in gaps.groupby(["county_a", "county_b"], sort=True):
            flagged = rows[rows["flagged"]]
            products = [
                f"{r.brand} {r.pack}: {r.cheaper} {r.gap_share:.0%} cheaper than {r.dearer}"
                for r in flagged.itertuples(index=False)
            ]
            features.append(
                {
                    "type": "Feature",
                    "geometry": rows.geometry.iloc[0].__geo_interface__,
                    "properties": {
                        "county_a": str(a),
                        "county_b": str(b),
                        "kind": str(rows["kind"].iloc[0]),
                        "flagged": len(flagged),
                        "compared": len(rows),
                        "max_share": round(float(flagged["gap_share"].max()), 4)
                        if len(flagged)
                        else 0.0,
                        "products": products,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


@requires(Action.READ_PRICES)
def price_gap_report(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    flagged_only: bool = False,
) -> PriceGaps:
    """Price gaps of every product across the borders of the actor's counties.

    Each border is compared with the settings (band width, ``prices.gap_share``,
    ``prices.min_observations``) of the actor's county on it. ``flagged_only`` leaves out
    the gaps below the setting.
    """
    codes = scope_counties(session, actor, county)
    gaps, _bands, start, end, notes = _gap_tables(session, actor, codes, start, end)
    rows = gaps[gaps["flagged"]] if flagged_only and len(gaps) else gaps
    return PriceGaps(
        start=start,
        end=end,
        gaps=[PriceGap(**row) for row in _records(rows, _GAP_FIELDS)],
        borders=_border_features(gaps),
        notes=notes,
    )


def gap_frame(report: PriceGaps) -> gpd.GeoDataFrame:
    """The report's borders as a GeoDataFrame (WGS-84), for maps."""
    features = report.borders["features"]
    if not features:
        columns = ["county_a", "county_b", "kind", "flagged", "compared", "max_share", "products"]
        return gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry=[], crs=WGS84)
    return gpd.GeoDataFrame.from_features(features, crs=WGS84)


@requires(Action.READ_PRICES)
def price_outlier_report(
    session: Session,
    actor: Actor,
    *,
    county: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> PriceOutliers:
    """Retailers whose latest price of a product is ``prices.outlier_share`` or more off
    their county's median (products with ``prices.min_observations`` retailers or more)."""
    codes = scope_counties(session, actor, county)
    observations = _observations(session, actor, codes)
    start, end, notes = _period(observations, codes, session, start, end)
    if not len(observations):
        return PriceOutliers(start=start, end=end, outliers=[], notes=["no prices"])
    latest = latest_prices(observations, start=start, end=end)
    parts = []
    for rules, members in group_by_rules(county_rules(session, codes)):
        settings = rules.settings.prices
        mine = latest[latest["county_code"].isin(members)]
        parts.append(
            price_outliers(
                mine, share=settings.outlier_share, min_retailers=settings.min_observations
            )
        )
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not len(found):
        return PriceOutliers(start=start, end=end, outliers=[], notes=notes)
    names = load_frame(session, "retailers", actor, county_codes=codes)
    found["name"] = found["licence_no"].map(
        dict(zip(names["licence_no"], names["name"], strict=True))
    )
    found = found.reindex(
        found["deviation"].abs().sort_values(ascending=False, kind="stable").index
    )
    fields = [
        "licence_no",
        "name",
        "county_code",
        "brand",
        "pack",
        "price",
        "county_median",
        "deviation",
        "direction",
        "date",
    ]
    return PriceOutliers(
        start=start,
        end=end,
        outliers=[PriceOutlier(**row) for row in _records(found, fields)],
        notes=notes,
    )


@requires(Action.READ_RULES)
def attach_gap_evidence(
    session: Session, actor: Actor, suspects: pd.DataFrame, codes: list[str]
) -> pd.DataFrame:
    """The outflow suspects with the flagged price gaps that point away from them
    (``price_gaps`` column, and a sentence added to ``reasons``); unchanged columns else.

    Called by the outflow service with the counties it checked; the period is the
    default one of the price settings.
    """
    if not len(suspects) or "licence_no" not in suspects.columns:
        return suspects.assign(price_gaps=[[] for _ in range(len(suspects))])
    has_prices = session.execute(select(PriceObservation.id).limit(1)).first() is not None
    if not has_prices:
        return suspects.assign(price_gaps=[[] for _ in range(len(suspects))])
    gaps, bands, _start, _end, _notes = _gap_tables(session, actor, codes, None, None)
    return gap_evidence(suspects, bands, gaps)


@requires(Action.READ_PRICES)
def group_members(session: Session, actor: Actor, county: str | None = None) -> pd.DataFrame:
    """The self-discipline groups' members of the actor's counties (licence, group, leader)."""
    codes = scope_counties(session, actor, county)
    rows = session.execute(
        select(
            Retailer.licence_no,
            Retailer.name,
            RetailerGroup.group_code,
            RetailerGroup.group_name,
            RetailerGroup.leader,
            RetailerGroup.county_code,
        )
        .join(Retailer)
        .where(RetailerGroup.county_code.in_(codes))
        .order_by(RetailerGroup.group_code, Retailer.licence_no)
    ).all()
    return pd.DataFrame(
        rows, columns=["licence_no", "name", "group_code", "group_name", "leader", "county_code"]
    )
