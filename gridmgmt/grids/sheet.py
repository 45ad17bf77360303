"""The per-grid responsibility sheet (网格责任清单): who answers for what in each grid.

One row per grid: its area and workload, its retailers by status and tier band, its key
retailers (重点零售户), and the three staff (专管员, 客户经理, 送货员) with their phones.
:func:`write_sheet` saves it as CSV (UTF-8 with a byte-order mark, so Excel shows the
Chinese right) or as an Excel workbook, with English or Chinese headers; a name that a
spreadsheet would run as a formula is written as text (:mod:`gridmgmt.io.cells`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmgmt.crs import metric_crs
from gridmgmt.domain import RetailerStatus, StaffRole, label_zh
from gridmgmt.errors import InvalidInputError
from gridmgmt.grids.workload import parse_statuses
from gridmgmt.io.cells import inert_frame, keep_text_as_text

__all__ = ["SHEET_HEADERS_ZH", "TIER_BANDS", "responsibility_sheet", "write_sheet"]

TIER_BANDS: tuple[tuple[int, int], ...] = ((1, 10), (11, 20), (21, 30))

SHEET_HEADERS_ZH: dict[str, str] = {
    "grid_id": "网格编号",
    "area_km2": "面积(平方公里)",
    "workload": "工作量(分钟)",
    "retailers": "零售户总数",
    **{f"retailers_{s.value}": f"{label_zh(s)}户数" for s in RetailerStatus},
    **{f"tier_{a}_{b}": f"{a}-{b}档户数" for a, b in TIER_BANDS},
    "key_retailers": "重点零售户数",
    "key_retailer_licences": "重点零售户许可证号",
    **{r.value: label_zh(r) for r in StaffRole},
    **{f"{r.value}_phone": f"{label_zh(r)}电话" for r in StaffRole},
}


def responsibility_sheet(
    grids: gpd.GeoDataFrame,
    retailers: pd.DataFrame,
    assignments: pd.DataFrame,
    staff: pd.DataFrame,
) -> pd.DataFrame:
    """Build the responsibility sheet.

    Parameters
    ----------
    grids
        ``grid_id`` and polygon (EPSG:4326); ``workload`` is copied when present.
    retailers
        ``licence_no``, ``grid_id``, ``tier``, ``status`` and optionally ``key_retailer``.
    assignments
        ``grid_id``, ``role``, ``staff_id`` (as from
        :func:`~gridmgmt.grids.staffing.assign_staff`).
    staff
        ``staff_id`` and optionally ``name`` and ``phone``.

    Returns
    -------
    pandas.DataFrame
        One row per grid, ordered by grid id.
    """
    sheet = pd.DataFrame({"grid_id": grids["grid_id"].to_numpy()})
    sheet["area_km2"] = grids.to_crs(metric_crs(grids)).area.to_numpy() / 1e6
    sheet["workload"] = grids["workload"].to_numpy() if "workload" in grids.columns else np.nan
    sheet = sheet.merge(_retailer_counts(retailers), on="grid_id", how="left")
    counts = [
        c for c in sheet.columns if c.startswith(("retailers", "tier_")) or c == "key_retailers"
    ]
    sheet[counts] = sheet[counts].fillna(0).astype(int)
    sheet["key_retailer_licences"] = sheet["key_retailer_licences"].fillna("")
    sheet = sheet.merge(_staff_columns(assignments, staff), on="grid_id", how="left")
    for role in StaffRole:
        for column in (role.value, f"{role.value}_phone"):
            sheet[column] = sheet[column].fillna("") if column in sheet else ""
    order = sheet["grid_id"].astype(str).argsort(kind="stable")
    return sheet.iloc[order].reset_index(drop=True)


def write_sheet(sheet: pd.DataFrame, path: str | Path, *, headers: str = "zh") -> Path:
    """Save the sheet as ``.csv`` or ``.xlsx`` (by suffix), with ``zh`` or ``en`` headers.

    Raises
    ------
    ValueError
        If the suffix or the header language is not supported.
    """
    target = Path(path)
    if headers not in ("zh", "en"):
        msg = f"headers was {headers!r} but is expected to be in ['zh', 'en']"
        raise InvalidInputError(msg)
    out = sheet.rename(columns=SHEET_HEADERS_ZH) if headers == "zh" else sheet
    suffix = target.suffix.lower()
    if suffix == ".csv":
        inert_frame(out).to_csv(target, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        name = "网格责任清单" if headers == "zh" else "grids"
        with pd.ExcelWriter(target, engine="openpyxl") as writer:
            out.to_excel(writer, index=False, sheet_name=name)
            keep_text_as_text(writer.sheets[name])
    else:
        msg = f"file suffix {target.suffix!r} is expected to be in ['.csv', '.xlsx']"
        raise InvalidInputError(msg)
    return target


def _retailer_counts(retailers: pd.DataFrame) -> pd.DataFrame:
    frame = retailers[retailers["grid_id"].notna()].copy()
    frame["status"] = parse_statuses(frame["status"]).to_numpy()
    tier = pd.to_numeric(frame["tier"], errors="coerce")
    key = (
        frame["key_retailer"].fillna(False).astype(bool)
        if "key_retailer" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    columns = {"retailers": np.ones(len(frame), dtype=int)}
    for status in RetailerStatus:
        columns[f"retailers_{status.value}"] = (frame["status"] == status.value).to_numpy(int)
    for low, high in TIER_BANDS:
        columns[f"tier_{low}_{high}"] = tier.between(low, high).to_numpy(int)
    columns["key_retailers"] = key.to_numpy(int)
    counts = pd.DataFrame(columns, index=frame.index).assign(grid_id=frame["grid_id"])
    out = counts.groupby("grid_id", as_index=False).sum()
    licences = (
        frame.loc[key.to_numpy(), ["grid_id", "licence_no"]]
        .sort_values("licence_no")
        .groupby("grid_id")["licence_no"]
        .agg(lambda s: "; ".join(map(str, s)))
        .rename("key_retailer_licences")
    )
    return out.merge(licences, on="grid_id", how="left")


def _staff_columns(assignments: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    people = staff.set_index("staff_id")
    names = (
        people["name"] if "name" in people.columns else pd.Series(people.index, index=people.index)
    )
    phones = people["phone"] if "phone" in people.columns else pd.Series("", index=people.index)
    rows = assignments.assign(
        name=assignments["staff_id"].map(names).fillna(assignments["staff_id"].astype(str)),
        phone=assignments["staff_id"].map(phones).fillna(""),
    )
    out = pd.DataFrame({"grid_id": pd.unique(assignments["grid_id"])})
    for role in StaffRole:
        part = rows[rows["role"] == role.value].drop_duplicates("grid_id")
        part = part[["grid_id", "name", "phone"]].rename(
            columns={"name": role.value, "phone": f"{role.value}_phone"}
        )
        out = out.merge(part, on="grid_id", how="left")
    return out
