"""Outflow suspects (真烟外流): retailers ordering far more than comparable retailers.

Genuine cigarettes flow illegally out of a region through retailers who order more than
their own shop can sell. A retailer's expected volume depends on its tier (档位), its
business type (业态) and its location, so each retailer is compared with its peers, not
with a fixed threshold:

1. volume = cartons ordered in the period (retailers with no orders are left out);
2. within each peer group (business type x area type) a robust straight line of log
   volume on tier is fitted (Huber M-estimation by iteratively reweighted least squares,
   so the suspects themselves barely move it); a group smaller than ``min_peers`` is
   pooled with its business type, then with everyone;
3. the robust z-score is the residual over the group's residual scale (1.4826 x MAD);
4. near a border the score is weighted up: by ``province_border_weight`` at a province
   border and ``county_border_weight`` at a county border, each falling linearly to 1 at
   ``weight_reach_m``; the larger weight applies.

Retailers scoring at least ``threshold`` are suspects, ranked by score, each with the
reasons in words, ready to open as a lead or a case.
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj

from gridmgmt.domain import BusinessType, label_zh
from gridmgmt.errors import InvalidInputError
from gridmgmt.rules._inputs import (
    metric_points,
    parse_column,
    require_frame,
    resolve_crs,
)
from gridmgmt.rules.border_markets import BorderKind, border_distances
from gridmgmt.rules.settings import OutflowSettings

__all__ = ["outflow_scores", "outflow_suspects"]

FloatArray = npt.NDArray[np.float64]

_MAD_TO_SD: Final = 1.4826
_HUBER_C: Final = 1.345  # 95% efficiency under normal errors
_MIN_SCALE: Final = 0.05  # log units: peers ordering within ±5% of each other
_ALL = "all"


def outflow_scores(
    orders: pd.DataFrame,
    retailers: gpd.GeoDataFrame,
    *,
    settings: OutflowSettings,
    area_types: pd.Series | None = None,
    borders: gpd.GeoDataFrame | None = None,
    crs: pyproj.CRS | str | None = None,
    retailer_id: str = "licence_no",
    volume_column: str = "cartons",
) -> pd.DataFrame:
    """Expected volume, robust z-score and border-weighted score of every ordering retailer.

    Parameters
    ----------
    orders
        Orders with ``retailer_id`` and ``volume_column`` (cartons), for one period.
    retailers
        Retailers with ``retailer_id``, ``tier``, ``business_type`` and points.
    settings
        Outflow settings.
    area_types
        Area type per retailer, indexed like ``retailers`` (e.g. from
        :func:`gridmgmt.rules.spacing.area_types`); without it all share one area type.
    borders
        Borders from :func:`gridmgmt.rules.border_markets.shared_borders`, for the border
        weighting; without them no weighting applies.
    crs
        Metric CRS for border distances; by default the local one of the retailers.
    retailer_id, volume_column
        Identifying and volume columns.

    Returns
    -------
    pandas.DataFrame
        One row per retailer with orders: id, ``tier``, ``business_type``, ``area_type``,
        ``cartons``, ``expected_cartons``, ``ratio``, ``robust_z``, ``peers``,
        ``peer_group``, ``province_border_m``, ``county_border_m`` (NaN beyond
        ``weight_reach_m``), ``border_weight``, ``weighted_by`` (``province``, ``county`` or
        None) and ``score``; highest score first.
    """
    require_frame(retailers, "retailers", [retailer_id, "tier", "business_type"])
    missing = [c for c in (retailer_id, volume_column) if c not in orders.columns]
    if missing:
        msg = f"orders lack columns {missing}; it has {list(orders.columns)}"
        raise InvalidInputError(msg)
    volume = orders.groupby(retailer_id)[volume_column].sum()
    frame = _retailer_frame(retailers, area_types, retailer_id)
    frame["cartons"] = frame[retailer_id].map(volume).fillna(0.0).astype(float)
    frame = frame[frame["cartons"] > 0].copy()
    _fit_peers(frame, settings.min_peers)
    frame = frame.join(_border_weights(retailers, frame.index, borders, settings, crs))
    z = frame["robust_z"].to_numpy()
    frame["score"] = np.where(z > 0, z * frame["border_weight"].to_numpy(), z)
    return frame.sort_values(["score", retailer_id], ascending=[False, True], ignore_index=True)


def outflow_suspects(
    orders: pd.DataFrame,
    retailers: gpd.GeoDataFrame,
    *,
    settings: OutflowSettings,
    area_types: pd.Series | None = None,
    borders: gpd.GeoDataFrame | None = None,
    crs: pyproj.CRS | str | None = None,
    retailer_id: str = "licence_no",
    volume_column: str = "cartons",
) -> pd.DataFrame:
    """Retailers whose border-weighted robust score reaches the threshold, ranked.

    Takes the same parameters as :func:`outflow_scores` and returns its rows with a
    score of at least ``settings.threshold``, with a ``rank`` and the ``reasons`` in words.
    """
    scores = outflow_scores(
        orders,
        retailers,
        settings=settings,
        area_types=area_types,
        borders=borders,
        crs=crs,
        retailer_id=retailer_id,
        volume_column=volume_column,
    )
    suspects = scores[scores["score"] >= settings.threshold].copy()
    suspects.insert(0, "rank", np.arange(1, len(suspects) + 1))
    suspects["reasons"] = [_reasons(row) for row in suspects.itertuples(index=False)]
    return suspects.reset_index(drop=True)


def _retailer_frame(
    retailers: gpd.GeoDataFrame, area_types: pd.Series | None, retailer_id: str
) -> pd.DataFrame:
    tier = pd.to_numeric(retailers["tier"], errors="coerce")
    if tier.isna().any():
        msg = f"retailers.tier must be numeric; {int(tier.isna().sum())} rows are not"
        raise InvalidInputError(msg)
    kinds = parse_column(retailers["business_type"], BusinessType, "retailers.business_type")
    if area_types is None:
        areas = pd.Series(_ALL, index=retailers.index)
    else:
        areas = area_types.reindex(retailers.index).fillna(_ALL).astype(str)
    return pd.DataFrame(
        {
            retailer_id: retailers[retailer_id].to_numpy(),
            "tier": tier.to_numpy(dtype=float),
            "business_type": [k.value for k in kinds],
            "area_type": areas.to_numpy(),
        },
        index=pd.RangeIndex(len(retailers)),
    )


def _fit_peers(frame: pd.DataFrame, min_peers: int) -> None:
    """Fill expected volume, z-score and peer group, most specific group with enough peers."""
    y = np.log(frame["cartons"].to_numpy())
    x = frame["tier"].to_numpy()
    n = len(frame)
    expected, z = np.full(n, np.nan), np.full(n, np.nan)
    peers, group = np.zeros(n, dtype=np.int64), np.full(n, "", dtype=object)
    levels = [
        ["business_type", "area_type"],
        ["business_type"],
        [],
    ]
    for keys in levels:
        todo = np.isnan(expected)
        if not todo.any():
            break
        labels = _group_labels(frame, keys) if keys else np.full(n, _ALL, dtype=object)
        for label in pd.unique(labels[todo]):
            members = labels == label
            if keys and members.sum() < min_peers:
                continue
            fitted, scale = _huber_line(x[members], y[members])
            target = members & todo
            expected[target] = fitted[todo[members]]
            z[target] = (y[target] - fitted[todo[members]]) / scale
            peers[target] = members.sum()
            group[target] = label
    frame["expected_cartons"] = np.exp(expected)
    frame["ratio"] = frame["cartons"] / frame["expected_cartons"]
    frame["robust_z"] = z
    frame["peers"] = peers
    frame["peer_group"] = group


def _group_labels(frame: pd.DataFrame, keys: list[str]) -> npt.NDArray[np.object_]:
    """Each row's peer group named by its ``keys`` values joined by " / " (whole columns)."""
    label = frame[keys[0]].astype(str)
    for key in keys[1:]:
        label = label + " / " + frame[key].astype(str)
    labels: npt.NDArray[np.object_] = label.to_numpy(dtype=object)
    return labels


