"""v3.5's webhooks: v3.6's (api/v3_6/webhooks.py) in v3.5's shapes, with
`incoming_customer` and without `event_deleted` (management/webhooks/v3.5)."""

from __future__ import annotations

from chatplane.api.v3_5.pushes import PUSHES
from chatplane.api.v3_6.webhooks import CHAT_ACTIONS, OTHER_ACTIONS, WebhooksV3x

ACTIONS = CHAT_ACTIONS | OTHER_ACTIONS | {"incoming_customer"}

WEBHOOKS = WebhooksV3x(PUSHES, ACTIONS, customers=True)
