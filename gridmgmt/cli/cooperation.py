"""``gridmgmt cooperation``: cooperation areas, adjacency, liaisons, the joint contact list.

``adjacency`` lists the counties that share a border (province lines marked) and
``defects`` the overlaps and gaps of the stored outlines; ``areas``, ``area-create``,
``area-set`` and ``area-delete`` keep the cooperation areas; ``liaisons``, ``liaison-add``,
``liaison-set`` and ``liaison-remove`` a county's liaisons; ``contacts --area A [-o FILE]``
prints or writes (``.csv``, ``.xlsx``) the area's joint contact list (打假打私联动联络通讯录).
Every command prints JSON with ``--json``; errors exit with their kind's code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, unit_of_work

cooperation_app = typer.Typer(
    help="Cooperation areas of adjacent counties: adjacency, liaisons, contact list, report.",
    no_args_is_help=True,
)
app.add_typer(cooperation_app, name="cooperation")
console = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
AreaArg = Annotated[str, typer.Argument(help="The area's code, e.g. mengjinji.")]
VersionOpt = Annotated[
    int | None,
    typer.Option("--version", help="The version you read (default: the current one)."),
]


def _print_json(value: Any) -> None:
    from gridmgmt.services.results import jsonable

    typer.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2))


@cooperation_app.command("adjacency")
def adjacency_command(
    ctx: typer.Context,
    county: Annotated[str | None, typer.Option("--county", help="Only this county's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Counties sharing a border, from the stored outlines; province lines first."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import list_adjacency

    with unit_of_work(ctx) as session:
        pairs = list_adjacency(session, SYSTEM, county=county)
    if as_json:
        _print_json(pairs)
        return
    table = Table("county", "county", "border km", "province line", "overlap km²")
    for p in pairs:
        table.add_row(
            f"{p.name_a} {p.county_a}",
            f"{p.name_b} {p.county_b}",
            f"{p.border_km:.1f}",
            "yes" if p.province_crossing else "",
            f"{p.overlap_km2:.3f}" if p.overlap_km2 else "",
        )
    console.print(table)
    err.print(f"{len(pairs)} adjacent pair(s)")


@cooperation_app.command("defects")
def defects_command(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Overlaps and gaps between the stored county outlines (area, where)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import list_boundary_defects

    with unit_of_work(ctx) as session:
        defects = list_boundary_defects(session, SYSTEM)
    if as_json:
        _print_json(defects)
        return
    for defect in defects:
        typer.echo(defect.text)
    err.print(f"{len(defects)} overlap(s) and gap(s)")


def _print_areas(areas: list[Any]) -> None:
    table = Table("area", "name", "counties", "version")
    for area in areas:
        names = ", ".join(f"{c.name} {c.code}" for c in area.counties)
        table.add_row(area.code, area.name, names, str(area.version))
    console.print(table)


@cooperation_app.command("areas")
def areas_command(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The cooperation areas and their counties."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import list_areas

    with unit_of_work(ctx) as session:
        areas = list_areas(session, SYSTEM)
    if as_json:
        _print_json(areas)
        return
    _print_areas(areas)


CountiesOpt = Annotated[
    list[str] | None, typer.Option("--county", help="A member county (repeat for each).")
]


@cooperation_app.command("area-create")
def area_create_command(
    ctx: typer.Context,
    code: AreaArg,
    name: Annotated[str, typer.Option("--name", help="The area's name.")],
    county: CountiesOpt = None,
    note: Annotated[str, typer.Option("--note", help="A note.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create a cooperation area of two or more counties."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import create_area

    with unit_of_work(ctx) as session:
        area = create_area(session, SYSTEM, code, name, county or [], note=note)
    if as_json:
        _print_json(area)
        return
    _print_areas([area])


def _version(session: Any, code: str, version: int | None) -> int:
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import get_area

    return version if version is not None else get_area(session, SYSTEM, code).version


@cooperation_app.command("area-set")
def area_set_command(
    ctx: typer.Context,
    code: AreaArg,
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    county: CountiesOpt = None,
    note: Annotated[str | None, typer.Option("--note", help="A new note.")] = None,
    version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an area's name, note or counties (``--county`` replaces the whole list)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import set_area

    with unit_of_work(ctx) as session:
        area = set_area(
            session,
            SYSTEM,
            code,
            version=_version(session, code, version),
            name=name,
            counties=county or None,
            note=note,
        )
    if as_json:
        _print_json(area)
        return
    _print_areas([area])


@cooperation_app.command("area-delete")
def area_delete_command(ctx: typer.Context, code: AreaArg, version: VersionOpt = None) -> None:
    """Delete an area (its counties and their liaisons stay)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import delete_area

    with unit_of_work(ctx) as session:
        delete_area(session, SYSTEM, code, version=_version(session, code, version))
    typer.echo(f"deleted area {code}")


def _print_liaisons(liaisons: list[Any]) -> None:
    table = Table("id", "county", "name", "title", "phone", "mobile", "email", "version")
    for x in liaisons:
        table.add_row(
            str(x.id), x.county_code, x.name, x.title, x.phone, x.mobile, x.email, str(x.version)
        )
    console.print(table)


