"""v3.5's send_rich_message_postback: the button's id and whether it is toggled, nothing
more (v3.6 added button_type, button_value and ecommerce)."""

from __future__ import annotations

from chatplane.api.registry import Actions
from chatplane.api.v3_5 import structs as st
from chatplane.api.v3_6 import agent_events
from chatplane.api.v3_6.agent_chats import CONVERSATION

actions = Actions()

actions("agent", "send_rich_message_postback", st.SendRichMessagePostback, scopes=CONVERSATION)(
    agent_events.send_rich_message_postback
)
