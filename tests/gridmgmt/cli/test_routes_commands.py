"""``gridmgmt routes plan|week|manifest|replan|plans`` against a real database and a small OSM
file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import commands  # noqa: F401  (registers every command group)
from gridmgmt.cli import routes as routes_cli
from gridmgmt.cli._app import app
from gridmgmt.config import get_settings
from gridmgmt.domain import UserRole
from gridmgmt.routing.closures import ClosurePolicy
from gridmgmt.services.actor import Actor
from gridmgmt.services.routes import MANIFEST_FORMATS

from ..services.grids_world import BOX_A, LAT, LON, A, seed_world
from ..services.routes_world import DAY, seed_delivery, write_grid_osm

FAST = ["--time-limit", "0.5", "--seed", "1"]


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args])


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> tuple[str, Path, list[str]]:
    seed_world(sqlite_url)
    ordered = seed_delivery(sqlite_url, A, "DA", LON + 0.01, LAT + 0.01)
    return sqlite_url, write_grid_osm(tmp_path / "roads.osm", BOX_A.bounds, n=11), ordered


def test_plan_prints_json_and_writes_manifests(
    world: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, roads, ordered = world
    out = tmp_path / "out"
    result = _run(
        url, "routes", "plan", "--depot", "DA", "--date", DAY.isoformat(), "--roads", str(roads),
        "--json", "--out", str(out), *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["totals"]["stops"] == sum(1 for k in range(len(ordered)) if k % 4)
    assert data["unserved"] == []
    assert sorted(p.suffix for p in out.iterdir()) == [".csv", ".html", ".xlsx"]


def test_plan_table_and_bad_input(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    ok = _run(url, "routes", "plan", "--depot", "DA", "--date", DAY.isoformat(),
              "--roads", str(roads), *FAST)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "DAV" in ok.stdout
    unknown = _run(url, "routes", "plan", "--depot", "NOPE", "--date", DAY.isoformat(),
                   "--roads", str(roads), *FAST)  # fmt: skip
    assert unknown.exit_code == 3  # not found
    assert "NOPE" in unknown.stderr
    bad_date = _run(url, "routes", "plan", "--depot", "DA", "--date", "16/11/2026")
    assert bad_date.exit_code == 2


def test_week_and_manifest(world: tuple[str, Path, list[str]], tmp_path: Path) -> None:
    url, roads, ordered = world
    week = _run(url, "routes", "week", "--depot", "DA", "--week-of", DAY.isoformat(),
                "--roads", str(roads), "--json", *FAST)  # fmt: skip
    assert week.exit_code == 0, week.output
    data = json.loads(week.stdout)
    assert sum(d["stops"] for d in data["days"].values()) == len(ordered)
    assert set(data["plan_versions"]) == set(data["days"])
    target = tmp_path / "m.csv"
    made = _run(url, "routes", "manifest", "--depot", "DA", "--date", DAY.isoformat(),
                "--format", "csv", "-o", str(target), "--roads", str(roads), *FAST)  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "plan version 1, week" in made.stdout  # the week's stored plan of the day
    assert len(pd.read_csv(target)) == data["days"][DAY.isoformat()]["stops"]
    fresh = _run(url, "routes", "manifest", "--depot", "DA", "--date", DAY.isoformat(),
                 "--format", "csv", "-o", str(target), "--roads", str(roads), "--replan",
                 *FAST)  # fmt: skip
    assert fresh.exit_code == 0, fresh.output
    assert "plan version 2, plan" in fresh.stdout
    assert len(pd.read_csv(target)) == sum(1 for k in range(len(ordered)) if k % 4)
    wrong = _run(url, "routes", "manifest", "--depot", "DA", "--date", DAY.isoformat(),
                 "--format", "pdf", "-o", str(target))  # fmt: skip
    assert wrong.exit_code == 2


def _plan_json(url: str, roads: Path, *extra: str) -> dict[str, Any]:
    result = _run(url, "routes", "plan", "--depot", "DA", "--date", DAY.isoformat(),
                  "--roads", str(roads), "--json", *FAST, *extra)  # fmt: skip
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_plan_with_closures_skips_or_hands_off(
    world: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, roads, _ = world
    stops = _plan_json(url, roads)["stops"]
    far = max(stops, key=lambda s: (s["lon"] - LON - 0.01) ** 2 + (s["lat"] - LAT - 0.01) ** 2)
    box = shapely.box(
        far["lon"] - 0.012, far["lat"] - 0.006, far["lon"] + 0.012, far["lat"] + 0.006
    )
    closures = tmp_path / "closures.geojson"
    gpd.GeoDataFrame(
        {"id": ["W1"], "start": [DAY.isoformat()], "end": ["2026-11-20"], "reason": ["施工"]},
        geometry=[box], crs=4326,
    ).to_file(closures, driver="GeoJSON")  # fmt: skip
    skipped = _plan_json(url, roads, "--closures", str(closures))
    reasons = {u["order_id"]: u for u in skipped["unserved"]}
    assert reasons[far["order_id"]]["reason"] == "inside_closure"
    assert "W1" in reasons[far["order_id"]]["detail"]
    handed = _plan_json(url, roads, "--closures", str(closures), "--closure-mode", "handoff")
    stop = next(s for s in handed["stops"] if s["order_id"] == far["order_id"])
    assert stop["handoff"] is True
    assert not box.contains(shapely.Point(stop["lon"], stop["lat"]))
    week = _run(url, "routes", "week", "--depot", "DA", "--week-of", DAY.isoformat(),
                "--roads", str(roads), "--json", "--closures", str(closures), *FAST)  # fmt: skip
    assert week.exit_code == 0, week.output
    assert json.loads(week.stdout)["days"][DAY.isoformat()]["unserved"] >= 1


def test_bad_closures_file_or_mode_exits_2(
    world: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, roads, _ = world
    bad = tmp_path / "bad.geojson"
    feature = {"type": "Feature", "properties": {"end": "someday"},
               "geometry": shapely.box(0, 0, 1, 1).__geo_interface__}  # fmt: skip
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), "utf-8")
    result = _run(url, "routes", "plan", "--depot", "DA", "--date", DAY.isoformat(),
                  "--roads", str(roads), "--closures", str(bad), *FAST)  # fmt: skip
    assert result.exit_code == 2
    assert "bad.geojson" in result.stderr
    assert "row 1" in result.stderr
    assert "'end'" in result.stderr
    mode = _run(url, "routes", "week", "--depot", "DA", "--week-of", DAY.isoformat(),
                "--closure-mode", "fly")  # fmt: skip
    assert mode.exit_code == 2
    assert "handoff" in mode.stderr


def test_replan_from_saved_plan(world: tuple[str, Path, list[str]], tmp_path: Path) -> None:
    url, roads, ordered = world
    today = [lic for k, lic in enumerate(ordered) if k % 4]
    saved = tmp_path / "plan.json"
    _plan_json(url, roads, "--save", str(saved))
    new = tmp_path / "new.json"
    result = _run(url, "routes", "replan", "--depot", "DA", "--date", DAY.isoformat(),
                  "--plan", str(saved), "--add", f"{ordered[0]}:12", "--cancel", today[0],
                  "--change", f"{today[1]}:33", "-o", str(new), "--roads", str(roads),
                  "--json", *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    day = DAY.isoformat()
    assert data["changes"]["added"] == [f"{ordered[0]}@{day}"]
    assert data["changes"]["cancelled"] == [f"{today[0]}@{day}"]
    assert data["changes"]["changed"] == [f"{today[1]}@{day}"]
    served = {s["retailer_id"]: s["cartons"] for s in data["stops"]}
    assert set(served) == {*today[1:], ordered[0]}
    assert served[today[1]] == 33
    assert json.loads(new.read_text("utf-8"))["format"] == "gridmgmt.dayplan/1"
    # the --json output of a plan also works as the current plan; the text report
    from_json = tmp_path / "printed.json"
    from_json.write_text(json.dumps(_plan_json(url, roads)), "utf-8")
    text = _run(url, "routes", "replan", "--depot", "DA", "--date", DAY.isoformat(),
                "--plan", str(from_json), "--cancel", today[2], "--roads", str(roads), *FAST)  # fmt: skip
    assert text.exit_code == 0, text.output
    assert f"cancelled: {today[2]}@{day}" in text.stdout
    for bad in (["--add", "nope"], ["--add", f"{today[2]}:5"], ["--plan", str(roads)]):
        args = ["--plan", str(saved), *bad] if bad[0] != "--plan" else bad
        refused = _run(url, "routes", "replan", "--depot", "DA", "--date", DAY.isoformat(),
                       "--roads", str(roads), *args, *FAST)  # fmt: skip
        assert refused.exit_code == 2, (bad, refused.output)


def _plans(url: str, *extra: str) -> list[dict[str, Any]]:
    listed = _run(url, "routes", "plans", "--depot", "DA", "--json", *extra)
    assert listed.exit_code == 0, listed.output
    versions: list[dict[str, Any]] = json.loads(listed.stdout)["versions"]
    return versions


def test_plans_are_stored_and_listed(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    assert _plans(url) == []
    assert _plan_json(url, roads)["plan_version"] == 1
    again = _run(url, "routes", "plan", "--depot", "DA", "--date", DAY.isoformat(),
                 "--roads", str(roads), *FAST)  # fmt: skip
    assert again.exit_code == 0, again.output
    assert f"stored as version 2 of DA {DAY.isoformat()}" in again.stdout
    versions = _plans(url, "--date", DAY.isoformat())
    assert [(v["version"], v["current"], v["kind"]) for v in versions] == [
        (1, False, "plan"), (2, True, "plan"),
    ]  # fmt: skip
    assert versions[1]["created_by"] == "cli"
    assert versions[1]["orders_served"] == 6
    assert _plans(url, "--date", "2026-11-20") == []
    text = _run(url, "routes", "plans", "--depot", "DA")
    assert text.exit_code == 0, text.output
    assert f"* {DAY.isoformat()} v2 plan" in text.stdout
    assert f"  {DAY.isoformat()} v1 plan" in text.stdout
    unknown = _run(url, "routes", "plans", "--depot", "NOPE")
    assert unknown.exit_code == 3
    assert "NOPE" in unknown.stderr


def test_replan_and_manifest_use_the_stored_plan(
    world: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, roads, ordered = world
    today = [lic for k, lic in enumerate(ordered) if k % 4]
    replan = ["routes", "replan", "--depot", "DA", "--date", DAY.isoformat(),
              "--roads", str(roads), *FAST]  # fmt: skip
    nothing = _run(url, *replan, "--cancel", today[0])
    assert nothing.exit_code == 3  # no stored plan: not found
    assert "plan the day first" in nothing.stderr
    _plan_json(url, roads)
    added = _run(url, *replan, "--add", f"{ordered[0]}:12", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["plan_version"] == 2
    cancelled = _run(url, *replan, "--cancel", today[0])
    assert cancelled.exit_code == 0, cancelled.output
    assert "stored as version 3" in cancelled.stdout
    refused = _run(url, *replan, "--add", f"{today[1]}:5")  # already orders: nothing stored
    assert refused.exit_code == 2
    assert "already order" in refused.stderr
    assert [v["kind"] for v in _plans(url)] == ["plan", "replan", "replan"]
    target = tmp_path / "m.csv"
    made = _run(url, "routes", "manifest", "--depot", "DA", "--date", DAY.isoformat(),
                "--format", "csv", "-o", str(target), "--roads", str(roads), *FAST)  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "plan version 3, replan" in made.stdout
    manifest = pd.read_csv(target, dtype={"许可证号": str})
    assert set(manifest["许可证号"]) == {*today[1:], ordered[0]}
    assert manifest["零售户"].notna().all()  # every stop has its shop's name
    assert len(_plans(url)) == 3  # the manifest planned nothing


@pytest.mark.parametrize("role", [UserRole.OFFICER, UserRole.LIAISON])
def test_roles_that_do_not_plan_exit_4_and_store_nothing(
    world: tuple[str, Path, list[str]], monkeypatch: pytest.MonkeyPatch, role: UserRole
) -> None:
    url, roads, _ = world
    _plan_json(url, roads)  # as the local administrator
    clerk = Actor("clerk", role, frozenset({A}))
    monkeypatch.setattr(routes_cli, "_actor", lambda ctx: clerk)
    day = ["--depot", "DA", "--date", DAY.isoformat(), "--roads", str(roads), *FAST]
    for args in (
        ["routes", "plan", *day],
        ["routes", "replan", *day, "--cancel", "x"],
        ["routes", "week", "--depot", "DA", "--week-of", DAY.isoformat(), "--roads", str(roads),
         *FAST],
        ["routes", "manifest", *day, "-o", "m.csv", "--replan"],
    ):  # fmt: skip
        refused = _run(url, *args)
        assert refused.exit_code == 4, (args, refused.output)
        assert "routes.plan" in refused.stderr
    assert [v["version"] for v in _plans(url)] == [1]  # reads are allowed, nothing stored


def test_roads_come_from_the_settings(
    world: tuple[str, Path, list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, roads, _ = world
    monkeypatch.setenv("GRIDMGMT_ROADS_FILE", str(tmp_path / "missing.osm"))
    get_settings.cache_clear()
    try:
        missing = _run(url, "routes", "plan", "--depot", "DA", "--date", DAY.isoformat(), *FAST)
        assert missing.exit_code == 2
        assert "missing.osm" in missing.stderr
        monkeypatch.setenv("GRIDMGMT_ROADS_FILE", str(roads))
        get_settings.cache_clear()
        ok = _run(url, "routes", "plan", "--depot", "DA", "--date", DAY.isoformat(), *FAST)
        assert ok.exit_code == 0, ok.output
    finally:
        get_settings.cache_clear()


def test_bad_options_exit_2_before_planning(world: tuple[str, Path, list[str]]) -> None:
    url, roads, _ = world
    day = ["--depot", "DA", "--date", DAY.isoformat(), "--roads", str(roads)]
    for extra in (["--max-iterations", "0"], ["--time-limit", "0"], ["--seed", "x"]):
        refused = _run(url, "routes", "plan", *day, *extra)
        assert refused.exit_code == 2, (extra, refused.output)
    assert _plans(url) == []


def test_cli_closure_modes_are_the_engines() -> None:
    assert [m.value for m in routes_cli.ClosureMode] == [p.value for p in ClosurePolicy]
    assert tuple(f.value for f in routes_cli.ManifestFormat) == MANIFEST_FORMATS
