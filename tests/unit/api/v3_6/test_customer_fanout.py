"""Customer pushes through the real fan-out: the requester's connection gets its request's
`request_id` on what its request did, not on what the server did in reaction (routing's
system message, its assignment of an agent), which the official customer SDK would read as
a second answer; customer-only changes reach only that customer's connections."""

from __future__ import annotations

import json
from typing import Any

from chatplane.api.v3_6.customer_pushes import render
from chatplane.bus import Origin
from chatplane.domain import changes as ch
from chatplane.domain.models import Principal
from chatplane.realtime.fanout import Fanout
from chatplane.realtime.hub import Hub, Session

from . import objects as o

CUSTOMER_ID = "b7eff798-f8df-4364-8059-649c35c9ed0c"


async def _nothing(_text: str) -> None:
    return None


async def _close(_code: int) -> None:
    return None


def customer_session(hub: Hub, customer_id: str = CUSTOMER_ID) -> Session:
    session = Session(
        api="customer", send_text=_nothing, close=_close, version="3.6", push_version="3.6"
    )
    session.principal = Principal(1, "customer", customer_id, "client", frozenset())
    hub.register(session)
    return session


def sent(session: Session) -> list[dict[str, Any]]:
    out = []
    while not session._queue.empty():
        text = session._queue.get_nowait()
        if text is not None:
            out.append(json.loads(text))
    return out


def fanout(hub: Hub) -> Fanout:
    return Fanout(hub, lambda _lic, user_type: o.customer_view(), {"3.6": render})


def test_only_the_requests_own_doing_carries_its_request_id() -> None:
    hub = Hub()
    me = customer_session(hub)
    chat = o.chat()
    started = ch.ThreadStarted(1, chat, o.thread(), CUSTOMER_ID, "customer")
    system = o.event("system_message", system_message_type="routing.assigned")
    assigned = ch.UserAdded(1, chat, "K600PKZON8", o.agent_user(), None, "assigned")
    own = ch.EventAppended(1, chat, "K600PKZON8", o.event())
    origin = Origin(me.id, "req-1", (1, "customer", CUSTOMER_ID))
    f = fanout(hub)
    for change in (
        started,
        ch.EventAppended(1, chat, "K600PKZON8", system),
        assigned,
        own,
    ):
        f.deliver(change, origin)
    frames = sent(me)
    assert [(p["action"], p.get("request_id")) for p in frames] == [
        ("incoming_chat", "req-1"),
        ("incoming_event", None),  # routing's system message
        ("user_added_to_chat", None),  # routing's assignment
        ("incoming_event", "req-1"),
    ]
    assert {p["version"] for p in frames} == {"3.6"}


def test_side_storage_and_welcome_messages_reach_only_their_customer() -> None:
    hub = Hub()
    me, other = customer_session(hub), customer_session(hub, "someone-else")
    f = fanout(hub)
    f.deliver(ch.CustomerSideStorageUpdated(1, CUSTOMER_ID, {"visit_id": "3"}), Origin())
    f.deliver(ch.WelcomeMessageSent(1, CUSTOMER_ID, "w1", "smith@example.com", "Hi", 1.0), Origin())
    assert [p["action"] for p in sent(me)] == [
        "customer_side_storage_updated",
        "incoming_welcome_message",
    ]
    assert sent(other) == []