@cooperation_app.command("liaisons")
def liaisons_command(
    ctx: typer.Context,
    county: Annotated[str | None, typer.Option("--county", help="Only this county's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The liaisons each county names (信息联络员)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import list_liaisons

    with unit_of_work(ctx) as session:
        liaisons = list_liaisons(session, SYSTEM, county=county)
    if as_json:
        _print_json(liaisons)
        return
    _print_liaisons(liaisons)


TitleOpt = Annotated[str | None, typer.Option("--title", help="Position (职务).")]
PhoneOpt = Annotated[str | None, typer.Option("--phone", help="Office phone.")]
MobileOpt = Annotated[str | None, typer.Option("--mobile", help="Mobile phone.")]
EmailOpt = Annotated[str | None, typer.Option("--email", help="E-mail.")]
DutiesOpt = Annotated[str | None, typer.Option("--duties", help="Duties (职责).")]
UserOpt = Annotated[str | None, typer.Option("--username", help="Their login here, if any.")]


@cooperation_app.command("liaison-add")
def liaison_add_command(
    ctx: typer.Context,
    county: Annotated[str, typer.Option("--county", help="The liaison's county.")],
    name: Annotated[str, typer.Option("--name", help="The liaison's name.")],
    title: TitleOpt = None,
    phone: PhoneOpt = None,
    mobile: MobileOpt = None,
    email: EmailOpt = None,
    duties: DutiesOpt = None,
    username: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Name a liaison of a county."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import add_liaison

    fields = {"title": title, "phone": phone, "mobile": mobile, "email": email}
    with unit_of_work(ctx) as session:
        liaison = add_liaison(
            session, SYSTEM, county, name=name, duties=duties, username=username, **fields
        )
    if as_json:
        _print_json(liaison)
        return
    _print_liaisons([liaison])


@cooperation_app.command("liaison-set")
def liaison_set_command(
    ctx: typer.Context,
    liaison_id: Annotated[int, typer.Argument(help="The liaison's id.")],
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    title: TitleOpt = None,
    phone: PhoneOpt = None,
    mobile: MobileOpt = None,
    email: EmailOpt = None,
    duties: DutiesOpt = None,
    username: UserOpt = None,
    version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a liaison's entry (only the options given)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import change_liaison, list_liaisons

    fields = {"name": name, "title": title, "phone": phone, "mobile": mobile, "email": email}
    with unit_of_work(ctx) as session:
        if version is None:
            current = {x.id: x.version for x in list_liaisons(session, SYSTEM)}
            version = current.get(liaison_id, 0)
        liaison = change_liaison(
            session,
            SYSTEM,
            liaison_id,
            version=version,
            duties=duties,
            username=username,
            **fields,
        )
    if as_json:
        _print_json(liaison)
        return
    _print_liaisons([liaison])


@cooperation_app.command("liaison-remove")
def liaison_remove_command(
    ctx: typer.Context,
    liaison_id: Annotated[int, typer.Argument(help="The liaison's id.")],
    version: VersionOpt = None,
) -> None:
    """Remove a liaison."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import list_liaisons, remove_liaison

    with unit_of_work(ctx) as session:
        if version is None:
            current = {x.id: x.version for x in list_liaisons(session, SYSTEM)}
            version = current.get(liaison_id, 0)
        remove_liaison(session, SYSTEM, liaison_id, version=version)
    typer.echo(f"removed liaison {liaison_id}")


@cooperation_app.command("contacts")
def contacts_command(
    ctx: typer.Context,
    area: Annotated[str, typer.Option("--area", help="The cooperation area's code.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write .csv or .xlsx instead.")
    ] = None,
    headers: Annotated[str, typer.Option("--headers", help="zh or en column headers.")] = "zh",
    as_json: JsonOpt = False,
) -> None:
    """The joint contact list of an area (打假打私联动联络通讯录)."""
    from gridmgmt.errors import InvalidInputError
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation import contact_list, contacts_file

    with unit_of_work(ctx) as session:
        contacts = contact_list(session, SYSTEM, area)
    if output is not None:
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            msg = f"file suffix {output.suffix!r} is expected to be in ['.csv', '.xlsx']"
            raise InvalidInputError(msg)
        output.write_bytes(contacts_file(contacts, fmt, headers=headers))
        typer.echo(f"wrote {len(contacts.rows)} liaison(s) of area {area} to {output}")
        return
    if as_json:
        _print_json(contacts)
        return
    table = Table("province", "county", "name", "title", "phone", "mobile", "neighbours")
    for r in contacts.rows:
        table.add_row(
            r.province,
            f"{r.county} {r.county_code}",
            r.name,
            r.title,
            r.phone,
            r.mobile,
            "、".join(r.neighbours),
        )
    console.print(table)
    for ref in contacts.missing:
        err.print(f"{ref.name} {ref.code} names no liaison yet")


@cooperation_app.command("report")
def report_command(
    ctx: typer.Context,
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, e.g. 2026Q3.")],
    area: Annotated[str | None, typer.Option("--area", help="A cooperation area's code.")] = None,
    county: CountiesOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write .xlsx or .json instead.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The quarterly mutual report (每季度互相通报) of an area or a county pair."""
    from gridmgmt.errors import InvalidInputError
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cooperation.report import quarterly_report, report_workbook
    from gridmgmt.services.results import jsonable

    with unit_of_work(ctx) as session:
        report = quarterly_report(session, SYSTEM, quarter, area=area, counties=county)
    if output is not None:
        suffix = output.suffix.lower()
        if suffix == ".xlsx":
            output.write_bytes(report_workbook(report))
        elif suffix == ".json":
            text = json.dumps(jsonable(report), ensure_ascii=False, indent=2)
            output.write_text(text + "\n", encoding="utf-8")
        else:
            msg = f"file suffix {output.suffix!r} is expected to be in ['.xlsx', '.json']"
            raise InvalidInputError(msg)
        typer.echo(
            f"wrote the {report.quarter} report of {len(report.counties)} counties to {output}"
        )
        return
    if as_json:
        _print_json(report)
        return
    for section in report.sections:
        table = Table(*section.columns, title=section.title)
        for row in section.rows:
            table.add_row(*("—" if v is None else str(v) for v in row))
        console.print(table)
        for note in section.notes:
            err.print(f"  {note}")
