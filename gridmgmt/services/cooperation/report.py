"""The quarterly mutual report (每季度互相通报) of a county pair or a whole cooperation area.

The counties of a cooperation area agreed to send each other, every quarter, their figures
on counterfeit and smuggling work and market trends. The report is a list of sections
(:data:`SECTIONS`); each is a function of a :class:`ReportContext` returning one
:class:`ReportTable` (a title, columns, rows, and optionally bars to chart). **An area that
adds figures (joint cases, sweeps, ...) appends its section to** :data:`SECTIONS`.

Sections on this server today:

- ``cases``: cases opened in the quarter per county and type, with seizures and value;
- ``leads``: leads sent and received per county, median hours to acknowledge, overdue;
- ``border_markets``: border-market retailers (边界市场) per county, province band apart;
- ``outflow``: outflow suspects (真烟外流) over the quarter's orders per county;
- ``price_gaps``: flagged cross-border price gaps between the report's counties;
- ``sweeps``: joint border-market sweeps of the quarter per county, with their results.

The figures of every county of the report are shared with the others by design (that is
the agreement); reading another county's figures is audited. A section whose data is
missing says so in its notes instead of failing the report.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmgmt.cooperation.quarters import Quarter, parse_quarter
from gridmgmt.domain import CaseType
from gridmgmt.errors import GridmgmtError, InvalidInputError, NotFoundError
from gridmgmt.leads.deadlines import overdue_step
from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.cooperation.adjacency import neighbour_codes
from gridmgmt.services.cooperation.areas import get_area
from gridmgmt.services.cooperation.results import CountyRef
from gridmgmt.services.frames import shared_frames
from gridmgmt.services.leads._store import clock
from gridmgmt.services.results import Result
from gridmgmt.store.models import County
from gridmgmt.store.models.cases import CaseRecord
from gridmgmt.store.models.leads import Lead

__all__ = [
    "SECTIONS",
    "ChartBar",
    "QuarterlyReport",
    "ReportContext",
    "ReportSection",
    "ReportTable",
    "quarterly_report",
    "report_workbook",
]


class ChartBar(Result):
    """One bar of a section's chart."""

    label: str
    value: float


