"""Driver manifests (司机配送单) as CSV, Excel or a printable page.

The manifest of a stored plan (:func:`stored_manifest`) carries each stop's shop name,
address and phone from the retailers of the depot's county. The printable page fits A4
portrait: one page (or more) per route with its header (vehicle, driver line to fill in,
depot, date, totals), a sketch map of the round and the stops' table with fixed column
widths; the table's header repeats on every printed page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from html import escape
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from gridmgmt.errors import InvalidInputError
from gridmgmt.policy import Action, requires
from gridmgmt.routing.driver_manifest import (
    Lang,
    RetailerContact,
    driver_stop_table,
    header,
    route_facts,
    write_manifest_csv,
    write_manifest_excel,
)
from gridmgmt.routing.manifest import day_totals
from gridmgmt.routing.model import REASON_TEXT_ZH, DayPlan, PlannedRoute
from gridmgmt.routing.route_sketch import route_svg
from gridmgmt.services.actor import Actor
from gridmgmt.services.frames import load_frame
from gridmgmt.services.routes.planning import depot_and_county
from gridmgmt.services.routes.stored import current_plan

MANIFEST_FORMATS = ("csv", "xlsx", "html")
SKETCH_COLOUR = "#1565c0"
_TABLE_COLUMNS = ("sequence", "arrival", "window", "name", "address", "phone", "cartons", "note")
# Millimetres on a 190 mm wide A4 body: the eight columns always fit the page.
_COLUMN_MM = (8, 13, 19, 40, 42, 28, 11, 29)

_STYLE = """
@page { size: A4 portrait; margin: 10mm; }
* { box-sizing: border-box; }
body { font: 10pt/1.35 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  color: #111; margin: 0 auto; max-width: 190mm; padding: 6mm 0; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 0 0 2mm; }
.day { margin: 0 0 4mm; }
section.route + section.route { page-break-before: always; break-before: page; }
.route-head { display: flex; gap: 4mm; align-items: flex-start; margin-bottom: 3mm; }
.route-head .facts { flex: 1; min-width: 0; }
.route-head dl { display: grid; grid-template-columns: auto 1fr auto 1fr; gap: 1mm 3mm;
  margin: 0; }
.route-head dt { font-weight: bold; white-space: nowrap; }
.route-head dd { margin: 0; overflow-wrap: anywhere; }
.gm-sketch { flex: none; width: 48mm; height: 48mm; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 0.6pt solid #666; padding: 1mm 1.2mm; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; word-break: break-word; }
thead { display: table-header-group; }
th { background: #eee; font-weight: bold; }
tr { page-break-inside: avoid; break-inside: avoid; }
td.num { text-align: right; }
td.phone a { color: inherit; text-decoration: none; }
td.phone { white-space: nowrap; overflow-wrap: normal; word-break: normal; }
.licence { display: block; color: #555; font-size: 8pt; }
.sign { margin-top: 4mm; }
@media print { body { padding: 0; } }
@media screen and (max-width: 600px) {
  body { padding: 3mm; max-width: none; }
  .route-head { flex-direction: column; }
  .route-head dl { grid-template-columns: auto 1fr; }
  table.stops, table.stops tbody, table.stops tr, table.stops td { display: block; width: auto; }
  table.stops colgroup, table.stops thead { display: none; }
  table.stops tr { border: 0.6pt solid #666; margin-bottom: 2mm; padding: 1mm 0; }
  table.stops td { border: 0; padding: 0.5mm 2mm; text-align: left; }
  table.stops td::before { content: attr(data-label) "："; font-weight: bold; color: #455a64; }
  table.stops td:empty { display: none; }
}
"""


@requires(Action.READ_ROUTES)
def plan_contacts(
    session: Session, actor: Actor, *, depot_code: str, plan: DayPlan
) -> tuple[str, dict[str, RetailerContact]]:
    """The depot's name and the name, address and phone of each retailer on ``plan``."""
    depot, county = depot_and_county(session, actor, depot_code)
    retailers = load_frame(session, "retailers", actor, county_codes=[county])
    wanted = {s.retailer_id for r in plan.routes for s in r.stops}
    wanted |= {u.order_id.split("@")[0] for u in plan.unserved}
    rows = retailers[retailers["licence_no"].astype(str).isin(wanted)]
    contacts = {
        str(r.licence_no): RetailerContact(
            name=str(r.name), address=_text(r.address), phone=_text(r.phone)
        )
        for r in rows.itertuples(index=False)
    }
    return depot.name or depot.depot_id, contacts


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def _route_section(
    route: PlannedRoute,
    rows: pd.DataFrame,
    *,
    depot: str,
    depot_at: tuple[float, float] | None,
    day: str,
    lang: Lang,
) -> str:
    facts = [
        (header("vehicle", lang), route.vehicle_type_id),
        (header("driver", lang), "____________"),
        (header("depot", lang), depot),
        (header("date", lang), day),
        *route_facts(route, lang),
    ]
    facts_html = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    stops = [(s.lon, s.lat) for s in route.stops]
    home = depot_at or stops[0]
    sketch = route_svg(home, stops, colour=SKETCH_COLOUR, title=route.route_id) if stops else ""
    cols = "".join(f'<col style="width:{mm}mm">' for mm in _COLUMN_MM)
    head = "".join(f"<th>{escape(header(k, lang))}</th>" for k in _TABLE_COLUMNS)
    labels = {k: header(k, lang) for k in _TABLE_COLUMNS}
    body = "".join(_stop_row(row, labels) for row in rows.to_dict("records"))
    title = f"{header('manifest', lang)} · {header('route', lang)} {route.route_id}"
    return (
        '<section class="route">'
        f'<div class="route-head"><div class="facts"><h2>{escape(title)}</h2>'
        f"<dl>{facts_html}</dl></div>{sketch}</div>"
        f'<table class="stops"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></section>"
    )


def _stop_row(row: Mapping[str, object], labels: Mapping[str, str]) -> str:
    """A stop as a table row; each cell names its column (a phone shows the row as a card)."""
    cells = []
    for key in _TABLE_COLUMNS:
        value = escape(_text(row[key]))
        if key == "name":
            value += f'<span class="licence">{escape(_text(row["licence"]))}</span>'
        dial = re.sub(r"[^\d+]", "", _text(row[key])) if key == "phone" else ""
        if dial:  # a tap calls the shop from a phone
            value = f'<a href="tel:{dial}">{value}</a>'
        css = ' class="num"' if key in ("sequence", "cartons") else ""
        css = ' class="phone"' if key == "phone" else css
        label = escape(labels[key], quote=True)
        cells.append(f'<td{css} data-label="{label}">{value}</td>')
    return "<tr>" + "".join(cells) + "</tr>"


def _unserved_section(plan: DayPlan, contacts: Mapping[str, RetailerContact], lang: Lang) -> str:
    if not plan.unserved:
        return ""
    rows = []
    for item in plan.unserved:
        licence = item.order_id.split("@")[0]
        name = contacts.get(licence, RetailerContact(licence)).name
        reason = REASON_TEXT_ZH[item.reason] if lang == "zh" else item.reason.value
        rows.append(
            f"<tr><td>{escape(name)}<span class='licence'>{escape(licence)}</span></td>"
            f"<td>{escape(reason)}</td></tr>"
        )
    head = f"<tr><th>{escape(header('name', lang))}</th><th>{escape(header('reason', lang))}</th>"
    return (
        f'<section class="route"><h2>{escape(header("unserved", lang))}</h2>'
        f"<table><thead>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def manifest_html(
    plan: DayPlan,
    *,
    title: str = "",
    contacts: Mapping[str, RetailerContact] | None = None,
    lang: Lang = "zh",
    depot: str = "",
    depot_at: tuple[float, float] | None = None,
) -> str:
    """The printable manifest as an HTML page (A4 portrait, no external assets).

    Parameters
    ----------
    plan
        The day's plan.
    title
        Heading, e.g. the depot's name (escaped).
    contacts
        Name, address and phone per licence number.
    lang
        ``zh`` (default) or ``en``.
    depot
        The depot's name for the route headers (default: ``title``).
    depot_at
        The depot's ``(lon, lat)`` for the sketch maps (default: the first stop).
    """
    contacts = contacts or {}
    depot = depot or title
    stops = driver_stop_table(plan, contacts, lang=lang, keys=True)
    day = plan.day.isoformat()
    totals = day_totals(plan)
    heading = f"{title} {header('manifest', lang)} {day}".strip()
    summary = " · ".join(
        f"{header(k, lang)} {totals[t]}"
        for k, t in (("vehicles", "vehicles"), ("stops", "stops"), ("km", "km"))
    )
    sections = [
        _route_section(
            route,
            stops[stops["route"] == route.route_id],
            depot=depot,
            depot_at=depot_at,
            day=day,
            lang=lang,
        )
        for route in plan.routes
    ]
    sections.append(_unserved_section(plan, contacts, lang))
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(heading)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(heading)}</h1><p class='day'>{escape(summary)}</p>"
        f"{''.join(sections)}</body></html>"
    )


def write_manifest_html(
    plan: DayPlan,
    path: str | Path,
    *,
    title: str = "",
    contacts: Mapping[str, RetailerContact] | None = None,
    lang: Lang = "zh",
    depot: str = "",
    depot_at: tuple[float, float] | None = None,
) -> Path:
    """Write the printable manifest (see :func:`manifest_html`); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    html = manifest_html(
        plan, title=title, contacts=contacts, lang=lang, depot=depot, depot_at=depot_at
    )
    path.write_text(html, encoding="utf-8")
    return path


def write_manifest(
    plan: DayPlan,
    path: str | Path,
    *,
    fmt: str,
    title: str = "",
    contacts: Mapping[str, RetailerContact] | None = None,
    lang: Lang = "zh",
    depot: str = "",
    depot_at: tuple[float, float] | None = None,
) -> Path:
    """Write the manifest in one format: ``csv``, ``xlsx`` or ``html``."""
    if fmt not in MANIFEST_FORMATS:
        msg = f"`fmt` was {fmt!r} but is expected to be in {list(MANIFEST_FORMATS)}"
        raise InvalidInputError(msg)
    if lang not in ("zh", "en"):
        msg = f"`lang` was {lang!r} but is expected to be in ['zh', 'en']"
        raise InvalidInputError(msg)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return write_manifest_csv(plan, path, contacts=contacts, lang=lang)
    if fmt == "html":
        return write_manifest_html(
            plan, path, title=title, contacts=contacts, lang=lang, depot=depot, depot_at=depot_at
        )
    return write_manifest_excel(plan, path, contacts=contacts, lang=lang, depot=depot or title)


@requires(Action.READ_ROUTES)
def stored_manifest(
    session: Session,
    actor: Actor,
    path: str | Path,
    *,
    depot_code: str,
    day: dt.date,
    fmt: str,
    lang: Lang = "zh",
) -> tuple[Path, int]:
    """Write the manifest of the depot's stored current plan, with names, addresses, phones.

    Returns
    -------
    tuple
        The file written and the plan version it shows.
    """
    stored = current_plan(session, actor, depot_code=depot_code, day=day)
    site, _ = depot_and_county(session, actor, depot_code)
    depot, contacts = plan_contacts(session, actor, depot_code=depot_code, plan=stored.plan)
    written = write_manifest(
        stored.plan,
        path,
        fmt=fmt,
        title=depot,
        contacts=contacts,
        lang=lang,
        depot=depot,
        depot_at=(site.lon, site.lat),
    )
    return written, stored.version.version


def manifest(
    plan: DayPlan,
    out_dir: Path,
    *,
    stem: str,
    title: str = "",
    contacts: Mapping[str, RetailerContact] | None = None,
) -> list[Path]:
    """Write the manifest as CSV, Excel and a printable page: ``<out_dir>/<stem>.<format>``.

    ``contacts`` (from :func:`plan_contacts`) puts each shop's name, address and phone on it.
    """
    return [
        write_manifest(
            plan, out_dir / f"{stem}.{fmt}", fmt=fmt, title=title, contacts=contacts, depot=title
        )
        for fmt in MANIFEST_FORMATS
    ]
