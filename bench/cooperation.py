"""Benchmark of private matching between counties (毗邻协作 隐私比对), against a plain join.

Six counties of ``--cases`` cases each (100,000 by default) get synthetic strong identifiers:
every case a person (ID number and phone), some a plate, a waybill or a bank account. A
share of cases (``--overlap``) reuses an identifier of another county, written differently
(``+86`` and dashes, a lower-case ``x``, a spaced plate, a spaced account), so there is
something to find. Then, in the same run:

- ``normalise_s``: the strong identifiers of every county, normalised as the case graph does
  (needed by both ways, so counted apart);
- ``plain_join_s``: one server for the area joining the clear normalised values;
- ``private``: one server per county. Each county exports its signed bundle to a file
  (``export_s``: keyed hashes, references, signing, writing), each county reads and verifies
  its five neighbours' files (``import_s``) and matches its own cases against them
  (``match_s``); ``store_s`` is one county storing its five neighbours' bundles through the
  service into a SQLite file, as ``gridmgmt federation import`` does.

The hits of both ways must be the same set of (local case, kind, other county); the line
says so (``hits_equal``).

Then ``report_s``: the quarterly mutual report (每季度互相通报) of the whole demo area (six
counties) for the current quarter, as ``GET /api/v1/cooperation/report`` computes it, on a
SQLite file holding the demo region (retailers, orders, staff, cases, the demo's price
observations and groups, one planned sweep; the demo cases moved in time as the demo moves
them) imported as ``gridmgmt demo`` imports it,
plus ``--cases`` synthetic cases per county opened in that quarter (``report_cases``), so the
report's time is measured at the bench's size (``report_setup_s``, which includes importing
the sections' services as a server does at start; ``report_s`` the first report of the
process, ``report_again_s`` a second one; ``--no-report`` leaves the report out).
``report_sections`` counts the sections that came out with figures rather than a "not
available" note.

Usage::

    uv run python bench/cooperation.py                 # 6 x 100,000 cases
    uv run python bench/cooperation.py --cases 2000    # a short run (quick mode)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stdnum import luhn
from stdnum.cn import ric

from gridmgmt.cases.model import EntityKind, Mention
from gridmgmt.cases.synthetic import DEMO_COUNTIES, MOBILE_BLOCKS, PLATE_AUTHORITIES
from gridmgmt.federation import (
    Hit,
    build_bundle,
    digest_index,
    match_area,
    match_bundle,
    parse_keyring,
    read_bundle,
    strong_identifiers,
    write_bundle,
)
from gridmgmt.federation.matching import CountyIdentifier

KEY = "bench:" + "b" * 40


def _id_number(rng: random.Random, region: str) -> str:
    body = f"{region}{rng.randrange(1960, 2002)}{rng.randrange(1, 13):02d}"
    body += f"{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _plate(rng: random.Random, authority: str) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    serial = [rng.choice("0123456789") for _ in range(5)]
    serial[rng.randrange(2)] = rng.choice(letters)
    return authority + "".join(serial)


def _account(rng: random.Random) -> str:
    body = "622" + f"{rng.randrange(10**15):015d}"
    return body + luhn.calc_check_digit(body)


def _restyle(kind: EntityKind, value: str, rng: random.Random) -> str:
    """The same identifier as another county's clerk would type it."""
    if kind is EntityKind.PHONE:
        return f"+86 {value[:3]}-{value[3:7]}-{value[7:]}"
    if kind is EntityKind.ID_NUMBER:
        return f"{value[:6]} {value[6:14]} {value[14:]}".lower()
    if kind is EntityKind.PLATE:
        return value[:2] + " " + value[2:]
    if kind is EntityKind.BANK_ACCOUNT:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value.lower() if rng.random() < 0.5 else value


