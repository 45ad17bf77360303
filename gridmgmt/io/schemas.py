"""What each importable kind looks like: canonical fields, their types and the headers
users have for them (Chinese and English).

This module is the single source of truth for ``docs/import-formats.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gridmgmt.domain import (
    BusinessType,
    CheckpointKind,
    RetailerStatus,
    SchoolKind,
    StaffRole,
    Weekday,
)
from gridmgmt.errors import InvalidInputError


class FieldType(StrEnum):
    """How a field's text is read."""

    TEXT = "text"
    CODE = "code"  # a 6-digit administrative division code (行政区划代码)
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ENUM = "enum"
    DATE = "date"
    TIME = "time"
    LON = "lon"
    LAT = "lat"
    POLYGON = "polygon"  # WKT text in tables; the feature geometry in spatial files


class GeometryRole(StrEnum):
    """What a kind's geometry is."""

    POINT = "point"  # a location: lon/lat columns or Point features
    POLYGON = "polygon"  # an area: WKT column or Polygon features
    NONE = "none"


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field of an importable kind.

    Parameters
    ----------
    name
        Canonical (English) field name, also the CSV header of exports.
    value_type
        How the text is read.
    required
        Whether the column must be there and every row must have a value.
    aliases
        Other headers accepted for this field (Chinese terms first).
    description
        What the field is, for the documentation.
    max_length
        Longest accepted text.
    minimum, maximum
        Bounds of numeric fields (inclusive).
    enum
        The vocabulary of an ``ENUM`` field.
    default
        Value for new rows when the column is absent or the cell is empty.
    """

    name: str
    value_type: FieldType
    required: bool
    aliases: tuple[str, ...]
    description: str
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    enum: type[StrEnum] | None = None
    default: Any = None


@dataclass(frozen=True)
class KindSchema:
    """An importable kind: its fields, natural key and geometry.

    Parameters
    ----------
    kind
        The kind's name on the command line (``retailers``...).
    title_zh
        What users call it.
    fields
        Every canonical field, in export order.
    key
        Fields that identify a row (the natural key imports upsert on).
    geometry
        Whether rows are points (lon/lat), polygons or have no geometry.
    county_from
        Where the county code comes from when the file has none: ``"location"`` (the
        county polygon containing the point), ``"retailer"`` or ``"depot"``; ``None`` when
        the column is required.
    polygon_field
        The field polygon features of a spatial file fill (``geometry`` for counties,
        ``campus`` for schools).
    """

    kind: str
    title_zh: str
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]
    geometry: GeometryRole
    county_from: str | None = None
    polygon_field: str | None = None

    def field(self, name: str) -> FieldSpec:
        """The field called ``name``."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        msg = f"kind {self.kind!r} has no field {name!r}; fields are {self.field_names()}"
        raise KeyError(msg)

    def field_names(self) -> list[str]:
        """Canonical field names, in order."""
        return [spec.name for spec in self.fields]


LOCATION_ALIASES = ("坐标", "经纬度", "经纬度坐标", "location", "lonlat", "lnglat", "coordinates")
"""Headers of a single ``"lon,lat"`` column (as Amap exports it), read when lon/lat are absent."""

_COUNTY_CODE_ALIASES = (
    "县区代码",
    "行政区划代码",
    "区划代码",
    "县区编码",
    "县级代码",
    "所属县区代码",
    "county",
    "adcode",
    "county_id",
)


def _county_code(*, required: bool) -> FieldSpec:
    how = "" if required else "; if absent, taken from the county that contains the row"
    return FieldSpec(
        "county_code",
        FieldType.CODE,
        required,
        _COUNTY_CODE_ALIASES,
        f"6-digit code of the county the row belongs to (县区代码){how}",
    )


