"""Realistic synthetic case sets, with planted networks, noise and hubs, and the truth.

Used by the tests, the benchmark and the demo region. A set has:

- networks: a handful of people (a source in a producing province, drivers, sellers in the
  border counties) whose cases spread over two or three counties, usually across the
  Inner Mongolia / Shanxi / Hebei borders; each case of a network shares at least one member,
  vehicle, waybill, account or company with an earlier case of it;
- isolated cases with their own people, phones, plates, waybills and addresses;
- hubs: a courier depot's phone, a market's address, a logistics company, each in hundreds of
  otherwise unrelated cases;
- noise as case files have it: 15-digit ID numbers, mistyped ID digits, IDs left out,
  homophone names (张伟 / 张玮), +86 and spaced phones, O/0 and I/1 slips in plates, addresses
  with and without their province, full-width digits.

The truth (which person each mention is, which network each case was planted in) comes with
the set, so resolution and network finding can be scored.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from stdnum import luhn
from stdnum.cn import ric, uscc

from gridmgmt.cases.model import Case, CaseStatus, CaseType, EntityKind, Mention

DEMO_COUNTIES: Mapping[str, str] = {
    "150924": "兴和县",
    "150981": "丰镇市",
    "140222": "天镇县",
    "140221": "阳高县",
    "130728": "怀安县",
    "130725": "尚义县",
}
# Approximate county seats (WGS-84 lon, lat).
COUNTY_CENTRES: Mapping[str, tuple[float, float]] = {
    "150924": (113.834, 40.872),
    "150981": (113.110, 40.436),
    "140222": (114.091, 40.421),
    "140221": (113.750, 40.364),
    "130728": (114.386, 40.674),
    "130725": (113.969, 41.076),
}
# Mobile number blocks (first 7 digits) that phonenumbers' geocoder places in Ulanqab, Datong
# and Zhangjiakou: the home region of a local's phone.
MOBILE_BLOCKS: Mapping[str, tuple[str, ...]] = {
    "15": ("1394746", "1524746", "1554746", "1814746", "1854746", "1884746", "1365474", "1375404"),
    "14": ("1393521", "1383528", "1503528", "1513521", "1523528", "1583521", "1803521", "1873521"),
    "13": ("1503031", "1523031", "1553031", "1503143", "1513234", "1553234", "1383332", "1363339"),
}
AREA_CODES: Mapping[str, str] = {"15": "0474", "14": "0352", "13": "0313"}
PLATE_AUTHORITIES: Mapping[str, str] = {"15": "蒙J", "14": "晋B", "13": "冀G"}
# Where counterfeit comes from, for the source members of networks.
SOURCE_REGIONS: tuple[str, ...] = ("350583", "445281", "530102", "350128", "440513", "440304")
SOURCE_PLATES: tuple[str, ...] = ("闽C", "粤D", "云A", "闽A", "粤B")
TOWNS: Mapping[str, tuple[str, ...]] = {
    "150924": ("城关镇", "张皋镇", "赛乌素镇", "店子镇", "鄂尔栋镇"),
    "150981": ("隆盛庄镇", "黑土台镇", "红砂坝镇", "巨宝庄镇", "三义泉镇"),
    "140222": ("玉泉镇", "谷前堡镇", "米薪关镇", "新平堡镇", "逯家湾镇"),
    "140221": ("龙泉镇", "罗文皂镇", "大白登镇", "王官屯镇", "古城镇"),
    "130728": ("柴沟堡镇", "左卫镇", "头百户镇", "怀安城镇", "渡口堡乡"),
    "130725": ("南壕堑镇", "大青沟镇", "八道沟镇", "红土梁镇", "小蒜沟镇"),
}
GENERIC_TOWNS: tuple[str, ...] = ("城关镇", "新城镇", "东关镇", "西关镇", "南街乡", "北坪乡")
"""Towns of a county outside the demo region (a generated province, say)."""
STREETS = (
    "幸福路", "建设街", "新华街", "解放路", "人民路", "东风路", "团结路", "北关村", "南关村",
    "西街村", "东营子村", "前进路", "友谊街", "朝阳街", "红旗路", "长青路", "和平街", "振兴路",
    "胜利街", "文化路",
)  # fmt: skip
SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "武", "戴", "莫",
)  # fmt: skip
GIVEN = (
    "伟", "丽", "军", "静", "明", "华", "杰", "芳", "敏", "强", "磊", "勇", "艳", "涛", "斌", "超",
    "刚", "平", "辉", "红", "玲", "霞", "建", "林", "云", "鹏", "亮", "飞", "宇", "浩", "凯", "国",
    "春", "秀", "英", "志", "文", "海", "峰", "波", "晓", "小", "永", "兰", "东", "金", "桂", "梅",
    "利", "新", "俊", "玉", "成", "子", "德", "福", "荣", "生", "龙", "欣", "佳", "瑞", "雪", "婷",
)  # fmt: skip
# Characters typed for another of the same sound (pinyin input): the usual name slips.
HOMOPHONES: Mapping[str, str] = {
    "伟": "玮", "丽": "莉", "军": "君", "静": "婧", "明": "鸣", "华": "桦", "杰": "洁", "芳": "方",
    "敏": "闽", "磊": "蕾", "勇": "永", "艳": "燕", "涛": "韬", "斌": "彬", "超": "潮", "刚": "钢",
    "平": "萍", "辉": "晖", "红": "宏", "玲": "铃", "霞": "侠", "建": "健", "林": "琳", "云": "芸",
    "鹏": "朋", "飞": "菲", "宇": "雨", "浩": "昊", "凯": "恺", "峰": "锋", "波": "博", "海": "亥",
}  # fmt: skip
HUB_KINDS = ("depot_phone", "market_address", "logistics_company")


@dataclass(frozen=True, slots=True)
class NoiseSettings:
    """How often each slip happens (probability per mention)."""

    id_missing_with_phone: float = 0.05
    id_missing: float = 0.01
    id_15_digit: float = 0.08
    id_typo: float = 0.04
    id_format: float = 0.10
    name_homophone: float = 0.05
    name_space: float = 0.03
    phone_format: float = 0.30
    phone_typo: float = 0.01
    plate_slip: float = 0.10
    address_variant: float = 0.40
    waybill_format: float = 0.10


@dataclass(slots=True)
class SyntheticCaseSet:
    """Generated cases and mentions with the truth.

    ``person_truth`` is aligned with ``mentions``: the true person of each person and
    id_number mention, else None. ``network_truth`` maps each planted network's cases to its
    label. ``hubs`` maps each hub's raw value to how many cases mention it.
    """

    cases: list[Case]
    mentions: list[Mention]
    person_truth: list[str | None]
    network_truth: dict[str, str]
    hubs: dict[str, int]
    counties: dict[str, str]
    noise: Counter[str] = field(default_factory=Counter)

    def planted_networks(self) -> list[frozenset[str]]:
        """Cases of each planted network."""
        groups: dict[str, set[str]] = {}
        for case_no, label in self.network_truth.items():
            groups.setdefault(label, set()).add(case_no)
        return sorted((frozenset(g) for g in groups.values()), key=min)


@dataclass(slots=True)
class _Person:
    pid: str
    name: str
    id_number: str
    phones: list[str]
    plate: str | None = None


class _Generator:
    """Draws unique identifiers and writes them with noise."""

    def __init__(self, seed: int, noise: NoiseSettings, counties: Sequence[str]) -> None:
        self.rng = random.Random(seed)
        self.noise = noise
        self.counties = list(counties)
        self.used: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.person_count = 0
        self.case_counters: Counter[str] = Counter()

    def _unique(self, make: Callable[[], str], *, tries: int | None = None) -> str | None:
        """A value ``make`` has not made before; None after ``tries`` repeats (None: retry)."""
        attempt = 0
        while tries is None or attempt < tries:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value
            attempt += 1
        return None

    def _chance(self, p: float) -> bool:
        return self.rng.random() < p

    # --- clean identifiers ------------------------------------------------------------------

    def person(self, region: str, *, local_phone: bool = True) -> _Person:
        rng = self.rng
        name = rng.choice(SURNAMES) + "".join(
            rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))
        )
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 42))

        def make_id() -> str:
            body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            return body + ric.calc_check_digit(body + "0")

        self.person_count += 1
        phones = [
            self.phone(region[:2] if local_phone else None) for _ in range(rng.choice((1, 1, 2)))
        ]
        return _Person(f"P{self.person_count}", name, self._text(make_id), phones)

    def phone(self, province: str | None) -> str:
        """A mobile number: from the province's blocks when given (and not used up)."""
        rng = self.rng
        if province is not None and province in MOBILE_BLOCKS:
            blocks = MOBILE_BLOCKS[province]
            local = self._unique(
                lambda: rng.choice(blocks) + f"{rng.randrange(10000):04d}", tries=8
            )
            if local is not None:
                return local
        return self._text(
            lambda: f"1{rng.choice('3578')}{rng.randrange(10)}{rng.randrange(10**8):08d}"
        )

    def _text(self, make: Callable[[], str]) -> str:
        value = self._unique(make)
        assert value is not None  # retrying without limit always ends with a value
        return value

    def plate(self, authority: str) -> str:
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        rng = self.rng

        def make() -> str:
            serial = [rng.choice("0123456789") for _ in range(5)]
            serial[rng.randrange(2)] = rng.choice(letters)
            return authority + "".join(serial)

        return self._text(make)

    def waybill(self) -> str:
        rng = self.rng

        def make() -> str:
            form = rng.randrange(6)
            digits = "".join(rng.choice("0123456789") for _ in range(13))
            if form == 0:
                return "SF" + digits
            if form == 1:
                return "YT" + digits
            if form == 2:
                return "JT" + digits
            if form == 3:
                return "75" + digits[:10]
            if form == 4:
                return "43" + digits[:11]
            return "JDVA" + digits[:11]

        return self._text(make)

    def address(self, county: str) -> str:
        rng = self.rng

        def make() -> str:
            town = rng.choice(TOWNS.get(county, GENERIC_TOWNS))
            text = f"{town}{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
            if rng.random() < 0.5:
                building, unit = rng.randrange(1, 20), rng.randrange(1, 6)
                text += f"{building}号楼{unit}单元{rng.randrange(101, 1802)}室"
            return text

        return self._text(make)

    def licence(self, county: str) -> str:
        return self._text(lambda: f"{county}{self.rng.randrange(1000000):06d}")

    def bank_account(self) -> str:
        def make() -> str:
            body = "622" + "".join(self.rng.choice("0123456789") for _ in range(15))
            return body + luhn.calc_check_digit(body)

        return self._text(make)

    def company(self, county: str, counties: Mapping[str, str]) -> str:
        rng = self.rng
        words = ("鑫源", "宏达", "顺通", "兴旺", "恒泰", "永盛", "金诚", "瑞丰", "华联", "通达")
        trades = ("商贸", "物流", "烟酒", "百货", "运输")

        def make() -> str:
            brand = rng.choice(words) + rng.choice(words) + rng.choice(trades)
            name = f"{counties.get(county, '')}{brand}有限公司"
            if rng.random() < 0.5:
                alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
                body = "91" + county + "".join(rng.choice(alphabet) for _ in range(9))
                return f"{name} {body}{uscc.calc_check_digit(body + '0')}"
            return name

        return self._text(make)

    # --- noisy renderings --------------------------------------------------------------------

    def noisy_id(self, id_number: str) -> str | None:
        rng, noise = self.rng, self.noise
        if self._chance(noise.id_15_digit) and id_number[6:8] == "19":
            self.counts["id_15_digit"] += 1
            return id_number[:6] + id_number[8:17]
        if self._chance(noise.id_typo):
            self.counts["id_typo"] += 1
            position = rng.randrange(17)
            digit = rng.choice([d for d in "0123456789" if d != id_number[position]])
            return id_number[:position] + digit + id_number[position + 1 :]
        if self._chance(noise.id_format):
            self.counts["id_format"] += 1
            form = rng.randrange(3)
            if form == 0:
                return f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"
            if form == 1:
                return id_number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
            return id_number.lower()
        return id_number

    def noisy_name(self, name: str) -> str:
        if self._chance(self.noise.name_homophone):
            slots = [i for i in range(1, len(name)) if name[i] in HOMOPHONES]
            if slots:
                self.counts["name_homophone"] += 1
                i = self.rng.choice(slots)
                name = name[:i] + HOMOPHONES[name[i]] + name[i + 1 :]
        if self._chance(self.noise.name_space):
            self.counts["name_space"] += 1
            name = name[0] + " " + name[1:]
        return name

    def noisy_phone(self, phone: str) -> str:
        if self._chance(self.noise.phone_typo):
            self.counts["phone_typo"] += 1
            return phone[:5] + phone[6:]
        if self._chance(self.noise.phone_format):
            self.counts["phone_format"] += 1
            form = self.rng.randrange(3)
            if form == 0:
                return "+86 " + phone
            if form == 1:
                return f"{phone[:3]} {phone[3:7]} {phone[7:]}"
            return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
        return phone

    def noisy_plate(self, plate: str) -> str:
        if self._chance(self.noise.plate_slip):
            self.counts["plate_slip"] += 1
            serial = plate[2:].replace("0", "O", 1).replace("1", "I", 1)
            if serial == plate[2:]:
                return plate[:2] + "·" + plate[2:]
            return plate[:2] + serial.lower() if self.rng.random() < 0.3 else plate[:2] + serial
        return plate

    def noisy_address(self, address: str, county: str, counties: Mapping[str, str]) -> str:
        name = counties.get(county, "")
        full = f"{name}{address}"
        if self._chance(self.noise.address_variant):
            self.counts["address_variant"] += 1
            form = self.rng.randrange(4)
            if form == 0:
                return address  # county left out: the case's county is presumed
            if form == 1:
                prefix = {"15": "内蒙古乌兰察布市", "14": "山西省大同市", "13": "河北省张家口市"}[
                    county[:2]
                ]
                return prefix + full
            if form == 2:
                return full.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
            return (
                full.replace("号", "#", 1) if "号楼" not in full else full.replace("号楼", "#楼", 1)
            )
        return full

    def noisy_waybill(self, waybill: str) -> str:
        if self._chance(self.noise.waybill_format):
            self.counts["waybill_format"] += 1
            return waybill.lower() if waybill[0].isalpha() else f"{waybill[:4]} {waybill[4:]}"
        return waybill


