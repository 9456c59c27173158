"""Request payloads of v3.0, as msgspec structs: decoding is validation.

A field the spec marks required has no default; msgspec names the missing or mistyped
field in its message, which becomes the `validation` error's message.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

Recipients = Literal["all", "agents"]
Properties = dict[str, dict[str, Any]]
NonEmpty = Annotated[str, Meta(min_length=1)]
ChatId = Annotated[str, Meta(min_length=1, max_length=64)]
UserType = Literal["agent", "customer"]


class Empty(Struct, forbid_unknown_fields=False):
    pass


# -- events ----------------------------------------------------------------------------


class _EventBase(Struct, tag_field="type", kw_only=True):
    custom_id: str | None = None
    recipients: Recipients = "all"
    properties: Properties | None = None


class MessageIn(_EventBase, tag="message"):
    text: str
    postback: dict[str, Any] | None = None


class AnnotationIn(_EventBase, tag="annotation"):
    annotation_type: NonEmpty
    text: str | None = None


class FilledFormIn(_EventBase, tag="filled_form"):
    fields: list[dict[str, Any]]
    form_id: str | None = None


class CustomIn(_EventBase, tag="custom"):
    content: Any = None


class RichButton(Struct, kw_only=True):
    text: str | None = None
    postback_id: str | None = None
    user_ids: list[str] = msgspec.field(default_factory=list)
    type: str | None = None
    value: str | None = None
    webview_height: Literal["compact", "tall", "full"] | None = None


class RichImage(Struct, kw_only=True):
    url: str
    name: str | None = None
    content_type: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None


class RichElement(Struct, kw_only=True):
    title: str | None = None
    subtitle: str | None = None
    image: RichImage | None = None
    buttons: Annotated[list[RichButton], Meta(min_length=1, max_length=11)] | None = None


class RichMessageIn(_EventBase, tag="rich_message"):
    template_id: NonEmpty
    elements: Annotated[list[RichElement], Meta(min_length=1, max_length=10)] | None = None


class SystemMessageIn(_EventBase, tag="system_message"):
    text: str
    system_message_type: str | None = None
    text_vars: dict[str, str] | None = None


class FileIn(_EventBase, tag="file"):
    url: str | None = None


EventIn = (
    MessageIn | AnnotationIn | FilledFormIn | CustomIn | RichMessageIn | SystemMessageIn | FileIn
)


# -- chats -----------------------------------------------------------------------------


# Group ids are 32-bit in storage: a bigger one names no group on any engine.
MAX_GROUP_ID = 2**31 - 1
GroupId = Annotated[int, Meta(ge=0, le=MAX_GROUP_ID)]


class AccessIn(Struct):
    group_ids: list[GroupId]


class UserRef(Struct):
    id: NonEmpty
    type: UserType


class ThreadIn(Struct, kw_only=True):
    events: list[EventIn] = msgspec.field(default_factory=list)
    properties: Properties | None = None


class StartChatChat(Struct, kw_only=True):
    properties: Properties | None = None
    access: AccessIn | None = None
    users: list[UserRef] | None = None
    thread: ThreadIn | None = None


class StartChat(Struct, kw_only=True):
    chat: StartChatChat | None = None


class ActivateChatChat(StartChatChat, kw_only=True):
    id: ChatId


class ActivateChat(Struct, kw_only=True):
    chat: ActivateChatChat


class SendEvent(Struct, kw_only=True):
    chat_id: ChatId
    event: EventIn
    attach_to_last_thread: bool = False
    require_active_thread: bool = False


class ChatOnly(Struct, kw_only=True):
    chat_id: ChatId


class ChatUserChange(Struct, kw_only=True):
    chat_id: ChatId
    user_id: NonEmpty
    user_type: UserType


class LastSeen(Struct, kw_only=True):
    chat_id: ChatId
    timestamp: Annotated[int, Meta(ge=0)] | None = None


class GetChatThreads(Struct, kw_only=True):
    chat_id: ChatId
    thread_ids: list[str] | None = None


class CustomerGetChatThreads(Struct, kw_only=True):
    chat_id: ChatId
    thread_ids: list[str]


class Pagination(Struct, kw_only=True):
    page: Annotated[int, Meta(ge=1, le=1000)] = 1
    limit: Annotated[int, Meta(ge=0, le=100)] = 25


class PropertyFilter(Struct, kw_only=True, forbid_unknown_fields=True):
    exists: bool | None = None
    values: list[int | bool | str] | None = None
    exclude_values: list[int | bool | str] | None = None


Day = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class ArchivesFilters(Struct, kw_only=True):
    query: str | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    agent_ids: list[str] | None = None
    group_ids: list[GroupId] | None = None
    properties: dict[str, dict[str, PropertyFilter]] | None = None


class GetArchives(Struct, kw_only=True):
    filters: ArchivesFilters | None = None
    pagination: Pagination | None = None


class FilteredChatsFilters(Struct, kw_only=True):
    include_active: bool = True
    properties: dict[str, dict[str, PropertyFilter]] | None = None


class GetFilteredChats(Struct, kw_only=True):
    filters: FilteredChatsFilters | None = None


class GetChatsSummary(Struct, kw_only=True):
    offset: Annotated[int, Meta(ge=0, le=100)] = 0
    limit: Annotated[int, Meta(ge=0, le=25)] = 10


class GetChatThreadsSummary(Struct, kw_only=True):
    chat_id: ChatId
    offset: Annotated[int, Meta(ge=0)] = 0
    limit: Annotated[int, Meta(ge=0, le=100)] = 25


# -- sessions --------------------------------------------------------------------------


class PushNotifications(Struct, kw_only=True):
    platform: Literal["ios", "android"]
    firebase_token: str | None = None


class Application(Struct, kw_only=True):
    name: str | None = None
    version: str | None = None


class AgentLogin(Struct, kw_only=True):
    token: NonEmpty
    timezone: str | None = None
    reconnect: bool = False
    push_notifications: PushNotifications | None = None
    application: Application | None = None


class CustomerIn(Struct, kw_only=True):
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    fields: dict[str, str] | None = None


class CustomerPage(Struct, kw_only=True):
    url: str | None = None
    title: str | None = None


class CustomerLogin(Struct, kw_only=True):
    token: NonEmpty
    group_id: GroupId | None = None
    customer: CustomerIn | None = None
    customer_page: CustomerPage | None = None
    referrer: str | None = None
    customer_side_storage: dict[str, str] | None = None
