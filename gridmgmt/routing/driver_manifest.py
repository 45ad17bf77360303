"""The driver's manifest (司机配送单): per stop the order, arrival, shop, address, phone, cartons.

Plans know retailers by licence number only; the face passes each retailer's name, address
and phone (:class:`RetailerContact`) so the driver can find the shop and call it. Headers are
Chinese by default (``lang="en"`` for English); coordinates are rounded to
:data:`~gridmgmt.routing.manifest.COORD_DIGITS` decimals. The Excel workbook has a summary
sheet, one sheet per route with its header (vehicle, driver, depot, date, totals) and a
sketch of the round (a chart of the stops in order) set to print on A4 portrait fitted to
the page width, and the orders left unserved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from gridmgmt.io.cells import inert_frame, keep_text_as_text
from gridmgmt.routing.manifest import COORD_DIGITS, day_totals, window_text
from gridmgmt.routing.model import REASON_TEXT_ZH, DayPlan, PlannedRoute, PlannedStop, hhmm

__all__ = [
    "DRIVER_COLUMNS",
    "Lang",
    "RetailerContact",
    "driver_stop_table",
    "header",
    "route_facts",
    "stop_note",
    "write_manifest_csv",
    "write_manifest_excel",
]

Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class RetailerContact:
    """What a driver needs to find and call a shop."""

    name: str
    address: str = ""
    phone: str = ""


HEADERS: Final[dict[str, tuple[str, str]]] = {
    "route": ("线路", "Route"),
    "vehicle": ("车辆", "Vehicle"),
    "sequence": ("顺序", "Stop"),
    "arrival": ("预计到达", "Arrival"),
    "window": ("时间窗", "Time window"),
    "name": ("零售户", "Retailer"),
    "address": ("地址", "Address"),
    "phone": ("联系电话", "Phone"),
    "cartons": ("条数", "Cartons"),
    "note": ("备注", "Note"),
    "licence": ("许可证号", "Licence no."),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    # Route header and summary labels.
    "manifest": ("配送单", "Delivery manifest"),
    "driver": ("司机", "Driver"),
    "depot": ("配送站", "Depot"),
    "date": ("日期", "Date"),
    "stops": ("站数", "Stops"),
    "km": ("里程(km)", "Distance (km)"),
    "leave": ("出发", "Leaves"),
    "back": ("返回", "Back"),
    "load": ("装载(条)", "Load (cartons)"),
    "summary": ("汇总", "Summary"),
    "unserved": ("未配送", "Unserved"),
    "reason": ("原因", "Reason"),
    "order": ("订单", "Order"),
    "vehicles": ("车辆数", "Vehicles"),
    "hours": ("工时(h)", "Hours"),
    "on_time": ("准时率", "On time"),
    "handoff": ("约时约地：封控区边缘交接", "Handoff at the closure's edge"),
    "late": ("可能晚于时间窗", "May miss the time window"),
    "sketch": ("线路示意图", "Route sketch"),
}
"""Column and label keys -> (Chinese, English)."""

DRIVER_COLUMNS: Final = (
    "route", "vehicle", "sequence", "arrival", "window", "name", "address", "phone",
    "cartons", "note", "licence", "lon", "lat",
)  # fmt: skip
"""The manifest's columns, in order (keys of :data:`HEADERS`)."""

_WIDTHS: Final = {
    "route": 12, "vehicle": 11, "sequence": 6, "arrival": 9, "window": 12, "name": 26,
    "address": 34, "phone": 15, "cartons": 7, "note": 20, "licence": 15, "lon": 12, "lat": 11,
}  # fmt: skip
"""Excel column widths in characters."""


def header(key: str, lang: Lang = "zh") -> str:
    """The label of ``key`` in ``lang`` (``zh`` or ``en``)."""
    if lang not in ("zh", "en"):
        msg = f"`lang` was {lang!r} but is expected to be in ['zh', 'en']"
        raise ValueError(msg)
    zh, en = HEADERS[key]
    return zh if lang == "zh" else en


def stop_note(stop: PlannedStop, lang: Lang = "zh") -> str:
    """The stop's note for the driver: a handoff at a closure's edge, a late arrival."""
    notes = []
    if stop.handoff:
        notes.append(header("handoff", lang))
    if not stop.on_time:
        notes.append(header("late", lang))
    return "; ".join(notes)


def _contact(contacts: Mapping[str, RetailerContact], licence: str) -> RetailerContact:
    return contacts.get(licence) or RetailerContact(name=licence)