@dataclass(slots=True)
class _CaseDraft:
    case: Case
    mentions: list[tuple[Mention, str | None]] = field(default_factory=list)


class _Builder:
    """Writes cases and their mentions, with noise, and keeps the truth aligned."""

    def __init__(self, generator: _Generator, counties: Mapping[str, str]) -> None:
        self.gen = generator
        self.counties = counties
        self.drafts: list[_CaseDraft] = []

    def new_case(self, county: str, opened_on: date, case_type: CaseType) -> _CaseDraft:
        rng = self.gen.rng
        self.gen.case_counters[f"{county}{opened_on.year}"] += 1
        number = self.gen.case_counters[f"{county}{opened_on.year}"]
        lon, lat = COUNTY_CENTRES.get(county, (113.9, 40.7))
        cartons = float(rng.choice((20, 50, 80, 120, 200, 350, 500, 1000)))
        case = Case(
            case_no=f"{county}-{opened_on.year}-{number:05d}",
            county_code=county,
            opened_on=opened_on,
            type=case_type,
            status=rng.choice(list(CaseStatus)),
            lon=round(lon + rng.uniform(-0.15, 0.15), 5),
            lat=round(lat + rng.uniform(-0.12, 0.12), 5),
            seized_cartons=cartons,
            value_yuan=cartons * rng.choice((110, 150, 230, 300)),
            summary=f"{self.counties.get(county, county)}查获卷烟{cartons:.0f}条",
        )
        draft = _CaseDraft(case)
        self.drafts.append(draft)
        return draft

    def person(
        self, draft: _CaseDraft, person: _Person, role: str, *, with_phone: bool = True
    ) -> None:
        gen = self.gen
        case_no = draft.case.case_no
        name = gen.noisy_name(person.name)
        if gen._chance(gen.noise.id_missing):
            gen.counts["id_missing"] += 1
            draft.mentions.append(
                (Mention(case_no, EntityKind.PERSON, role=role, name=name), person.pid)
            )
            return
        if gen._chance(gen.noise.id_missing_with_phone):
            gen.counts["id_missing_with_phone"] += 1
            mention = Mention(
                case_no,
                EntityKind.PERSON,
                role=role,
                name=name,
                phone=gen.noisy_phone(person.phones[0]),
            )
            draft.mentions.append((mention, person.pid))
            return
        id_text = gen.noisy_id(person.id_number)
        draft.mentions.append(
            (
                Mention(case_no, EntityKind.PERSON, role=role, name=name, id_number=id_text),
                person.pid,
            )
        )
        if with_phone:
            phone = gen.rng.choice(person.phones)
            draft.mentions.append(
                (Mention(case_no, EntityKind.PHONE, gen.noisy_phone(phone), role=role), None)
            )

    def value(self, draft: _CaseDraft, kind: EntityKind, value: str, role: str = "") -> None:
        draft.mentions.append((Mention(draft.case.case_no, kind, value, role=role), None))

    def fill(self, draft: _CaseDraft, count: int) -> None:
        """Add ``count`` case-specific mentions of assorted kinds."""
        gen, county = self.gen, draft.case.county_code
        province = county[:2]
        kinds = (
            "phone",
            "phone",
            "waybill",
            "address",
            "plate",
            "licence",
            "bank",
            "company",
            "person",
            "id",
        )
        weights = (14, 10, 14, 14, 8, 8, 8, 6, 15, 3)
        for kind in gen.rng.choices(kinds, weights, k=count):
            if kind == "phone":
                self.value(
                    draft,
                    EntityKind.PHONE,
                    gen.noisy_phone(gen.phone(province if gen.rng.random() < 0.4 else None)),
                    "联系人",
                )
            elif kind == "waybill":
                self.value(draft, EntityKind.WAYBILL, gen.noisy_waybill(gen.waybill()), "寄递")
            elif kind == "address":
                self.value(
                    draft,
                    EntityKind.ADDRESS,
                    gen.noisy_address(gen.address(county), county, self.counties),
                    "查获地点",
                )
            elif kind == "plate":
                authority = PLATE_AUTHORITIES.get(province, "蒙J")
                self.value(draft, EntityKind.PLATE, gen.noisy_plate(gen.plate(authority)), "车辆")
            elif kind == "licence":
                self.value(draft, EntityKind.LICENCE_NO, gen.licence(county), "零售户")
            elif kind == "bank":
                self.value(draft, EntityKind.BANK_ACCOUNT, gen.bank_account(), "收款账户")
            elif kind == "company":
                self.value(
                    draft, EntityKind.COMPANY, gen.company(county, self.counties), "托运单位"
                )
            elif kind == "person":
                self.person(draft, gen.person(county), "买家", with_phone=False)
            else:
                person = gen.person(county)
                draft.mentions.append(
                    (
                        Mention(
                            draft.case.case_no,
                            EntityKind.ID_NUMBER,
                            gen.noisy_id(person.id_number),
                            role="关系人",
                        ),
                        person.pid,
                    )
                )


