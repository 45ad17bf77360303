"""CLI start-up: ``--help`` imports no heavy library; commands load on first use."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from gridmgmt.cli._app import app
from gridmgmt.cli.commands import COMMANDS, load_command

HEAVY = (
    "pandas",
    "geopandas",
    "numpy",
    "shapely",
    "sqlalchemy",
    "pyvrp",
    "numba",
    "folium",
    "fastapi",
)


def modules_after(*args: str) -> set[str]:
    """The modules a fresh interpreter has loaded after ``gridmgmt ARGS``."""
    code = (
        "import json, sys\n"
        "from gridmgmt.cli import main\n"
        f"sys.argv = ['gridmgmt', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stdout.flush()\n"
        "print('\\n' + json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.parametrize(
    "args", [("--help",), ("demo", "--help"), ("serve", "--help")], ids=" ".join
)
def test_help_imports_no_heavy_library(args: tuple[str, ...]) -> None:
    modules = modules_after(*args)
    assert "typer" in modules  # the probe ran the CLI
    assert heavy_in(modules) == []


def test_root_help_imports_no_command_module() -> None:
    modules = modules_after("--help")
    loaded = {m for m in modules if m.startswith("gridmgmt.cli.")}
    assert loaded <= {"gridmgmt.cli._app", "gridmgmt.cli.commands"}


def test_a_command_loads_its_own_module_only() -> None:
    modules = modules_after("demo", "--help")
    assert "gridmgmt.cli.demo" in modules
    assert "gridmgmt.cli.rules" not in modules
    assert "gridmgmt.demo" not in modules  # the demo package loads when the demo runs


def test_root_help_lists_every_command_in_order() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    listed = re.findall(r"^│ (\S+) ", result.output, flags=re.MULTILINE)
    assert [name for name in listed if not name.startswith("-")] == [s.name for s in COMMANDS]
    for source in COMMANDS:  # the help from the table, without importing the module
        assert " ".join(source.help.split()[:3]) in result.output


@pytest.mark.parametrize("source", COMMANDS, ids=lambda source: source.name)
def test_listed_help_is_the_commands_own(source: object) -> None:
    from gridmgmt.cli.commands import CommandSource

    assert isinstance(source, CommandSource)
    command = load_command(source.name)
    own = " ".join((command.help or "").split("\n\n")[0].split())
    assert own == source.help


def test_a_group_resolves_on_first_use() -> None:
    result = CliRunner().invoke(app, ["users", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "add" in result.output
    assert "list" in result.output


def test_a_typo_is_answered_with_the_commands_not_yet_loaded() -> None:
    result = CliRunner().invoke(app, ["tikcets"])
    assert result.exit_code == 2
    assert "Did you mean 'tickets'" in result.output
