"""``gridmgmt rules|checkpoints|inspections|tickets`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import rules  # noqa: F401  (registers the rule commands)
from gridmgmt.cli._app import app

from ..services.rules_world import (
    A_NEAR,
    A_RED,
    B_RED,
    A,
    lonlat,
    seed_world,
    write_roads,
)


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args])


def _json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def url(sqlite_url: str) -> str:
    seed_world(sqlite_url)
    return sqlite_url


def test_red_lines_json_lists_licence_school_and_distance(url: str) -> None:
    rows = _json(_run(url, "rules", "red-lines", "--json"))
    assert isinstance(rows, list)
    assert {r["licence_no"] for r in rows} == {A_RED, B_RED}
    first = rows[0]
    assert first["licence_no"] == B_RED  # nearest first: 30 m
    assert first["school"] == "玉泉中学"
    assert first["distance_m"] == pytest.approx(30.0, abs=0.01)
    wider = _json(_run(url, "rules", "red-lines", "--metres", "120", "--county", A, "--json"))
    assert {r["licence_no"] for r in wider} == {A_RED, A_NEAR}


def test_red_lines_table_says_it_fell_back_to_straight_lines(url: str, tmp_path: Path) -> None:
    result = _run(url, "rules", "red-lines", "-o", str(tmp_path / "red.csv"))
    assert result.exit_code == 0, result.output
    assert "straight lines" in result.stderr
    assert "inside red lines (2)" in result.stdout
    assert "40.0" in result.stdout  # A_RED, 40 m from its school
    assert (tmp_path / "red.csv").read_text(encoding="utf-8-sig").startswith("licence_no,")
    walked = _json(
        _run(url, "rules", "red-lines", "--roads", str(write_roads(tmp_path / "r.osm")), "--json")
    )
    assert walked == []


def test_unknown_county_exits_3_not_found(url: str) -> None:
    result = _run(url, "rules", "red-lines", "--county", "999999")
    assert result.exit_code == 3
    assert "999999" in result.stderr


def test_spacing_json(url: str) -> None:
    (pair,) = _json(_run(url, "rules", "spacing", "--json"))  # type: ignore[misc]
    assert {pair["licence_no_a"], pair["licence_no_b"]} == {A_RED, A_NEAR}
    assert pair["distance_m"] == pytest.approx(70.0, abs=0.01)


@pytest.mark.parametrize(("x", "y", "allowed"), [(-10_000, 10_050, False), (-5_000, 15_000, True)])
def test_check_licence_exits_0_with_allowed_in_json(
    url: str, x: float, y: float, allowed: bool
) -> None:
    lon, lat = lonlat(x, y)
    answer = _json(
        _run(url, "rules", "check-licence", "--lon", str(lon), "--lat", str(lat), "--json")
    )
    assert isinstance(answer, dict)
    assert answer["allowed"] is allowed
    assert answer["county_code"] == A
    assert all("message" in r for r in answer["reasons"])


def test_check_licence_text_lists_reasons(url: str) -> None:
    lon, lat = lonlat(-10_000, 10_050)
    result = _run(url, "rules", "check-licence", "--lon", str(lon), "--lat", str(lat))
    assert result.exit_code == 0
    assert "refused" in result.stdout
    assert "城关第一小学" in result.stdout


def test_border_markets_outflow_and_coverage(url: str, tmp_path: Path) -> None:
    border = _json(_run(url, "rules", "border-markets", "--json"))
    assert isinstance(border, dict)
    assert len(border["retailers"]) == 2
    outflow = _json(_run(url, "rules", "outflow", "--json"))
    assert isinstance(outflow, list)
    assert len(outflow) == 1
    roads = write_roads(tmp_path / "roads.osm")
    coverage = _json(
        _run(
            url,
            "checkpoints",
            "coverage",
            "--roads",
            str(roads),
            "--k",
            "1",
            "--days",
            "0",
            "--json",
        )
    )
    assert isinstance(coverage, dict)
    assert sorted(c["covered"] for c in coverage["crossings"]) == [False, True]
    assert len(coverage["sites"]) == 1
    text = _run(url, "checkpoints", "coverage")
    assert text.exit_code == 0
    assert "no road network" in text.stderr


def test_settings_preset_and_show(url: str) -> None:
    shown = _json(_run(url, "rules", "settings", "--county", A, "--json"))
    assert isinstance(shown, dict)
    assert shown["stored"] is False
    changed = _json(_run(url, "rules", "settings", "--county", A, "--preset", "suqian", "--json"))
    assert isinstance(changed, dict)
    assert changed["preset"] == "suqian"
    assert changed["settings"]["red_line"]["distance_m"]["primary"] == 200.0
    bad = _run(url, "rules", "settings", "--county", A, "--preset", "mars")
    assert bad.exit_code == 2
    assert "wuhan" in bad.stderr


def test_inspections_draw_refuse_replace_verify_record_publish(url: str, tmp_path: Path) -> None:
    args = ["inspections", "draw", "--county", A, "--period", "2026-11", "--share", "0.1"]
    first = _json(_run(url, *args, "--seed", "5", "--json"))
    assert isinstance(first, dict)
    assert first["seed"] == 5
    assert len(first["inspections"]) == 3
    again = _run(url, *args, "--seed", "5")
    assert again.exit_code == 5  # a conflict: the period already has a draw
    assert "--replace" in again.stderr
    second = _json(_run(url, *args, "--seed", "6", "--replace", "typo in the seed", "--json"))
    assert isinstance(second, dict)
    assert second["replaces"] == first["id"]
    listed = _json(_run(url, "inspections", "list", "--all", "--json"))
    assert [d["current"] for d in listed] == [True, False]  # type: ignore[union-attr]
    verify = _run(url, "inspections", "verify", str(second["id"]))
    assert verify.exit_code == 0
    assert "verified" in verify.stdout
    licence = second["inspections"][0]["licence_no"]
    recorded = _run(
        url,
        "inspections",
        "record",
        str(second["id"]),
        "--licence",
        licence,
        "--outcome",
        "compliant",
    )
    assert recorded.exit_code == 0, recorded.output
    results = _json(_run(url, "inspections", "results", str(second["id"]), "--json"))
    assert results[0]["outcome"] == "compliant"  # type: ignore[index]
    published = _run(url, "inspections", "publish", str(second["id"]), "-o", str(tmp_path))
    assert published.exit_code == 0
    assert (tmp_path / f"inspections-{A}-2026-11.html").is_file()


def test_inspection_results_from_a_csv(url: str, tmp_path: Path) -> None:
    draw = _json(
        _run(
            url,
            "inspections",
            "draw",
            "--county",
            A,
            "--period",
            "2026",
            "--seed",
            "1",
            "--share",
            "0.1",
            "--json",
        )
    )
    assert isinstance(draw, dict)
    licences = [i["licence_no"] for i in draw["inspections"]]
    path = tmp_path / "results.csv"
    path.write_text(
        "licence_no,outcome,inspected_on,violations,notes\n"
        f"{licences[0]},违规,2030-01-02,2,无证\n{licences[1]},compliant,2030-01-03,,\n",
        encoding="utf-8",
    )
    result = _run(url, "inspections", "record", str(draw["id"]), "--file", str(path))
    assert result.exit_code == 0, result.output
    results = _json(_run(url, "inspections", "results", str(draw["id"]), "--json"))
    assert [r["outcome"] for r in results[:2]] == ["violation", "compliant"]  # type: ignore[index]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"licence_no,outcome\n{licences[2]},maybe\n", encoding="utf-8")
    refused = _run(url, "inspections", "record", str(draw["id"]), "--file", str(bad))
    assert refused.exit_code == 2
    assert "compliant" in refused.stderr


def test_tickets_add_advance_overdue_report(url: str) -> None:
    added = _json(
        _run(
            url, "tickets", "add", "--county", A, "--kind", "投诉", "--summary", "举报",
            "--licence", A_RED, "--at", "2026-11-16T09:00", "--json",
        )
    )  # fmt: skip
    assert isinstance(added, dict)
    number = added["ticket_no"]
    assert added["due_at"] == "2026-11-17T09:00:00"
    skipped = _run(url, "tickets", "advance", number, "--to", "handled")
    assert skipped.exit_code == 5  # a conflict with the ticket's current state
    assert "responded" not in skipped.stdout
    moved = _json(_run(url, "tickets", "advance", number, "--at", "2026-11-18T09:00", "--json"))
    assert moved["events"][-1]["late"] is True  # type: ignore[index]
    overdue = _json(_run(url, "tickets", "overdue", "--now", "2026-11-20T09:00", "--json"))
    assert [t["ticket_id"] for t in overdue] == [number]  # type: ignore[union-attr]
    assert overdue[0]["overdue_hours"] == pytest.approx(24.0)  # type: ignore[index]
    report = _json(
        _run(
            url, "tickets", "report", "--county", A, "--start", "2026-11-01",
            "--end", "2026-12-01", "--json",
        )
    )  # fmt: skip
    assert report[0]["tickets"] == 1  # type: ignore[index]
    assert report[0]["assigned"] == 1  # type: ignore[index]


def _one_line_conflict(result: Result) -> None:
    assert result.exit_code == 5, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "changed by someone else" in lines[0]


def test_a_stale_base_version_stores_nothing_and_exits_5(url: str) -> None:
    settings = ["rules", "settings", "--county", A, "--json"]
    assert _json(_run(url, *settings, "--preset", "suqian", "--base-version", "0"))["version"] == 1  # type: ignore[index]
    _one_line_conflict(_run(url, *settings, "--preset", "wuhan", "--base-version", "0"))
    assert _json(_run(url, *settings))["preset"] == "suqian"  # type: ignore[index]
    assert _run(url, *settings, "--base-version", "1").exit_code == 2  # nothing to change

    added = _json(
        _run(url, "tickets", "add", "--county", A, "--kind", "投诉", "--summary", "举报", "--json")
    )
    number = added["ticket_no"]  # type: ignore[index]
    moved = _json(_run(url, "tickets", "advance", number, "--base-version", "1", "--json"))
    assert moved["version"] == 2  # type: ignore[index]
    _one_line_conflict(_run(url, "tickets", "advance", number, "--base-version", "1"))
    shown = _json(_run(url, "tickets", "list", "--json"))
    assert [t["state"] for t in shown] == ["assigned"]  # type: ignore[union-attr]

    draw = ["inspections", "draw", "--county", A, "--period", "2026-12", "--share", "0.1"]
    drawn = _json(_run(url, *draw, "--seed", "3", "--json"))
    draw_id, licence = str(drawn["id"]), drawn["inspections"][0]["licence_no"]  # type: ignore[index]
    record = ["inspections", "record", draw_id, "--licence", licence]
    assert _run(url, *record, "--outcome", "compliant", "--base-version", "0").exit_code == 0
    _one_line_conflict(_run(url, *record, "--outcome", "not_open", "--base-version", "0"))
    results = _json(_run(url, "inspections", "results", draw_id, "--json"))
    assert [(r["outcome"], r["version"]) for r in results if r["licence_no"] == licence] == [  # type: ignore[union-attr, index]
        ("compliant", 1)
    ]
    corrected = _run(url, *record, "--outcome", "not_open", "--base-version", "1")
    assert corrected.exit_code == 0, corrected.output
