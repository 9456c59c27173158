"""v3.5's pushes: v3.6's, in v3.5's shapes, except where v3.5 differs: a rich message
postback says only the button's id and whether it is toggled (v3.6 added `button_type`,
`button_value` and `ecommerce`), and there is no `event_deleted`,
`incoming_thinking_indicator`, `license_properties_updated` or `group_properties_updated`
(v3.6 added them)."""

from __future__ import annotations

from typing import Any

from chatplane.api.v3_5.serialize import SHAPES
from chatplane.api.v3_6.pushes import Pushes, Rendered
from chatplane.api.v3_6.serialize import View
from chatplane.domain import changes as ch


class Pushes35(Pushes):
    def postback(self, c: ch.RichMessagePostback) -> dict[str, Any]:
        return {"id": c.postback_id, "toggled": c.toggled}

    def event_deleted(self, c: ch.EventDeleted, view: View) -> Rendered:
        return None

    def incoming_thinking_indicator(self, c: ch.ThinkingIndicatorSent, view: View) -> Rendered:
        return None

    def properties_updated_configured(
        self, c: ch.ConfiguredPropertiesChanged, view: View
    ) -> Rendered:
        return None


PUSHES = Pushes35(SHAPES)
render = PUSHES.render
