"""Cases (涉烟案件) and the entities they mention, and their JSON and CSV import forms.

A case mentions entities (persons, phones, plates, waybills ...), each with the role it played.
Import is all-or-nothing: every problem in a file is collected, with its row and field, and
reported together in one :class:`CaseValidationError`; nothing is returned half-read.
Identifier *validity* (a wrong check digit, a mistyped plate) is not an import error: such
values are kept and flagged later by :mod:`gridmgmt.cases.identifiers`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from charset_normalizer import from_bytes

from gridmgmt import domain
from gridmgmt.domain import CaseStatus as CaseStatus
from gridmgmt.domain import CaseType as CaseType
from gridmgmt.domain import EntityKind as EntityKind
from gridmgmt.errors import InvalidInputError


class ChainStage(StrEnum):
    """Stage of the illegal supply chain a role belongs to (环节)."""

    SOURCE = "source"
    TRANSPORT = "transport"
    SALE = "sale"


LABELS_ZH: dict[StrEnum, str] = {
    EntityKind.PERSON: "涉案人员",
    EntityKind.ID_NUMBER: "身份证号",
    EntityKind.PHONE: "电话号码",
    EntityKind.PLATE: "车牌号",
    EntityKind.WAYBILL: "快递单号",
    EntityKind.ADDRESS: "地址",
    EntityKind.LICENCE_NO: "许可证号",
    EntityKind.BANK_ACCOUNT: "银行账户",
    EntityKind.COMPANY: "企业",
    CaseType.COUNTERFEIT: "制售假烟",
    CaseType.SMUGGLED: "走私烟",
    CaseType.GENUINE_OUTFLOW: "真烟外流",
    CaseType.UNLICENSED_SALE: "无证经营",
    CaseType.COURIER_SHIPMENT: "物流寄递",
    CaseStatus.OPEN: "已立案",
    CaseStatus.INVESTIGATING: "侦办中",
    CaseStatus.TRANSFERRED: "已移交",
    CaseStatus.CLOSED: "已结案",
    ChainStage.SOURCE: "源头",
    ChainStage.TRANSPORT: "运输",
    ChainStage.SALE: "销售",
}

SYNONYMS: dict[str, StrEnum] = {
    "假烟": CaseType.COUNTERFEIT,
    "制假": CaseType.COUNTERFEIT,
    "售假": CaseType.COUNTERFEIT,
    "走私": CaseType.SMUGGLED,
    "走私卷烟": CaseType.SMUGGLED,
    "外流": CaseType.GENUINE_OUTFLOW,
    "非法流通": CaseType.GENUINE_OUTFLOW,
    "无证": CaseType.UNLICENSED_SALE,
    "无证经营卷烟": CaseType.UNLICENSED_SALE,
    "寄递": CaseType.COURIER_SHIPMENT,
    "快递": CaseType.COURIER_SHIPMENT,
    "物流": CaseType.COURIER_SHIPMENT,
    "courier": CaseType.COURIER_SHIPMENT,
    "立案": CaseStatus.OPEN,
    "在办": CaseStatus.INVESTIGATING,
    "侦查": CaseStatus.INVESTIGATING,
    "移交": CaseStatus.TRANSFERRED,
    "结案": CaseStatus.CLOSED,
    "已办结": CaseStatus.CLOSED,
    "人员": EntityKind.PERSON,
    "当事人": EntityKind.PERSON,
    "身份证": EntityKind.ID_NUMBER,
    "电话": EntityKind.PHONE,
    "手机": EntityKind.PHONE,
    "手机号": EntityKind.PHONE,
    "车牌": EntityKind.PLATE,
    "车辆": EntityKind.PLATE,
    "运单号": EntityKind.WAYBILL,
    "快递单": EntityKind.WAYBILL,
    "许可证": EntityKind.LICENCE_NO,
    "零售许可证号": EntityKind.LICENCE_NO,
    "银行卡": EntityKind.BANK_ACCOUNT,
    "银行卡号": EntityKind.BANK_ACCOUNT,
    "账户": EntityKind.BANK_ACCOUNT,
    "公司": EntityKind.COMPANY,
    "单位": EntityKind.COMPANY,
}

# Roles users write, mapped to the stage of the chain they show. Unknown roles have no stage.
ROLE_STAGES: dict[str, ChainStage] = {
    **dict.fromkeys(
        ["supplier", "source", "manufacturer", "producer", "sender", "shipper", "upstream"],
        ChainStage.SOURCE,
    ),
    **dict.fromkeys(
        ["供货人", "上线", "货源", "生产者", "制假窝点", "寄件人", "发货人"], ChainStage.SOURCE
    ),
    **dict.fromkeys(
        ["driver", "carrier", "transporter", "courier", "vehicle", "escort", "depot"],
        ChainStage.TRANSPORT,
    ),
    **dict.fromkeys(
        ["司机", "驾驶员", "承运人", "运输", "押运", "车辆", "快递网点"], ChainStage.TRANSPORT
    ),
    **dict.fromkeys(
        ["seller", "retailer", "buyer", "recipient", "receiver", "downstream", "dealer"],
        ChainStage.SALE,
    ),
    **dict.fromkeys(
        ["销售", "零售户", "买家", "收件人", "收货人", "下线", "经营者"], ChainStage.SALE
    ),
}

# Case types that on their own show a stage of the chain.
CASE_TYPE_STAGES: dict[CaseType, ChainStage] = {
    CaseType.COUNTERFEIT: ChainStage.SOURCE,
    CaseType.COURIER_SHIPMENT: ChainStage.TRANSPORT,
    CaseType.UNLICENSED_SALE: ChainStage.SALE,
}

E = TypeVar("E", bound=StrEnum)


def label_zh(value: StrEnum) -> str:
    """Return the Chinese label of a case vocabulary value."""
    return domain.label_zh(value, labels=LABELS_ZH)


def parse_case_enum(enum: type[E], text: str) -> E:
    """Parse ``text`` as a member of a case vocabulary: value, Chinese label or synonym.

    Raises
    ------
    ValueError
        If the text names no member; the message lists the allowed values.
    """
    return domain.parse_enum(enum, text, labels=LABELS_ZH, synonyms=SYNONYMS)


def role_stage(role: str) -> ChainStage | None:
    """Return the chain stage a role shows (供货人 -> source), or None if unknown."""
    cleaned = role.strip()
    return ROLE_STAGES.get(cleaned) or ROLE_STAGES.get(cleaned.lower())


@dataclass(frozen=True, slots=True)
class Case:
    """A tobacco case (涉烟案件).

    Parameters
    ----------
    case_no
        Case number as the bureau writes it (案件编号), unique within its county. Over
        several counties, the services name a case by its key ``county_code/case_no``
        here, so the link index and networks tell two counties' case 12 apart.
    county_code
        6-digit administrative code of the county that opened the case.
    opened_on
        Date the case was opened (立案日期).
    type
        Type of case.
    status
        Procedural status.
    lon, lat
        WGS-84 location (often a checkpoint or retailer), if known.
    seized_cartons
        Cigarettes seized, in cartons (条).
    value_yuan
        Value of the case in yuan (案值).
    summary
        Short account of the case (简要案情).
    """

    case_no: str
    county_code: str
    opened_on: date
    type: CaseType
    status: CaseStatus = CaseStatus.OPEN
    lon: float | None = None
    lat: float | None = None
    seized_cartons: float | None = None
    value_yuan: float | None = None
    summary: str = ""

    @property
    def province_code(self) -> str:
        """2-digit province prefix of the county code."""
        return self.county_code[:2]


@dataclass(frozen=True, slots=True)
class Mention:
    """An entity as one case mentions it, with the role it played.

    A person has ``name`` and ``id_number`` (either may be missing) and optionally the
    ``phone`` the case records for them; every other kind has ``value``.
    """

    case_no: str
    kind: EntityKind
    value: str | None = None
    role: str = ""
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None

    @property
    def text(self) -> str:
        """The raw text of the mention, for display and errors."""
        if self.kind is EntityKind.PERSON:
            return " ".join(part for part in (self.name, self.id_number) if part)
        return self.value or ""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem in an import file: where it is and what is wrong."""

    source: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}, row {self.row}, field {self.field!r}: {self.message}"


