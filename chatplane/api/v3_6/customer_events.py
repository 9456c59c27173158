"""Customer Chat API v3.6, events and properties: send_event, delete_event, upload_file,
send_rich_message_postback, send_sneak_peek, mark_events_as_seen, and the updates and
deletes of chat, thread and event properties.

Most are the Agent Chat API v3.6's handlers (api/v3_6/agent_events.py): the domain tells
a customer from an agent (its own chats only, no events for agents only, properties as
their configurations let customers write them).
"""

from __future__ import annotations

import time

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6 import agent_events
from chatplane.api.v3_6 import customer_structs as cst
from chatplane.api.v3_6 import structs as st
from chatplane.domain import changes, chats
from chatplane.domain.chats import MAX_TEXT_BYTES
from chatplane.errors import validation

actions = Actions()

CUSTOMER = "customer"

actions(CUSTOMER, "send_event", st.SendEvent)(agent_events.send_event)
actions(CUSTOMER, "upload_file", None, rtm=False, multipart=True)(agent_events.upload_file)
actions(CUSTOMER, "send_rich_message_postback", st.SendRichMessagePostback)(
    agent_events.send_rich_message_postback
)
actions(CUSTOMER, "mark_events_as_seen", st.MarkEventsAsSeen)(agent_events.mark_events_as_seen)
actions(CUSTOMER, "update_chat_properties", st.UpdateChatProperties)(
    agent_events.update_chat_properties
)
actions(CUSTOMER, "delete_chat_properties", st.DeleteChatProperties)(
    agent_events.delete_chat_properties
)
actions(CUSTOMER, "update_thread_properties", st.UpdateThreadProperties)(
    agent_events.update_thread_properties
)
actions(CUSTOMER, "delete_thread_properties", st.DeleteThreadProperties)(
    agent_events.delete_thread_properties
)
actions(CUSTOMER, "update_event_properties", st.UpdateEventProperties)(
    agent_events.update_event_properties
)
actions(CUSTOMER, "delete_event_properties", st.DeleteEventProperties)(
    agent_events.delete_event_properties
)


@actions(CUSTOMER, "delete_event", cst.DeleteEvent)
async def delete_event(ctx: Context, p: cst.DeleteEvent) -> None:
    # A customer deletes its own events of its own chats (the domain's rule); deleted, an
    # event is gone from every customer read and push.
    caller = ctx.caller
    await ctx.commit(lambda tx: chats.delete_event(tx, caller, p.chat_id, p.thread_id, p.event_id))


@actions(CUSTOMER, "send_sneak_peek", cst.SendSneakPeek)
async def send_sneak_peek(ctx: Context, p: cst.SendSneakPeek) -> None:
    caller = ctx.caller
    if len(p.sneak_peek_text.encode()) > MAX_TEXT_BYTES:
        raise validation(f"sneak_peek_text is over the {MAX_TEXT_BYTES}-byte limit")
    chat = await ctx.services.read(
        lambda tx: chats.get_chat(tx, caller, p.chat_id, conv="rw", lock=False)
    )
    if not chat.active_thread_id:
        # Nobody reads a sneak peek of a chat that is not going on.
        return None
    await ctx.publish(
        [
            changes.SneakPeekSent(
                chat.license_id,
                chat,
                chat.active_thread_id,
                caller.user_id,
                p.sneak_peek_text,
                int(time.time()),
            )
        ]
    )
