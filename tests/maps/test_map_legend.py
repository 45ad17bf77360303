"""The legend control: escaped, shapes checked."""

from __future__ import annotations

import pytest

from maps.assets import render_html
from maps.base import base_map
from maps.legend import LegendEntry, add_legend


def test_legend_renders_escaped_entries(overview_frames) -> None:
    m = base_map(overview_frames["counties"])
    add_legend(
        m,
        "图例 <Legend>",
        [LegendEntry("#123456", "a & b"), LegendEntry("#000", "x", shape="line")],
    )
    html = render_html(m)
    assert "L.control(" in html
    assert "#123456" in html
    assert "a \\u0026amp; b" in html
    assert "\\u0026lt;Legend\\u0026gt;" in html


def test_unknown_shape_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="circle"):
        LegendEntry("#000", "x", shape="star")
