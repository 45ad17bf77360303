"""Workload weights: visit minutes from tier, business type, key status and licence status."""

from __future__ import annotations

import pandas as pd
import pytest

from gridmgmt.domain import BusinessType
from gridmgmt.grids.workload import WorkloadTable, active_mask, retailer_workload


def frame(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "tier": [1],
        "business_type": ["grocery"],
        "status": ["active"],
        "key_retailer": [False],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_tier_one_grocery_takes_the_base_minutes() -> None:
    assert retailer_workload(frame()).iloc[0] == pytest.approx(20.0)


def test_higher_tier_and_key_retailer_weigh_more() -> None:
    table = WorkloadTable()
    minutes = retailer_workload(
        frame(tier=[1, 30, 30], business_type=["grocery"] * 3, status=["active"] * 3,
              key_retailer=[False, False, True]),
        table=table,
    )  # fmt: skip
    assert minutes.iloc[1] == pytest.approx(20.0 * (1 + 29 * table.tier_step))
    assert minutes.iloc[2] == pytest.approx(minutes.iloc[1] * table.key_retailer_factor)


def test_closed_and_suspended_retailers_create_no_work_by_default() -> None:
    minutes = retailer_workload(
        frame(tier=[5, 5, 5], business_type=["grocery"] * 3,
              status=["active", "suspended", "closed"], key_retailer=[False] * 3)
    )  # fmt: skip
    assert minutes.tolist()[1:] == [0.0, 0.0]
    assert minutes.iloc[0] > 0


def test_suspended_share_is_configurable() -> None:
    table = WorkloadTable(suspended_factor=0.5)
    minutes = retailer_workload(
        frame(tier=[5, 5], business_type=["grocery"] * 2, status=["active", "suspended"],
              key_retailer=[False, False]),
        table=table,
    )  # fmt: skip
    assert minutes.iloc[1] == pytest.approx(minutes.iloc[0] / 2)


def test_chinese_labels_and_missing_key_column_are_accepted() -> None:
    data = pd.DataFrame({"tier": [3], "business_type": ["超市"], "status": ["正常"]})
    expected = WorkloadTable().base_minutes[BusinessType.SUPERMARKET] * (1 + 2 * 0.02)
    assert retailer_workload(data).iloc[0] == pytest.approx(expected)
    assert active_mask(data).tolist() == [True]


@pytest.mark.parametrize("tier", [0, 31, 2.5, "x"])
def test_tier_outside_one_to_thirty_is_refused(tier: object) -> None:
    with pytest.raises(ValueError, match="1-30"):
        retailer_workload(frame(tier=[tier]))


def test_unknown_business_type_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="grocery"):
        retailer_workload(frame(business_type=["bakery"]))


def test_table_needs_minutes_for_every_type() -> None:
    with pytest.raises(ValueError, match="lacks business types"):
        WorkloadTable(base_minutes={BusinessType.GROCERY: 10.0})