_LON = FieldSpec(
    "lon",
    FieldType.LON,
    True,
    ("经度", "东经", "lng", "long", "longitude", "x"),
    "longitude in degrees, in the coordinate system given with --crs",
)
_LAT = FieldSpec(
    "lat",
    FieldType.LAT,
    True,
    ("纬度", "北纬", "latitude", "y"),
    "latitude in degrees, in the coordinate system given with --crs",
)
_PHONE = FieldSpec(
    "phone",
    FieldType.TEXT,
    False,
    ("电话", "联系电话", "手机", "手机号", "联系方式", "tel", "telephone", "mobile"),
    "contact telephone number",
    max_length=32,
)
_LICENCE_ALIASES = (
    "许可证号",
    "专卖许可证号",
    "许可证编号",
    "零售许可证号",
    "烟草专卖零售许可证号",
    "licence",
    "license",
    "license_no",
    "licence_number",
    "license_number",
)

COUNTIES = KindSchema(
    kind="counties",
    title_zh="县区",
    fields=(
        FieldSpec(
            "code",
            FieldType.CODE,
            True,
            ("代码", "县区代码", "行政区划代码", "区划代码", "编码", "adcode", "county_code"),
            "6-digit administrative division code (行政区划代码), e.g. 150924",
        ),
        FieldSpec(
            "name",
            FieldType.TEXT,
            True,
            ("名称", "县区名称", "县名", "区县名称", "县区", "county_name"),
            "county name, e.g. 兴和县",
            max_length=64,
        ),
        FieldSpec(
            "province",
            FieldType.TEXT,
            True,
            ("省", "省份", "省名", "省份名称", "所属省份", "province_name"),
            "province name, e.g. 内蒙古自治区; the province is created if new",
            max_length=64,
        ),
        FieldSpec(
            "province_code",
            FieldType.CODE,
            False,
            ("省代码", "省级代码", "省份代码"),
            "6-digit province code; default: the county code's first 2 digits + 0000",
        ),
        FieldSpec(
            "city",
            FieldType.TEXT,
            False,
            ("市", "地市", "城市", "地级市", "所属地市", "city_name"),
            "prefecture-level city, e.g. 乌兰察布市",
            max_length=64,
        ),
        FieldSpec(
            "geometry",
            FieldType.POLYGON,
            True,
            ("wkt", "boundary", "geom", "the_geom", "shape", "边界", "几何", "范围"),
            "county boundary: the feature geometry (Polygon/MultiPolygon), or WKT in a table",
        ),
    ),
    key=("code",),
    geometry=GeometryRole.POLYGON,
    polygon_field="geometry",
)

RETAILERS = KindSchema(
    kind="retailers",
    title_zh="零售户",
    fields=(
        FieldSpec(
            "licence_no",
            FieldType.TEXT,
            True,
            _LICENCE_ALIASES,
            "tobacco retail licence number (专卖许可证号), unique; usually starts with the "
            "county code",
            max_length=32,
        ),
        FieldSpec(
            "name",
            FieldType.TEXT,
            True,
            (
                "名称",
                "店名",
                "零售户名称",
                "店铺名称",
                "商户名称",
                "企业名称",
                "字号名称",
                "shop_name",
            ),
            "shop name",
            max_length=200,
        ),
        FieldSpec(
            "address",
            FieldType.TEXT,
            False,
            ("地址", "经营地址", "详细地址", "addr"),
            "business address",
            max_length=300,
        ),
        _county_code(required=False),
        _LON,
        _LAT,
        FieldSpec(
            "tier",
            FieldType.INTEGER,
            True,
            ("档位", "档次", "客户档位", "grade", "level"),
            "supply tier (档位), a whole number from 1 to 30",
            minimum=1,
            maximum=30,
        ),
        FieldSpec(
            "business_type",
            FieldType.ENUM,
            True,
            ("业态", "经营业态", "业态类型", "business", "type"),
            "business type (业态)",
            enum=BusinessType,
        ),
        FieldSpec(
            "status",
            FieldType.ENUM,
            True,
            ("状态", "经营状态", "许可证状态", "licence_status", "license_status"),
            "licence status (经营状态)",
            enum=RetailerStatus,
        ),
        FieldSpec(
            "key_retailer",
            FieldType.BOOLEAN,
            False,
            ("重点零售户", "重点户", "是否重点", "是否重点零售户", "key"),
            "under close supervision (重点零售户); empty means no",
            default=False,
        ),
        _PHONE,
        FieldSpec(
            "delivery_weekday",
            FieldType.ENUM,
            False,
            ("固定送货日", "送货日", "配送日", "送货星期", "delivery_day", "weekday"),
            "fixed delivery weekday (固定送货日) that weekly planning keeps, e.g. 周三 or 3; "
            "empty means any day",
            enum=Weekday,
        ),
    ),
    key=("licence_no",),
    geometry=GeometryRole.POINT,
    county_from="location",
)

