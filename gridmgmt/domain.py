"""Domain vocabularies shared by every layer.

Each enumeration stores a stable English value; ``LABELS_ZH`` gives the Chinese term users
know the thing by, and :func:`parse_enum` accepts either form (and a few common synonyms).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from gridmgmt.errors import InvalidInputError


class RetailerStatus(StrEnum):
    """Licence status of a retailer (经营状态)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class BusinessType(StrEnum):
    """Business type of a retailer (业态)."""

    GROCERY = "grocery"
    CONVENIENCE = "convenience"
    SUPERMARKET = "supermarket"
    TOBACCO_LIQUOR = "tobacco_liquor"
    ENTERTAINMENT = "entertainment"
    RESTAURANT = "restaurant"
    OTHER = "other"


class SchoolKind(StrEnum):
    """Kind of school, which sets the red-line distance (学校类别)."""

    KINDERGARTEN = "kindergarten"
    PRIMARY = "primary"
    MIDDLE = "middle"


class CheckpointKind(StrEnum):
    """Kind of checkpoint (查堵卡点)."""

    HIGHWAY_EXIT = "highway_exit"
    TOLL_STATION = "toll_station"
    NATIONAL_ROAD = "national_road"
    LOGISTICS_HUB = "logistics_hub"
    RAIL_STATION = "rail_station"


class StaffRole(StrEnum):
    """Role of a bureau staff member in a three-role grid (三员)."""

    MONOPOLY_OFFICER = "monopoly_officer"
    ACCOUNT_MANAGER = "account_manager"
    DELIVERER = "deliverer"


class Weekday(StrEnum):
    """Day of the week, e.g. a retailer's fixed delivery day (固定送货日)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def index(self) -> int:  # type: ignore[override]  # str.index is not used on weekdays
        """0 for Monday to 6 for Sunday, as :meth:`datetime.date.weekday`."""
        return list(Weekday).index(self)


class InspectionOutcome(StrEnum):
    """What a double-random inspection found (检查结果)."""

    COMPLIANT = "compliant"  # 未发现问题
    VIOLATION = "violation"  # 发现违法违规
    NOT_OPEN = "not_open"  # 未营业: nobody there to inspect
    NOT_FOUND = "not_found"  # 查无此户: no shop at the licensed address


class TicketState(StrEnum):
    """State of a grid supervision ticket (网格监管信息), in the order a ticket moves."""

    COLLECTED = "collected"  # 采集
    ASSIGNED = "assigned"  # 流转
    RESPONDED = "responded"  # 响应
    HANDLED = "handled"  # 处理
    FED_BACK = "fed_back"  # 反馈


class TicketKind(StrEnum):
    """What a grid supervision ticket is about."""

    VIOLATION = "violation"  # 违规线索
    COMPLAINT = "complaint"  # 投诉举报
    MARKET_INFO = "market_info"  # 市场信息


class UserRole(StrEnum):
    """Role of a system user."""

    OFFICER = "officer"
    DISPATCHER = "dispatcher"
    LIAISON = "liaison"
    ADMIN = "admin"
    LEADER = "leader"  # 局领导: reads every figure of their counties, changes nothing


class EntityKind(StrEnum):
    """Kind of entity a case mentions (涉案要素)."""

    PERSON = "person"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    PLATE = "plate"
    WAYBILL = "waybill"
    ADDRESS = "address"
    LICENCE_NO = "licence_no"
    BANK_ACCOUNT = "bank_account"
    COMPANY = "company"


class CaseType(StrEnum):
    """Type of a tobacco case (案件类型)."""

    COUNTERFEIT = "counterfeit"
    SMUGGLED = "smuggled"
    GENUINE_OUTFLOW = "genuine_outflow"
    UNLICENSED_SALE = "unlicensed_sale"
    COURIER_SHIPMENT = "courier_shipment"


class CaseStatus(StrEnum):
    """Procedural status of a case (案件状态)."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    TRANSFERRED = "transferred"
    CLOSED = "closed"


