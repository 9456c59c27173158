"""The Customer Chat API v3.5: only what differs from v3.6 (api/v3_6/customer_*.py), per
the customer changelog (v3.6): v3.5's login and update_customer know no `address` (nor
`omnichannel`), its rich message postbacks say only the button's id and whether it is
toggled, and its get_dynamic_configuration is the flat object v3.6 moved under `livechat`.
delete_event, request_welcome_message and send_greeting_button_clicked are v3.6's own
(chatplane/app.py removes them from v3.5)."""

from __future__ import annotations

from chatplane.api.registry import Actions
from chatplane.api.v3_5 import structs as st35
from chatplane.api.v3_6 import agent_events, customer_bootstrap, customer_profile, customer_status
from chatplane.api.v3_6 import customer_structs as cst
from chatplane.api.v3_6.customer_pushes import PUSH_NAMES as PUSH_NAMES_V3_6
from chatplane.api.v3_6.structs import Payload, SessionFields

CUSTOMER = "customer"

# The pushes v3.6 added: incoming_event_preview, event_deleted, incoming_thinking_indicator
# and incoming_welcome_message.
PUSH_NAMES = PUSH_NAMES_V3_6 - {
    "incoming_event_preview",
    "event_deleted",
    "incoming_thinking_indicator",
    "incoming_welcome_message",
}

REMOVED = [
    (CUSTOMER, "delete_event"),
    (CUSTOMER, "request_welcome_message"),
    (CUSTOMER, "send_greeting_button_clicked"),
]


class LoginCustomer(Payload):
    avatar: str | None = None
    email: str | None = None
    name: str | None = None
    session_fields: SessionFields | None = None


class Login(cst.Login, kw_only=True):
    customer: LoginCustomer | None = None  # type: ignore[assignment]


class UpdateCustomer(Payload):
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    session_fields: SessionFields | None = None


actions = Actions()
actions(CUSTOMER, "update_customer", UpdateCustomer)(customer_profile.update_customer)
actions(CUSTOMER, "send_rich_message_postback", st35.SendRichMessagePostback)(
    agent_events.send_rich_message_postback
)

status_actions = customer_status.actions_for(Login, PUSH_NAMES)
bootstrap_actions = customer_bootstrap.actions_for(customer_bootstrap.get_dynamic_configuration_v35)
