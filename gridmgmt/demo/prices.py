"""The demo's price checks, joint sweep and quarterly report (价格互查, 联合整治, 季度通报).

After the cooperation area is made (:mod:`gridmgmt.demo.cooperation`), :func:`step`:

1. writes a self-discipline group file and a price observation file for the demo region
   (``demo-out/cooperation/groups.csv``, ``prices.csv``: made up, reproducible from a
   seed) and imports them through the users' importer, so the files are also examples;
2. plans one joint border-market sweep over the demo liaison's two counties and records
   some results, so the sweep pages have a sweep in every state;
3. writes the area's quarterly mutual report for the current quarter as Excel and as a
   printable HTML page with its map and charts.

Prices: a few common products, each around a list price, a little dearer in one province
than across its border (so gaps are flagged along the province lines) and a few retailers
far off (price outliers). Observations fall in the 60 days before the demo runs, so they
are in the default period of every page. A second run re-imports the same files
(unchanged) and plans no second sweep.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgmt.cooperation.quarters import Quarter
from gridmgmt.demo._common import DemoRun, StepResult
from gridmgmt.demo.cooperation import DEMO_AREA
from gridmgmt.domain import RetailerStatus
from gridmgmt.errors import InvalidInputError
from gridmgmt.services.actor import SYSTEM
from gridmgmt.services.cooperation import list_adjacency
from gridmgmt.services.cooperation.report import quarterly_report, report_workbook
from gridmgmt.services.imports import import_file
from gridmgmt.services.rules._common import all_county_shapes
from gridmgmt.services.sweeps import (
    SweepPlan,
    SweepResultIn,
    list_sweeps,
    plan_sweep,
    record_sweep_result,
)
from gridmgmt.store import db
from gridmgmt.store.models import County, Retailer, User, UserCounty
from maps.report import write_report_html

__all__ = ["DEMO_PRODUCTS", "SWEEP_TITLE", "step", "write_price_files"]

DEMO_PRODUCTS: Final = (
    ("中华", "硬盒", 45.0),
    ("玉溪", "软盒", 23.0),
    ("云烟", "软珍品", 22.0),
    ("黄鹤楼", "硬金砂", 26.0),
)
"""(brand, pack, list price in yuan per pack) of the products observed."""
PROVINCE_LEVEL: Final = {"15": 0.93, "14": 1.0, "13": 1.02}
"""Price level by province (first two digits of the county code): Inner Mongolia cheaper."""
OBSERVED_SHARE: Final = 0.3
"""Share of the retailers away from the borders whose prices are observed."""
BORDER_DEG: Final = 0.06
"""Retailers this close to their county's outline (degrees, about 5 km) are all observed:
price checks look where neighbours meet."""
GROUP_SIZE: Final = 20
OUTLIER_SHARE: Final = 0.02
SWEEP_TITLE: Final = "蒙晋冀毗邻市场集中整治（演示）"
SEED: Final = 2026


def _county_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(County.code, County.name)).all())


def write_price_files(session: Session, folder: Path, *, today: dt.date) -> tuple[Path, Path]:
    """The groups and prices files of the demo region's active retailers (Chinese headers)."""
    rng = random.Random(SEED)
    names = _county_names(session)
    rows = session.execute(
        select(Retailer.licence_no, Retailer.county_code, Retailer.location)
        .where(Retailer.status == RetailerStatus.ACTIVE)
        .order_by(Retailer.licence_no)
    ).all()
    outlines = {
        code: shape.boundary
        for code, shape in session.execute(select(County.code, County.boundary))
    }
    observed = [
        r
        for r in rows
        if rng.random() < OBSERVED_SHARE
        or (r[1] in outlines and r[2].distance(outlines[r[1]]) < BORDER_DEG)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    groups_path, prices_path = folder / "groups.csv", folder / "prices.csv"
    by_county: dict[str, list[tuple[str, float]]] = {}
    for licence, county, point in observed:
        by_county.setdefault(county, []).append((licence, float(point.x)))
    with groups_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["许可证号", "小组编号", "小组名称", "组长", "县区代码"])
        for county, members in sorted(by_county.items()):
            members.sort(key=lambda m: (m[1], m[0]))  # west to east: neighbours together
            for i, (licence, _lon) in enumerate(members):
                number = i // GROUP_SIZE + 1
                name = f"{names.get(county, county)}第{number}自律互助小组"
                leader = "是" if i % GROUP_SIZE == 0 else "否"
                writer.writerow([licence, f"{county}-G{number:02d}", name, leader, county])
    with prices_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["许可证号", "品牌", "规格", "价格", "采集日期", "采集人", "县区代码"])
        for licence, county, _point in observed:
            level = PROVINCE_LEVEL.get(county[:2], 1.0)
            for brand, pack, price in DEMO_PRODUCTS:
                factor = level * rng.uniform(0.97, 1.03)
                if rng.random() < OUTLIER_SHARE:
                    factor *= rng.choice((0.8, 1.2))
                day = today - dt.timedelta(days=rng.randrange(60))
                observer = f"{county}-M{rng.randrange(1, 10):02d}"
                writer.writerow(
                    [
                        licence,
                        brand,
                        pack,
                        f"{price * factor:.1f}",
                        day.isoformat(),
                        observer,
                        county,
                    ]
                )
    return groups_path, prices_path


