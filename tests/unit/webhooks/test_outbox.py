"""Which webhook a change triggers: filters against the change (outbox.matches)."""

from __future__ import annotations

from chatplane.api.v3_0.webhooks import WEBHOOKS
from chatplane.domain import changes as ch
from chatplane.domain.models import Chat, ChatUser, Event
from chatplane.domain.viewer import View
from chatplane.webhooks.outbox import Target, matches

occurrence = WEBHOOKS.occurrence


def _chat(properties: dict | None = None) -> Chat:
    chat = Chat(
        id="CHAT1",
        license_id=1,
        customer_id="cust",
        access={"group_ids": [0]},
        properties=properties or {},
        last_order=3,
        last_thread_id="T1",
        active_thread_id="T1",
        created_at=1.0,
        updated_at=1.0,
    )
    chat.users = [
        ChatUser(id="cust", type="customer", present=True, last_seen_timestamp=None, joined_at=1),
        ChatUser(id="bot1", type="agent", present=True, last_seen_timestamp=None, joined_at=1),
        ChatUser(id="gone", type="agent", present=False, last_seen_timestamp=None, joined_at=1),
    ]
    return chat


def _event(author: str | None) -> Event:
    return Event(
        id="e1",
        chat_id="CHAT1",
        thread_id="T1",
        order=3,
        type="message",
        author_id=author,
        recipients="all",
        custom_id=None,
        text="hi",
        body={},
        properties={},
        created_at=2.0,
    )


def _target(**filters: object) -> Target:
    return Target("w", "webhook", "http://x", "k", "incoming_event", filters=dict(filters))


VIEW = View(user_type="agent")


def test_author_type_matches_the_event_author() -> None:
    occ = occurrence(ch.EventAppended(1, _chat(), "T1", _event("cust")), VIEW)
    assert occ is not None and occ.author_type == "customer"
    assert matches(_target(author_type="customer"), occ)
    assert not matches(_target(author_type="agent"), occ)
    system = occurrence(ch.EventAppended(1, _chat(), "T1", _event(None)), VIEW)
    assert system is not None
    assert not matches(_target(author_type="customer"), system)
    assert not matches(_target(author_type="agent"), system)


def test_chat_member_ids_look_at_agents_present() -> None:
    occ = occurrence(ch.EventAppended(1, _chat(), "T1", _event("cust")), VIEW)
    assert occ is not None
    assert matches(_target(chat_member_ids={"agents_any": ["bot1", "x"]}), occ)
    assert not matches(_target(chat_member_ids={"agents_any": ["gone"]}), occ)
    assert not matches(_target(chat_member_ids={"agents_exclude": ["bot1"]}), occ)
    assert matches(_target(chat_member_ids={"agents_exclude": ["gone"]}), occ)


def test_chat_properties_filter_values_exclude_and_exists() -> None:
    chat = _chat({"source": {"type": "facebook", "flag": True}})
    occ = occurrence(ch.EventAppended(1, chat, "T1", _event("cust")), VIEW)
    assert occ is not None

    def bot(rule: dict) -> Target:
        return _target(chat_properties={"source": rule})

    assert matches(bot({"type": {"values": ["facebook", "twitter"]}}), occ)
    assert not matches(bot({"type": {"values": ["email"]}}), occ)
    assert not matches(bot({"type": {"exclude_values": ["facebook"]}}), occ)
    assert matches(bot({"missing": {"exists": False}}), occ)
    assert not matches(bot({"missing": {"values": ["x"]}}), occ)
    # A bool property is not the int 1.
    assert not matches(bot({"flag": {"values": [1]}}), occ)
    assert matches(bot({"flag": {"values": [True]}}), occ)


def test_agent_status_changed_uses_the_configuration_spelling() -> None:
    occ = occurrence(ch.AgentStatusChanged(1, "bot1", "not_accepting_chats"), VIEW)
    assert occ is not None
    assert occ.action == "agent_status_changed"
    assert occ.data == {"agent_id": "bot1", "status": "not accepting chats"}
    assert matches(_target(chat_member_ids={"agents_any": ["bot1"]}), occ)


def test_changes_without_a_webhook_action_make_none() -> None:
    updated = ch.EventUpdated(1, _chat(), "T1", _event("cust"))
    assert occurrence(updated, VIEW) is None
