"""Per-action rules for filters and additional data (configuration-api/readme.md)."""

from __future__ import annotations

import pytest

from chatplane.errors import ApiError
from chatplane.webhooks.actions import (
    ACTIONS,
    BotFilters,
    ChatMemberIds,
    Filters,
    allowed_additional_data,
    check_trigger,
)


def test_additional_data_availability_follows_the_readme() -> None:
    assert allowed_additional_data("incoming_event") == ("chat_properties", "access")
    assert allowed_additional_data("chat_user_added") == ("chat_properties", "access", "thread_id")
    assert allowed_additional_data("thread_closed") == ("chat_properties",)
    assert allowed_additional_data("agent_status_changed") == ()
    assert allowed_additional_data("agent_deleted") == ()


@pytest.mark.parametrize("action", ACTIONS)
def test_chat_member_ids_is_available_for_every_action(action: str) -> None:
    check_trigger(action, Filters(chat_member_ids=ChatMemberIds(agents_any=["a"])), None)


def test_author_type_only_for_incoming_event() -> None:
    check_trigger("incoming_event", Filters(author_type="agent"), None)
    with pytest.raises(ApiError, match="author_type"):
        check_trigger("chat_user_added", Filters(author_type="agent"), None)


def test_bot_chat_properties_filter_not_for_agent_actions() -> None:
    check_trigger("incoming_event", BotFilters(chat_properties={}), None)
    with pytest.raises(ApiError, match="chat_properties"):
        check_trigger("agent_status_changed", BotFilters(chat_properties={}), None)


def test_additional_data_given_twice_is_refused() -> None:
    with pytest.raises(ApiError, match=r"additional_data\[1\]"):
        check_trigger("incoming_event", None, ["access", "access"])