SCHOOLS = KindSchema(
    kind="schools",
    title_zh="学校",
    fields=(
        FieldSpec(
            "name",
            FieldType.TEXT,
            True,
            ("学校名称", "名称", "学校", "校名", "school_name"),
            "school name, unique within its county",
            max_length=200,
        ),
        FieldSpec(
            "kind",
            FieldType.ENUM,
            True,
            ("类别", "类型", "学校类别", "学校类型", "type", "category"),
            "kind of school (学校类别), which sets the red-line distance",
            enum=SchoolKind,
        ),
        _county_code(required=False),
        _LON,
        _LAT,
        FieldSpec(
            "campus",
            FieldType.POLYGON,
            False,
            ("校园", "校园范围", "校区范围", "campus_wkt"),
            "campus outline: Polygon features of a spatial file, or WKT in a table; with "
            "no lon/lat the location of a new school is a point inside the campus",
        ),
    ),
    key=("county_code", "name"),
    geometry=GeometryRole.POINT,
    county_from="location",
    polygon_field="campus",
)

CHECKPOINTS = KindSchema(
    kind="checkpoints",
    title_zh="查堵卡点",
    fields=(
        FieldSpec(
            "name",
            FieldType.TEXT,
            True,
            ("名称", "卡点名称", "卡点", "checkpoint_name"),
            "checkpoint name, unique within its county",
            max_length=200,
        ),
        FieldSpec(
            "kind",
            FieldType.ENUM,
            True,
            ("类别", "类型", "卡点类型", "type", "category"),
            "kind of checkpoint",
            enum=CheckpointKind,
        ),
        _county_code(required=False),
        _LON,
        _LAT,
    ),
    key=("county_code", "name"),
    geometry=GeometryRole.POINT,
    county_from="location",
)

DEPOTS = KindSchema(
    kind="depots",
    title_zh="物流中心/配送站",
    fields=(
        FieldSpec(
            "code",
            FieldType.TEXT,
            True,
            ("编号", "代码", "站点编号", "配送站编号", "depot_code"),
            "depot code, unique",
            max_length=32,
        ),
        FieldSpec(
            "name",
            FieldType.TEXT,
            True,
            ("名称", "配送站名称", "物流中心名称", "站点名称", "depot_name"),
            "depot name",
            max_length=200,
        ),
        _county_code(required=False),
        _LON,
        _LAT,
        FieldSpec(
            "opens",
            FieldType.TIME,
            False,
            ("开门时间", "开始时间", "营业开始", "open"),
            "opening time HH:MM (default 07:00)",
            default=dt.time(7, 0),
        ),
        FieldSpec(
            "closes",
            FieldType.TIME,
            False,
            ("关门时间", "结束时间", "营业结束", "close"),
            "closing time HH:MM (default 19:00)",
            default=dt.time(19, 0),
        ),
    ),
    key=("code",),
    geometry=GeometryRole.POINT,
    county_from="location",
)

