"""Agent Chat API v3.6, events and properties: send_event, upload_file,
send_rich_message_postback, mark_events_as_seen, send_typing_indicator,
send_thinking_indicator, send_event_preview, multicast, and the updates and deletes of
chat, thread and event properties."""

from __future__ import annotations

from typing import Any

import msgspec

from chatplane.api.dispatch import Context
from chatplane.api.multicasts import send_multicast
from chatplane.api.registry import Actions
from chatplane.api.uploads import file_url, store_upload, upload_part
from chatplane.api.v3_6 import structs as st
from chatplane.api.v3_6.agent_chats import CONVERSATION
from chatplane.api.v3_6.common import parse_time
from chatplane.api.v3_6.convert import new_event
from chatplane.domain import chats, postbacks, property_writes, signals
from chatplane.domain.access import CHATS_READ_WIDE
from chatplane.domain.property_writes import Target
from chatplane.errors import validation

actions = Actions()

AGENT = "agent"


@actions(AGENT, "send_event", st.SendEvent, scopes=CONVERSATION)
async def send_event(ctx: Context, p: st.SendEvent) -> dict[str, Any]:
    caller = ctx.caller
    if p.opts and set(p.opts) - {"author_id"}:
        raise validation(f"opts: unknown field {', '.join(sorted(set(p.opts) - {'author_id'}))}")
    new = await new_event(ctx, p.event)
    server_made = isinstance(p.event, st.FileIn)  # checked against the file store above
    _thread_id, event = await ctx.commit(
        lambda tx: chats.send_event(
            tx,
            caller,
            p.chat_id,
            new,
            attach_to_last_thread=p.attach_to_last_thread,
            require_active_thread=True,
            server_made=server_made,
            require_present=True,
            mark_seen=True,
            system_messages=True,
        )
    )
    return {"event_id": event.id}


@actions(AGENT, "upload_file", None, rtm=False, multipart=True)
async def upload_file(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    upload = upload_part(payload, "file")
    unknown = sorted(set(payload) - {"file"})
    if unknown:
        raise validation(f"upload_file takes only the `file` part, not {', '.join(unknown)}")
    stored, _ = await store_upload(ctx, upload)
    return {"url": file_url(ctx, stored)}


@actions(AGENT, "send_rich_message_postback", st.SendRichMessagePostback, scopes=CONVERSATION)
async def send_rich_message_postback(ctx: Context, p: st.SendRichMessagePostback) -> None:
    caller = ctx.caller
    # What the postback says besides the button's id (v3.6: button_type, button_value,
    # ecommerce; a version without them sends none).
    details = msgspec.to_builtins(p.postback)
    del details["id"], details["toggled"]
    await ctx.commit(
        lambda tx: postbacks.send_postback(
            tx,
            caller,
            p.chat_id,
            p.thread_id,
            p.event_id,
            p.postback.id,
            p.postback.toggled,
            details,
        )
    )


@actions(AGENT, "mark_events_as_seen", st.MarkEventsAsSeen, scopes=CHATS_READ_WIDE)
async def mark_events_as_seen(ctx: Context, p: st.MarkEventsAsSeen) -> None:
    caller = ctx.caller
    seen = parse_time("seen_up_to", p.seen_up_to)
    await ctx.commit(lambda tx: chats.mark_events_as_seen(tx, caller, p.chat_id, seen))


@actions(AGENT, "send_typing_indicator", st.SendTypingIndicator, scopes=CONVERSATION)
async def send_typing_indicator(ctx: Context, p: st.SendTypingIndicator) -> None:
    caller = ctx.caller
    indicator = await ctx.services.read(
        lambda tx: chats.typing_indicator(tx, caller, p.chat_id, p.visibility, p.is_typing)
    )
    await ctx.publish([indicator])


@actions(AGENT, "send_thinking_indicator", st.SendThinkingIndicator, scopes=CONVERSATION)
async def send_thinking_indicator(ctx: Context, p: st.SendThinkingIndicator) -> None:
    caller = ctx.caller
    indicator = await ctx.services.read(
        lambda tx: signals.send_thinking_indicator(
            tx,
            caller,
            p.chat_id,
            title=p.title,
            description=p.description,
            visibility=p.visibility,
            custom_id=p.custom_id,
        )
    )
    await ctx.publish([indicator])


@actions(AGENT, "send_event_preview", st.SendEventPreview, scopes=CONVERSATION)
async def send_event_preview(ctx: Context, p: st.SendEventPreview) -> None:
    caller = ctx.caller
    new = await new_event(ctx, p.event)
    preview = await ctx.services.read(
        lambda tx: signals.send_event_preview(tx, caller, p.chat_id, new)
    )
    await ctx.publish([preview])


@actions(AGENT, "multicast", st.Multicast, scopes=("multicast:rw",))
async def multicast(ctx: Context, p: st.Multicast) -> None:
    agents = p.recipients.agents
    await send_multicast(
        ctx,
        "recipients",
        p.content,
        p.type,
        all_agents=agents.all,
        agent_ids=agents.ids,
        group_ids=agents.groups,
    )


# -- properties --------------------------------------------------------------------------


async def update_properties(ctx: Context, target: Target, values: st.Properties) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: property_writes.update_properties(tx, caller, target, values))


async def delete_properties(ctx: Context, target: Target, names: st.PropertyNames) -> None:
    caller = ctx.caller
    await ctx.commit(lambda tx: property_writes.delete_properties(tx, caller, target, names))


@actions(AGENT, "update_chat_properties", st.UpdateChatProperties, scopes=CONVERSATION)
async def update_chat_properties(ctx: Context, p: st.UpdateChatProperties) -> None:
    await update_properties(ctx, Target(p.id), p.properties)


@actions(AGENT, "delete_chat_properties", st.DeleteChatProperties, scopes=CONVERSATION)
async def delete_chat_properties(ctx: Context, p: st.DeleteChatProperties) -> None:
    await delete_properties(ctx, Target(p.id), p.properties)


@actions(AGENT, "update_thread_properties", st.UpdateThreadProperties, scopes=CONVERSATION)
async def update_thread_properties(ctx: Context, p: st.UpdateThreadProperties) -> None:
    await update_properties(ctx, Target(p.chat_id, p.thread_id), p.properties)


@actions(AGENT, "delete_thread_properties", st.DeleteThreadProperties, scopes=CONVERSATION)
async def delete_thread_properties(ctx: Context, p: st.DeleteThreadProperties) -> None:
    await delete_properties(ctx, Target(p.chat_id, p.thread_id), p.properties)


@actions(AGENT, "update_event_properties", st.UpdateEventProperties, scopes=CONVERSATION)
async def update_event_properties(ctx: Context, p: st.UpdateEventProperties) -> None:
    await update_properties(ctx, Target(p.chat_id, p.thread_id, p.event_id), p.properties)


@actions(AGENT, "delete_event_properties", st.DeleteEventProperties, scopes=CONVERSATION)
async def delete_event_properties(ctx: Context, p: st.DeleteEventProperties) -> None:
    await delete_properties(ctx, Target(p.chat_id, p.thread_id, p.event_id), p.properties)