class ReportTable(Result):
    """One section of the report: English titles (the page translates them), rows of values."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart_title: str = ""
    chart: list[ChartBar] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class QuarterlyReport(Result):
    """The quarterly mutual report of some counties."""

    quarter: str
    first_day: dt.date
    last_day: dt.date
    area: str | None = Field(description="The cooperation area's code, if one was asked for.")
    area_name: str | None
    counties: list[CountyRef]
    generated_at: dt.datetime
    sections: list[ReportTable]


@dataclass(frozen=True)
class ReportContext:
    """What a section needs: the store, the counties, the quarter.

    ``actor`` is the caller scoped to the report's counties (the agreement shares their
    figures); ``now`` is the time of the report (overdue counts are as at the earlier of
    ``now`` and the quarter's end).
    """

    session: Session
    actor: Actor
    counties: list[str]
    names: dict[str, str]
    quarter: Quarter
    now: dt.datetime

    @property
    def as_of(self) -> dt.datetime:
        """When overdue is judged: the quarter's end, or now if the quarter is not over."""
        return min(self.now, self.quarter.end)

    def label(self, code: str) -> str:
        """A county as the report names it."""
        return f"{self.names.get(code, code)} {code}"


class ReportSection(NamedTuple):
    """A section of the report: its key and the function computing it."""

    key: str
    build: Callable[[ReportContext], ReportTable]


def cases_section(ctx: ReportContext) -> ReportTable:
    """Cases opened in the quarter per county and type: count, cartons seized, value.

    Counted by the database (one row per county and type), however many cases there are.
    """
    rows = ctx.session.execute(
        select(
            CaseRecord.county_code,
            CaseRecord.type,
            func.count(),
            func.coalesce(func.sum(CaseRecord.seized_cartons), 0.0),
            func.coalesce(func.sum(CaseRecord.value_yuan), 0.0),
        )
        .where(
            CaseRecord.county_code.in_(ctx.counties),
            CaseRecord.opened_on >= ctx.quarter.first,
            CaseRecord.opened_on <= ctx.quarter.last,
        )
        .group_by(CaseRecord.county_code, CaseRecord.type)
    ).all()
    totals = {
        (county, CaseType(kind).value): (int(n), float(cartons or 0.0), float(value or 0.0))
        for county, kind, n, cartons, value in rows
    }
    table = [
        [ctx.label(county), kind, n, round(cartons, 1), round(value, 2)]
        for (county, kind), (n, cartons, value) in sorted(totals.items())
    ]
    per_county: Counter[str] = Counter()
    for (county, _kind), (n, _cartons, _value) in totals.items():
        per_county[county] += n
    return ReportTable(
        key="cases",
        title="Cases and seizures",
        columns=["County", "Case type", "Cases", "Cartons seized", "Value (yuan)"],
        rows=table,
        chart_title="Cases opened per county",
        chart=[ChartBar(label=ctx.names[c], value=per_county[c]) for c in ctx.counties],
    )


def leads_section(ctx: ReportContext) -> ReportTable:
    """Leads sent and received per county in the quarter, response times and overdue."""
    leads = ctx.session.scalars(
        select(Lead).where(
            Lead.sent_at >= ctx.quarter.start,
            Lead.sent_at < ctx.quarter.end,
            (Lead.from_county.in_(ctx.counties)) | (Lead.to_county.in_(ctx.counties)),
        )
    ).all()
    rows: list[list[Any]] = []
    for county in ctx.counties:
        sent = [lead for lead in leads if lead.from_county == county]
        received = [lead for lead in leads if lead.to_county == county]
        hours = [
            (lead.acked_at - lead.sent_at).total_seconds() / 3600
            for lead in received
            if lead.acked_at is not None and lead.acked_at <= ctx.as_of
        ]
        overdue = sum(overdue_step(clock(lead), ctx.as_of) is not None for lead in received)
        accepted = sum(lead.decided_at is not None and not lead.decline_reason for lead in received)
        value = sum((lead.value_yuan or 0.0 for lead in received), 0.0)
        rows.append(
            [
                ctx.label(county),
                len(sent),
                len(received),
                accepted,
                round(statistics.median(hours), 1) if hours else None,
                overdue,
                round(value, 2),
            ]
        )
    return ReportTable(
        key="leads",
        title="Leads handed over",
        columns=[
            "County",
            "Leads sent",
            "Leads received",
            "Accepted",
            "Median hours to acknowledge",
            "Overdue (received)",
            "Value fed back (yuan)",
        ],
        rows=rows,
        chart_title="Leads received per county",
        chart=[
            ChartBar(label=ctx.names[c], value=float(r[2]))
            for c, r in zip(ctx.counties, rows, strict=True)
        ],
    )


def border_markets_section(ctx: ReportContext) -> ReportTable:
    """Border-market retailers per county: near a county border, near a province border."""
    from gridmgmt.services.rules.checks import border_markets_report

    report = border_markets_report(ctx.session, ctx.actor)
    table = report.neighbours
    rows: list[list[Any]] = []
    for county in ctx.counties:
        mine = table[table["county_code"].astype(str) == county] if len(table) else table
        rows.append(
            [
                ctx.label(county),
                int(mine["county_band"].sum()) if len(mine) else 0,
                int(mine["province_band"].sum()) if len(mine) else 0,
            ]
        )
    return ReportTable(
        key="border_markets",
        title="Border-market retailers",
        columns=["County", "Near a county border", "Near a province border"],
        rows=rows,
        chart_title="Border-market retailers per county",
        chart=[
            ChartBar(label=ctx.names[c], value=float(r[1]))
            for c, r in zip(ctx.counties, rows, strict=True)
        ],
        notes=list(report.notes),
    )


def outflow_section(ctx: ReportContext) -> ReportTable:
    """Outflow suspects over the quarter's orders, per county."""
    from gridmgmt.services.rules.checks import outflow_report

    report = outflow_report(
        ctx.session, ctx.actor, start=ctx.quarter.first, end=ctx.quarter.last, evidence=False
    )
    counts = Counter(report.suspects["county_code"].astype(str)) if len(report.suspects) else {}
    rows = [[ctx.label(c), int(counts.get(c, 0))] for c in ctx.counties]
    return ReportTable(
        key="outflow",
        title="Outflow suspects",
        columns=["County", "Suspects"],
        rows=rows,
        notes=list(report.notes),
    )


def price_gaps_section(ctx: ReportContext) -> ReportTable:
    """Flagged price gaps across borders between the report's counties."""
    from gridmgmt.services.prices import price_gap_report

    report = price_gap_report(
        ctx.session, ctx.actor, start=ctx.quarter.first, end=ctx.quarter.last, flagged_only=True
    )
    wanted = set(ctx.counties)
    rows = [
        [
            ctx.label(g.county_a),
            ctx.label(g.county_b),
            f"{g.brand} {g.pack}".strip(),
            g.median_a,
            g.median_b,
            round(g.gap, 2),
            round(100 * g.gap_share, 1),
        ]
        for g in report.gaps
        if g.county_a in wanted and g.county_b in wanted
    ]
    return ReportTable(
        key="price_gaps",
        title="Cross-border price gaps",
        columns=["County", "County", "Product", "Median", "Median", "Gap (yuan)", "Gap (%)"],
        rows=rows,
        notes=list(report.notes),
    )


def sweeps_section(ctx: ReportContext) -> ReportTable:
    """Joint border-market sweeps of the quarter per county, with their results."""
    from gridmgmt.services.cooperation.report_sweeps import sweeps_table

    return sweeps_table(ctx)


def joint_cases_section(ctx: ReportContext) -> ReportTable:
    """Joint cases and merges of the quarter, per county
    (:mod:`gridmgmt.services.cooperation.joint_section`)."""
    from gridmgmt.services.cooperation.joint_section import joint_cases_section as build

    return build(ctx)


SECTIONS: Final[list[ReportSection]] = [
    ReportSection("cases", cases_section),
    ReportSection("leads", leads_section),
    ReportSection("border_markets", border_markets_section),
    ReportSection("outflow", outflow_section),
    ReportSection("price_gaps", price_gaps_section),
    ReportSection("sweeps", sweeps_section),
    ReportSection("joint_cases", joint_cases_section),
]
"""The report's sections, in order. **Plug in here**: append ``ReportSection(key, build)``."""

_TITLES: Final = {
    "cases": "Cases and seizures",
    "leads": "Leads handed over",
    "border_markets": "Border-market retailers",
    "outflow": "Outflow suspects",
    "price_gaps": "Cross-border price gaps",
    "sweeps": "Joint border-market sweeps",
    "joint_cases": "Joint cases and merges",
}


def _counties(
    session: Session, actor: Actor, area: str | None, counties: Sequence[str] | None
) -> tuple[list[str], str | None, str | None]:
    if (area is None) == (not counties):
        msg = "give either an area or the counties (a pair) of the report"
        raise InvalidInputError(msg, [{"field": "area", "message": msg}])
    if area is not None:
        view = get_area(session, actor, area)
        return [c.code for c in view.counties], view.code, view.name
    codes = sorted({c.strip() for c in counties or [] if c.strip()})
    own = [c for c in codes if actor.can_see(c)]
    if len(codes) < 2 or not own:
        msg = "a report is of two or more counties, one of them yours"
        raise InvalidInputError(msg, [{"field": "counties", "message": msg}])
    around = neighbour_codes(session)
    strangers = [c for c in codes if c not in own and not any(c in around.get(o, ()) for o in own)]
    if strangers:
        raise NotFoundError("neighbour county", ", ".join(strangers))
    return codes, None, None


@requires(Action.READ_COOPERATION_REPORT)
def quarterly_report(
    session: Session,
    actor: Actor,
    quarter: str,
    *,
    area: str | None = None,
    counties: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> QuarterlyReport:
    """The quarterly mutual report of an area (``area``) or a county pair (``counties``).

    Raises
    ------
    InvalidInputError
        If the quarter is malformed, or neither or both of area and counties are given.
    NotFoundError
        If the area is not one of the actor's, or a county is no neighbour of theirs.
    """
    period = parse_quarter(quarter)
    codes, code, name = _counties(session, actor, area, counties)
    rows = session.execute(
        select(County.code, County.name, County.province_code)
        .where(County.code.in_(codes))
        .order_by(County.code)
    ).all()
    refs = [CountyRef(code=c, name=n, province_code=p) for c, n, p in rows]
    at = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    scoped = Actor(actor.username, actor.role, frozenset(codes), actor.remote_addr)
    ctx = ReportContext(session, scoped, codes, {r.code: r.name for r in refs}, period, at)
    sections = []
    with shared_frames():  # the sections read the same retailers: once
        for section in SECTIONS:
            try:
                with session.begin_nested():
                    sections.append(section.build(ctx))
            except GridmgmtError as error:
                title = _TITLES.get(section.key, section.key)
                note = f"not available: {error.message}"
                sections.append(
                    ReportTable(key=section.key, title=title, columns=[], rows=[], notes=[note])
                )
    for county in codes:
        audit.record_read(session, actor, "quarterly_report", county, str(period))
    return QuarterlyReport(
        quarter=str(period),
        first_day=period.first,
        last_day=period.last,
        area=code,
        area_name=name,
        counties=refs,
        generated_at=at,
        sections=sections,
    )


def report_workbook(report: QuarterlyReport, translate: Callable[[str], str] = str) -> bytes:
    """The report as an Excel workbook: a cover sheet, then one sheet per section."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    cover = book.active
    cover.title = translate("Report")
    title = report.area_name or " / ".join(c.name for c in report.counties)
    cover.append([f"{title} {report.quarter} {translate('Quarterly mutual report')}"])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append(
        [translate("Quarter"), report.quarter, str(report.first_day), str(report.last_day)]
    )
    cover.append([translate("Counties"), "、".join(f"{c.name} {c.code}" for c in report.counties)])
    cover.append([translate("Generated"), report.generated_at.isoformat(timespec="minutes")])
    for section in report.sections:
        sheet = book.create_sheet(translate(section.title)[:31])
        sheet.append([translate(section.title)])
        sheet["A1"].font = Font(bold=True)
        sheet.append([translate(c) for c in section.columns])
        for row in section.rows:
            sheet.append(row)
        for note in section.notes:
            sheet.append([note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
