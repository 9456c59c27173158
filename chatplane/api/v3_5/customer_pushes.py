"""v3.5's customer pushes: v3.6's, except that a rich message postback says only the
button's id and whether it is toggled (v3.6 added `button_type`, `button_value` and
`ecommerce`), and none of the pushes v3.6 added (`event_deleted`, `incoming_event_preview`,
`incoming_thinking_indicator`, `incoming_welcome_message`)."""

from __future__ import annotations

from typing import Any

from chatplane.api.v3_5 import pushes as pushes_v3_5
from chatplane.api.v3_6.customer_pushes import CustomerPushes, both
from chatplane.api.v3_6.customer_shapes import CUSTOMER_SHAPES, CustomerShapes
from chatplane.domain import changes as ch


class CustomerPushes35(CustomerPushes):
    def __init__(self, shapes: CustomerShapes) -> None:
        super().__init__(shapes)
        # The pushes v3.6 added: none of these reach a v3.5 connection.
        for added in (
            ch.EventDeleted,
            ch.ThinkingIndicatorSent,
            ch.EventPreviewSent,
            ch.WelcomeMessageSent,
        ):
            self._by_type[added] = self.nothing

    def postback(self, c: ch.RichMessagePostback) -> dict[str, Any]:
        return {"id": c.postback_id, "toggled": c.toggled}


CUSTOMER_PUSHES = CustomerPushes35(CUSTOMER_SHAPES)
render_customers = CUSTOMER_PUSHES.render
render = both(pushes_v3_5.render, render_customers)