def generate_case_set(
    *,
    n_cases: int = 600,
    n_networks: int = 8,
    network_size: tuple[int, int] = (3, 9),
    mentions_per_case: float = 6.0,
    n_hubs: int = 3,
    hub_cases: tuple[int, int] = (120, 250),
    counties: Mapping[str, str] = DEMO_COUNTIES,
    start: date = date(2021, 1, 1),
    days: int = 3 * 365,
    noise: NoiseSettings | None = None,
    seed: int = 0,
) -> SyntheticCaseSet:
    """Generate a case set with planted networks, isolated cases, hubs and noise.

    Parameters
    ----------
    n_cases
        Total number of cases (networks included).
    n_networks
        Number of planted networks.
    network_size
        Smallest and largest number of cases of a network.
    mentions_per_case
        Average number of mentions per case.
    n_hubs
        Number of hub identifiers (depot phones, market addresses, logistics companies).
    hub_cases
        Smallest and largest number of cases a hub appears in.
    counties
        County code -> name of the counties cases are opened in.
    start, days
        Cases are opened in this period.
    noise
        Slip rates; default :class:`NoiseSettings`.
    seed
        Random seed: the same seed gives the same set.

    Raises
    ------
    ValueError
        If the networks need more cases than ``n_cases``.
    """
    low, high = network_size
    if not 2 <= low <= high:
        msg = f"network_size must be (low, high) with 2 <= low <= high, got {network_size}"
        raise ValueError(msg)
    if n_networks * high > n_cases:
        msg = f"{n_networks} networks of up to {high} cases need more than n_cases={n_cases}"
        raise ValueError(msg)
    gen = _Generator(seed, noise or NoiseSettings(), list(counties))
    builder = _Builder(gen, counties)
    network_truth: dict[str, str] = {}
    for index in range(n_networks):
        size = gen.rng.randint(low, high)
        for draft in _plant_network(builder, size, start, days, mentions_per_case):
            network_truth[draft.case.case_no] = f"net{index + 1}"
    while len(builder.drafts) < n_cases:
        county = gen.rng.choice(gen.counties)
        opened = start + timedelta(days=gen.rng.randrange(days))
        case_type = gen.rng.choices(list(CaseType), (3, 2, 2, 3, 3))[0]
        draft = builder.new_case(county, opened, case_type)
        builder.person(draft, gen.person(county), gen.rng.choice(("当事人", "销售", "收件人")))
        builder.fill(draft, max(0, round(gen.rng.gauss(mentions_per_case - 2, 1.5))))
    hubs = _add_hubs(builder, n_hubs, hub_cases)
    drafts = sorted(builder.drafts, key=lambda d: (d.case.opened_on, d.case.case_no))
    mentions = [mention for draft in drafts for mention, _pid in draft.mentions]
    truth = [pid for draft in drafts for _mention, pid in draft.mentions]
    return SyntheticCaseSet(
        cases=[draft.case for draft in drafts],
        mentions=mentions,
        person_truth=truth,
        network_truth=network_truth,
        hubs=hubs,
        counties=dict(counties),
        noise=gen.counts,
    )


