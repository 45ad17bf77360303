"""The quarterly mutual report checked against the small lead world, counted by hand.

The world (tests/gridmgmt/leads/leads_world.py): cases X-100 (兴和县, counterfeit, 1 Feb),
X-200 (兴和县, unlicensed sale, 3 Feb), T-100 (天镇县, smuggled, 5 Feb). Here, with a fixed
clock: lead 1 兴和县 -> 天镇县 sent 2 Mar 09:00, acknowledged 5 h later, accepted, closed
with 1,200 yuan; lead 2 兴和县 -> 怀安县 sent 2 Mar 10:00 and never answered (overdue at the
quarter's end); lead 3 天镇县 -> 兴和县 sent 2 Apr (next quarter: not counted).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gridmgmt.cli import app
from gridmgmt.errors import AccessDeniedError, InvalidInputError, NotFoundError
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.cooperation import create_area
from gridmgmt.services.cooperation.report import quarterly_report, report_workbook
from gridmgmt.services.leads import (
    accept_lead,
    acknowledge_lead,
    feed_back_lead,
    send_lead,
)
from gridmgmt.store import db

from ..leads.leads_world import (
    H_LIAISON,
    HUAIAN,
    T0,
    T_LIAISON,
    TIANZHEN,
    X_LIAISON,
    X_OFFICER,
    XINGHE,
)

NOW = dt.datetime(2026, 4, 10, 12, 0)
HOUR = dt.timedelta(hours=1)


def _world(session: Session) -> None:
    create_area(session, SYSTEM, "three", "三县", [XINGHE, TIANZHEN, HUAIAN])
    first = send_lead(session, X_LIAISON, "X-100", [TIANZHEN], now=T0)[0]
    acknowledge_lead(session, T_LIAISON, first.id, now=T0 + 5 * HOUR)
    accept_lead(session, T_LIAISON, first.id, now=T0 + 6 * HOUR)
    feed_back_lead(session, T_LIAISON, first.id, value_yuan=1200, closed=True, now=T0 + 48 * HOUR)
    send_lead(session, X_LIAISON, "X-200", [HUAIAN], now=T0 + HOUR)
    send_lead(session, T_LIAISON, "T-100", [XINGHE], now=dt.datetime(2026, 4, 2, 9, 0))


def test_report_figures_match_the_hand_count(session: Session) -> None:
    _world(session)
    report = quarterly_report(session, H_LIAISON, "2026Q1", area="three", now=NOW)
    assert (report.first_day, report.last_day) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    sections = {s.key: s for s in report.sections}
    assert list(sections)[:5] == ["cases", "leads", "border_markets", "outflow", "price_gaps"]
    cases = sections["cases"]
    assert cases.rows == [
        ["天镇县 140222", "smuggled", 1, 0.0, 0.0],
        ["兴和县 150924", "counterfeit", 1, 0.0, 0.0],
        ["兴和县 150924", "unlicensed_sale", 1, 0.0, 0.0],
    ]
    assert [(b.label, b.value) for b in cases.chart] == [
        ("怀安县", 0),
        ("天镇县", 1),
        ("兴和县", 2),
    ]
    leads = sections["leads"]
    assert leads.rows == [
        # county, sent, received, accepted, median h to acknowledge, overdue, value fed back
        ["怀安县 130728", 0, 1, 0, None, 1, 0.0],
        ["天镇县 140222", 0, 1, 1, 5.0, 0, 1200.0],
        ["兴和县 150924", 2, 0, 0, None, 0, 0.0],
    ]
    # Q2 holds lead 3 only.
    q2 = quarterly_report(session, H_LIAISON, "2026Q2", area="three", now=NOW)
    assert next(s for s in q2.sections if s.key == "leads").rows[2][2] == 1


def test_a_pair_report_and_its_refusals(session: Session) -> None:
    _world(session)
    pair = quarterly_report(session, X_LIAISON, "2026-q1", counties=[XINGHE, TIANZHEN], now=NOW)
    assert [c.code for c in pair.counties] == [TIANZHEN, XINGHE]
    assert pair.area is None
    with pytest.raises(InvalidInputError, match="quarter"):
        quarterly_report(session, X_LIAISON, "2026Q5", area="three")
    with pytest.raises(InvalidInputError):
        quarterly_report(session, X_LIAISON, "2026Q1")
    with pytest.raises(AccessDeniedError):
        quarterly_report(session, X_OFFICER, "2026Q1", area="three")


def test_a_stranger_county_is_not_found(session: Session) -> None:
    # 兴和县 and 怀安县 share no border and no area here.
    with pytest.raises(NotFoundError):
        quarterly_report(session, X_LIAISON, "2026Q1", counties=[XINGHE, HUAIAN])


def test_excel_and_cli(coop_url: str, tmp_path: Path) -> None:
    with db.transaction(coop_url) as session:
        _world(session)
        report = quarterly_report(session, SYSTEM, "2026Q1", area="three", now=NOW)
    book = openpyxl.load_workbook(io.BytesIO(report_workbook(report)))
    assert book.sheetnames[:3] == ["Report", "Cases and seizures", "Leads handed over"]
    leads = list(book["Leads handed over"].iter_rows(values_only=True))
    assert leads[3][:3] == ("天镇县 140222", 0, 1)
    out = tmp_path / "q1.xlsx"
    runner = CliRunner()
    args = ["--db", coop_url, "cooperation", "report", "--area", "three", "--quarter", "2026Q1"]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sections"][0]["rows"][0][0] == "天镇县 140222"


def test_the_report_file_scrolls_its_tables_on_a_phone(session: Session, tmp_path: Path) -> None:
    """A wide table scrolls inside its box; the page itself stays as wide as the screen
    (folium's header makes the body 100% wide: the padding must be inside it)."""
    from gridmgmt.services.rules._common import all_county_shapes
    from maps.report import write_report_html

    _world(session)
    report = quarterly_report(session, SYSTEM, "2026Q1", area="three", now=NOW)
    page = write_report_html(report, all_county_shapes(session), tmp_path / "report.html")
    html = page.read_text(encoding="utf-8")
    tables = html.count("<table><thead>")  # the sections' tables
    assert tables >= 2
    assert html.count('<div class="scroll"><table><thead>') == tables
    assert "body { box-sizing: border-box;" in html, "the body's padding widens the page"


def test_a_quarter_whose_dates_cannot_exist_is_refused() -> None:
    """Year 0 parsed and then failed to make a date (a 500 found by schemathesis)."""
    from gridmgmt.cooperation.quarters import parse_quarter
    from gridmgmt.errors import InvalidInputError

    assert str(parse_quarter("2026q3")) == "2026Q3"
    for impossible in ("0000Q1", "9999Q4"):
        with pytest.raises(InvalidInputError, match="quarter"):
            parse_quarter(impossible)
