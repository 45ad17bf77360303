"""Per-county settings of the geographic rules, with defaults and named presets.

Local rules differ from county to county, so every distance, weight and deadline the rule
engines use is a setting here. :class:`RuleSettings` bundles them; :func:`preset` returns
a named starting point:

``default``
    School red line (学校红线) of 80 m for every kind of school, measured as the shortest
    walk along the road network (步行最短距离) from the school gates (校门), falling back
    to the campus boundary and then the school point where gates are not recorded.
``wuhan``
    Wuhan-style: 50 m for every kind of school, straight line from the gates.
``suqian``
    Suqian-style: 100 m for kindergartens (幼儿园) and 200 m for primary and middle
    schools (中小学), straight line from every gate.

The spacing, border, outflow, ticket, inspection and checkpoint defaults are the same in
every preset; they are placeholders that a county sets to its own published rules.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gridmgmt.domain import RetailerStatus, SchoolKind, parse_enum
from gridmgmt.errors import InvalidInputError

__all__ = [
    "PRESETS",
    "AreaType",
    "BorderSettings",
    "CheckpointSettings",
    "DensityBand",
    "DensityRule",
    "DistanceMode",
    "InspectionSettings",
    "LeadDeadlines",
    "MeasureFrom",
    "OutflowSettings",
    "PriceSettings",
    "RedLineSettings",
    "RuleSettings",
    "SpacingSettings",
    "SweepSettings",
    "TicketDeadlines",
    "preset",
]


class MeasureFrom(StrEnum):
    """What a school's red line is measured from (测量起点)."""

    GATES = "gates"  # 校门: every gate of the school
    CAMPUS = "campus"  # 校园边界: the campus polygon's boundary
    POINT = "point"  # 学校位置: the school's point


class DistanceMode(StrEnum):
    """How a red-line distance is measured."""

    STRAIGHT = "straight"  # 直线距离
    WALK = "walk"  # 步行最短距离, along the road network


class AreaType(StrEnum):
    """Well-known area types for the reasonable-layout (合理布局) spacing rule.

    Spacing settings may use any other names as well (e.g. ``county_town_main`` and
    ``county_town_side`` for a county town ruled by street type); these are the defaults.
    """

    COUNTY_TOWN = "county_town"  # 县城
    TOWNSHIP = "township"  # 乡镇
    VILLAGE = "village"  # 农村
    HIGHWAY = "highway"  # 公路沿线


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_RULE_DISTANCE_M: Final = 100_000.0
"""The longest distance a rule may set (100 km): red lines and spacings are metres to a few
kilometres; a longer one is a typo, and one near the float limit overflowed the buffers."""


def _check_distance(value: float, name: str) -> float:
    if not (math.isfinite(value) and 0 <= value <= MAX_RULE_DISTANCE_M):
        msg = (
            f"{name} must be a distance in metres from 0 to {MAX_RULE_DISTANCE_M:g}; got {value!r}"
        )
        raise InvalidInputError(msg)
    return value


