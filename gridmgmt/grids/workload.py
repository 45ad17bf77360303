"""Workload weights of retailers (工作量): visit minutes from tier and business type.

A retailer's workload is the minutes one visit takes: a base time per business type (业态),
scaled up with the retailer's tier (档位, 1-30: higher tiers sell more and take longer to
serve) and again for key retailers under close supervision (重点零售户). Only active
retailers create work by default; suspended (歇业) ones can be given a share through the
table, closed (停业) ones never. The table is a pydantic model so a bureau can keep its own
numbers in a settings file.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gridmgmt.domain import BusinessType, RetailerStatus, parse_enum
from gridmgmt.errors import InvalidInputError

__all__ = [
    "MAX_TIER",
    "MIN_TIER",
    "WorkloadTable",
    "active_mask",
    "parse_business_types",
    "parse_statuses",
    "retailer_workload",
]

MIN_TIER = 1
MAX_TIER = 30

_DEFAULT_MINUTES: dict[BusinessType, float] = {
    BusinessType.GROCERY: 20.0,
    BusinessType.CONVENIENCE: 25.0,
    BusinessType.SUPERMARKET: 35.0,
    BusinessType.TOBACCO_LIQUOR: 30.0,
    BusinessType.ENTERTAINMENT: 25.0,
    BusinessType.RESTAURANT: 20.0,
    BusinessType.OTHER: 20.0,
}


class WorkloadTable(BaseModel):
    """Visit minutes per retailer (拜访工作量标准).

    ``minutes = base_minutes[business_type] * (1 + tier_step * (tier - 1))``, times
    ``key_retailer_factor`` for key retailers and ``suspended_factor`` for suspended ones.

    Attributes
    ----------
    base_minutes
        Minutes one visit to a tier-1 retailer of each business type takes.
    tier_step
        Extra share of the base time per tier above 1 (0.02: a tier-30 retailer takes 58%
        longer than a tier-1 one).
    key_retailer_factor
        Multiplier for key retailers (重点零售户), who are visited more closely.
    suspended_factor
        Multiplier for suspended retailers (歇业); 0 means they create no work.
    """

    model_config = ConfigDict(frozen=True)

    base_minutes: dict[BusinessType, float] = Field(default_factory=lambda: dict(_DEFAULT_MINUTES))
    tier_step: float = Field(default=0.02, ge=0.0)
    key_retailer_factor: float = Field(default=1.5, ge=1.0)
    suspended_factor: float = Field(default=0.0, ge=0.0, le=1.0)

    @field_validator("base_minutes")
    @classmethod
    def _every_type_positive(cls, value: dict[BusinessType, float]) -> dict[BusinessType, float]:
        missing = [t.value for t in BusinessType if t not in value]
        if missing:
            msg = f"base_minutes lacks business types {missing}; give minutes for every type"
            raise InvalidInputError(msg)
        bad = {t.value: m for t, m in value.items() if not m > 0}
        if bad:
            msg = f"base_minutes must be positive; got {bad}"
            raise InvalidInputError(msg)
        return value


def parse_business_types(values: Iterable[object]) -> pd.Series:
    """Parse business types given as values, Chinese labels or synonyms.

    Raises
    ------
    ValueError
        If a value is not a business type; the message lists the allowed values.
    """
    return _parse_column(values, BusinessType)


def parse_statuses(values: Iterable[object]) -> pd.Series:
    """Parse retailer statuses given as values, Chinese labels or synonyms.

    Raises
    ------
    ValueError
        If a value is not a status; the message lists the allowed values.
    """
    return _parse_column(values, RetailerStatus)


def active_mask(retailers: pd.DataFrame) -> np.ndarray:
    """Tell which retailers are active (正常营业), the ones that need grids."""
    if "status" not in retailers.columns:
        msg = "retailers need a 'status' column (active, suspended or closed)"
        raise InvalidInputError(msg)
    statuses = parse_statuses(retailers["status"])
    return np.asarray(statuses == RetailerStatus.ACTIVE.value, dtype=bool)


def retailer_workload(retailers: pd.DataFrame, *, table: WorkloadTable | None = None) -> pd.Series:
    """Workload (visit minutes) of each retailer.

    Parameters
    ----------
    retailers
        Frame with columns ``tier`` (1-30), ``business_type`` and ``status``, and
        optionally ``key_retailer`` (missing means no key retailers).
    table
        The minutes table; :class:`WorkloadTable` defaults when not given.

    Returns
    -------
    pandas.Series
        Float minutes, indexed like ``retailers``; 0 for closed retailers.

    Raises
    ------
    ValueError
        If a column is missing, a tier is outside 1-30, or a business type or status is
        unknown.
    """
    table = table or WorkloadTable()
    missing = [c for c in ("tier", "business_type", "status") if c not in retailers.columns]
    if missing:
        msg = f"retailers lack columns {missing}; need tier, business_type and status"
        raise InvalidInputError(msg)
    tiers = _parse_tiers(retailers["tier"])
    types = parse_business_types(retailers["business_type"])
    statuses = parse_statuses(retailers["status"])
    base = types.map({t.value: m for t, m in table.base_minutes.items()}).to_numpy(float)
    minutes = base * (1.0 + table.tier_step * (tiers - 1))
    if "key_retailer" in retailers.columns:
        key = retailers["key_retailer"].fillna(False).astype(bool).to_numpy()
        minutes = np.where(key, minutes * table.key_retailer_factor, minutes)
    status_factor = statuses.map(
        {
            RetailerStatus.ACTIVE.value: 1.0,
            RetailerStatus.SUSPENDED.value: table.suspended_factor,
            RetailerStatus.CLOSED.value: 0.0,
        }
    ).to_numpy(float)
    return pd.Series(minutes * status_factor, index=retailers.index, name="workload")


def _parse_tiers(values: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
    bad |= (numbers < MIN_TIER) | (numbers > MAX_TIER)
    if bad.any():
        examples = list(pd.Series(values)[bad].head(5))
        msg = (
            f"{int(bad.sum())} tiers are not whole numbers in {MIN_TIER}-{MAX_TIER}, "
            f"e.g. {examples}"
        )
        raise InvalidInputError(msg)
    return np.asarray(numbers, dtype=float)


def _parse_column(
    values: Iterable[object], enum: type[BusinessType] | type[RetailerStatus]
) -> pd.Series:
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    mapping = {raw: parse_enum(enum, str(raw)).value for raw in pd.unique(series.astype(str))}
    return series.astype(str).map(mapping)
