"""Translations: Babel message catalogues (zh_CN by default, en) for pages and messages.

Message ids are English; ``api/translations/<locale>/LC_MESSAGES/messages.po`` holds each
locale's text. The catalogues are compiled in memory when first used, so a fresh checkout
needs no build step (``pybabel compile`` output is not needed, nor read).

The locale of a request is, in order: the ``gridmgmt_locale`` cookie the language switch
sets, the browser's ``Accept-Language``, then :data:`DEFAULT_LOCALE`.
:class:`LocaleMiddleware` puts it on ``request.state.locale``.

In templates: ``{{ _("Log out") }}``, ``{% trans %}...{% endtrans %}``, and the filters
``|date``, ``|datetime``, ``|number`` and ``|decimal`` (Babel formats for the locale).
In Python: ``gettext_for(request)("Log out")``; mark a string for extraction without
translating it with :func:`N_`.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Callable
from numbers import Number
from pathlib import Path
from typing import Any, Final

from babel import dates, numbers
from babel.messages import mofile, pofile
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.cookies import request_cookie

TRANSLATIONS_DIR: Final = Path(__file__).resolve().parent / "translations"
DOMAIN: Final = "messages"
DEFAULT_LOCALE: Final = "zh_CN"
LOCALES: Final = ("zh_CN", "en")
"""The locales offered, default first."""
LOCALE_NAMES: Final = {"zh_CN": "中文", "en": "English"}
"""Each locale's name in its own language, for the switch."""
LOCALE_COOKIE: Final = "gridmgmt_locale"
LOCALE_COOKIE_MAX_AGE: Final = 365 * 24 * 3600
_BY_LANGUAGE: Final = {"zh": "zh_CN", "en": "en"}
_TAG = re.compile(r"^\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?")


def N_(message: str) -> str:  # noqa: N802  (the conventional name the extractor looks for)
    """Mark ``message`` for extraction; it is translated later, where it is shown."""
    return message


def supported(locale: str | None) -> str | None:
    """The offered locale ``locale`` names (``zh-CN``, ``zh``, ``en_GB``...), or None."""
    if not locale:
        return None
    tag = locale.strip().replace("-", "_")
    for offered in LOCALES:
        if tag.lower() == offered.lower():
            return offered
    return _BY_LANGUAGE.get(tag.split("_")[0].lower())


def from_accept_language(header: str | None) -> str | None:
    """The offered locale the browser prefers most (``Accept-Language``), or None."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate((header or "").split(",")):
        match = _TAG.match(item)
        if match is None:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if quality > 0:
            ranked.append((-quality, index, match.group(1)))
    for _quality, _index, tag in sorted(ranked):
        found = supported(tag)
        if found is not None:
            return found
    return None


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The locale of a request: the cookie's, else the browser's, else the default."""
    return supported(cookie) or from_accept_language(accept_language) or DEFAULT_LOCALE


def catalogue_path(locale: str) -> Path:
    """The ``.po`` file of ``locale``."""
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(locale: str) -> Translations:
    """The compiled catalogue of ``locale`` (compiled once per process, in memory)."""
    with catalogue_path(locale).open("rb") as po:
        catalog = pofile.read_po(po, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    mofile.write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def request_locale(request: Request) -> str:
    """The locale :class:`LocaleMiddleware` chose for ``request``."""
    locale = getattr(request.state, "locale", None)
    return locale if locale in LOCALES else DEFAULT_LOCALE


def gettext_for(request: Request) -> Callable[[str], str]:
    """The ``gettext`` of the request's locale, for messages built in Python."""
    return translations(request_locale(request)).gettext


class LocaleMiddleware:
    """Choose each request's locale and store it as ``request.state.locale``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            accept = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
            locale = negotiate(request_cookie(scope, LOCALE_COOKIE), accept)
            scope = dict(scope, state={**scope.get("state", {}), "locale": locale})
        await self.app(scope, receive, send)


# --- Jinja ----------------------------------------------------------------------------------


def _context_locale(context: Context) -> str:
    request = context.get("request")
    return request_locale(request) if isinstance(request, Request) else DEFAULT_LOCALE


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(_context_locale(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(_context_locale(context)).ngettext(singular, plural, n)


@pass_context
def _format_date(
    context: Context,
    value: dt.date | str | None,
    format: str = "medium",
) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return dates.format_date(value, format=format, locale=_context_locale(context))


@pass_context
def _format_datetime(
    context: Context,
    value: dt.datetime | None,
    format: str = "medium",
) -> str:
    if value is None:
        return ""
    return dates.format_datetime(value, format=format, locale=_context_locale(context))


@pass_context
def _format_number(context: Context, value: Number | None) -> str:
    if value is None:
        return ""
    return numbers.format_decimal(value, locale=_context_locale(context))  # type: ignore[arg-type]


@pass_context
def _format_decimal(context: Context, value: Number | None, digits: int = 2) -> str:
    if value is None:
        return ""
    pattern = "#,##0." + "0" * digits if digits > 0 else "#,##0"
    return numbers.format_decimal(value, format=pattern, locale=_context_locale(context))  # type: ignore[arg-type]


@pass_context
def _current_locale(context: Context) -> str:
    return _context_locale(context)


def _locale_tag(locale: str) -> str:
    """The BCP 47 tag of a locale, for ``<html lang>``: ``zh_CN`` -> ``zh-CN``."""
    return locale.replace("_", "-")


def install_i18n(env: Environment) -> None:
    """Give a Jinja environment translations, locale formats and the locale in use.

    Safe to call twice on the same environment.
    """
    env.autoescape = True
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        date=_format_date,
        datetime=_format_datetime,
        number=_format_number,
        decimal=_format_decimal,
    )
    extra: dict[str, Any] = {
        "current_locale": _current_locale,
        "locale_tag": _locale_tag,
        "LOCALES": LOCALES,
        "LOCALE_NAMES": LOCALE_NAMES,
    }
    env.globals.update(extra)
