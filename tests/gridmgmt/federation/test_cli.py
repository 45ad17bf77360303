"""``gridmgmt federation export|import|hits|bundles`` between two county databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import federation  # noqa: F401  (registers the commands)
from gridmgmt.cli._app import app
from gridmgmt.config import get_settings

from .conftest import Servers
from .fed_world import EXPECTED_HITS, KEY, OTHER_KEY, TIANZHEN, XINGHE, clear_values, tianzhen_cases


@pytest.fixture(autouse=True)
def _area_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GRIDMGMT_FEDERATION_KEY", KEY)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, "federation", *args])


def test_export_import_hits_round_trip(servers: Servers, tmp_path: Path) -> None:
    x_file, t_file = tmp_path / "x.json", tmp_path / "t.json"
    assert _run(servers.xinghe, "export", "--county", XINGHE, "-o", str(x_file)).exit_code == 0
    exported = _run(servers.tianzhen, "export", "--county", TIANZHEN, "-o", str(t_file))
    assert exported.exit_code == 0, exported.output
    assert f"county {TIANZHEN}" in exported.stdout
    imported = _run(servers.xinghe, "import", str(t_file))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.startswith("stored: bundle of county 140222")
    assert _run(servers.tianzhen, "import", str(x_file)).exit_code == 0

    hits = []
    for url in (servers.xinghe, servers.tianzhen):
        result = _run(url, "hits", "--json")
        assert result.exit_code == 0, result.output
        hits += json.loads(result.stdout)
    assert {(h["case_no"], h["kind"], h["county_code"]) for h in hits} == EXPECTED_HITS
    assert all(len(h["ref"]) == 32 for h in hits)
    area = _run(servers.area, "hits", "--json")
    assert len(json.loads(area.stdout)) == len(hits)

    only = json.loads(_run(servers.xinghe, "hits", "--county", XINGHE, "--json").stdout)
    assert len(only) == len([h for h in hits if h["local_county_code"] == XINGHE])
    table = _run(servers.xinghe, "hits")
    assert "FX-001" in table.stdout
    assert "FT-001" not in table.stdout
    bundles = json.loads(_run(servers.xinghe, "bundles", "--json").stdout)
    assert [b["county_code"] for b in bundles] == [TIANZHEN]
    leaked = [value for value in clear_values(tianzhen_cases()) if value in t_file.read_text()]
    assert leaked == []


def test_a_flipped_byte_exits_2_naming_the_file(servers: Servers, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    _run(servers.tianzhen, "export", "--county", TIANZHEN, "-o", str(path))
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x20
    path.write_bytes(bytes(data))
    result = _run(servers.xinghe, "import", str(path))
    assert result.exit_code == 2
    assert f"bundle {path} refused" in result.stderr
    assert json.loads(_run(servers.xinghe, "bundles", "--json").stdout) == []


def test_a_bundle_under_another_key_exits_2(
    servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.json"
    monkeypatch.setenv("GRIDMGMT_FEDERATION_KEY", OTHER_KEY)
    get_settings.cache_clear()
    _run(servers.tianzhen, "export", "--county", TIANZHEN, "-o", str(path))
    monkeypatch.setenv("GRIDMGMT_FEDERATION_KEY", KEY)
    get_settings.cache_clear()
    result = _run(servers.xinghe, "import", str(path))
    assert result.exit_code == 2
    assert "signature does not verify" in result.stderr


def test_missing_file_and_unknown_county(servers: Servers, tmp_path: Path) -> None:
    missing = _run(servers.xinghe, "import", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2
    assert "nope.json" in missing.stderr
    unknown = _run(servers.xinghe, "export", "--county", "999999", "-o", str(tmp_path / "o.json"))
    assert unknown.exit_code == 3
    assert not (tmp_path / "o.json").exists()
