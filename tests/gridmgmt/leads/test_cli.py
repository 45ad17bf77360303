"""``gridmgmt leads ...`` from the command line: a lead sent, answered and listed, as JSON."""

from __future__ import annotations

import json

from click.testing import Result
from typer.testing import CliRunner

from gridmgmt.cli import leads  # noqa: F401  (register the commands)
from gridmgmt.cli._app import app

from .leads_world import TIANZHEN, XINGHE


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, "leads", *args])


def test_send_answer_and_list(leads_url: str) -> None:
    suggested = json.loads(_run(leads_url, "suggested", "--json").stdout)
    assert {(s["case_no"], s["to_county"]) for s in suggested} == {
        ("X-100", TIANZHEN),
        ("T-100", XINGHE),
    }
    sent = _run(leads_url, "send", "X-100", "--to", TIANZHEN, "--entity", "1", "--json")
    assert sent.exit_code == 0, sent.output
    (lead,) = json.loads(sent.stdout)
    number = str(lead["id"])
    assert lead["state"] == "sent"
    assert _run(leads_url, "ack", number, "--json").exit_code == 0
    accepted = json.loads(_run(leads_url, "accept", number, "--note", "立案", "--json").stdout)
    assert accepted["state"] == "accepted"
    again = _run(leads_url, "ack", number)
    assert again.exit_code == 5  # a conflict: the lead is accepted already
    fed = _run(leads_url, "feedback", number, "--case", "T-9", "--value", "800", "--json")
    assert json.loads(fed.stdout)["value_yuan"] == 800
    shown = json.loads(_run(leads_url, "show", number, "--json").stdout)
    assert [e["step"] for e in shown["history"]] == ["send", "acknowledge", "accept", "feed_back"]
    listed = json.loads(_run(leads_url, "list", "--box", "inbox", "--json").stdout)
    assert [item["id"] for item in listed] == [lead["id"]]
    assert json.loads(_run(leads_url, "overdue", "--json").stdout) == []
    assert _run(leads_url, "show", "999").exit_code == 3
    assert _run(leads_url, "decline", number, "--reason", "x").exit_code == 5
    assert _run(leads_url, "send", "X-100", "--to", "999999").exit_code == 2
    text = _run(leads_url, "show", number)
    assert "feed_back" in text.stdout