def generate(cases: int, overlap: float, seed: int) -> dict[str, list[Mention]]:
    """Mentions of each demo county's cases, with cross-county shared identifiers.

    Phones start as the province's mobile blocks do but draw all 8 last digits: the blocks'
    10,000 numbers each would make chance collisions the bulk of the hits.
    """
    rng = random.Random(seed)
    shared: list[tuple[EntityKind, str]] = []
    by_county: dict[str, list[Mention]] = {}
    for county in DEMO_COUNTIES:
        province = county[:2]
        blocks, authority = MOBILE_BLOCKS[province], PLATE_AUTHORITIES[province]
        mentions: list[Mention] = []
        for number in range(cases):
            case_no = f"{county}-{number:06d}"
            phone = rng.choice(blocks)[:3] + f"{rng.randrange(10**8):08d}"
            id_number = _id_number(rng, county)
            mentions.append(
                Mention(case_no, EntityKind.PERSON, name="某某", id_number=id_number, phone=phone)
            )
            extra: list[tuple[EntityKind, str]] = []
            if rng.random() < 0.3:
                extra.append((EntityKind.PLATE, _plate(rng, authority)))
            if rng.random() < 0.3:
                extra.append((EntityKind.WAYBILL, f"SF{rng.randrange(10**13):013d}"))
            if rng.random() < 0.2:
                extra.append((EntityKind.BANK_ACCOUNT, _account(rng)))
            if shared and rng.random() < overlap:
                kind, value = rng.choice(shared)
                extra.append((kind, _restyle(kind, value, rng)))
            elif rng.random() < overlap:
                shared.append((EntityKind.PHONE, phone))
                shared.append((EntityKind.ID_NUMBER, id_number))
                shared.extend(extra)
            mentions.extend(Mention(case_no, kind, value) for kind, value in extra)
        by_county[county] = mentions
    return by_county


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    """The function's value and its wall time in seconds."""
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def private_matching(
    identifiers: dict[str, list[CountyIdentifier]], folder: Path
) -> tuple[list[Hit], dict[str, float], list[Path]]:
    """Export every county's bundle, then each county imports its neighbours' and matches."""
    keys = parse_keyring(KEY)
    key = keys.current
    now = dt.datetime.now(dt.UTC)
    paths: dict[str, Path] = {}
    start = time.perf_counter()
    for county, items in identifiers.items():
        secret = os.urandom(32)  # each county server's own reference secret
        bundle = build_bundle(
            (item for _c, item in items),
            county_code=county,
            key=key,
            ref_secret=secret,
            created_at=now,
        )
        paths[county] = folder / f"{county}.json"
        paths[county].write_bytes(write_bundle(bundle, key))
    export_s = time.perf_counter() - start
    import_s = match_s = 0.0
    hits: list[Hit] = []
    for county, items in identifiers.items():
        start = time.perf_counter()
        bundles = [
            read_bundle(path.read_bytes(), keys, source=path.name)
            for other, path in paths.items()
            if other != county
        ]
        import_s += time.perf_counter() - start
        start = time.perf_counter()
        index = digest_index(items, key.match_key)
        for bundle in bundles:
            entries = ((e.kind.value, e.ref, e.digest) for e in bundle.entries)
            hits.extend(match_bundle(index, entries, county_code=bundle.county_code))
        match_s += time.perf_counter() - start
    figures = {"export_s": export_s, "import_s": import_s, "match_s": match_s}
    return hits, figures, list(paths.values())


def store_bundles(paths: list[Path], receiver: str, folder: Path) -> float:
    """Seconds for one county's server to verify and store its neighbours' bundles."""
    from gridmgmt.config import Settings
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.federation import import_bundle
    from gridmgmt.store import db

    url = f"sqlite:///{folder / 'receiver.db'}"
    db.upgrade(url)
    settings = Settings(database_url=url, secret_key="s" * 32, federation_key=KEY)
    start = time.perf_counter()
    for path in paths:
        if path.stem == receiver:
            continue
        with db.transaction(url) as session:
            import_bundle(
                session, actor=SYSTEM, settings=settings, data=path.read_bytes(), source=path.name
            )
    seconds = time.perf_counter() - start
    db.dispose_engine(url)
    return seconds


def _quarter_cases(session: Any, counties: list[str], cases: int, first: dt.date) -> int:
    """Store ``cases`` synthetic cases per county opened in the quarter starting ``first``."""
    from sqlalchemy import insert

    from gridmgmt.domain import CaseStatus, CaseType
    from gridmgmt.store.models.cases import CaseRecord

    rng = random.Random(31)
    kinds = list(CaseType)
    stored = 0
    for county in counties:
        rows = [
            {
                "case_no": f"BENCH-{county}-{number:06d}",
                "county_code": county,
                "opened_on": first + dt.timedelta(days=rng.randrange(90)),
                "type": rng.choice(kinds),
                "status": CaseStatus.OPEN,
                "seized_cartons": float(rng.randrange(50)),
                "value_yuan": float(rng.randrange(20_000)),
                "summary": "",
                "version": "bench",
                "created_by": "bench",
                "updated_by": "bench",
            }
            for number in range(cases)
        ]
        for at in range(0, len(rows), 20_000):
            session.execute(insert(CaseRecord), rows[at : at + 20_000])
        stored += len(rows)
    return stored