LABELS_ZH: dict[StrEnum, str] = {
    RetailerStatus.ACTIVE: "正常",
    RetailerStatus.SUSPENDED: "歇业",
    RetailerStatus.CLOSED: "停业",
    BusinessType.GROCERY: "食杂店",
    BusinessType.CONVENIENCE: "便利店",
    BusinessType.SUPERMARKET: "超市",
    BusinessType.TOBACCO_LIQUOR: "烟酒商店",
    BusinessType.ENTERTAINMENT: "娱乐服务类",
    BusinessType.RESTAURANT: "餐饮",
    BusinessType.OTHER: "其他",
    SchoolKind.KINDERGARTEN: "幼儿园",
    SchoolKind.PRIMARY: "小学",
    SchoolKind.MIDDLE: "中学",
    CheckpointKind.HIGHWAY_EXIT: "高速出口",
    CheckpointKind.TOLL_STATION: "收费站",
    CheckpointKind.NATIONAL_ROAD: "国道卡点",
    CheckpointKind.LOGISTICS_HUB: "物流寄递站点",
    CheckpointKind.RAIL_STATION: "火车站",
    StaffRole.MONOPOLY_OFFICER: "专管员",
    StaffRole.ACCOUNT_MANAGER: "客户经理",
    StaffRole.DELIVERER: "送货员",
    Weekday.MONDAY: "周一",
    Weekday.TUESDAY: "周二",
    Weekday.WEDNESDAY: "周三",
    Weekday.THURSDAY: "周四",
    Weekday.FRIDAY: "周五",
    Weekday.SATURDAY: "周六",
    Weekday.SUNDAY: "周日",
    UserRole.OFFICER: "稽查员",
    UserRole.DISPATCHER: "调度员",
    UserRole.LIAISON: "信息联络员",
    UserRole.ADMIN: "管理员",
    UserRole.LEADER: "局领导",
}

# Extra spellings users have in their files, beyond the value and the Chinese label.
SYNONYMS: dict[str, StrEnum] = {
    "营业": RetailerStatus.ACTIVE,
    "有效": RetailerStatus.ACTIVE,
    "暂停": RetailerStatus.SUSPENDED,
    "暂停营业": RetailerStatus.SUSPENDED,
    "注销": RetailerStatus.CLOSED,
    "关闭": RetailerStatus.CLOSED,
    "烟酒店": BusinessType.TOBACCO_LIQUOR,
    "娱乐": BusinessType.ENTERTAINMENT,
    "初中": SchoolKind.MIDDLE,
    "高中": SchoolKind.MIDDLE,
    "中小学": SchoolKind.MIDDLE,
    "高速公路出口": CheckpointKind.HIGHWAY_EXIT,
    "国道": CheckpointKind.NATIONAL_ROAD,
    "物流": CheckpointKind.LOGISTICS_HUB,
    "快递": CheckpointKind.LOGISTICS_HUB,
    "配送员": StaffRole.DELIVERER,
    "信息采集员": StaffRole.DELIVERER,
    "collector": StaffRole.DELIVERER,
    "领导": UserRole.LEADER,
    # Weekdays: 星期一 / 礼拜一 / 1 (Monday) ... 星期日 / 星期天 / 7, and mon ... sun.
    **{
        spelling: day
        for k, (day, zh, short) in enumerate(
            zip(
                Weekday,
                "一二三四五六日",
                ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                strict=True,
            )
        )
        for spelling in (f"星期{zh}", f"礼拜{zh}", f"周{k + 1}", str(k + 1), short)
    },
    "星期天": Weekday.SUNDAY,
    "礼拜天": Weekday.SUNDAY,
    "周天": Weekday.SUNDAY,
}

E = TypeVar("E", bound=StrEnum)


def label_zh(value: StrEnum, *, labels: Mapping[StrEnum, str] = LABELS_ZH) -> str:
    """Return the Chinese label of an enumeration value (from ``labels``)."""
    return labels.get(value, str(value))


def parse_enum(
    enum: type[E],
    text: str,
    *,
    labels: Mapping[StrEnum, str] = LABELS_ZH,
    synonyms: Mapping[str, StrEnum] = SYNONYMS,
) -> E:
    """Parse ``text`` as a member of ``enum``: its value, its Chinese label or a synonym.

    Other vocabularies (cases, tickets) pass their own ``labels`` and ``synonyms``.

    Raises
    ------
    InvalidInputError
        If the text names no member; the message lists the allowed values.
    """
    cleaned = str(text).strip()
    key = cleaned.lower().replace("-", "_").replace(" ", "_")
    for member in enum:
        if key == member.value or cleaned == labels.get(member):
            return member
    synonym = synonyms.get(cleaned) or synonyms.get(key)
    if isinstance(synonym, enum):
        return synonym
    allowed = ", ".join(f"{m.value} ({labels.get(m, m.value)})" for m in enum)
    msg = f"{cleaned!r} is not a known {enum.__name__}; expected one of: {allowed}"
    raise InvalidInputError(msg)
