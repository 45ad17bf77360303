"""A route's sketch map as inline SVG: depot, stops numbered in order, the legs between them.

Drawn on the server, so a printed manifest shows the round without tiles or a network. The
projection is equirectangular around the route (x scaled by the cosine of the latitude), good
enough for a county-sized round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["route_svg"]


def _project(
    points: Sequence[tuple[float, float]], width: float, height: float, pad: float
) -> list[tuple[float, float]]:
    lat0 = math.radians(sum(lat for _, lat in points) / len(points))
    xs = [lon * math.cos(lat0) for lon, _ in points]
    ys = [lat for _, lat in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-6)
    scale = min((width - 2 * pad) / span, (height - 2 * pad) / span)
    x_off = (width - (max(xs) - min(xs)) * scale) / 2
    y_off = (height - (max(ys) - min(ys)) * scale) / 2
    return [
        (x_off + (x - min(xs)) * scale, height - (y_off + (y - min(ys)) * scale))
        for x, y in zip(xs, ys, strict=True)
    ]


def route_svg(
    depot: tuple[float, float],
    stops: Sequence[tuple[float, float]],
    *,
    colour: str = "#1565c0",
    size: int = 220,
    title: str = "",
) -> str:
    """The route as an SVG element: a square depot, numbered stops, straight legs.

    Parameters
    ----------
    depot
        The depot's ``(lon, lat)`` (WGS-84).
    stops
        The stops' ``(lon, lat)`` in visiting order.
    colour
        Line and marker colour.
    size
        Width and height in CSS pixels.
    title
        Accessible title (escaped).
    """
    pad = 14.0
    xy = _project([depot, *stops], size, size, pad)
    home, visits = xy[0], xy[1:]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in [home, *visits, home])
    parts = [
        f'<svg class="gm-sketch" width="{size}" '
        f'height="{size}" viewBox="0 0 {size} {size}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0.5" y="0.5" width="{size - 1}" height="{size - 1}" fill="#fafafa" '
        'stroke="#bbb"/>',
        f'<polyline points="{path}" fill="none" stroke="{escape(colour)}" stroke-width="1.6" '
        'stroke-linejoin="round" opacity="0.8"/>',
        f'<rect x="{home[0] - 5:.1f}" y="{home[1] - 5:.1f}" width="10" height="10" '
        'fill="#212121"/>',
    ]
    for number, (x, y) in enumerate(visits, start=1):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6.5" fill="{escape(colour)}" stroke="#fff"/>'
            f'<text x="{x:.1f}" y="{y + 3:.1f}" font-size="8" text-anchor="middle" '
            f'fill="#fff" font-family="sans-serif">{number}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
