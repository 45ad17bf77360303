"""``gridmgmt federation``: private matching with neighbour counties (毗邻协作 隐私比对).

One server per county: ``export --county C -o FILE`` writes the county's signed bundle of
keyed hashes (no clear value leaves), the neighbour runs ``import FILE``, and ``hits``
lists which local cases share an ID number, phone, plate, waybill or bank account with a
case of another county, by an opaque reference. On one server for the whole area, ``hits``
alone compares the stored counties. The area's key is ``GRIDMGMT_FEDERATION_KEY``
(``kid:secret[,kid:secret...]``: the first exports, any verifies). Commands run as the local
administrator in one transaction; errors exit with their kind's code (2 invalid input,
3 not found, 5 conflict).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, settings, unit_of_work

federation_app = typer.Typer(
    help="Private matching with neighbour counties: export and import bundles, list hits.",
    no_args_is_help=True,
)
app.add_typer(federation_app, name="federation")
console = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_json(value: Any) -> None:
    from gridmgmt.services.results import jsonable

    typer.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2))


def _write_atomically(path: Path, data: bytes) -> None:
    """Write the whole file or nothing: a half-written bundle would be refused anyway."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


@federation_app.command("export")
def export_command(
    ctx: typer.Context,
    county: Annotated[str, typer.Option("--county", help="The county to export (6 digits).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The bundle file to write.")],
    as_json: JsonOpt = False,
) -> None:
    """Write the county's signed bundle of keyed hashes, for its neighbours to import."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.federation import export_bundle

    with unit_of_work(ctx) as session:
        exported = export_bundle(session, actor=SYSTEM, settings=settings(ctx), county_code=county)
        _write_atomically(output, exported.data)
    if as_json:
        _print_json(exported)
        return
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(exported.counts.items()))
    console.print(
        f"wrote {output}: county {exported.county_code}, key {exported.key_id}, "
        f"{exported.entries} entries ({counts}), sha256 {exported.sha256}",
        highlight=False,
    )


@federation_app.command("import")
def import_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A bundle file a neighbour exported.")],
    as_json: JsonOpt = False,
) -> None:
    """Verify a neighbour's bundle and store it (a newer one replaces the county's older)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.federation import import_bundle

    with unit_of_work(ctx) as session:
        data = path.read_bytes()
        result = import_bundle(
            session, actor=SYSTEM, settings=settings(ctx), data=data, source=str(path)
        )
    if as_json:
        _print_json(result)
        return
    bundle = result.bundle
    console.print(
        f"{result.outcome}: bundle of county {bundle.county_code} created "
        f"{bundle.created_at:%Y-%m-%d %H:%M:%S} UTC, key {bundle.key_id}, "
        f"{bundle.entries} entries",
        highlight=False,
    )


@federation_app.command("hits")
def hits_command(
    ctx: typer.Context,
    county: Annotated[
        str | None, typer.Option("--county", help="Only this local county's cases.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Local cases sharing a strong identifier with another county's case (by reference)."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.federation import list_hits

    with unit_of_work(ctx) as session:
        hits = list_hits(session, actor=SYSTEM, settings=settings(ctx), county_code=county)
    if as_json:
        _print_json(hits)
        return
    table = Table("case", "county", "shares a", "with county", "reference", "via")
    for hit in hits:
        table.add_row(
            hit.case_no, hit.local_county_code, hit.kind, hit.county_code, hit.ref, hit.source
        )
    console.print(table)
    err.print(f"{len(hits)} hit(s)")


@federation_app.command("bundles")
def bundles_command(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The neighbours' bundles stored here."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.federation import list_bundles

    with unit_of_work(ctx) as session:
        bundles = list_bundles(session, actor=SYSTEM, settings=settings(ctx))
    if as_json:
        _print_json(bundles)
        return
    table = Table("county", "created (UTC)", "key", "entries", "usable", "imported by", "file")
    for bundle in bundles:
        table.add_row(
            bundle.county_code,
            f"{bundle.created_at:%Y-%m-%d %H:%M:%S}",
            bundle.key_id,
            str(bundle.entries),
            "yes" if bundle.usable else "no (key not held)",
            bundle.imported_by,
            bundle.source,
        )
    console.print(table)
