"""Generate the demo cases: tobacco cases in the six demo counties, as ``data/demo/cases.json``.

The cases come from :func:`gridmgmt.cases.synthetic.generate_case_set`: a few networks that
cross the Inner Mongolia / Shanxi / Hebei borders, many isolated cases, hub identifiers (a
courier depot's phone, a market's address, a logistics company) and the noise case files
have. They are then tied to the demo region so they map: a case that names a retailer's
licence number gets a real demo retailer of its county (and its location); courier,
smuggling and outflow cases are mostly seized at a checkpoint of their county; the rest at a
shop. The same seed gives a byte-identical file.

Run (after ``data/generate_demo.py``, whose retailers and checkpoints it reads)::

    uv run python data/generate_cases.py [--out data/demo] [--seed 20261121]

This is a data script: nothing in the package imports it.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import Point, shape

from gridmgmt.cases.model import Case, CaseType, EntityKind, Mention, cases_to_json, label_zh
from gridmgmt.cases.synthetic import DEMO_COUNTIES, SyntheticCaseSet, generate_case_set
from gridmgmt.crs import to_wgs84

DEFAULT_SEED = 20261121
DEFAULT_OUT = Path(__file__).resolve().parent / "demo"
N_CASES = 400
N_NETWORKS = 8
NETWORK_SIZE = (3, 9)
N_HUBS = 3
HUB_CASES = (60, 150)
CHECKPOINT_TYPES = (CaseType.COURIER_SHIPMENT, CaseType.SMUGGLED, CaseType.GENUINE_OUTFLOW)
JITTER_DEG = 0.00015  # about 15 m: cases at one checkpoint do not hide each other on the map


@dataclass(frozen=True)
class Place:
    """A retailer or checkpoint of the demo region (WGS-84)."""

    key: str
    name: str
    county: str
    lon: float
    lat: float


def read_retailers(folder: Path) -> dict[str, list[Place]]:
    """Demo retailers by county, converted from GCJ-02 to WGS-84."""
    with (folder / "retailers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    lon, lat = to_wgs84([float(r["lon"]) for r in rows], [float(r["lat"]) for r in rows], "gcj02")
    places: dict[str, list[Place]] = {}
    for row, x, y in zip(rows, lon, lat, strict=True):
        place = Place(row["licence_no"], row["name"], row["county_code"], float(x), float(y))
        places.setdefault(place.county, []).append(place)
    return places


def read_checkpoints(folder: Path) -> dict[str, list[Place]]:
    """Demo checkpoints by county (WGS-84)."""
    with (folder / "checkpoints.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    places: dict[str, list[Place]] = {}
    for row in rows:
        place = Place(
            row["name"], row["name"], row["county_code"], float(row["lon"]), float(row["lat"])
        )
        places.setdefault(place.county, []).append(place)
    return places


def read_counties(folder: Path) -> dict[str, shapely.Geometry]:
    """Demo county outlines by code."""
    data = json.loads((folder / "counties.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: shape(f["geometry"]) for f in data["features"]}


class Locator:
    """Puts cases at retailers and checkpoints of their county, deterministically."""

    def __init__(
        self,
        rng: random.Random,
        retailers: Mapping[str, list[Place]],
        checkpoints: Mapping[str, list[Place]],
        counties: Mapping[str, shapely.Geometry],
    ) -> None:
        self.rng = rng
        self.retailers = retailers
        self.checkpoints = checkpoints
        self.counties = counties
        self.licences: dict[str, Place] = {}
        self.unused = {
            county: rng.sample(places, len(places)) for county, places in retailers.items()
        }

    def retailer_for(self, licence: str, county: str) -> Place:
        """The demo retailer a synthetic licence number stands for (one each, same county)."""
        if licence not in self.licences:
            self.licences[licence] = self.unused[county].pop()
        return self.licences[licence]

    def point(self, place: Place) -> tuple[float, float]:
        """The place, moved a few metres, but never out of its county."""
        lon = place.lon + self.rng.uniform(-JITTER_DEG, JITTER_DEG)
        lat = place.lat + self.rng.uniform(-JITTER_DEG, JITTER_DEG)
        if self.counties[place.county].contains(Point(lon, lat)):
            return round(lon, 6), round(lat, 6)
        return round(place.lon, 6), round(place.lat, 6)

    def place_case(self, case: Case, licences: Sequence[Place]) -> tuple[Place, str]:
        """Where the case was found, and how the summary says it (``{}`` is the place)."""
        county = case.county_code
        if licences:
            return licences[0], "在零售户{}"
        at_checkpoint = case.type in CHECKPOINT_TYPES and self.rng.random() < 0.75
        if at_checkpoint and self.checkpoints.get(county):
            return self.rng.choice(self.checkpoints[county]), "在{}"
        return self.rng.choice(self.retailers[county]), "在{}附近"


def tie_to_region(
    cases_set: SyntheticCaseSet, locator: Locator
) -> tuple[list[Case], list[Mention]]:
    """Cases at demo places, licence numbers of demo retailers, summaries that say where."""
    by_case: dict[str, list[Mention]] = {case.case_no: [] for case in cases_set.cases}
    for mention in cases_set.mentions:
        by_case[mention.case_no].append(mention)
    cases, mentions = [], []
    for case in cases_set.cases:
        own: list[Mention] = []
        licences: list[Place] = []
        for mention in by_case[case.case_no]:
            if mention.kind is EntityKind.LICENCE_NO and mention.value:
                retailer = locator.retailer_for(mention.value, case.county_code)
                licences.append(retailer)
                mention = dataclasses.replace(mention, value=retailer.key)
            own.append(mention)
        place, where = locator.place_case(case, licences)
        lon, lat = locator.point(place)
        cartons = case.seized_cartons or 0
        summary = f"{where.format(place.name)}查获卷烟{cartons:.0f}条（{label_zh(case.type)}）"
        cases.append(dataclasses.replace(case, lon=lon, lat=lat, summary=summary))
        mentions.extend(own)
    return cases, mentions


def generate(folder: Path, seed: int) -> tuple[list[Case], list[Mention], SyntheticCaseSet]:
    """The demo cases and mentions, and the synthetic set they came from (with its truth)."""
    synthetic = generate_case_set(
        n_cases=N_CASES,
        n_networks=N_NETWORKS,
        network_size=NETWORK_SIZE,
        n_hubs=N_HUBS,
        hub_cases=HUB_CASES,
        counties=DEMO_COUNTIES,
        seed=seed,
    )
    locator = Locator(
        random.Random(seed),
        read_retailers(folder),
        read_checkpoints(folder),
        read_counties(folder),
    )
    cases, mentions = tie_to_region(synthetic, locator)
    return cases, mentions, synthetic


def write_demo_cases(folder: Path, seed: int = DEFAULT_SEED) -> tuple[Path, SyntheticCaseSet]:
    """Write ``cases.json`` into the demo folder; return its path and the synthetic set."""
    cases, mentions, synthetic = generate(folder, seed)
    path = folder / "cases.json"
    text = json.dumps(cases_to_json(cases, mentions), ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    return path, synthetic


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: write the file and say what the networks look like."""
    from gridmgmt.cases.model import parse_cases_json
    from gridmgmt.cases.networks import CaseLinkIndex

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="demo folder (data/demo)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed ({DEFAULT_SEED})")
    args = parser.parse_args(argv)
    path, synthetic = write_demo_cases(args.out, args.seed)
    written = parse_cases_json(path.read_text(encoding="utf-8"), source=path.name)
    networks = CaseLinkIndex.build(written.cases, written.mentions).networks()
    print(f"{path}: {len(written.cases)} cases, {len(written.mentions)} mentions")
    print(f"planted networks: {len(synthetic.planted_networks())}; found: {len(networks)}")
    print(f"cross-province: {sum(n.cross_province for n in networks)}; hubs: {synthetic.hubs}")


if __name__ == "__main__":
    main()
