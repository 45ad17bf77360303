"""Driver manifests (司机配送单) as CSV, Excel or a printable page."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from gridmgmt.errors import InvalidInputError
from gridmgmt.routing.manifest import (
    day_totals,
    stop_table,
    unserved_table,
    write_manifest_csv,
    write_manifest_excel,
)
from gridmgmt.routing.model import (
    DayPlan,
    hhmm,
)

MANIFEST_FORMATS = ("csv", "xlsx", "html")


def write_manifest_html(plan: DayPlan, path: str | Path, *, title: str = "") -> Path:
    """A printable driver manifest (司机配送单): one page per route, no external assets.

    Parameters
    ----------
    plan
        The day's plan.
    path
        HTML file to write.
    title
        Heading, e.g. the depot's name.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(manifest_html(plan, title=title), encoding="utf-8")
    return path


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(_text(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def manifest_html(plan: DayPlan, *, title: str = "") -> str:
    """The printable manifest as an HTML string (see :func:`write_manifest_html`)."""
    stops = stop_table(plan)
    totals = day_totals(plan)
    heading = escape(f"{title} 配送单 delivery manifest {plan.day.isoformat()}".strip())
    sections = []
    for route in plan.routes:
        part = stops[stops["route_id"] == route.route_id].drop(columns=["route_id"])
        sections.append(
            '<section class="route">'
            f"<h2>线路 Route {escape(route.route_id)}</h2>"
            f"<p>出发 Leave {hhmm(route.start_s)} · 返回 Back {hhmm(route.end_s)} · "
            f"{route.load_cartons} 条 cartons / {route.capacity_cartons} · "
            f"{route.distance_m / 1000:.1f} km · {len(route.stops)} 站 stops</p>"
            f"{_table(part)}</section>"
        )
    unserved = unserved_table(plan)
    if len(unserved):
        sections.append(f"<section><h2>未配送 Unserved</h2>{_table(unserved)}</section>")
    summary = (
        f"<p>{totals['vehicles']} 车 vehicles · {totals['km']} km · {totals['hours']} h · "
        f"{totals['stops']} 站 stops · {totals['unserved']} 未配送 unserved</p>"
    )
    style = (
        "body{font:12px sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}"
        "th,td{border:1px solid #999;padding:2px 4px;text-align:left}"
        "section.route{page-break-after:always}@media print{body{margin:0}}"
    )
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>{heading}</title><style>{style}</style></head><body>"
        f"<h1>{heading}</h1>{summary}{''.join(sections)}</body></html>"
    )


def write_manifest(plan: DayPlan, path: str | Path, *, fmt: str, title: str = "") -> Path:
    """Write the manifest in one format: ``csv``, ``xlsx`` or ``html``."""
    if fmt not in MANIFEST_FORMATS:
        msg = f"`fmt` was {fmt!r} but is expected to be in {list(MANIFEST_FORMATS)}"
        raise InvalidInputError(msg)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return write_manifest_csv(plan, path)
    if fmt == "html":
        return write_manifest_html(plan, path, title=title)
    return write_manifest_excel(plan, path)


def manifest(plan: DayPlan, out_dir: Path, *, stem: str, title: str = "") -> list[Path]:
    """Write the manifest as CSV, Excel and a printable page: ``<out_dir>/<stem>.<format>``."""
    return [
        write_manifest(plan, out_dir / f"{stem}.{fmt}", fmt=fmt, title=title)
        for fmt in MANIFEST_FORMATS
    ]