def _stop_row(
    route: PlannedRoute, stop: PlannedStop, contact: RetailerContact, lang: Lang
) -> dict[str, Any]:
    return {
        "route": route.route_id,
        "vehicle": route.vehicle_type_id,
        "sequence": stop.sequence,
        "arrival": hhmm(stop.arrival_s),
        "window": window_text(stop),
        "name": contact.name,
        "address": contact.address,
        "phone": contact.phone,
        "cartons": stop.cartons,
        "note": stop_note(stop, lang),
        "licence": stop.retailer_id,
        "lon": round(stop.lon, COORD_DIGITS),
        "lat": round(stop.lat, COORD_DIGITS),
    }


def driver_stop_table(
    plan: DayPlan,
    contacts: Mapping[str, RetailerContact] | None = None,
    *,
    lang: Lang = "zh",
    keys: bool = False,
) -> pd.DataFrame:
    """One row per stop in route order, as the driver reads it.

    Parameters
    ----------
    plan
        The day's plan.
    contacts
        Name, address and phone per licence number; a retailer missing here is shown by
        its licence number.
    lang
        Header language, ``zh`` (default) or ``en``.
    keys
        Name the columns by their keys (:data:`DRIVER_COLUMNS`) instead of headers.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DRIVER_COLUMNS` (as headers in ``lang`` unless ``keys``).
    """
    contacts = contacts or {}
    rows = [
        _stop_row(route, stop, _contact(contacts, stop.retailer_id), lang)
        for route in plan.routes
        for stop in route.stops
    ]
    frame = pd.DataFrame(rows, columns=list(DRIVER_COLUMNS))
    if not keys:
        frame.columns = [header(k, lang) for k in DRIVER_COLUMNS]
    return frame


def route_facts(route: PlannedRoute, lang: Lang = "zh") -> list[tuple[str, str]]:
    """A route's header figures: stops, load, km, leaving and back times."""
    return [
        (header("stops", lang), str(len(route.stops))),
        (header("load", lang), f"{route.load_cartons} / {route.capacity_cartons}"),
        (header("km", lang), f"{route.distance_m / 1000:.1f}"),
        (header("leave", lang), hhmm(route.start_s)),
        (header("back", lang), hhmm(route.end_s)),
    ]


def write_manifest_csv(
    plan: DayPlan,
    path: str | Path,
    *,
    contacts: Mapping[str, RetailerContact] | None = None,
    lang: Lang = "zh",
) -> Path:
    """Write the manifest as CSV (UTF-8 with BOM, so Excel shows Chinese correctly).

    Text that a spreadsheet would run as a formula (a shop named ``=HYPERLINK(...)``) is
    written inert (:func:`gridmgmt.io.cells.inert_text`).

    Parameters
    ----------
    plan
        The day's plan.
    path
        Target file.
    contacts, lang
        As for :func:`driver_stop_table`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    table = inert_frame(driver_stop_table(plan, contacts, lang=lang))
    table.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _sheet_name(route_id: str, taken: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``, unique."""
    base = "".join("_" if c in "[]:*?/\\" else c for c in route_id)[:31]
    name, n = base, 2
    while name in taken:
        name = f"{base[:28]}~{n}"
        n += 1
    taken.add(name)
    return name


def _print_a4(sheet: Worksheet, *, title_rows: str | None = None) -> None:
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.print_options.horizontalCentered = True
    if title_rows:
        sheet.print_title_rows = title_rows


def _route_sheet(
    sheet: Worksheet,
    route: PlannedRoute,
    rows: pd.DataFrame,
    *,
    day: str,
    depot: str,
    lang: Lang,
) -> None:
    columns = [k for k in DRIVER_COLUMNS if k not in ("route", "vehicle")]
    sheet.append([f"{header('manifest', lang)} {route.route_id} {day}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            f"{header('vehicle', lang)}: {route.vehicle_type_id}",
            None,
            f"{header('driver', lang)}: ________",
            None,
            f"{header('depot', lang)}: {depot}",
        ]
    )
    sheet.append([f"{label}: {value}" for label, value in route_facts(route, lang)])
    sheet.append([])
    sheet.append([header(k, lang) for k in columns])
    for cell in sheet[5]:
        cell.font = Font(bold=True)
    for values in rows[columns].itertuples(index=False):
        sheet.append(list(values))
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=6):
        for cell in row:
            cell.alignment = wrap
    for index, key in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=5, column=index).column_letter].width = _WIDTHS[key]
    sheet.freeze_panes = "A6"
    if len(rows):
        _route_chart(sheet, columns, route, rows, first_row=6, lang=lang)
    _print_a4(sheet, title_rows="5:5")