def _plant_network(
    builder: _Builder, size: int, start: date, days: int, mentions_per_case: float
) -> list[_CaseDraft]:
    """A network: members and shared things spread over cases in 2-3 counties."""
    gen = builder.gen
    rng = gen.rng
    counties = rng.sample(gen.counties, k=min(len(gen.counties), rng.choice((2, 3, 3))))
    source = gen.person(rng.choice(SOURCE_REGIONS), local_phone=False)
    source.plate = gen.plate(rng.choice(SOURCE_PLATES))
    drivers = [gen.person(rng.choice(counties)) for _ in range(rng.choice((1, 2)))]
    for driver in drivers:
        driver.plate = gen.plate(PLATE_AUTHORITIES.get(driver.id_number[:2], "蒙J"))
    sellers = [gen.person(county) for county in counties]
    account = gen.bank_account()
    company = gen.company(counties[0], builder.counties)
    first = start + timedelta(days=rng.randrange(max(1, days - 200)))
    drafts: list[_CaseDraft] = []
    shared: list[tuple[str, object]] = []  # what each case shows, for later cases to share
    for index in range(size):
        county = counties[index % len(counties)]
        opened = first + timedelta(days=rng.randrange(0, 180))
        case_type = rng.choice(
            (
                CaseType.COUNTERFEIT,
                CaseType.COURIER_SHIPMENT,
                CaseType.UNLICENSED_SALE,
                CaseType.SMUGGLED,
            )
        )
        draft = builder.new_case(county, opened, case_type)
        # Always share something with an earlier case of the network, so it is connected.
        links: list[tuple[str, object]] = [rng.choice(shared)] if shared else []
        pool: list[tuple[str, object]] = [
            ("source", source),
            ("driver", rng.choice(drivers)),
            ("seller", sellers[index % len(sellers)]),
            ("account", account),
            ("company", company),
        ]
        links.extend(rng.sample(pool, k=2))
        if case_type is CaseType.COURIER_SHIPMENT or rng.random() < 0.3:
            links.append(("waybill", gen.waybill()))
        written: set[int] = set()
        for what, thing in links:
            if id(thing) in written:
                continue
            written.add(id(thing))
            _write_link(builder, draft, what, thing)
            shared.append((what, thing))
        builder.fill(draft, max(0, round(rng.gauss(mentions_per_case - 4, 1.5))))
        drafts.append(draft)
    return drafts


