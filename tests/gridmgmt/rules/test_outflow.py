from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import shapely

from gridmgmt.rules.border_markets import shared_borders
from gridmgmt.rules.outflow import outflow_scores, outflow_suspects
from gridmgmt.rules.settings import OutflowSettings

from .conftest import LOCAL, frame, points

SETTINGS = OutflowSettings(threshold=3.5, min_peers=20, weight_reach_m=2000)
FACTORS = (0.7, 1.0, 1.4)  # every tier has each of these three around its trend


def _market() -> tuple[pd.DataFrame, object]:
    """90 groceries on the trend exp(2 + 0.1 tier), three overachievers, five convenience stores."""
    ids, tiers, kinds, cartons, xy = [], [], [], [], []
    for i in range(90):
        tier = i % 30 + 1
        ids.append(f"g{i:02d}")
        tiers.append(tier)
        kinds.append("grocery")
        cartons.append(math.exp(2 + 0.1 * tier) * FACTORS[i // 30])
        xy.append((1000 + 70 * (i % 30), 1000 + 100 * (i // 30)))
    extra = [
        ("big", 10, "grocery", 10 * math.exp(3), (5000, 5000)),
        ("border", 20, "grocery", 4 * math.exp(4), (5000, 9900)),
        ("inland", 20, "grocery", 4 * math.exp(4), (5000, 5000)),
    ]
    extra += [(f"c{i}", 5 + i, "便利店", math.exp(2.5 + 0.1 * i), (3000, 3000)) for i in range(5)]
    for rid, tier, kind, volume, where in extra:
        ids.append(rid)
        tiers.append(tier)
        kinds.append(kind)
        cartons.append(volume)
        xy.append(where)
    retailers = points(xy, licence_no=ids, tier=tiers, business_type=kinds)
    # Two orders each, splitting the volume: the engine sums them.
    orders = pd.DataFrame(
        {
            "licence_no": ids * 2,
            "cartons": [c / 2 for c in cartons] * 2,
        }
    )
    return orders, retailers


@pytest.fixture
def borders() -> object:
    counties = frame(
        [shapely.box(0, 0, 10_000, 10_000), shapely.box(0, 10_000, 10_000, 20_000)],
        code=["420101", "430101"],
    )
    return shared_borders(counties, tolerance_m=1, crs=LOCAL)


def test_far_above_peers_is_a_suspect_and_the_trend_is_robust(borders: object) -> None:
    orders, retailers = _market()
    scores = outflow_scores(orders, retailers, settings=SETTINGS, borders=borders, crs=LOCAL)
    row = scores.set_index("licence_no").loc["big"]
    # The fit follows the 90 regular shops, not the three outliers: expected about e^3 (the
    # three noise factors have a geometric mean of 0.99).
    assert row["expected_cartons"] == pytest.approx(math.exp(3), rel=0.05)
    assert row["ratio"] == pytest.approx(10, rel=0.05)
    # Residual scale: 1.4826 x MAD of (ln 0.7, 0, ln 1.4) = 1.4826 x 0.336 = 0.50.
    assert row["robust_z"] == pytest.approx(math.log(10) / 0.4985, rel=0.05)
    assert row["peer_group"] == "grocery / all"
    assert row["peers"] == 93
    # Regular shops sit within the noise.
    regular = scores[scores["licence_no"].str.startswith("g")]
    assert regular["robust_z"].abs().max() < 1.0


def test_province_border_weighting_tips_an_overachiever_into_the_list(borders: object) -> None:
    orders, retailers = _market()
    suspects = outflow_suspects(orders, retailers, settings=SETTINGS, borders=borders, crs=LOCAL)
    assert list(suspects["licence_no"]) == ["big", "border"]
    assert list(suspects["rank"]) == [1, 2]
    border = suspects.set_index("licence_no").loc["border"]
    # 100 m from the province border: weight 1 + 0.5 x (1 - 100 / 2000) = 1.475.
    assert border["border_weight"] == pytest.approx(1.475)
    assert border["weighted_by"] == "province"
    assert border["score"] == pytest.approx(border["robust_z"] * 1.475)
    assert border["robust_z"] < SETTINGS.threshold  # only the weighting lists it
    assert "province border" in border["reasons"]
    assert "x the 20 expected for tier 10" in suspects.iloc[0]["reasons"]
    # Without borders the same shop is not a suspect.
    plain = outflow_suspects(orders, retailers, settings=SETTINGS)
    assert list(plain["licence_no"]) == ["big"]


def test_small_groups_are_pooled(borders: object) -> None:
    orders, retailers = _market()
    scores = outflow_scores(orders, retailers, settings=SETTINGS, crs=LOCAL).set_index("licence_no")
    convenience = scores.loc[[f"c{i}" for i in range(5)]]
    assert set(convenience["peer_group"]) == {"all"}
    assert set(convenience["peers"]) == {98}
    assert np.isfinite(convenience["robust_z"]).all()


def test_area_types_split_peer_groups() -> None:
    orders, retailers = _market()
    # Same shops, but the last 30 regular ones are in "town": two groups of 60 + 3 and 30.
    area = pd.Series(["village"] * 60 + ["town"] * 30 + ["village"] * 8, index=retailers.index)
    scores = outflow_scores(orders, retailers, settings=SETTINGS, area_types=area)
    groups = scores.set_index("licence_no")["peer_group"]
    assert groups["g89"] == "grocery / town"
    assert groups["big"] == "grocery / village"


def test_missing_volume_column_is_reported() -> None:
    _, retailers = _market()
    with pytest.raises(ValueError, match="cartons"):
        outflow_scores(pd.DataFrame({"licence_no": ["g00"]}), retailers, settings=SETTINGS)
