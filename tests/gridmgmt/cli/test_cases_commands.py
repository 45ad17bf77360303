"""``gridmgmt import cases`` and ``gridmgmt cases ...`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from gridmgmt.cli import cases, data  # noqa: F401  (register the commands)
from gridmgmt.cli._app import app
from gridmgmt.store import db
from gridmgmt.store.models import Share
from gridmgmt.store.models.cases import CaseRecord

from ..services.cases_world import (
    HUAIAN,
    NETWORK,
    NETWORK_ID,
    TIANZHEN,
    case_records,
    key,
    seed_counties,
)
from ..services.cases_world import write_case_file as write_cases


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args])


def _count(url: str) -> int:
    with db.transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(CaseRecord)) or 0)


@pytest.fixture
def url(sqlite_url: str) -> str:
    """A database with the three counties and no cases."""
    seed_counties(sqlite_url)
    return sqlite_url


@pytest.fixture
def loaded(url: str, tmp_path: Path) -> str:
    """The case world imported through the CLI."""
    result = _run(url, "import", "cases", str(write_cases(tmp_path / "cases.json")))
    assert result.exit_code == 0, result.output
    return url


def test_import_cases_prints_the_counts(url: str, tmp_path: Path) -> None:
    path = write_cases(tmp_path / "cases.json")
    result = _run(url, "import", "cases", str(path))
    assert result.exit_code == 0, result.output
    assert "6 rows, inserted 6, updated 0, unchanged 0" in result.stdout
    again = _run(url, "import", "cases", str(path))
    assert "inserted 0, updated 0, unchanged 6" in again.stdout
    assert _count(url) == 6


def test_bad_case_file_lists_problems_exits_2_and_writes_nothing(url: str, tmp_path: Path) -> None:
    records = case_records()
    records[1]["type"] = "robbery"
    records[3]["county_code"] = "999999"
    path = write_cases(tmp_path / "bad.json", records)
    result = _run(url, "import", "cases", str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any(
        line.startswith(f"{path}:2: type: 'robbery' is not a known CaseType") for line in lines
    )
    assert f"{path}:4: county_code: unknown county code 999999; import the county first" in lines
    assert lines[-1] == "2 problem(s); nothing was imported."
    assert _count(url) == 0


def test_import_of_an_unreadable_case_file_exits_2(url: str, tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text("[{", encoding="utf-8")
    result = _run(url, "import", "cases", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:1:")
    missing = _run(url, "import", "cases", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr


def test_networks_json_shape(loaded: str) -> None:
    result = _run(loaded, "cases", "networks", "--json")
    assert result.exit_code == 0, result.output
    [network] = json.loads(result.stdout)
    assert network["cases"] == list(NETWORK)
    assert network["counties"] == [HUAIAN, TIANZHEN, "150924"]
    assert network["cross_province"] is True
    assert network["network_case"] is True
    only = _run(loaded, "cases", "networks", "--county", "110101", "--json")
    assert json.loads(only.stdout) == []
    table = _run(loaded, "cases", "networks")
    assert NETWORK_ID in table.stdout


def test_network_detail_suggestions_and_path(loaded: str) -> None:
    detail = json.loads(_run(loaded, "cases", "network", NETWORK_ID, "--json").stdout)
    assert next(entry["case_no"] for entry in detail["timeline"]) == "X-001"
    suggestions = json.loads(_run(loaded, "cases", "suggest-merges", "--json").stdout)
    assert [key("T-001"), key("X-001")] in [s["cases"] for s in suggestions]
    assert all(s["evidence"] for s in suggestions)
    chain = json.loads(_run(loaded, "cases", "path", "X-002", "H-001", "--json").stdout)
    assert chain["cases"] == [key("X-002"), key("X-001"), key("T-001"), key("H-001")]
    text = _run(loaded, "cases", "path", "X-002", "H-001")
    assert "--[plate 晋B12345" in text.stdout
    none = _run(loaded, "cases", "path", "X-001", "T-002")
    assert none.exit_code == 3
    assert "no chain" in none.stderr
    none_json = _run(loaded, "cases", "path", "X-001", "T-002", "--json")
    assert none_json.exit_code == 3
    assert json.loads(none_json.stdout) == {"found": False, "cases": [], "links": [], "cost": None}
    unknown = _run(loaded, "cases", "path", "X-001", "Z-404")
    assert unknown.exit_code == 3
    assert unknown.stderr.strip() == "error: no case Z-404"
    missing = _run(loaded, "cases", "network", "N-nope")
    assert missing.exit_code == 3
    assert missing.stderr.strip() == "error: no network N-nope"


def test_export_writes_geojson_and_node_edge_csv(loaded: str, tmp_path: Path) -> None:
    out = tmp_path / "net.geojson"
    result = _run(loaded, "cases", "export", NETWORK_ID, "-o", str(out))
    assert result.exit_code == 0, result.output
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert sum(f["properties"]["feature_type"] == "case" for f in features) == 4
    result = _run(
        loaded, "cases", "export", NETWORK_ID, "--format", "csv", "-o", str(tmp_path / "n.csv")
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "n-nodes.csv").is_file()
    assert (tmp_path / "n-edges.csv").is_file()
    assert _run(loaded, "cases", "export", "N-nope", "-o", str(out)).exit_code == 3
    assert _run(loaded, "cases", "export", NETWORK_ID, "--format", "kml").exit_code == 2


def test_share_a_case_and_a_network(loaded: str) -> None:
    result = _run(loaded, "cases", "share", "case", "H-001", "--to", TIANZHEN, "--note", "同车")
    assert result.exit_code == 0, result.output
    assert "shared with county 140222" in result.stdout
    again = _run(loaded, "cases", "share", "network", NETWORK_ID, "--to", TIANZHEN, "--json")
    answer = json.loads(again.stdout)
    assert answer["already"] == [key("H-001")]
    assert answer["shared"] == [key("X-001"), key("X-002")]
    assert answer["skipped"] == [key("T-001")]
    with db.transaction(loaded) as session:
        assert session.scalar(select(func.count()).select_from(Share)) == 3
    bad = _run(loaded, "cases", "share", "case", "H-001", "--to", "110101")
    assert bad.exit_code == 2
    assert "not stored" in bad.stderr


def test_the_local_administrator_reads_personal_data(loaded: str) -> None:
    detail = json.loads(_run(loaded, "cases", "network", NETWORK_ID, "--json").stdout)
    labels = [item["label"] for item in detail["central_entities"]]
    assert "+8613947461234" in labels or any(label.startswith("张伟 (") for label in labels)
    assert all("*" not in label for label in labels)
    chain = json.loads(_run(loaded, "cases", "path", "X-002", "H-001", "--json").stdout)
    assert chain["found"] is True
    assert chain["links"][0]["label"] == "+8613947461234"


def test_the_cli_prints_what_the_service_returns(loaded: str) -> None:
    from gridmgmt.services.actor import SYSTEM
    from gridmgmt.services.cases import merge_suggestions
    from gridmgmt.services.results import jsonable

    printed = json.loads(_run(loaded, "cases", "suggest-merges", "--json").stdout)
    with db.transaction(loaded) as session:
        returned = jsonable(merge_suggestions(session, SYSTEM, limit=50))
    assert printed == returned


def test_joint_case_open_join_list(loaded: str) -> None:
    opened = _run(
        loaded, "cases", "joint", "open", NETWORK_ID, "--title", "跨省网络", "--county", "150924"
    )
    assert opened.exit_code == 0, opened.output
    assert "150924 joined" in opened.stdout
    joined = _run(loaded, "cases", "joint", "join", "1", "--county", TIANZHEN, "--json")
    assert joined.exit_code == 0, joined.output
    states = {c["county_code"]: c["state"] for c in json.loads(joined.stdout)["counties"]}
    assert states == {"150924": "joined", TIANZHEN: "joined", HUAIAN: "invited"}
    again = _run(loaded, "cases", "joint", "join", "1", "--county", TIANZHEN)
    assert again.exit_code == 5  # answered already: conflict
    [listed] = json.loads(_run(loaded, "cases", "joint", "list", "--json").stdout)
    assert listed["cases"] == list(NETWORK)
    twice = _run(loaded, "cases", "joint", "open", NETWORK_ID, "--title", "x", "--county", HUAIAN)
    assert twice.exit_code == 5


def test_merge_propose_accept_list(loaded: str) -> None:
    proposed = _run(
        loaded,
        "cases", "merge", "propose", "X-001", "--county", "150924",
        "--other", "T-001", "--other-county", TIANZHEN, "--json",
    )  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    merge = json.loads(proposed.stdout)
    assert (merge["state"], merge["proposer_accepted"]) == ("proposed", True)
    stale = _run(loaded, "cases", "merge", "accept", "1", "--county", TIANZHEN, "--version", "9")
    assert stale.exit_code == 5
    accepted = _run(loaded, "cases", "merge", "accept", "1", "--county", TIANZHEN)
    assert accepted.exit_code == 0, accepted.output
    assert "merged" in accepted.stdout
    [listed] = json.loads(_run(loaded, "cases", "merge", "list", "--json").stdout)
    assert [e["step"] for e in listed["events"]] == ["propose", "accept"]
    assert _run(loaded, "cases", "merge", "list", "--state", "nope").exit_code == 2