def _sweep_counties(session: Session) -> list[str]:
    """The demo liaison's counties, else the first adjacent pair across a province line."""
    mine = session.scalars(
        select(UserCounty.county_code).join(User).where(User.username == "liaison")
    ).all()
    if len(mine) >= 2:
        return sorted(mine)
    pairs = sorted(list_adjacency(session, SYSTEM), key=lambda p: not p.province_crossing)
    return [pairs[0].county_a, pairs[0].county_b] if pairs else []


def _demo_sweep(session: Session, today: dt.date) -> tuple[int, int]:
    """Plan the demo sweep (once) and record about a third of its targets; (targets, recorded)."""
    existing = [s for s in list_sweeps(session, SYSTEM) if s.title == SWEEP_TITLE]
    if existing:
        return existing[0].targets, existing[0].recorded
    counties = _sweep_counties(session)
    if len(counties) < 2:
        return 0, 0
    plan = SweepPlan(
        counties=counties, planned_for=today, title=SWEEP_TITLE, seed=SEED, target_share=0.5
    )
    try:
        sweep = plan_sweep(session, SYSTEM, plan)
    except InvalidInputError:  # no border band, no officers: nothing to sweep in this data
        return 0, 0
    outcomes = ("compliant", "violation", "compliant", "not_open")
    recorded = 0
    for i, target in enumerate(sweep.target_rows[::3]):
        outcome = outcomes[i % len(outcomes)]
        result = SweepResultIn(
            licence_no=target.licence_no,
            outcome=outcome,
            inspected_on=today,
            violations=1 if outcome == "violation" else None,
            seized_cartons=float(2 + i) if outcome == "violation" else None,
            notes="演示结果",
            base_version=target.version,
        )
        record_sweep_result(session, SYSTEM, sweep.sweep_no, result)
        recorded += 1
    return sweep.targets, recorded


def _write_report(run: DemoRun, today: dt.date) -> list[Path]:
    quarter = str(Quarter(today.year, (today.month - 1) // 3 + 1))
    folder = run.folder("cooperation")
    with db.transaction(run.url) as session:
        report = quarterly_report(session, SYSTEM, quarter, area=DEMO_AREA[0])
        shapes = all_county_shapes(session)
    outlines = shapes[shapes["code"].isin([c.code for c in report.counties])]
    stem = f"report-{report.area}-{report.quarter}"
    excel = folder / f"{stem}.xlsx"
    excel.write_bytes(report_workbook(report))
    page = write_report_html(report, outlines, folder / f"{stem}.html", **run.tiles())
    return [excel, page]


def step(run: DemoRun) -> StepResult:
    """Groups and prices imported, one joint sweep, the area's quarterly report written."""
    today = dt.date.today()
    folder = run.folder("cooperation")
    with db.transaction(run.url) as session:
        groups, prices = write_price_files(session, folder, today=today)
    imported = {}
    for kind, path in (("groups", groups), ("prices", prices)):
        with db.transaction(run.url) as session:
            report = import_file(session, SYSTEM, kind, path)
        imported[kind] = report.rows
    with db.transaction(run.url) as session:
        targets, recorded = _demo_sweep(session, today)
    files = [groups, prices, *_write_report(run, today)]
    counts = {
        "price_group_members": imported["groups"],
        "price_observations": imported["prices"],
        "sweep_targets": targets,
        "sweep_results": recorded,
    }
    return StepResult(counts=counts, files=files)