def _write_link(builder: _Builder, draft: _CaseDraft, what: str, thing: object) -> None:
    gen = builder.gen
    if isinstance(thing, _Person):
        role = {"source": "供货人", "driver": "司机", "seller": "销售"}[what]
        builder.person(draft, thing, role)
        if thing.plate and (what == "driver" or gen.rng.random() < 0.3):
            builder.value(draft, EntityKind.PLATE, gen.noisy_plate(thing.plate), "车辆")
    elif what == "account":
        builder.value(draft, EntityKind.BANK_ACCOUNT, str(thing), "收款账户")
    elif what == "company":
        builder.value(draft, EntityKind.COMPANY, str(thing), "托运单位")
    elif what == "waybill":
        builder.value(draft, EntityKind.WAYBILL, gen.noisy_waybill(str(thing)), "寄递")


def _add_hubs(builder: _Builder, n_hubs: int, hub_cases: tuple[int, int]) -> dict[str, int]:
    """Put hub identifiers into many cases, networks' and isolated ones alike."""
    gen = builder.gen
    hubs: dict[str, int] = {}
    for index in range(n_hubs):
        kind = HUB_KINDS[index % len(HUB_KINDS)]
        county = gen.counties[index % len(gen.counties)]
        count = min(len(builder.drafts), gen.rng.randint(*hub_cases))
        if kind == "depot_phone":
            area = AREA_CODES.get(county[:2], "0474")
            raw = f"{area}-{6200000 + index * 1111 + gen.rng.randrange(1000)}"
            mention_kind, role = EntityKind.PHONE, "快递网点"
        elif kind == "market_address":
            raw = (
                f"{builder.counties.get(county, '')}{TOWNS[county][0]}农贸市场"
                if county in TOWNS
                else f"农贸市场{index}"
            )
            mention_kind, role = EntityKind.ADDRESS, "查获地点"
        else:
            raw = f"{builder.counties.get(county, '')}顺达物流有限公司"
            mention_kind, role = EntityKind.COMPANY, "托运单位"
        hubs[raw] = count
        for draft in gen.rng.sample(builder.drafts, count):
            builder.value(draft, mention_kind, raw, role)
    return hubs