class RedLineSettings(_Model):
    """School red line (学校红线): no retailer within a distance of a school.

    Parameters
    ----------
    distance_m
        Red-line distance in metres per school kind; ``None`` (or a missing kind) means
        that kind has no red line. Keys may be the English values or the Chinese labels
        (幼儿园, 小学, 中学).
    measure_from
        Measure from the gates, the campus polygon's boundary or the school point. A school
        without gates falls back to its campus, and one without a campus to its point; each
        result says what it was measured from.
    mode
        Straight line, or the shortest walk along the road network (which needs a road
        graph).
    """

    distance_m: dict[SchoolKind, float | None]
    measure_from: MeasureFrom = MeasureFrom.GATES
    mode: DistanceMode = DistanceMode.STRAIGHT

    @field_validator("distance_m", mode="before")
    @classmethod
    def _parse_kinds(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {parse_enum(SchoolKind, str(key)): dist for key, dist in value.items()}

    @field_validator("distance_m")
    @classmethod
    def _check_distances(
        cls, value: dict[SchoolKind, float | None]
    ) -> dict[SchoolKind, float | None]:
        for kind, dist in value.items():
            if dist is not None:
                _check_distance(dist, f"red-line distance for {kind.value}")
        return value

    def limit(self, kind: SchoolKind) -> float | None:
        """Red-line distance in metres for a school kind, ``None`` when it has none."""
        return self.distance_m.get(kind)

    @property
    def max_distance_m(self) -> float:
        """Largest red-line distance of any kind (0 when no kind has one)."""
        return max((d for d in self.distance_m.values() if d is not None), default=0.0)


class DensityBand(_Model):
    """Retailers at or above ``min_per_km2`` within the density radius get ``area_type``."""

    min_per_km2: float = Field(ge=0)
    area_type: str


class DensityRule(_Model):
    """Area type from retailer density when no area-type polygon layer is given.

    The density at a point is the number of counted retailers within ``radius_m`` of it
    (itself included) per square kilometre of that disc. The first band (highest
    threshold first) the density reaches gives the area type; below every band the
    spacing settings' ``default_area_type`` applies.
    """

    radius_m: float = Field(default=500.0, gt=0)
    bands: tuple[DensityBand, ...] = (
        DensityBand(min_per_km2=150.0, area_type=AreaType.COUNTY_TOWN),
        DensityBand(min_per_km2=30.0, area_type=AreaType.TOWNSHIP),
    )

    @field_validator("bands")
    @classmethod
    def _sort_bands(cls, value: tuple[DensityBand, ...]) -> tuple[DensityBand, ...]:
        return tuple(sorted(value, key=lambda band: -band.min_per_km2))


class SpacingSettings(_Model):
    """Reasonable layout (合理布局): the minimum distance between two retailers.

    Parameters
    ----------
    minimum_m
        Minimum spacing in metres per area type. Two retailers in different area types
        must keep the larger of their two minimums.
    default_area_type
        Area type of a retailer outside every area polygon and below every density band.
    density
        Density rule used when no area-type polygon layer is given; ``None`` puts every
        retailer without a polygon in ``default_area_type``.
    counted_statuses
        Retailer statuses that count (a closed licence no longer occupies its place).
    """

    minimum_m: dict[str, float] = Field(
        default_factory=lambda: {
            AreaType.COUNTY_TOWN.value: 50.0,
            AreaType.TOWNSHIP.value: 25.0,
            AreaType.VILLAGE.value: 100.0,
            AreaType.HIGHWAY.value: 500.0,
        }
    )
    default_area_type: str = AreaType.VILLAGE.value
    density: DensityRule | None = DensityRule()
    counted_statuses: tuple[RetailerStatus, ...] = (
        RetailerStatus.ACTIVE,
        RetailerStatus.SUSPENDED,
    )

    @field_validator("minimum_m")
    @classmethod
    def _check_minimums(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            msg = "minimum_m needs at least one area type"
            raise InvalidInputError(msg)
        for area, dist in value.items():
            _check_distance(dist, f"spacing minimum for {area!r}")
        return value

    @model_validator(mode="after")
    def _known_area_types(self) -> SpacingSettings:
        named = [self.default_area_type]
        if self.density is not None:
            named += [band.area_type for band in self.density.bands]
        unknown = sorted({name for name in named if name not in self.minimum_m})
        if unknown:
            msg = (
                f"area types {unknown} have no spacing minimum; expected one of "
                f"{sorted(self.minimum_m)}"
            )
            raise InvalidInputError(msg)
        return self


class BorderSettings(_Model):
    """Border markets (边界市场): retailers near county and province borders.

    Parameters
    ----------
    county_border_m
        A retailer this close to a county border is a border-market retailer.
    province_border_m
        A retailer this close to a province border is a province-border retailer.
    tolerance_m
        Two counties' boundary lines within this distance of each other count as one
        shared border (digitised boundaries rarely match exactly).
    """

    county_border_m: float = Field(default=2000.0, ge=0)
    province_border_m: float = Field(default=5000.0, ge=0)
    tolerance_m: float = Field(default=50.0, ge=0)


class OutflowSettings(_Model):
    """Outflow suspects (真烟外流): ordering far more than comparable retailers.

    Parameters
    ----------
    threshold
        Robust z-score (residual over 1.4826 MAD) at or above which a retailer is a
        suspect, after border weighting.
    min_peers
        Smallest group of comparable retailers (business type x area type) to fit on;
        smaller groups are pooled with their business type, then with everyone.
    province_border_weight, county_border_weight
        Multiplier of the score at the border, falling linearly to 1 at ``weight_reach_m``.
    weight_reach_m
        Distance from a border beyond which no weighting applies.
    """

    threshold: float = Field(default=3.5, gt=0)
    min_peers: int = Field(default=20, ge=3)
    province_border_weight: float = Field(default=1.5, ge=1)
    county_border_weight: float = Field(default=1.15, ge=1)
    weight_reach_m: float = Field(default=10_000.0, gt=0)


class PriceSettings(_Model):
    """Price checks (价格互查) between the self-discipline groups of adjacent counties.

    Parameters
    ----------
    gap_share
        A cross-border gap is flagged when the two sides' median prices of a brand and
        pack differ by at least this share of the lower median (0.05: 5%).
    min_observations
        Retailers each side needs for a median to count (fewer say nothing, and a median
        of one or two retailers would give away their prices to the other county).
    outlier_share
        A retailer whose price differs from its county's median by at least this share is
        a price outlier (a candidate for a joint sweep).
    period_days
        Default period of observations: this many days up to the latest observation.
    """

    gap_share: float = Field(default=0.05, gt=0, le=1)
    min_observations: int = Field(default=3, ge=1)
    outlier_share: float = Field(default=0.10, gt=0, le=1)
    period_days: int = Field(default=90, ge=1)


class SweepSettings(_Model):
    """Joint border-market sweeps (毗邻市场集中整治).

    Parameters
    ----------
    target_share
        Share of the candidates (border-market retailers, outflow suspects and price
        outliers) to draw as targets, rounded up.
    priority_always
        Always include the outflow suspects and price outliers among the targets.
    team_size
        Officers per mixed team (at least one of each county of the sweep).
    """

    target_share: float = Field(default=0.2, gt=0, le=1)
    priority_always: bool = True
    team_size: int = Field(default=2, ge=1)


class TicketDeadlines(_Model):
    """Hours allowed for each step of a grid supervision ticket (信息流转时限).

    Each deadline runs from the previous step: a ticket must be assigned within
    ``assign_hours`` of being collected, responded to within ``respond_hours`` of being
    assigned, and so on. Hours are calendar hours.
    """

    assign_hours: float = Field(default=24.0, gt=0)
    respond_hours: float = Field(default=24.0, gt=0)
    handle_hours: float = Field(default=72.0, gt=0)
    feed_back_hours: float = Field(default=48.0, gt=0)


class LeadDeadlines(_Model):
    """Time a receiving county allows itself for a lead handed over to it (线索移交时限).

    A lead must be acknowledged (签收) within ``ack_hours`` of being sent and fed back (反馈)
    within ``feedback_days`` of being accepted.
    """

    ack_hours: float = Field(default=24.0, gt=0)
    feedback_days: float = Field(default=15.0, gt=0)


class InspectionSettings(_Model):
    """Double-random inspections (双随机、一公开).

    Parameters
    ----------
    quota_share
        Share of the retailers to inspect per period (rounded up).
    stratify_by_grid
        Allocate the quota over grids in proportion to their retailers.
    key_retailers_always
        Always include key retailers (重点零售户), on top of the random draw where they
        exceed their grid's quota.
    exclude_own_grid
        Never send an officer to a retailer of their own grid.
    officers_per_inspection
        Officers per inspection (the law requires at least two).
    """

    quota_share: float = Field(default=0.05, gt=0, le=1)
    stratify_by_grid: bool = True
    key_retailers_always: bool = False
    exclude_own_grid: bool = True
    officers_per_inspection: int = Field(default=2, ge=1)


_DEFAULT_ROAD_WEIGHTS: Final[dict[str, float]] = {
    "motorway": 10.0,
    "trunk": 8.0,
    "primary": 5.0,
    "secondary": 3.0,
    "tertiary": 2.0,
    "unclassified": 1.0,
    "residential": 0.5,
    "service": 0.3,
    "track": 0.3,
}


class CheckpointSettings(_Model):
    """Checkpoints (查堵卡点) on border-crossing roads.

    Parameters
    ----------
    coverage_m
        A checkpoint this close to a border crossing covers it.
    approach_m
        Stretch of road either side of a crossing on which a checkpoint intercepts the
        flow over that crossing.
    site_tolerance_m
        A candidate site this close to a flow's path lies on it.
    road_weights
        Flow weight per OSM ``highway`` class (``*_link`` counts as its class) when no
        origin-destination flows are given; other classes get ``default_road_weight``.
    """

    coverage_m: float = Field(default=500.0, ge=0)
    approach_m: float = Field(default=3000.0, gt=0)
    site_tolerance_m: float = Field(default=30.0, ge=0)
    road_weights: dict[str, float] = Field(default_factory=lambda: dict(_DEFAULT_ROAD_WEIGHTS))
    default_road_weight: float = Field(default=1.0, ge=0)

    def road_weight(self, highway: object) -> float:
        """Flow weight of a road of class ``highway`` (a list takes its heaviest class)."""
        if isinstance(highway, list | tuple):
            return max((self.road_weight(h) for h in highway), default=self.default_road_weight)
        if not isinstance(highway, str):
            return self.default_road_weight
        key = highway.strip().lower().removesuffix("_link")
        return self.road_weights.get(key, self.default_road_weight)


class RuleSettings(_Model):
    """Every setting of the geographic rules for one county."""

    red_line: RedLineSettings
    spacing: SpacingSettings = SpacingSettings()
    borders: BorderSettings = BorderSettings()
    outflow: OutflowSettings = OutflowSettings()
    tickets: TicketDeadlines = TicketDeadlines()
    inspections: InspectionSettings = InspectionSettings()
    checkpoints: CheckpointSettings = CheckpointSettings()
    leads: LeadDeadlines = LeadDeadlines()
    prices: PriceSettings = PriceSettings()
    sweeps: SweepSettings = SweepSettings()


def _every_kind(metres: float) -> dict[SchoolKind, float | None]:
    return dict.fromkeys(SchoolKind, metres)


PRESETS: Final[dict[str, RuleSettings]] = {
    "default": RuleSettings(
        red_line=RedLineSettings(
            distance_m=_every_kind(80.0),
            measure_from=MeasureFrom.GATES,
            mode=DistanceMode.WALK,
        )
    ),
    "wuhan": RuleSettings(
        red_line=RedLineSettings(
            distance_m=_every_kind(50.0),
            measure_from=MeasureFrom.GATES,
            mode=DistanceMode.STRAIGHT,
        )
    ),
    "suqian": RuleSettings(
        red_line=RedLineSettings(
            distance_m={
                SchoolKind.KINDERGARTEN: 100.0,
                SchoolKind.PRIMARY: 200.0,
                SchoolKind.MIDDLE: 200.0,
            },
            measure_from=MeasureFrom.GATES,
            mode=DistanceMode.STRAIGHT,
        )
    ),
}


def preset(name: str) -> RuleSettings:
    """Return the named preset settings (see the module docstring for what each means).

    Raises
    ------
    ValueError
        If the name is not a preset; the message lists the presets.
    """
    key = name.strip().lower()
    if key not in PRESETS:
        msg = f"`preset` was {name!r} but is expected to be in {sorted(PRESETS)}"
        raise InvalidInputError(msg)
    return PRESETS[key].model_copy(deep=True)
