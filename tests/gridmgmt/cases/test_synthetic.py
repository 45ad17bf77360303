"""The synthetic case generator: realistic, noisy, reproducible, with the truth attached."""

from __future__ import annotations

from collections import Counter

import pytest

from gridmgmt.cases.identifiers import normalise_id_number, normalise_phone, normalise_plate
from gridmgmt.cases.model import EntityKind, cases_to_json, parse_cases_json
from gridmgmt.cases.synthetic import (
    DEMO_COUNTIES,
    NoiseSettings,
    SyntheticCaseSet,
    generate_case_set,
)


@pytest.fixture(scope="module")
def data() -> SyntheticCaseSet:
    return generate_case_set(n_cases=400, n_networks=8, seed=2)


def test_same_seed_same_set(data: SyntheticCaseSet) -> None:
    again = generate_case_set(n_cases=400, n_networks=8, seed=2)
    assert again.cases == data.cases
    assert again.mentions == data.mentions
    assert generate_case_set(n_cases=400, n_networks=8, seed=3).mentions != data.mentions


def test_cases_are_in_the_demo_counties_and_round_trip_through_json(data: SyntheticCaseSet) -> None:
    assert len(data.cases) == 400
    assert {case.county_code for case in data.cases} == set(DEMO_COUNTIES)
    assert len({case.case_no for case in data.cases}) == 400
    parsed = parse_cases_json(cases_to_json(data.cases, data.mentions))
    assert parsed.cases == data.cases
    assert parsed.mentions == data.mentions


def test_planted_networks_cross_counties_and_provinces(data: SyntheticCaseSet) -> None:
    networks = data.planted_networks()
    assert len(networks) == 8
    county = {case.case_no: case.county_code for case in data.cases}
    assert all(len({county[c] for c in network}) >= 2 for network in networks)
    assert sum(len({county[c][:2] for c in network}) >= 2 for network in networks) >= 4


def test_truth_is_aligned_with_person_mentions(data: SyntheticCaseSet) -> None:
    for mention, truth in zip(data.mentions, data.person_truth, strict=True):
        assert (truth is not None) == (mention.kind in (EntityKind.PERSON, EntityKind.ID_NUMBER))
    repeated = Counter(t for t in data.person_truth if t is not None)
    assert max(repeated.values()) >= 3  # network members appear in several cases


def test_noise_is_there_and_realistic(data: SyntheticCaseSet) -> None:
    ids = [m.id_number for m in data.mentions if m.kind is EntityKind.PERSON and m.id_number]
    results = [normalise_id_number(raw) for raw in ids]
    assert any(len(raw) == 15 for raw in ids)
    assert any(not r.valid and "check digit" in (r.reason or "") for r in results)
    assert sum(r.valid for r in results) / len(results) > 0.9
    phones = [m.value for m in data.mentions if m.kind is EntityKind.PHONE and m.value]
    assert any(p.startswith("+86") for p in phones)
    assert sum(normalise_phone(p).valid for p in phones) / len(phones) > 0.95
    plates = [normalise_plate(m.value or "") for m in data.mentions if m.kind is EntityKind.PLATE]
    assert any(p.attributes.get("corrected") for p in plates)
    assert data.noise["name_homophone"] > 0


def test_hubs_appear_in_many_cases(data: SyntheticCaseSet) -> None:
    assert len(data.hubs) == 3
    for raw, count in data.hubs.items():
        assert count >= 120
        assert len({m.case_no for m in data.mentions if m.value == raw}) == count


def test_noise_can_be_switched_off() -> None:
    quiet = NoiseSettings(*([0.0] * len(NoiseSettings.__dataclass_fields__)))
    clean = generate_case_set(n_cases=100, n_networks=3, noise=quiet, seed=1)
    ids = [
        m.id_number or m.value
        for m in clean.mentions
        if m.kind in (EntityKind.PERSON, EntityKind.ID_NUMBER)
    ]
    assert all(raw and normalise_id_number(raw).valid for raw in ids)
    assert not clean.noise


def test_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="network_size"):
        generate_case_set(network_size=(1, 4))
    with pytest.raises(ValueError, match="n_cases"):
        generate_case_set(n_cases=10, n_networks=5, network_size=(3, 9))