class CaseValidationError(InvalidInputError):
    """An import file has problems; nothing was imported. ``errors`` lists every one.

    Also an :class:`~gridmgmt.errors.InvalidInputError` whose ``problems`` give the file,
    row, field and message of each error.
    """

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        shown = "\n".join(f"  {error}" for error in self.errors[:20])
        more = f"\n  ... and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        problems = [
            {"file": e.source, "row": e.row or None, "field": e.field or None, "message": e.message}
            for e in self.errors
        ]
        super().__init__(
            f"{len(self.errors)} problem(s), nothing imported:\n{shown}{more}", problems
        )


@dataclass(slots=True)
class CaseSet:
    """Cases and their mentions, as read from a file or generated."""

    cases: list[Case] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)

    def mentions_by_case(self) -> dict[str, list[Mention]]:
        """Mentions grouped by case number, in file order."""
        grouped: dict[str, list[Mention]] = {case.case_no: [] for case in self.cases}
        for mention in self.mentions:
            grouped.setdefault(mention.case_no, []).append(mention)
        return grouped


_COUNTY_CODE = re.compile(r"^\d{6}$")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)
# China's extent with a margin: catches swapped or projected coordinates.
_LON_RANGE = (73.0, 136.0)
_LAT_RANGE = (3.0, 54.0)
_CASE_FIELDS = ("case_no", "county_code", "opened_on", "type")
_OPTIONAL_CASE_FIELDS = ("status", "lon", "lat", "seized_cartons", "value_yuan", "summary")


