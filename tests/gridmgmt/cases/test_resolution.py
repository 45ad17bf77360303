"""Entity resolution on labelled pairs: what must match, what must not, and why."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from stdnum.cn import ric

from gridmgmt.cases.identifiers import county_table, normalise_id_number
from gridmgmt.cases.model import EntityKind, Mention
from gridmgmt.cases.resolution import (
    EntityResolver,
    ResolutionSettings,
    pair_precision_recall,
    resolve_entities,
)
from gridmgmt.cases.synthetic import DEMO_COUNTIES, generate_case_set

SETTINGS = ResolutionSettings(counties=county_table(DEMO_COUNTIES))
COUNTY_OF = {"A": "150924", "B": "140222", "C": "130728", "D": "150924"}


def id_number(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


ID_ZHANG = id_number("15092419850312123")
ID_LI = id_number("14022219790101456")
ID_TWO_APART = ID_ZHANG[:14] + "928" + ID_ZHANG[17]  # two sequence digits mistyped


def test_labelled_id_numbers_are_what_the_pairs_say() -> None:
    assert normalise_id_number(ID_ZHANG).valid
    assert normalise_id_number(ID_LI).valid
    assert not normalise_id_number(ID_TWO_APART).valid
    assert sum(a != b for a, b in zip(ID_ZHANG, ID_TWO_APART, strict=True)) == 2


def resolve(mentions: Sequence[Mention]) -> EntityResolver:
    return resolve_entities(mentions, COUNTY_OF, settings=SETTINGS)


def person(
    case: str,
    name: str | None,
    id_text: str | None = None,
    *,
    phone: str | None = None,
    role: str = "",
) -> Mention:
    return Mention(case, EntityKind.PERSON, name=name, id_number=id_text, phone=phone, role=role)


def same(resolver: EntityResolver, left: int, right: int) -> bool:
    return resolver.entity_id(left) == resolver.entity_id(right)


# --- strong identifiers: exact after normalisation -------------------------------------------


@pytest.mark.parametrize(
    ("kind", "left", "right"),
    [
        (EntityKind.PHONE, "13947461234", "+86 139-4746-1234"),
        (EntityKind.PHONE, "0474-8123456", "(0474)8123456"),
        (EntityKind.PLATE, "蒙J1234O", "蒙J·12340"),
        (EntityKind.WAYBILL, "sf1234567890123", "SF 1234 5678 90123"),
        (EntityKind.BANK_ACCOUNT, "6222 0212 3456 7890 128", "6222021234567890128"),
        (EntityKind.LICENCE_NO, "150924100123", "许可证号:150924100123"),
        (EntityKind.COMPANY, "兴和县鑫源商贸有限公司", "兴和县 鑫源商贸 有限责任公司"),
        (EntityKind.ID_NUMBER, ID_ZHANG, ID_ZHANG[:6] + ID_ZHANG[8:17]),
    ],
)
def test_strong_identifiers_match_exactly_after_normalising(
    kind: EntityKind, left: str, right: str
) -> None:
    resolver = resolve([Mention("A", kind, left), Mention("B", kind, right)])
    assert same(resolver, 0, 1)


def test_different_identifiers_stay_apart() -> None:
    resolver = resolve(
        [
            Mention("A", EntityKind.PHONE, "13947461234"),
            Mention("B", EntityKind.PHONE, "13947461235"),
        ]
    )
    assert not same(resolver, 0, 1)


def test_invalid_identifiers_are_kept_flagged_and_link_only_when_identical() -> None:
    mentions = [
        Mention("A", EntityKind.PHONE, "1394746123"),
        Mention("B", EntityKind.PHONE, "139 4746 123"),
        Mention("C", EntityKind.PHONE, "no number"),
        Mention("D", EntityKind.PHONE, "none given"),
    ]
    resolver = resolve(mentions)
    assert same(resolver, 0, 1)
    assert not same(resolver, 2, 3)
    entity = resolver.entity(resolver.entity_id(0))
    assert not entity.valid
    assert "11 digits" in entity.attributes["reason"]
    assert entity.attributes["spellings"] == ["139 4746 123", "1394746123"]
    assert all(resolver.identifiers[i].raw == m.value for i, m in enumerate(mentions))


# --- persons: labelled pairs -----------------------------------------------------------------

MATCHING_PAIRS = [
    pytest.param(person("A", "张伟", ID_ZHANG), person("B", "张伟", ID_ZHANG.lower()), "same", id="same ID"),
    pytest.param(person("A", "张伟", ID_ZHANG), person("B", "张伟", ID_ZHANG[:6] + ID_ZHANG[8:17]), "same", id="15-digit"),
    pytest.param(person("A", "张伟", ID_ZHANG), person("B", "张伟", ID_ZHANG[:9] + "7" + ID_ZHANG[10:]), "one character", id="ID typo"),
    pytest.param(person("A", "张伟", ID_ZHANG), person("B", "张玮", ID_ZHANG[:3] + "1" + ID_ZHANG[4:]), "sound the same", id="typo+homophone"),
    pytest.param(person("A", "张伟", ID_ZHANG), person("B", "张伟", ID_ZHANG[:15] + ID_ZHANG[16] + ID_ZHANG[15] + ID_ZHANG[17]), "swapped", id="transposition"),
    pytest.param(person("A", "张伟", ID_ZHANG, phone="13947461234"), person("B", "张 伟", phone="+86 139 4746 1234"), "same phone", id="no ID, same phone"),
    pytest.param(person("A", "李丽", None, phone="13947461234"), person("B", "李莉", phone="13947461234"), "same phone", id="no IDs, homophones, phone"),
    pytest.param(person("A", "张伟", ID_TWO_APART), person("B", "张伟", ID_ZHANG), "birth date", id="same birth, 2 apart"),
    pytest.param(Mention("A", EntityKind.ID_NUMBER, ID_ZHANG), person("B", "张伟", ID_ZHANG), "same", id="bare ID number"),
]  # fmt: skip


@pytest.mark.parametrize(("left", "right", "why"), MATCHING_PAIRS)
def test_person_pairs_that_match(left: Mention, right: Mention, why: str) -> None:
    resolver = resolve([left, right])
    assert same(resolver, 0, 1)
    if why != "same":
        (match,) = resolver.matches
        assert match.kind is EntityKind.PERSON
        assert match.score >= SETTINGS.person_threshold
        assert any(why in reason for reason in match.reasons), match.reasons


NON_MATCHING_PAIRS = [
    pytest.param(person("A", "张伟"), person("B", "张伟"), id="same name only"),
    pytest.param(person("A", "张伟", ID_ZHANG), person("B", "张伟", ID_LI), id="different valid IDs"),
    pytest.param(person("A", "张伟", ID_ZHANG, phone="13947461234"), person("B", "张伟", ID_LI, phone="13947461234"), id="different IDs, same phone"),
    pytest.param(person("A", "张伟", phone="13947461234"), person("B", "王芳", phone="13947461234"), id="same phone, other name"),
    pytest.param(person("A", "张伟", ID_ZHANG), person("B", "王芳", ID_ZHANG[:9] + "7" + ID_ZHANG[10:]), id="ID typo, other name"),
    pytest.param(person("A", "张伟", ID_ZHANG), person("B", "张伟", ID_ZHANG[:8] + "7777" + ID_ZHANG[12:]), id="IDs far apart"),
    pytest.param(person("A", "张伟", phone="13947461234"), person("B", "张伟", phone="13947461299"), id="other phone"),
]  # fmt: skip


@pytest.mark.parametrize(("left", "right"), NON_MATCHING_PAIRS)
def test_person_pairs_that_do_not_match(left: Mention, right: Mention) -> None:
    assert not same(resolve([left, right]), 0, 1)


def test_a_bridge_never_joins_two_valid_id_numbers() -> None:
    mentions = [
        person("A", "张伟", ID_ZHANG, phone="13947461234"),
        person("B", "张伟", ID_LI, phone="13947461234"),
        person("C", "张伟", phone="13947461234"),
    ]
    resolver = resolve(mentions)
    assert not same(resolver, 0, 1)
    assert same(resolver, 2, 0) or same(resolver, 2, 1)
    assert len(resolver.refused) == 1
    assert "same phone" in resolver.refused[0].reasons[0]


def test_phone_of_a_person_is_read_from_the_same_role_in_the_case() -> None:
    mentions = [
        person("A", "张伟", ID_ZHANG, role="司机"),
        Mention("A", EntityKind.PHONE, "13947461234", role="司机"),
        person("A", "王芳", role="买家"),
        Mention("A", EntityKind.PHONE, "13800001111", role="买家"),
        person("B", "张玮", role="司机"),
        Mention("B", EntityKind.PHONE, "+86 13947461234", role="司机"),
        person("C", "王芳"),
        Mention("C", EntityKind.PHONE, "13800001111", role="联系人"),
    ]
    resolver = resolve(mentions)
    assert same(resolver, 0, 4)  # 张伟/张玮 share the driver's phone
    assert not same(resolver, 2, 6)  # in C the phone has a role of its own: not 王芳's


def test_person_entity_gathers_names_phones_and_id() -> None:
    mentions = [
        person("A", "张伟", ID_ZHANG, phone="13947461234"),
        person("B", "张玮", ID_ZHANG[:9] + "7" + ID_ZHANG[10:]),
        person("C", "张伟", ID_ZHANG),
    ]
    resolver = resolve(mentions)
    entity_id = resolver.entity_id(1)
    assert entity_id == f"person:{ID_ZHANG}"
    entity = resolver.entity(entity_id)
    assert entity.mentions == (0, 1, 2)
    assert entity.label == f"张伟 ({ID_ZHANG})"
    assert entity.attributes["names"] == ["张伟", "张玮"]
    assert entity.attributes["phones"] == ["+8613947461234"]
    assert entity.attributes["county"] == "兴和县"
    assert entity.attributes["other_id_numbers"] == [ID_ZHANG[:9] + "7" + ID_ZHANG[10:]]
    with pytest.raises(KeyError):
        resolver.entity("person:000")


# --- addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right", "match"),
    [
        ("兴和县城关镇幸福路12号", "内蒙古乌兰察布市兴和县城关镇幸福路12号", True),
        ("兴和县城关镇新华街东段12号", "兴和县城关镇新华街东12号", True),
        ("兴和县城关镇北关村12号", "兴和县城关镇南关村12号", False),  # one character, other village
        ("兴和县城关镇幸福路12号", "城关镇幸福路12号", True),  # county from the case (A: 兴和)
        ("兴和县城关镇幸福路12号", "兴和县城关镇幸福路21号", False),
        ("兴和县城关镇幸福路12号", "天镇县城关镇幸福路12号", False),
        ("兴和县城关镇幸福路12号", "兴和县赛乌素镇北关村12号", False),
    ],
)
def test_address_pairs(left: str, right: str, match: bool) -> None:
    resolver = resolve(
        [Mention("A", EntityKind.ADDRESS, left), Mention("D", EntityKind.ADDRESS, right)]
    )
    assert same(resolver, 0, 1) is match
    if match and resolver.matches:
        assert "same county and house numbers" in resolver.matches[0].reasons


# --- incremental and scoring -------------------------------------------------------------------


def test_adding_in_batches_gives_the_same_entities() -> None:
    data = generate_case_set(n_cases=120, n_networks=6, network_size=(3, 6), seed=5)
    counties = {case.case_no: case.county_code for case in data.cases}
    whole = resolve_entities(
        data.mentions, counties, settings=ResolutionSettings(counties=data.counties)
    )
    batched = EntityResolver(settings=ResolutionSettings(counties=data.counties))
    by_case: dict[str, list[Mention]] = {case.case_no: [] for case in data.cases}
    for mention in data.mentions:
        by_case[mention.case_no].append(mention)
    merged_ids: dict[str, str] = {}
    for mentions in by_case.values():
        change = batched.add(mentions, counties)
        merged_ids.update(change.merged)
    assert partition(whole.entity_ids()) == partition(batched.entity_ids())
    assert set(merged_ids) - set(batched.entity_ids())  # some entities were merged on the way


def partition(labels: Sequence[str]) -> set[frozenset[int]]:
    groups: dict[str, set[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(label, set()).add(index)
    return {frozenset(group) for group in groups.values()}


def test_pair_precision_recall() -> None:
    assert pair_precision_recall(["a", "a", "b", "b"], [1, 1, 2, 2]) == (1.0, 1.0)
    precision, recall = pair_precision_recall(["a", "a", "a", "b"], [1, 1, 2, 2])
    assert precision == pytest.approx(1 / 3)
    assert recall == pytest.approx(1 / 2)
    assert pair_precision_recall(["a", "b"], [1, 2]) == (1.0, 1.0)
    with pytest.raises(ValueError, match="labels"):
        pair_precision_recall(["a"], [1, 2])


def test_person_matching_on_a_noisy_labelled_set() -> None:
    data = generate_case_set(n_cases=1500, n_networks=40, network_size=(3, 9), seed=17)
    counties = {case.case_no: case.county_code for case in data.cases}
    resolver = resolve_entities(
        data.mentions, counties, settings=ResolutionSettings(counties=data.counties)
    )
    labelled = [(i, truth) for i, truth in enumerate(data.person_truth) if truth is not None]
    predicted = [resolver.entity_id(i) for i, _truth in labelled]
    precision, recall = pair_precision_recall(predicted, [truth for _i, truth in labelled])
    assert data.noise["id_typo"] > 0
    assert data.noise["name_homophone"] > 0
    assert precision >= 0.98
    assert recall >= 0.95
