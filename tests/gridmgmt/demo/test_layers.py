"""The demo is a face: services know nothing of maps or the demo; the demo reads no settings."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every module a file imports (top level, in functions, under TYPE_CHECKING), by line."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            # importlib.import_module("maps.x"): the way the old demo reached its steps.
            yield from (
                (node.lineno, arg.value)
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )


def offending(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        for line, module in imported_modules(path):
            if module.split(".")[0] in forbidden or module.startswith(forbidden):
                found.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    return found


def test_the_walker_sees_function_level_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "def f():\n"
        "    from maps.assets import write_map\n"
        "    import importlib\n"
        "    importlib.import_module('gridmgmt.demo.rules')\n"
    )
    assert [m for _, m in imported_modules(sample)] == [
        "os",
        "maps.assets",
        "importlib",
        "gridmgmt.demo.rules",
    ]


@pytest.mark.parametrize("package", ["gridmgmt/services", "gridmgmt/store", "gridmgmt/io"])
def test_services_and_below_import_no_face(package: str) -> None:
    assert offending(package, ("maps", "api", "gridmgmt.demo", "gridmgmt.cli")) == []


def test_no_demo_left_in_the_services() -> None:
    services = REPO / "gridmgmt" / "services"
    assert not list(services.rglob("demo.py"))
    for path in services.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert "demo" not in names, path


def test_the_demo_takes_its_settings_from_the_face() -> None:
    for path in (REPO / "gridmgmt" / "demo").rglob("*.py"):
        assert "get_settings" not in path.read_text(encoding="utf-8"), path
