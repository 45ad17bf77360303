"""Cross-border price gaps (跨界价差) and what they add to the outflow suspects' evidence.

Along each border two counties share (see :func:`gridmgmt.rules.border_markets.shared_borders`),
the border band on each side holds the retailers within ``band_m`` of that border. For every
product (brand and pack) observed on both sides by at least ``min_observations`` retailers
each, the gap is the difference of the two sides' median prices; it is flagged when it is at
least ``gap_share`` of the lower median.

Genuine cigarettes flow from where they are cheap to where they sell dear (真烟外流), so a
flagged gap is evidence against the cheaper side's border-band retailers:
:func:`gap_evidence` adds it to the outflow suspects of that side (it does not change their
score: the score says who orders too much, the gap says why it might be going over the
border).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridmgmt.crs import WGS84
from gridmgmt.prices.medians import PRODUCT, require_columns
from gridmgmt.rules._inputs import metric_geoms, metric_points, require_frame, resolve_crs
from gridmgmt.rules.border_markets import OUTSIDE

__all__ = ["border_bands", "gap_evidence", "price_gaps"]

_SIDE_COLUMNS = ["licence_no", "county_code", "county_a", "county_b", "neighbour", "border_m"]
_GAP_COLUMNS = [
    "county_a",
    "county_b",
    "kind",
    *PRODUCT,
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


def border_bands(
    retailers: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    *,
    band_m: float,
    crs: pyproj.CRS | str | None = None,
) -> pd.DataFrame:
    """Which retailers lie in the border band of which border, on their own side.

    Parameters
    ----------
    retailers
        ``licence_no``, ``county_code`` and points.
    borders
        From :func:`~gridmgmt.rules.border_markets.shared_borders` (outer edges are skipped).
    band_m
        Width of the band on each side, in metres.

    Returns
    -------
    pandas.DataFrame
        One row per retailer and border it is near: ``licence_no``, ``county_code``, the
        border's ``county_a`` and ``county_b``, ``neighbour`` (the county across) and
        ``border_m`` (distance to that border). A retailer near a corner where three counties
        meet is in two bands.
    """
    require_frame(retailers, "retailers", ["licence_no", "county_code"])
    inner = borders[(borders["county_a"] != OUTSIDE) & (borders["county_b"] != OUTSIDE)]
    if not len(retailers) or not len(inner):
        return pd.DataFrame(columns=_SIDE_COLUMNS)
    metric = resolve_crs(crs, retailers)
    points = metric_points(retailers, "retailers", metric)
    lines = metric_geoms(inner, metric)
    point_i, line_i = shapely.STRtree(lines).query(points, predicate="dwithin", distance=band_m)
    own = retailers["county_code"].astype(str).to_numpy(dtype=object)[point_i]
    a = inner["county_a"].astype(str).to_numpy(dtype=object)[line_i]
    b = inner["county_b"].astype(str).to_numpy(dtype=object)[line_i]
    mine = (own == a) | (own == b)  # a band belongs to the two counties of its border
    point_i, line_i, own, a, b = point_i[mine], line_i[mine], own[mine], a[mine], b[mine]
    frame = pd.DataFrame(
        {
            "licence_no": retailers["licence_no"].astype(str).to_numpy(dtype=object)[point_i],
            "county_code": own,
            "county_a": a,
            "county_b": b,
            "neighbour": np.where(own == a, b, a),
            "border_m": shapely.distance(points[point_i], lines[line_i]),
        }
    )
    return frame.sort_values(["county_a", "county_b", "licence_no"], ignore_index=True)


def price_gaps(
    prices: pd.DataFrame,
    bands: pd.DataFrame,
    borders: gpd.GeoDataFrame,
    *,
    gap_share: float,
    min_observations: int,
) -> gpd.GeoDataFrame:
    """The price gap of every product across every border, flagged above ``gap_share``.

    Parameters
    ----------
    prices
        One price per retailer and product (:func:`gridmgmt.prices.medians.latest_prices`).
    bands
        Border-band membership (:func:`border_bands`).
    borders
        The borders (their ``kind`` and line are carried onto the gaps).
    gap_share
        Smallest gap, as a share of the lower median, that is flagged.
    min_observations
        Retailers each side needs for its median to count.

    Returns
    -------
    geopandas.GeoDataFrame
        ``county_a``, ``county_b``, ``kind`` (county or province border), ``brand``,
        ``pack``, per side the retailers and median, ``gap`` (``median_a - median_b``,
        yuan per pack), ``gap_share`` (of the lower median), ``cheaper`` and ``dearer``
        county, ``flagged``, and the border line in WGS-84; flagged first, largest share
        first.
    """
    require_columns(prices, "prices", ["licence_no", *PRODUCT, "price"])
    require_columns(bands, "bands", ["licence_no", "county_code", "county_a", "county_b"])
    sides = bands.merge(prices[["licence_no", *PRODUCT, "price"]], on="licence_no")
    keys = ["county_a", "county_b", "county_code", *PRODUCT]
    medians = sides.groupby(keys, as_index=False).agg(
        retailers=("price", "size"), median=("price", "median")
    )
    medians = medians[medians["retailers"] >= min_observations]
    side_a = medians[medians["county_code"] == medians["county_a"]].drop(columns="county_code")
    side_b = medians[medians["county_code"] == medians["county_b"]].drop(columns="county_code")
    pair = ["county_a", "county_b", *PRODUCT]
    gaps = side_a.merge(side_b, on=pair, suffixes=("_a", "_b"))
    if not len(gaps):
        return gpd.GeoDataFrame(pd.DataFrame(columns=_GAP_COLUMNS), geometry=[], crs=WGS84)
    gaps["gap"] = gaps["median_a"] - gaps["median_b"]
    lower = np.minimum(gaps["median_a"], gaps["median_b"])
    gaps["gap_share"] = gaps["gap"].abs() / lower
    a_cheaper = gaps["gap"] < 0
    gaps["cheaper"] = np.where(a_cheaper, gaps["county_a"], gaps["county_b"])
    gaps["dearer"] = np.where(a_cheaper, gaps["county_b"], gaps["county_a"])
    gaps["flagged"] = (gaps["gap_share"] >= gap_share - 1e-12) & (gaps["gap"] != 0)
    lines = pd.DataFrame(borders).drop_duplicates(["county_a", "county_b"])
    gaps = gaps.merge(
        lines[["county_a", "county_b", "kind", "geometry"]], on=["county_a", "county_b"]
    )
    gaps = gaps.sort_values(
        ["flagged", "gap_share", "county_a", "county_b", *PRODUCT],
        ascending=[False, False, True, True, True, True],
        ignore_index=True,
    )
    return gpd.GeoDataFrame(gaps[[*_GAP_COLUMNS, "geometry"]], geometry="geometry", crs=WGS84)


def gap_evidence(suspects: pd.DataFrame, bands: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """The outflow suspects with the flagged price gaps that point away from them.

    A suspect gets a gap when it is in the border band of that gap's border and its county
    is the cheaper side.

    Parameters
    ----------
    suspects
        Outflow suspects with ``licence_no`` (and ``reasons``, extended when present).
    bands
        Border-band membership (:func:`border_bands`).
    gaps
        From :func:`price_gaps`.

    Returns
    -------
    pandas.DataFrame
        ``suspects`` with ``price_gaps`` (a list of dicts: ``neighbour``, ``brand``, ``pack``,
        ``median_here``, ``median_there``, ``gap_share``; empty for none), in the same order.
    """
    require_columns(suspects, "suspects", ["licence_no"])
    out = suspects.copy()
    flagged = gaps[gaps["flagged"]] if len(gaps) else gaps
    evidence: dict[str, list[dict[str, Any]]] = {}
    if len(flagged) and len(bands):
        near = bands[bands["licence_no"].isin(set(out["licence_no"].astype(str)))]
        joined = near.merge(
            pd.DataFrame(flagged).drop(columns="geometry", errors="ignore"),
            on=["county_a", "county_b"],
        )
        joined = joined[joined["county_code"] == joined["cheaper"]]
        for row in joined.itertuples(index=False):
            here_a = row.county_code == row.county_a
            evidence.setdefault(str(row.licence_no), []).append(
                {
                    "neighbour": str(row.dearer),
                    "brand": str(row.brand),
                    "pack": str(row.pack),
                    "median_here": float(row.median_a if here_a else row.median_b),
                    "median_there": float(row.median_b if here_a else row.median_a),
                    "gap_share": round(float(row.gap_share), 4),
                }
            )
    out["price_gaps"] = [evidence.get(str(licence), []) for licence in out["licence_no"]]
    if "reasons" in out.columns:
        out["reasons"] = [
            _with_gaps(str(reason), found)
            for reason, found in zip(out["reasons"], out["price_gaps"], strict=True)
        ]
    return out


def _with_gaps(reason: str, found: list[dict[str, Any]]) -> str:
    if not found:
        return reason
    parts = [
        f"{g['brand']} {g['pack']} sells {g['gap_share']:.0%} cheaper here "
        f"(median ¥{g['median_here']:.2f}) than across the border in "
        f"{g['neighbour']} (¥{g['median_there']:.2f})"
        for g in found
    ]
    return f"{reason}; price gap: " + "; ".join(parts)
