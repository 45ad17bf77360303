"""Median prices per brand and pack (品规价格中位数), per county and per self-discipline group.

Price observations (价格采集) are what an observer saw a retailer charge for one pack (包)
of a brand and pack type (品规) on one day. A retailer observed several times in the period
counts once, with its latest price (ties on one day: the mean of that day's prices), so a
shop visited often does not weigh more than its neighbours. Medians are then taken over
retailers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridmgmt.errors import InvalidInputError

__all__ = [
    "PRODUCT",
    "latest_prices",
    "median_prices",
    "period_of",
    "price_outliers",
    "require_columns",
]

PRODUCT = ["brand", "pack"]
"""A product is a brand and a pack type (品规), e.g. 中华 / 硬盒."""

_OBSERVATION_COLUMNS = ["licence_no", "county_code", *PRODUCT, "price", "date"]


def require_columns(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    """Raise :class:`InvalidInputError` naming the columns ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{name} lack columns {missing}; they have {list(frame.columns)}"
        raise InvalidInputError(msg)


def period_of(
    observations: pd.DataFrame,
    *,
    start: dt.date | None,
    end: dt.date | None,
    default_days: int,
) -> tuple[dt.date | None, dt.date | None]:
    """The period to read: as given, else ``default_days`` up to the latest observation."""
    if start is not None or end is not None or not len(observations):
        return start, end
    last = max(pd.to_datetime(observations["date"]).dt.date)
    return last - dt.timedelta(days=default_days - 1), last


def latest_prices(
    observations: pd.DataFrame,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Each retailer's latest price of each product within ``start``..``end`` (inclusive).

    Parameters
    ----------
    observations
        ``licence_no``, ``county_code``, ``brand``, ``pack``, ``price`` (yuan per pack) and
        ``date``; other columns (``group_code``...) are kept from the latest row.

    Returns
    -------
    pandas.DataFrame
        One row per retailer and product, with ``observations`` (how many in the period).
    """
    require_columns(observations, "price observations", _OBSERVATION_COLUMNS)
    frame = observations.copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["price"] = pd.to_numeric(frame["price"], errors="coerce")
    if frame["price"].isna().any() or (frame["price"] <= 0).any():
        msg = "price observations must have a positive price in yuan per pack"
        raise InvalidInputError(msg)
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= (frame["date"] >= start).to_numpy()
    if end is not None:
        keep &= (frame["date"] <= end).to_numpy()
    frame = frame[keep]
    key = ["licence_no", *PRODUCT]
    if not len(frame):
        return frame.assign(observations=pd.Series(dtype=np.int64)).reset_index(drop=True)
    counts = frame.groupby(key).size().rename("observations")
    # The latest day per retailer and product, on datetime64 (a max over date objects is
    # computed group by group in Python).
    day = pd.to_datetime(frame["date"])
    latest = frame[(day == day.groupby([frame[k] for k in key]).transform("max")).to_numpy()]
    mean_price = latest.groupby(key)["price"].mean().rename("latest_price")
    rows = latest.drop_duplicates(key, keep="last").set_index(key)
    rows = rows.join(mean_price).join(counts)
    rows["price"] = rows.pop("latest_price")
    return rows.reset_index().sort_values(key, ignore_index=True)


def median_prices(prices: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Median price of each product per group of ``by`` columns.

    Parameters
    ----------
    prices
        One price per retailer and product, as :func:`latest_prices` returns them.
    by
        Grouping columns, e.g. ``["county_code"]`` or ``["group_code", "county_code"]``;
        rows with a missing value in one of them are left out.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``brand``, ``pack``, ``retailers``, ``median``, ``min`` and ``max`` (yuan per
        pack), sorted by ``by`` then product.
    """
    require_columns(prices, "prices", [*by, *PRODUCT, "price"])
    keys = [*by, *PRODUCT]
    columns = [*keys, "retailers", "median", "min", "max"]
    rows = prices.dropna(subset=list(by))
    if not len(rows):
        return pd.DataFrame(columns=columns)
    table = rows.groupby(keys, as_index=False).agg(
        retailers=("price", "size"),
        median=("price", "median"),
        min=("price", "min"),
        max=("price", "max"),
    )
    return table[columns].sort_values(keys, ignore_index=True)


def price_outliers(prices: pd.DataFrame, *, share: float, min_retailers: int) -> pd.DataFrame:
    """Retailers whose price of a product is ``share`` or more off their county's median.

    Only products with at least ``min_retailers`` retailers in the county are judged.

    Returns
    -------
    pandas.DataFrame
        The retailer's rows with ``county_median``, ``deviation`` (signed share of the
        median; negative is cheaper) and ``direction`` (``below`` or ``above``), largest
        deviation first.
    """
    medians = median_prices(prices, ["county_code"])
    medians = medians[medians["retailers"] >= min_retailers]
    keys = ["county_code", *PRODUCT]
    joined = prices.merge(
        medians[[*keys, "median"]].rename(columns={"median": "county_median"}), on=keys
    )
    joined["deviation"] = (joined["price"] - joined["county_median"]) / joined["county_median"]
    flagged = joined[joined["deviation"].abs() >= share - 1e-12].copy()
    flagged["direction"] = np.where(flagged["deviation"] < 0, "below", "above")
    order = flagged["deviation"].abs().sort_values(ascending=False, kind="stable").index
    return flagged.loc[order].reset_index(drop=True)