VEHICLES = KindSchema(
    kind="vehicles",
    title_zh="配送车辆",
    fields=(
        FieldSpec(
            "plate",
            FieldType.TEXT,
            True,
            ("车牌", "车牌号", "车牌号码", "plate_no", "plate_number"),
            "number plate, unique, e.g. 蒙J12345",
            max_length=16,
        ),
        FieldSpec(
            "depot_code",
            FieldType.TEXT,
            True,
            ("配送站编号", "所属配送站", "配送站", "物流中心编号", "depot"),
            "code of the depot the vehicle leaves from (import depots first)",
            max_length=32,
        ),
        FieldSpec(
            "county_code",
            FieldType.CODE,
            False,
            _COUNTY_CODE_ALIASES,
            "6-digit county code; if absent, the depot's county (must match it if given)",
        ),
        FieldSpec(
            "capacity_cartons",
            FieldType.INTEGER,
            True,
            ("载量", "容量", "装载量", "运力", "capacity"),
            "capacity in cartons (条; 1 case 箱 = 50 cartons), at least 1",
            minimum=1,
            maximum=1_000_000,
        ),
        FieldSpec(
            "shift_start",
            FieldType.TIME,
            False,
            ("出车时间", "班次开始", "上班时间"),
            "start of the shift HH:MM (default 08:00)",
            default=dt.time(8, 0),
        ),
        FieldSpec(
            "shift_end",
            FieldType.TIME,
            False,
            ("收车时间", "班次结束", "下班时间"),
            "end of the shift HH:MM (default 17:00)",
            default=dt.time(17, 0),
        ),
    ),
    key=("plate",),
    geometry=GeometryRole.NONE,
    county_from="depot",
)

ORDERS = KindSchema(
    kind="orders",
    title_zh="订单",
    fields=(
        FieldSpec(
            "licence_no",
            FieldType.TEXT,
            True,
            _LICENCE_ALIASES,
            "licence number of an existing retailer (import retailers first)",
            max_length=32,
        ),
        FieldSpec(
            "date",
            FieldType.DATE,
            True,
            ("日期", "订货日期", "配送日期", "送货日期", "order_date"),
            "delivery date, YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD, YYYY年MM月DD日)",
        ),
        FieldSpec(
            "cartons",
            FieldType.INTEGER,
            True,
            ("数量", "条数", "订货量", "订购量", "quantity", "qty"),
            "cartons ordered (条), at least 1",
            minimum=1,
            maximum=1_000_000,
        ),
        FieldSpec(
            "county_code",
            FieldType.CODE,
            False,
            _COUNTY_CODE_ALIASES,
            "6-digit county code; if absent, the retailer's county (must match it if given)",
        ),
    ),
    key=("licence_no", "date"),
    geometry=GeometryRole.NONE,
    county_from="retailer",
)

STAFF = KindSchema(
    kind="staff",
    title_zh="人员",
    fields=(
        FieldSpec(
            "staff_no",
            FieldType.TEXT,
            True,
            ("工号", "员工编号", "人员编号", "编号", "employee_no", "staff_id"),
            "staff number, unique",
            max_length=32,
        ),
        FieldSpec(
            "name",
            FieldType.TEXT,
            True,
            ("姓名", "名字", "员工姓名", "名称"),
            "full name",
            max_length=64,
        ),
        FieldSpec(
            "role",
            FieldType.ENUM,
            True,
            ("角色", "岗位", "职务", "三员类别"),
            "role in a three-role grid (三员)",
            enum=StaffRole,
        ),
        _county_code(required=True),
        _PHONE,
        FieldSpec(
            "capacity",
            FieldType.NUMBER,
            False,
            ("工作量上限", "负荷", "工作负荷"),
            "workload the person can carry (relative, > 0)",
            minimum=0,
            maximum=1e9,
        ),
    ),
    key=("staff_no",),
    geometry=GeometryRole.NONE,
)

