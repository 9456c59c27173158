"""A hub of fake sessions that record what they are sent, and chats built by hand, for the
fan-out tests: who gets which push, without sockets or a database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chatplane.domain import changes as ch
from chatplane.domain.access import role_scopes
from chatplane.domain.models import AGENT, CUSTOMER, Chat, ChatUser, Event, Principal, Thread
from chatplane.domain.viewer import View
from chatplane.realtime.fanout import Fanout, Push
from chatplane.realtime.hub import Hub, Session

LICENSE = 1


async def _nothing(*_args: Any) -> None:
    return None


class FakeSession(Session):
    """A session whose `send` records the frame instead of queueing it for a socket."""

    sent: list[str]

    def send(self, text: str) -> None:
        self.sent.append(text)

    @property
    def actions(self) -> list[str]:
        return [json.loads(text)["action"] for text in self.sent]

    @property
    def frames(self) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.sent]


def trivial(change: ch.Change, _view: View) -> Push | None:
    """A renderer that names the change: who got what is all these tests look at."""
    return type(change).__name__, {}


@dataclass
class World:
    hub: Hub = field(default_factory=Hub)
    rendered: list[tuple[str, str]] = field(default_factory=list)

    def fanout(self) -> Fanout:
        def counting(version: str) -> Any:
            def render(change: ch.Change, view: View) -> Push | None:
                self.rendered.append((view.user_type, version))
                return trivial(change, view)

            return render

        return Fanout(
            self.hub,
            lambda _lic, user_type: View(user_type),
            {"3.0": counting("3.0"), "3.6": counting("3.6")},
        )

    def connect(
        self,
        user_type: str,
        user_id: str,
        *,
        version: str = "3.6",
        groups: tuple[int, ...] = (0,),
        role: str = "normal",
        scopes: frozenset[str] | None = None,
        client_id: str = "client",
    ) -> FakeSession:
        session = FakeSession(api=user_type, send_text=_nothing, close=_nothing, version=version)
        session.sent = []
        if user_type == AGENT:
            given = role_scopes(role) if scopes is None else scopes
        else:
            given = frozenset({"customer"})
        session.principal = Principal(LICENSE, user_type, user_id, client_id, given, role)
        session.agent_group_ids = groups
        self.hub.register(session)
        return session


def user(user_id: str, user_type: str = AGENT, present: bool = True) -> ChatUser:
    return ChatUser(user_id, user_type, present, None, 0.0)


def chat(
    *users: ChatUser, groups: list[int] | None = None, followers: list[str] | None = None
) -> Chat:
    customer = next((u.id for u in users if u.type == CUSTOMER), None)
    return Chat(
        id="CHAT1",
        license_id=LICENSE,
        customer_id=customer,
        access={"group_ids": groups if groups is not None else [0]},
        properties={},
        last_order=1,
        last_thread_id="T1",
        active_thread_id="T1",
        created_at=0.0,
        updated_at=0.0,
        users=list(users),
        follower_ids=list(followers or []),
    )


def event(recipients: str = "all", author_id: str | None = "cust") -> Event:
    return Event("E1", "CHAT1", "T1", 2, "message", author_id, recipients, None, "hi", {}, {}, 0.0)


def thread() -> Thread:
    return Thread("T1", "CHAT1", 1, True, [], {}, {"group_ids": [0]}, 1, 0.0, None, [])
