"""Licence-check findings in plain language: advice a user can act on, in Chinese or English."""

from __future__ import annotations

import pytest

from api.i18n import translations
from api.pages.plain_text import note_text, reason_text
from gridmgmt.services.rules._common import NO_ROADS_NOTE


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("zh_CN", ["道路网", ".osm", "管理员"]), ("en", ["road network", ".osm", "administrator"])],
)
def test_no_roads_note_says_what_the_administrator_loads(locale: str, expected: list[str]) -> None:
    text = note_text(NO_ROADS_NOTE, translations(locale).gettext)
    for word in expected:
        assert word in text
    assert "--" not in text
    assert "gridmgmt" not in text


def test_the_cli_note_names_the_command_that_stores_roads() -> None:
    # The licence check has no --roads option: the note names the command that stores one.
    assert "pass --roads" not in NO_ROADS_NOTE
    assert "gridmgmt rules settings --county CODE --roads FILE" in NO_ROADS_NOTE


def test_county_reason_names_the_county() -> None:
    text = reason_text(
        "county",
        {"county_code": "150924", "county_name": "兴和县"},
        "in county 150924 兴和县",
        translations("zh_CN").gettext,
    )
    assert text == "位于县 兴和县 150924。"
    bare = reason_text("county", {"county_code": "150924"}, "", translations("en").gettext)
    assert bare == "In county 150924."