_LICENCE_OF_RETAILER = FieldSpec(
    "licence_no",
    FieldType.TEXT,
    True,
    _LICENCE_ALIASES,
    "licence number of an existing retailer (import retailers first)",
    max_length=32,
)
_COUNTY_OF_RETAILER = FieldSpec(
    "county_code",
    FieldType.CODE,
    False,
    _COUNTY_CODE_ALIASES,
    "6-digit county code; if absent, the retailer's county (must match it if given)",
)

GROUPS = KindSchema(
    kind="groups",
    title_zh="自律互助小组",
    fields=(
        _LICENCE_OF_RETAILER,
        FieldSpec(
            "group_code",
            FieldType.TEXT,
            True,
            ("小组编号", "小组代码", "自律小组编号", "互助小组编号", "group", "group_id"),
            "code of the self-discipline group (自律互助小组) the retailer belongs to",
            max_length=32,
        ),
        FieldSpec(
            "group_name",
            FieldType.TEXT,
            True,
            ("小组名称", "自律小组", "自律互助小组", "互助小组名称"),
            "name of the group",
            max_length=100,
        ),
        FieldSpec(
            "leader",
            FieldType.BOOLEAN,
            False,
            ("组长", "是否组长", "group_leader"),
            "whether the retailer leads the group (组长); default no",
            default=False,
        ),
        _COUNTY_OF_RETAILER,
    ),
    key=("licence_no",),
    geometry=GeometryRole.NONE,
    county_from="retailer",
)

PRICES = KindSchema(
    kind="prices",
    title_zh="价格采集",
    fields=(
        _LICENCE_OF_RETAILER,
        FieldSpec(
            "brand",
            FieldType.TEXT,
            True,
            ("品牌", "卷烟品牌", "品名", "卷烟名称"),
            "cigarette brand, e.g. 中华",
            max_length=64,
        ),
        FieldSpec(
            "pack",
            FieldType.TEXT,
            True,
            ("规格", "包装", "品规", "包装规格", "specification"),
            "pack type (规格), e.g. 硬盒, 软盒, 细支",
            max_length=64,
        ),
        FieldSpec(
            "price",
            FieldType.NUMBER,
            True,
            ("价格", "零售价", "实际零售价", "单价", "售价", "price_yuan"),
            "retail price seen, in yuan per pack (元/包), above 0",
            minimum=0.01,
            maximum=10_000,
        ),
        FieldSpec(
            "date",
            FieldType.DATE,
            True,
            ("日期", "采集日期", "检查日期", "observed_on"),
            "date of the observation, YYYY-MM-DD",
        ),
        FieldSpec(
            "observer",
            FieldType.TEXT,
            True,
            ("采集人", "检查人", "记录人", "采价员", "observed_by"),
            "who saw the price (a staff number or name)",
            max_length=64,
        ),
        _COUNTY_OF_RETAILER,
    ),
    key=("licence_no", "brand", "pack", "date"),
    geometry=GeometryRole.NONE,
    county_from="retailer",
)

SCHEMAS: dict[str, KindSchema] = {
    schema.kind: schema
    for schema in (
        COUNTIES,
        RETAILERS,
        SCHOOLS,
        CHECKPOINTS,
        DEPOTS,
        VEHICLES,
        ORDERS,
        STAFF,
        GROUPS,
        PRICES,
    )
}


def import_kinds() -> list[str]:
    """Names of the kinds that can be imported, in dependency order."""
    return list(SCHEMAS)


def get_schema(kind: str) -> KindSchema:
    """The schema of ``kind``.

    Raises
    ------
    InvalidInputError
        If the kind is unknown; the message lists the known kinds.
    """
    schema = SCHEMAS.get(kind.strip().lower())
    if schema is None:
        msg = f"`kind` was {kind!r} but is expected to be in {import_kinds()}"
        raise InvalidInputError(msg, [{"field": "kind", "message": msg}])
    return schema
