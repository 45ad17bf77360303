"""The joint contact list of a cooperation area (打假打私联动联络通讯录): page, CSV, Excel.

Every member county's liaisons, grouped by province and county, with the member counties
each one borders (province lines marked), and the member counties that name nobody yet. The
list is shared by design among the area's counties; reading another county's entries is
audited as a read of that county's data.
"""

from __future__ import annotations

import io
from typing import Final

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError
from gridmgmt.io.cells import inert_frame, keep_text_as_text
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.cooperation.adjacency import adjacent_pairs
from gridmgmt.services.cooperation.areas import get_area
from gridmgmt.services.cooperation.results import ContactList, ContactRow
from gridmgmt.store.models import Province
from gridmgmt.store.models.cooperation import Liaison

__all__ = ["CONTACT_FORMATS", "CONTACT_HEADERS_ZH", "contact_list", "contacts_file"]

CONTACT_FORMATS: Final = ("csv", "xlsx")
CONTACT_HEADERS_ZH: Final = {
    "province": "省份",
    "county_code": "县代码",
    "county": "县(市、区)",
    "name": "姓名",
    "title": "职务",
    "phone": "办公电话",
    "mobile": "手机",
    "email": "电子邮箱",
    "duties": "职责",
    "neighbours": "毗邻县",
}
"""The Chinese column headers of the exported list (English ones are the field names)."""


@requires(Action.READ_COOPERATION)
def contact_list(session: Session, actor: Actor, code: str) -> ContactList:
    """The joint contact list of area ``code`` (404 unless it includes an actor's county)."""
    area = get_area(session, actor, code)
    members = {ref.code: ref for ref in area.counties}
    provinces = dict(session.execute(select(Province.code, Province.name)).all())
    names = {ref.code: ref.name for ref in area.counties}
    pairs = [
        p for p in adjacent_pairs(session, names) if p.county_a in members and p.county_b in members
    ]
    around: dict[str, list[str]] = {c: [] for c in members}
    for pair in pairs:
        mark = " (跨省)" if pair.province_crossing else ""
        around[pair.county_a].append(pair.name_b + mark)
        around[pair.county_b].append(pair.name_a + mark)
    liaisons = session.scalars(
        select(Liaison)
        .where(Liaison.county_code.in_(sorted(members)))
        .order_by(Liaison.county_code, Liaison.name)
    ).all()
    rows = [
        ContactRow(
            province=provinces.get(members[row.county_code].province_code, ""),
            county_code=row.county_code,
            county=names[row.county_code],
            name=row.name,
            title=row.title,
            phone=row.phone,
            mobile=row.mobile,
            email=row.email,
            duties=row.duties,
            neighbours=around[row.county_code],
        )
        for row in liaisons
    ]
    rows.sort(key=lambda r: (members[r.county_code].province_code, r.county_code, r.name))
    named = {row.county_code for row in rows}
    for county in sorted(members):
        audit.record_read(session, actor, "contact_list", county, area.code)
    return ContactList(
        area=area,
        rows=rows,
        missing=[ref for c, ref in sorted(members.items()) if c not in named],
        crossings=pairs,
    )


def contacts_frame(contacts: ContactList, *, headers: str = "zh") -> pd.DataFrame:
    """The list as a table, with Chinese (``zh``) or English (``en``) headers."""
    if headers not in ("zh", "en"):
        msg = f"headers was {headers!r} but is expected to be in ['zh', 'en']"
        raise InvalidInputError(msg)
    frame = pd.DataFrame(
        [row.model_dump() for row in contacts.rows], columns=list(CONTACT_HEADERS_ZH)
    )
    frame["neighbours"] = ["、".join(n) for n in frame["neighbours"]]
    return frame.rename(columns=CONTACT_HEADERS_ZH) if headers == "zh" else frame


def contacts_file(contacts: ContactList, fmt: str, *, headers: str = "zh") -> bytes:
    """The list as a ``csv`` (UTF-8 with BOM, for Excel) or ``xlsx`` file's bytes.

    Raises
    ------
    InvalidInputError
        If the format or the header language is not supported.
    """
    frame = contacts_frame(contacts, headers=headers)
    if fmt == "csv":
        return inert_frame(frame).to_csv(index=False).encode("utf-8-sig")
    if fmt == "xlsx":
        from openpyxl.styles import Font

        buffer = io.BytesIO()
        title = f"{contacts.area.name} 打假打私联动联络通讯录"
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name="通讯录", startrow=1)
            sheet = keep_text_as_text(writer.sheets["通讯录"])
            sheet["A1"] = title if headers == "zh" else f"{contacts.area.name}: joint contact list"
            sheet["A1"].font = Font(bold=True, size=14)
            for column in sheet.columns:
                width = max(len(str(cell.value or "")) for cell in column[1:]) if column else 8
                sheet.column_dimensions[column[0].column_letter].width = min(40, width * 2 + 2)
        return buffer.getvalue()
    msg = f"format was {fmt!r} but is expected to be in {list(CONTACT_FORMATS)}"
    raise InvalidInputError(msg, [{"field": "format", "message": msg}])
