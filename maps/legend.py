"""A map legend as a small Leaflet control: plain HTML and CSS, no external assets.

The legend folds (a ``<details>`` element: its title stays, a tap opens it), folded from
the start on a phone-sized map; the map's data is fitted beside the legend, not under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from branca.element import MacroElement
from folium.template import Template

from maps.base import PHONE_WIDTH

SHAPES = ("circle", "square", "line")


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a coloured symbol and its label.

    Parameters
    ----------
    colour
        CSS colour of the symbol.
    label
        Text shown next to it (Chinese and English, e.g. ``正常 active``).
    shape
        ``circle`` (points), ``square`` (areas) or ``line`` (lines and borders).
    outline
        CSS colour of the symbol's outline; the fill colour when not given.
    """

    colour: str
    label: str
    shape: str = "circle"
    outline: str | None = None

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            msg = f"`shape` was {self.shape!r} but is expected to be in {list(SHAPES)}"
            raise ValueError(msg)

    def to_html(self) -> str:
        """The entry as an HTML row."""
        outline = escape(self.outline or self.colour)
        colour = escape(self.colour)
        if self.shape == "line":
            style = f"border-top:3px solid {colour};height:0;margin-top:6px"
        else:
            radius = "50%" if self.shape == "circle" else "2px"
            style = f"background:{colour};border:2px solid {outline};border-radius:{radius}"
        return (
            f'<div class="gm-legend-row"><span class="gm-legend-symbol" style="{style}">'
            f"</span>{escape(self.label)}</div>"
        )


class Legend(MacroElement):  # type: ignore[misc]
    """A legend control, added to a map with :func:`add_legend`."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .gm-legend { background: rgba(255,255,255,0.92); padding: 6px 9px; font: 12px/1.5
            sans-serif; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.35); }
        .gm-legend-title { font-weight: bold; margin-bottom: 2px; cursor: pointer; }
        .gm-legend details:not([open]) .gm-legend-title { margin-bottom: 0; }
        .gm-legend-rows { max-height: 50vh; overflow-y: auto; }
        .gm-legend-row { white-space: nowrap; }
        .gm-legend-symbol { display: inline-block; width: 10px; height: 10px;
            margin-right: 6px; vertical-align: middle; box-sizing: border-box; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "gm-legend");
            div.innerHTML = {{ this.html|tojson }};
            var fold = div.querySelector("details");
            fold.open = map.getContainer().clientWidth >= {{ this.phone_width }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        (function (map, legend) {
            // Fit the data beside the legend: the legend then covers no retailer or grid.
            var fold = legend.getContainer().querySelector("details");
            if (!map.gmDataBounds || !fold.open) { return; }
            var box = legend.getContainer().getBoundingClientRect();
            var side = {{ this.position|tojson }};
            var pad = [Math.round(box.width) + 10, 0];
            var options = side.indexOf("right") >= 0 ? {paddingBottomRight: pad}
                : {paddingTopLeft: pad};
            if (box.width && box.width < map.getContainer().clientWidth / 2) {
                map.fitBounds(map.gmDataBounds, options);
            }
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, title: str, entries: list[LegendEntry], *, position: str = "bottomright"
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.position = position
        rows = "".join(entry.to_html() for entry in entries)
        self.phone_width = PHONE_WIDTH
        self.html = (
            f'<details open><summary class="gm-legend-title">{escape(title)}</summary>'
            f'<div class="gm-legend-rows">{rows}</div></details>'
        )


def add_legend(
    m: MacroElement, title: str, entries: list[LegendEntry], *, position: str = "bottomright"
) -> Legend:
    """Add a legend control to a map.

    Parameters
    ----------
    m
        The folium map.
    title
        Heading of the legend.
    entries
        Its lines, top to bottom.
    position
        Leaflet control corner: ``topleft``, ``topright``, ``bottomleft`` or ``bottomright``.
    """
    legend = Legend(title, entries, position=position)
    legend.add_to(m)
    return legend