def quarterly_report_seconds(folder: Path, cases: int) -> dict[str, Any]:
    """Seconds to build the demo area's quarterly report, and to set up its database."""
    from gridmgmt.config import Settings
    from gridmgmt.cooperation.quarters import Quarter
    from gridmgmt.demo.cases import DEMO_CASES_FILE, dated_case_file
    from gridmgmt.demo.cooperation import DEMO_AREA, demo_cooperation_area
    from gridmgmt.demo.prices import _demo_sweep, write_price_files
    from gridmgmt.demo.region import load_demo_data
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases import import_cases
    from gridmgmt.services.cooperation.areas import get_area
    from gridmgmt.services.cooperation.report import quarterly_report
    from gridmgmt.services.imports import import_file
    from gridmgmt.store import db

    url = f"sqlite:///{folder / 'area.db'}"
    settings = Settings(database_url=url, secret_key="s" * 32)
    today = dt.date.today()
    start = time.perf_counter()
    db.upgrade(url)
    load_demo_data(url, settings.demo_dir)
    with db.transaction(url) as session:
        case_file = dated_case_file(
            settings.demo_dir / DEMO_CASES_FILE, folder / DEMO_CASES_FILE, today=today
        )
        import_cases(session, SYSTEM, case_file, label=DEMO_CASES_FILE)
        demo_cooperation_area(session)
        groups, prices = write_price_files(session, folder, today=today)
    for kind, path in (("groups", groups), ("prices", prices)):
        with db.transaction(url) as session:
            import_file(session, SYSTEM, kind, path)
    with db.transaction(url) as session:
        _demo_sweep(session, today)
    period = Quarter(today.year, (today.month - 1) // 3 + 1)
    with db.transaction(url) as session:
        counties = [c.code for c in get_area(session, SYSTEM, DEMO_AREA[0]).counties]
        stored = _quarter_cases(session, counties, cases, period.first)
    # The sections' services, imported as a server imports them when it starts.
    importlib.import_module("gridmgmt.services.rules")
    importlib.import_module("gridmgmt.services.prices")
    setup_s = time.perf_counter() - start
    quarter = str(period)
    with db.transaction(url) as session:
        report, report_s = timed(
            lambda: quarterly_report(session, SYSTEM, quarter, area=DEMO_AREA[0])
        )
        session.rollback()  # the report's audit lines: the second run starts alike
    with db.transaction(url) as session:
        _again, again_s = timed(
            lambda: quarterly_report(session, SYSTEM, quarter, area=DEMO_AREA[0])
        )
    db.dispose_engine(url)
    filled = sum(not any(n.startswith("not available") for n in s.notes) for s in report.sections)
    return {
        "report_quarter": quarter,
        "report_counties": len(report.counties),
        "report_cases": stored,
        "report_sections": f"{filled}/{len(report.sections)}",
        "report_setup_s": round(setup_s, 2),
        "report_s": round(report_s, 2),
        "report_again_s": round(again_s, 2),
    }


def main() -> None:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases per county")
    parser.add_argument("--overlap", type=float, default=0.01, help="share of cases linked")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--no-report", action="store_true", help="leave out the quarterly report of the area"
    )
    args = parser.parse_args()

    mentions, generate_s = timed(lambda: generate(args.cases, args.overlap, args.seed))
    identifiers, normalise_s = timed(
        lambda: {
            county: [(county, item) for item in strong_identifiers(found)]
            for county, found in mentions.items()
        }
    )
    every = [pair for items in identifiers.values() for pair in items]

    def clear_ref(county: str, case_no: str, kind: EntityKind) -> str:
        return case_no

    plain, plain_s = timed(lambda: match_area(every, ref_of=clear_ref))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        private, figures, paths = private_matching(identifiers, folder)
        bundle_mb = sum(path.stat().st_size for path in paths) / len(paths) / 1e6
        store_s = store_bundles(paths, next(iter(identifiers)), folder)
        report = {} if args.no_report else quarterly_report_seconds(folder, args.cases)
    private_s = sum(figures.values())
    same = {(h.case_no, h.kind, h.county_code) for h in plain} == {
        (h.case_no, h.kind, h.county_code) for h in private
    }
    line = {
        "bench": "cooperation",
        "counties": len(identifiers),
        "cases_per_county": args.cases,
        "identifiers": len(every),
        "bundle_mb_each": round(bundle_mb, 1),
        "hits": len(private),
        "hits_plain": len(plain),
        "hits_equal": same and len(plain) == len(private),
        "generate_s": round(generate_s, 2),
        "normalise_s": round(normalise_s, 2),
        "plain_join_s": round(plain_s, 2),
        "private": {name: round(value, 2) for name, value in figures.items()},
        "private_s": round(private_s, 2),
        "ratio_private_to_plain": round(private_s / plain_s, 1) if plain_s else None,
        "store_s": round(store_s, 2),
        **report,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cores": len(os.sched_getaffinity(0)),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