class _Collector:
    """Collects field errors for one source, with a helper per field type."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[FieldError] = []

    def add(self, row: int, name: str, message: str) -> None:
        self.errors.append(FieldError(self.source, row, name, message))

    def text(self, raw: Mapping[str, Any], key: str, row: int, *, prefix: str = "") -> str | None:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(row, prefix + key, "is required")
            return None
        if not isinstance(value, str | int):
            self.add(row, prefix + key, f"must be text, got {type(value).__name__}")
            return None
        return str(value).strip()

    def optional_text(
        self, raw: Mapping[str, Any], key: str, row: int, *, prefix: str = ""
    ) -> str | None:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str | int):
            self.add(row, prefix + key, f"must be text, got {type(value).__name__}")
            return None
        return str(value).strip()

    def enum(self, enum: type[E], text: str | None, row: int, name: str) -> E | None:
        if text is None:
            return None
        try:
            return parse_case_enum(enum, text)
        except ValueError as error:
            self.add(row, name, str(error))
            return None

    def number(
        self, raw: Mapping[str, Any], key: str, row: int, *, low: float, high: float
    ) -> float | None:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = float(str(value).replace(",", "").strip())
        except ValueError:
            self.add(row, key, f"{value!r} is not a number")
            return None
        if not math.isfinite(number) or not low <= number <= high:
            self.add(row, key, f"{number} is outside the allowed range [{low}, {high}]")
            return None
        return number


def parse_date(text: str) -> date:
    """Parse a case date: 2023-05-01, 2023/5/1, 2023.5.1, 20230501 or 2023年5月1日.

    Raises
    ------
    ValueError
        If the text is none of those forms or not a real date.
    """
    cleaned = text.strip()
    for pattern in _DATE_PATTERNS:
        found = pattern.match(cleaned)
        if found:
            year, month, day = (int(part) for part in found.groups())
            return date(year, month, day)
    msg = f"{cleaned!r} is not a date; expected YYYY-MM-DD, YYYY/M/D, YYYYMMDD or YYYY年M月D日"
    raise ValueError(msg)


def _parse_case(raw: Mapping[str, Any], row: int, errors: _Collector) -> Case | None:
    before = len(errors.errors)
    case_no = errors.text(raw, "case_no", row)
    county_code = errors.text(raw, "county_code", row)
    if county_code is not None and not _COUNTY_CODE.match(county_code):
        errors.add(row, "county_code", f"{county_code!r} is not a 6-digit county code")
    opened_text = errors.text(raw, "opened_on", row)
    opened_on = None
    if opened_text is not None:
        try:
            opened_on = parse_date(opened_text)
        except ValueError as error:
            errors.add(row, "opened_on", str(error))
    case_type = errors.enum(CaseType, errors.text(raw, "type", row), row, "type")
    status_text = errors.optional_text(raw, "status", row)
    status = errors.enum(CaseStatus, status_text, row, "status") if status_text else None
    lon = errors.number(raw, "lon", row, low=_LON_RANGE[0], high=_LON_RANGE[1])
    lat = errors.number(raw, "lat", row, low=_LAT_RANGE[0], high=_LAT_RANGE[1])
    if (lon is None) != (lat is None) and len(errors.errors) == before:
        errors.add(row, "lon" if lon is None else "lat", "lon and lat must be given together")
    cartons = errors.number(raw, "seized_cartons", row, low=0, high=1e9)
    value = errors.number(raw, "value_yuan", row, low=0, high=1e12)
    summary = errors.optional_text(raw, "summary", row) or ""
    if len(errors.errors) > before or not (case_no and county_code and opened_on and case_type):
        return None
    return Case(
        case_no=case_no,
        county_code=county_code,
        opened_on=opened_on,
        type=case_type,
        status=status or CaseStatus.OPEN,
        lon=lon,
        lat=lat,
        seized_cartons=cartons,
        value_yuan=value,
        summary=summary,
    )


def _parse_entity(
    raw: Mapping[str, Any], case_no: str, row: int, prefix: str, errors: _Collector
) -> Mention | None:
    before = len(errors.errors)
    kind = errors.enum(
        EntityKind, errors.text(raw, "kind", row, prefix=prefix), row, prefix + "kind"
    )
    role = errors.optional_text(raw, "role", row, prefix=prefix) or ""
    if kind is None:
        return None
    if kind is EntityKind.PERSON:
        name = errors.optional_text(raw, "name", row, prefix=prefix)
        id_number = errors.optional_text(raw, "id_number", row, prefix=prefix)
        phone = errors.optional_text(raw, "phone", row, prefix=prefix)
        if name is None and id_number is None and len(errors.errors) == before:
            errors.add(row, prefix + "name", "a person needs a name or an id_number (or both)")
        if len(errors.errors) > before:
            return None
        return Mention(case_no, kind, role=role, name=name, id_number=id_number, phone=phone)
    value = errors.text(raw, "value", row, prefix=prefix)
    if value is None or len(errors.errors) > before:
        return None
    return Mention(case_no, kind, value=value, role=role)


def parse_cases_json(
    data: str | bytes | Sequence[Any] | Mapping[str, Any], *, source: str = "cases.json"
) -> CaseSet:
    """Parse cases in the JSON form: a list of cases, each with its ``entities``.

    ``[{"case_no", "county_code", "opened_on", "type", "entities": [{"kind", "value",
    "role"}]}]``; a person entity has ``name`` and ``id_number`` (and optionally ``phone``)
    instead of ``value``. Optional case fields: ``status``, ``lon``, ``lat``,
    ``seized_cartons``, ``value_yuan``, ``summary``. A top-level object with a ``cases`` list
    is accepted too.

    Parameters
    ----------
    data
        The JSON text, or already-decoded data.
    source
        Name of the file, used in error messages.

    Raises
    ------
    CaseValidationError
        Listing every problem, with the case's position (1-based) as its row.
    """
    errors = _Collector(source)
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise CaseValidationError([FieldError(source, error.lineno, "", error.msg)]) from None
    if isinstance(data, Mapping) and isinstance(data.get("cases"), list):
        data = list(data["cases"])
    if not isinstance(data, list):
        msg = "expected a list of cases (or an object with a 'cases' list)"
        raise CaseValidationError([FieldError(source, 0, "", msg)])
    result = CaseSet()
    seen: dict[str, int] = {}
    for row, raw in enumerate(data, start=1):
        if not isinstance(raw, Mapping):
            errors.add(row, "", f"a case must be an object, got {type(raw).__name__}")
            continue
        case = _parse_case(raw, row, errors)
        case_no = case.case_no if case else str(raw.get("case_no") or "").strip()
        if case_no and case_no in seen:
            errors.add(row, "case_no", f"{case_no!r} repeats row {seen[case_no]}")
        seen.setdefault(case_no, row)
        if case is not None:
            result.cases.append(case)
        entities = raw.get("entities", [])
        if not isinstance(entities, list):
            errors.add(row, "entities", "must be a list")
            continue
        for index, entity in enumerate(entities):
            prefix = f"entities[{index}]."
            if not isinstance(entity, Mapping):
                errors.add(row, prefix.rstrip("."), "an entity must be an object")
                continue
            mention = _parse_entity(entity, case_no, row, prefix, errors)
            if mention is not None:
                result.mentions.append(mention)
    if errors.errors:
        raise CaseValidationError(errors.errors)
    return result


# Column names users have in their spreadsheets, mapped to ours.
CSV_ALIASES: dict[str, str] = {
    "案件编号": "case_no",
    "案号": "case_no",
    "县区代码": "county_code",
    "行政区划代码": "county_code",
    "立案日期": "opened_on",
    "案件类型": "type",
    "案件状态": "status",
    "状态": "status",
    "经度": "lon",
    "纬度": "lat",
    "查获数量": "seized_cartons",
    "查获条数": "seized_cartons",
    "案值": "value_yuan",
    "案值(元)": "value_yuan",
    "简要案情": "summary",
    "实体类型": "kind",
    "要素类型": "kind",
    "值": "value",
    "要素值": "value",
    "姓名": "name",
    "身份证号": "id_number",
    "电话": "phone",
    "角色": "role",
}
CSV_COLUMNS = (
    *_CASE_FIELDS,
    *_OPTIONAL_CASE_FIELDS,
    "kind",
    "value",
    "name",
    "id_number",
    "phone",
    "role",
)


def decode_text(data: bytes) -> str:
    """Decode file bytes: UTF-8 (with or without BOM), else the detected encoding (GBK ...)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            msg = "the file's text encoding could not be detected; save it as UTF-8"
            raise ValueError(msg) from None
        return str(best)


