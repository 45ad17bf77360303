"""The layer list (图层) of a map, folded on a phone so that it does not cover the map."""

from __future__ import annotations

import folium
from folium.template import Template

from maps.base import PHONE_WIDTH

__all__ = ["FoldingLayerControl", "add_layer_control"]


class FoldingLayerControl(folium.LayerControl):  # type: ignore[misc]
    """folium's layer control, folded into its button on a map narrower than
    :data:`~maps.base.PHONE_WIDTH` even when ``collapsed`` is False (a tap opens it)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
                overlays :  {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
            };
            var {{ this.get_name() }}_options = {{ this.options|tojavascript }};
            if ({{ this._parent.get_name() }}.getContainer().clientWidth < {{ this.phone_width }}) {
                {{ this.get_name() }}_options.collapsed = true;
            }
            let {{ this.get_name() }} = L.control.layers(
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                {{ this.get_name() }}_options
            ).addTo({{this._parent.get_name()}});
        {% endmacro %}
        """
    )

    def __init__(self, *, collapsed: bool = False) -> None:
        super().__init__(collapsed=collapsed)
        self.phone_width = PHONE_WIDTH


def add_layer_control(m: folium.Map, *, collapsed: bool = False) -> FoldingLayerControl:
    """Add the layer list to ``m`` (last, after every layer); folded on a phone."""
    control = FoldingLayerControl(collapsed=collapsed)
    control.add_to(m)
    return control
