"""``gridmgmt users``: add and list the people who log in."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gridmgmt.cli._app import app, unit_of_work
from gridmgmt.domain import UserRole, label_zh, parse_enum

users_app = typer.Typer(help="Users: add and list logins.", no_args_is_help=True)
app.add_typer(users_app, name="users")
console = Console()

ROLES = ", ".join(f"{role.value} {label_zh(role)}" for role in UserRole)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def add_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {ROLES}.")],
    county: Annotated[
        list[str],
        typer.Option("--county", help="County code the user works for; repeat for several."),
    ],
    full_name: Annotated[str | None, typer.Option("--full-name", help="The person's name.")] = None,
    staff_no: Annotated[
        str | None,
        typer.Option(
            "--staff-no",
            help="The staff record the login belongs to (an officer's grids and inspections).",
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
) -> None:
    """Add a user with a role and one or more counties; the password is prompted for."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.users import add_user, describe_role

    user_role = parse_enum(UserRole, role)  # before the prompt: a bad role exits 2 at once
    password = _read_password(password_stdin)
    with unit_of_work(ctx) as session:
        user = add_user(
            session,
            SYSTEM,
            username,
            password,
            user_role,
            county,
            full_name=full_name,
            staff_no=staff_no,
        )
    console.print(
        f"added {user.username} ({describe_role(user.role)}) for {', '.join(user.counties)}"
    )


@users_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List every user with role and counties."""
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.users import describe_role, list_users

    with unit_of_work(ctx) as session:
        users = list_users(session, SYSTEM)
    table = Table("username", "name", "role", "counties", "active")
    for user in users:
        table.add_row(
            user.username,
            user.full_name or "",
            describe_role(user.role),
            " ".join(user.counties),
            "yes" if user.active else "no",
        )
    console.print(table)