def parse_cases_csv(data: str | bytes, *, source: str = "cases.csv") -> CaseSet:
    """Parse cases in the CSV form: one row per mention, the case columns repeated.

    Columns: ``case_no, county_code, opened_on, type`` (required), ``status, lon, lat,
    seized_cartons, value_yuan, summary`` (optional), then the mention: ``kind, value, name,
    id_number, phone, role``. A row with an empty ``kind`` is a case without mentions.
    Chinese headers (案件编号, 立案日期, 实体类型 ...) are accepted.

    Raises
    ------
    CaseValidationError
        Listing every problem; rows are file lines (the header is row 1).
    """
    text = decode_text(data) if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    errors = _Collector(source)
    headers = [
        CSV_ALIASES.get((h or "").strip(), (h or "").strip()) for h in reader.fieldnames or []
    ]
    missing = [name for name in (*_CASE_FIELDS, "kind") if name not in headers]
    if missing:
        msg = f"missing column(s) {', '.join(missing)}; expected columns: {', '.join(CSV_COLUMNS)}"
        raise CaseValidationError([FieldError(source, 1, ", ".join(missing), msg)])
    reader.fieldnames = headers
    result = CaseSet()
    cases: dict[str, tuple[Case, int]] = {}
    for row, raw in enumerate(reader, start=2):
        case = _parse_case(raw, row, errors)
        if case is not None:
            first = cases.get(case.case_no)
            if first is None:
                cases[case.case_no] = (case, row)
                result.cases.append(case)
            elif first[0] != case:
                errors.add(
                    row,
                    _first_difference(first[0], case),
                    f"differs from row {first[1]} of the same case",
                )
        if not (raw.get("kind") or "").strip():
            continue
        mention = _parse_entity(raw, case.case_no if case else "", row, "", errors)
        if mention is not None:
            result.mentions.append(mention)
    if errors.errors:
        raise CaseValidationError(errors.errors)
    return result


