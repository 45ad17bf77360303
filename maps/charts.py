"""Bar charts as inline SVG, drawn in Python (no chart script, nothing from a CDN): the same
for the web pages and the files the demo writes.

:func:`bar_chart` draws one horizontal bar per label, scaled to the largest value, with the
value at the bar's end. The SVG has a ``viewBox`` and no fixed width, so it shrinks with the
page on a phone and prints sharp; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

from markupsafe import Markup

__all__ = ["bar_chart"]

WIDTH: Final = 400
ROW: Final = 22
LABEL_W: Final = 110
VALUE_W: Final = 56
BAR_COLOUR: Final = "#00796b"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, chart_id: str = "") -> Markup:
    """A horizontal bar chart of ``(label, value)`` pairs as an ``<svg>`` element.

    Parameters
    ----------
    title
        The chart's accessible title (shown as the SVG's ``<title>``).
    bars
        Labels and non-negative values, drawn in the order given.
    chart_id
        The element's id (optional).
    """
    height = ROW * max(len(bars), 1) + 8
    top = max((v for _, v in bars), default=0.0)
    span = WIDTH - LABEL_W - VALUE_W
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    parts = [
        f'<svg class="cr-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'preserveAspectRatio="xMinYMin meet"{ident}>',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(bars):
        y = 4 + i * ROW
        text = escape(str(label))
        length = 0.0 if top <= 0 else max(span * float(value) / top, 1.0 if value else 0.0)
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + ROW / 2 + 4:.0f}" text-anchor="end" '
            f'class="cr-label">{text}</text>'
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" '
            f'fill="{BAR_COLOUR}" rx="2"><title>{text}: {_number(value)}</title></rect>'
            f'<text x="{LABEL_W + length + 6:.1f}" y="{y + ROW / 2 + 4:.0f}" '
            f'class="cr-value">{_number(value)}</text>'
        )
    if not bars:
        parts.append(f'<text x="{LABEL_W}" y="{ROW / 2 + 6:.0f}" class="cr-value">—</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
