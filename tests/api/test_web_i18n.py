"""Translations: catalogues complete in both languages, the locale chosen, formats by locale."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from starlette.requests import Request

from api.i18n import (
    DEFAULT_LOCALE,
    LOCALE_COOKIE,
    LOCALES,
    catalogue_path,
    from_accept_language,
    negotiate,
)
from api.web import templates

API_DIR = Path(__file__).resolve().parents[2] / "api"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalogue(locale: str) -> dict[str, str]:
    with catalogue_path(locale).open("rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id}


def _source_messages() -> set[str]:
    """Every message marked in the templates and the api package, as pybabel extracts it."""
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    found = extract_from_dir(str(API_DIR), method_map, keywords={"_": None, "N_": None})
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    catalogue = _catalogue(locale)
    missing = sorted(msgid for msgid, text in catalogue.items() if not text)
    assert missing == []
    for msgid, text in catalogue.items():
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)), msgid


def test_catalogues_hold_every_message_of_the_source() -> None:
    source = _source_messages()
    assert "Log out" in source
    for locale in LOCALES:
        assert sorted(source - set(_catalogue(locale))) == [], locale
    assert set(_catalogue("zh_CN")) == set(_catalogue("en"))


def test_chinese_labels_are_chinese() -> None:
    zh = _catalogue("zh_CN")
    assert zh["Log out"] == "退出"
    assert zh["Map"] == "地图"
    assert all(re.search(r"[\u4e00-\u9fff]", text) for key, text in zh.items() if key != "API docs")


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, "zh_CN"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, zh-CN;q=0.8", "zh_CN"),
        (None, "fr, de", DEFAULT_LOCALE),
        ("en", "zh-CN", "en"),
        ("zh_CN", "en", "zh_CN"),
        ("klingon", "en;q=0.4", "en"),
        (None, "en;q=0, zh", "zh_CN"),
        (None, "*;q=0.1, garbage;;q=x", DEFAULT_LOCALE),
    ],
)
def test_locale_negotiation(cookie: str | None, accept: str | None, expected: str) -> None:
    assert negotiate(cookie, accept) == expected


def test_accept_language_ignores_what_it_cannot_offer() -> None:
    assert from_accept_language("ja-JP") is None


def test_pages_are_chinese_by_default_and_follow_the_switch(client: TestClient) -> None:
    page = client.get("/login")
    assert '<html lang="zh-CN">' in page.text
    assert "<h2>登录</h2>" in page.text
    assert ">English</a>" in page.text
    switched = client.get(
        "/locale", params={"locale": "en", "next": "/login?next=/cases"}, follow_redirects=False
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login?next=/cases"
    assert f"{LOCALE_COOKIE}=en" in switched.headers["set-cookie"]
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "<h2>Log in</h2>" in page.text
    assert ">中文</a>" in page.text


def test_accept_language_is_the_fallback(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "<h2>Log in</h2>" in page.text
    client.cookies.set(LOCALE_COOKIE, "zh_CN")
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "<h2>登录</h2>" in page.text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/"])
def test_switch_stays_on_site_and_refuses_unknown_locales(client: TestClient, target) -> None:
    response = client.get(
        "/locale", params={"locale": "en", "next": target}, follow_redirects=False
    )
    assert response.headers["location"] == "/map"
    bad = client.get("/locale", params={"locale": "xx"}, follow_redirects=False)
    assert bad.status_code == 422


def _render(source: str, locale: str, **context: object) -> str:
    request = Request({"type": "http", "state": {"locale": locale}, "headers": []})
    return templates.env.from_string(source).render(request=request, **context)


def test_dates_and_numbers_follow_the_locale() -> None:
    source = "{{ day|date }}|{{ n|number }}|{{ x|decimal(1) }}|{{ when|datetime('short') }}"
    values = {
        "day": dt.date(2026, 11, 30),
        "n": 47911,
        "x": 1234.56,
        "when": dt.datetime(2026, 11, 30, 9, 5),
    }
    assert _render(source, "zh_CN", **values) == "2026年11月30日|47,911|1,234.6|2026/11/30 09:05"
    english = _render(source, "en", **values)
    assert english.startswith("Nov 30, 2026|47,911|1,234.6|11/30/26")
    assert _render("{{ day|date }}", "en", day="2026-01-02") == "Jan 2, 2026"
    assert _render("{{ day|date }}{{ n|number }}", "en", day=None, n=None) == ""


def test_translated_text_escapes_its_values() -> None:
    source = "{% trans name=name %}Log out {{ name }} on this browser?{% endtrans %}"
    html = _render(source, "en", name="<img src=x onerror=alert(1)>")
    assert html == "Log out &lt;img src=x onerror=alert(1)&gt; on this browser?"