def _first_difference(first: Case, other: Case) -> str:
    for name in (*_CASE_FIELDS, *_OPTIONAL_CASE_FIELDS):
        if getattr(first, name) != getattr(other, name):
            return name
    return "case_no"


def read_cases_file(path: str | Path) -> CaseSet:
    """Read a ``.json`` or ``.csv`` case file.

    Raises
    ------
    ValueError
        If the suffix is neither; :class:`CaseValidationError` for problems in the file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return parse_cases_json(decode_text(path.read_bytes()), source=path.name)
    if suffix == ".csv":
        return parse_cases_csv(path.read_bytes(), source=path.name)
    msg = f"case file {path.name!r} has suffix {suffix!r}; expected one of ['.json', '.csv']"
    raise ValueError(msg)


def cases_to_json(cases: Iterable[Case], mentions: Iterable[Mention]) -> list[dict[str, Any]]:
    """Write cases and mentions in the JSON import form (inverse of :func:`parse_cases_json`)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for mention in mentions:
        entity: dict[str, Any] = {"kind": mention.kind.value, "role": mention.role}
        if mention.kind is EntityKind.PERSON:
            entity |= {"name": mention.name, "id_number": mention.id_number}
            if mention.phone:
                entity["phone"] = mention.phone
        else:
            entity["value"] = mention.value
        grouped.setdefault(mention.case_no, []).append(entity)
    out = []
    for case in cases:
        record: dict[str, Any] = {
            "case_no": case.case_no,
            "county_code": case.county_code,
            "opened_on": case.opened_on.isoformat(),
            "type": case.type.value,
            "status": case.status.value,
        }
        optional = {
            "lon": case.lon,
            "lat": case.lat,
            "seized_cartons": case.seized_cartons,
            "value_yuan": case.value_yuan,
            "summary": case.summary or None,
        }
        record |= {key: value for key, value in optional.items() if value is not None}
        record["entities"] = grouped.get(case.case_no, [])
        out.append(record)
    return out