def _axis_range(values: pd.Series) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = max((high - low) * 0.08, 0.002)
    return round(low - pad, 4), round(high + pad, 4)


def _route_chart(
    sheet: Worksheet,
    columns: list[str],
    route: PlannedRoute,
    rows: pd.DataFrame,
    *,
    first_row: int,
    lang: Lang,
) -> None:
    """The round as a chart under the stops (a sketch map: stops in order, joined by legs),
    drawn by the spreadsheet from the sheet's own longitude and latitude cells."""
    from openpyxl.chart import Reference, ScatterChart, Series

    lon, lat = columns.index("lon") + 1, columns.index("lat") + 1
    last_row = first_row + len(rows) - 1
    chart = ScatterChart()
    chart.title = f"{header('sketch', lang)} {route.route_id}"
    chart.style = 13
    chart.legend = None
    xs = Reference(sheet, min_col=lon, min_row=first_row, max_row=last_row)
    ys = Reference(sheet, min_col=lat, min_row=first_row, max_row=last_row)
    series = Series(ys, xs, title=route.route_id)
    series.marker.symbol = "circle"
    series.marker.size = 6
    chart.series.append(series)
    for axis, key in ((chart.x_axis, "lon"), (chart.y_axis, "lat")):
        axis.title = header(key, lang)
        axis.delete = False
        axis.scaling.min, axis.scaling.max = _axis_range(rows[key])
        axis.number_format = "0.000"
    chart.width, chart.height = 18, 11  # cm: half an A4 page
    sheet.add_chart(chart, f"A{last_row + 2}")


def _summary_rows(plan: DayPlan, depot: str, lang: Lang) -> list[list[Any]]:
    totals = day_totals(plan)
    return [
        [header("depot", lang), depot],
        [header("date", lang), plan.day.isoformat()],
        [header("vehicles", lang), totals["vehicles"]],
        [header("stops", lang), totals["stops"]],
        [header("cartons", lang), totals["cartons"]],
        [header("km", lang), totals["km"]],
        [header("hours", lang), totals["hours"]],
        [header("on_time", lang), f"{totals['on_time_share']:.0%}"],
        [header("unserved", lang), totals["unserved"]],
    ]


def write_manifest_excel(
    plan: DayPlan,
    path: str | Path,
    *,
    contacts: Mapping[str, RetailerContact] | None = None,
    lang: Lang = "zh",
    depot: str = "",
) -> Path:
    """Write the manifest as an Excel workbook: summary, one sheet per route, unserved.

    Every sheet prints on A4 portrait, fitted to the page width; a route's column headers
    repeat on each printed page.

    Parameters
    ----------
    plan
        The day's plan.
    path
        Target ``.xlsx`` file.
    contacts, lang
        As for :func:`driver_stop_table`.
    depot
        The depot's name, for the headers.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from openpyxl import Workbook

    path = Path(path)
    stops = driver_stop_table(plan, contacts, lang=lang, keys=True)
    book = Workbook()
    summary = book.active
    summary.title = header("summary", lang)
    for row in _summary_rows(plan, depot, lang):
        summary.append(row)
    summary.column_dimensions["A"].width = 14
    summary.column_dimensions["B"].width = 30
    _print_a4(summary)
    taken = {summary.title}
    for route in plan.routes:
        sheet = book.create_sheet(_sheet_name(route.route_id, taken))
        rows = stops[stops["route"] == route.route_id]
        _route_sheet(sheet, route, rows, day=plan.day.isoformat(), depot=depot, lang=lang)
    unserved = book.create_sheet(_sheet_name(header("unserved", lang), taken))
    unserved.append([header("order", lang), header("reason", lang)])
    for item in plan.unserved:
        reason = REASON_TEXT_ZH[item.reason] if lang == "zh" else item.reason.value
        unserved.append([item.order_id, f"{reason} {item.detail}".strip()])
    unserved.column_dimensions["A"].width = 26
    unserved.column_dimensions["B"].width = 60
    _print_a4(unserved)
    for sheet in book.worksheets:
        keep_text_as_text(sheet)  # a name starting with "=" is text, not a formula
    book.save(path)
    return path