def _huber_line(x: FloatArray, y: FloatArray) -> tuple[FloatArray, float]:
    """Huber M-estimate of ``y ~ a + b x``: the fitted values and the residual scale."""
    if len(x) == 0 or np.ptp(x) == 0:
        design = np.ones((len(x), 1))
    else:
        design = np.column_stack([np.ones(len(x)), x])
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    scale = _MIN_SCALE
    for _ in range(50):
        resid = y - design @ beta
        scale = max(_MAD_TO_SD * float(np.median(np.abs(resid - np.median(resid)))), _MIN_SCALE)
        u = np.abs(resid) / scale
        w = np.minimum(1.0, _HUBER_C / np.maximum(u, 1e-12))
        root = np.sqrt(w)
        new = np.linalg.lstsq(design * root[:, None], y * root, rcond=None)[0]
        if np.allclose(new, beta, rtol=0, atol=1e-9):
            beta = new
            break
        beta = new
    resid = y - design @ beta
    scale = max(_MAD_TO_SD * float(np.median(np.abs(resid - np.median(resid)))), _MIN_SCALE)
    return design @ beta, scale


def _border_weights(
    retailers: gpd.GeoDataFrame,
    rows: pd.Index,
    borders: gpd.GeoDataFrame | None,
    settings: OutflowSettings,
    crs: pyproj.CRS | str | None,
) -> pd.DataFrame:
    """Distances to the nearest province and county border, the weight and its cause."""
    n = len(rows)
    result = pd.DataFrame(
        {
            "province_border_m": np.full(n, np.nan),
            "county_border_m": np.full(n, np.nan),
            "border_weight": np.ones(n),
            "weighted_by": np.full(n, None, dtype=object),
        },
        index=rows,
    )
    if borders is None or len(borders) == 0 or n == 0:
        return result
    metric = resolve_crs(crs, retailers)
    points = metric_points(retailers.iloc[rows.to_numpy()], "retailers", metric)
    reach = settings.weight_reach_m
    prov, _ = border_distances(
        points, borders, metric, kind=BorderKind.PROVINCE, max_distance=reach
    )
    county, _ = border_distances(points, borders, metric, max_distance=reach)
    by_province = 1 + (settings.province_border_weight - 1) * np.clip(1 - prov / reach, 0, 1)
    by_county = 1 + (settings.county_border_weight - 1) * np.clip(1 - county / reach, 0, 1)
    weight = np.maximum(by_province, by_county)
    cause = np.where(by_province >= by_county, BorderKind.PROVINCE.value, BorderKind.COUNTY.value)
    result["province_border_m"] = np.where(np.isfinite(prov), prov, np.nan)
    result["county_border_m"] = np.where(np.isfinite(county), county, np.nan)
    result["border_weight"] = weight
    result["weighted_by"] = pd.Series(cause, index=rows, dtype=object).where(weight > 1, None)
    return result


def _reasons(row: tuple[object, ...]) -> str:
    r = row._asdict()  # type: ignore[attr-defined]
    kind = label_zh(BusinessType(r["business_type"]))
    area = "" if r["area_type"] == _ALL else f" in a {r['area_type']} area"
    text = (
        f"ordered {r['cartons']:.0f} cartons, {r['ratio']:.1f}x the {r['expected_cartons']:.0f} "
        f"expected for tier {r['tier']:g} {kind}{area} (robust z {r['robust_z']:.1f} among "
        f"{r['peers']} peers: {r['peer_group']})"
    )
    if isinstance(r["weighted_by"], str):
        km = r[f"{r['weighted_by']}_border_m"] / 1000
        where = f"{km:.1f} km from a {r['weighted_by']} border"
        text += f"; {where}, score weighted x{r['border_weight']:.2f} to {r['score']:.1f}"
    return text
