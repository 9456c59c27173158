"""Request payloads of the Agent Chat API v3.6, as msgspec structs: decoding is validation.

A field the reference marks required has no default. Unknown fields are refused (msgspec
names them), so nothing a caller sends is dropped without a word; fields the reference
has but Chatplane cannot honour are declared and refused by the handler with the reason.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

Visibility = Literal["all", "agents"]
Properties = dict[str, dict[str, Any]]
PropertyNames = dict[str, list[str]]
NonEmpty = Annotated[str, Meta(min_length=1)]
Id = Annotated[str, Meta(min_length=1, max_length=64)]
LongId = Annotated[str, Meta(min_length=1, max_length=255)]
UserType = Literal["agent", "customer"]
SortOrder = Literal["asc", "desc"]
GroupId = Annotated[int, Meta(ge=0)]
# RFC 3339 with an offset or Z (checked and read by the handlers: api/v3_6/common.py).
DateTime = Annotated[str, Meta(min_length=10, max_length=40)]


class Payload(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    pass


class Empty(Payload):
    pass


# -- events ----------------------------------------------------------------------------


class _EventBase(
    Struct, tag_field="type", kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    custom_id: Annotated[str, Meta(max_length=255)] | None = None
    visibility: Visibility = "all"
    properties: Properties | None = None


class Ecommerce(Payload):
    product_id: NonEmpty
    option_id: str | None = None
    quantity: int | None = None


class MessagePostback(Payload):
    id: NonEmpty
    thread_id: NonEmpty
    event_id: NonEmpty
    type: str | None = None
    value: str | None = None
    ecommerce: Ecommerce | None = None


class MessageIn(_EventBase, tag="message"):
    text: str
    postback: MessagePostback | None = None


class FileIn(_EventBase, tag="file"):
    # A URL upload_file answered (the server fills in name, size and type from it).
    url: NonEmpty
    alternative_text: str | None = None


class FormIn(_EventBase, tag="form"):
    form_id: NonEmpty
    fields: list[dict[str, Any]]
    form_type: str | None = None


class FilledFormIn(_EventBase, tag="filled_form"):
    form_id: NonEmpty
    fields: list[dict[str, Any]]
    form_type: str | None = None


class CustomIn(_EventBase, tag="custom"):
    content: Any = None


class RichButton(Payload):
    text: str | None = None
    type: Literal["webview", "message", "url", "phone", "postback", "cancel"] | None = None
    value: str | None = None
    webview_height: Literal["compact", "tall", "full"] | None = None
    postback_id: str | None = None
    user_ids: list[str] = msgspec.field(default_factory=list)
    target: Literal["new", "current"] | None = None


class RichImage(Payload):
    url: NonEmpty
    name: str | None = None
    content_type: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    alternative_text: str | None = None


class RichEcommerce(Payload):
    view_type: Literal["tags", "swatch", "images", "select"]
    product_id: NonEmpty
    label: str | None = None
    options: list[dict[str, Any]] | None = None
    addons: list[dict[str, Any]] | None = None


class RichElement(Payload):
    title: str | None = None
    subtitle: str | None = None
    image: RichImage | None = None
    buttons: Annotated[list[RichButton], Meta(max_length=13)] | None = None
    ecommerce: RichEcommerce | None = None


class RichMessageIn(_EventBase, tag="rich_message"):
    template_id: Literal["cards", "sticker", "quick_replies", "ecommerce"]
    elements: Annotated[list[RichElement], Meta(max_length=10)] | None = None


class SystemMessageIn(_EventBase, tag="system_message"):
    system_message_type: NonEmpty
    text: str | None = None
    text_vars: dict[str, str] | None = None


EventIn = MessageIn | FileIn | FormIn | FilledFormIn | CustomIn | RichMessageIn | SystemMessageIn


# -- chats -----------------------------------------------------------------------------


class Access(Payload):
    group_ids: list[GroupId]


class UserRef(Payload):
    id: NonEmpty
    type: UserType


class ThreadIn(Payload):
    events: list[EventIn] = msgspec.field(default_factory=list)
    properties: Properties | None = None


class StartChatChat(Payload):
    properties: Properties | None = None
    access: Access | None = None
    users: list[UserRef] | None = None
    thread: ThreadIn | None = None


class StartChat(Payload):
    chat: StartChatChat | None = None
    active: bool = True
    continuous: bool | None = None


class ResumeChatChat(StartChatChat, kw_only=True):
    id: Id


class ResumeChat(Payload):
    chat: ResumeChatChat
    active: bool = True
    continuous: bool | None = None


class DeactivateChat(Payload):
    id: Id
    ignore_requester_presence: bool = False


class ChatById(Payload):
    id: Id


class PropertyFilter(Payload):
    exists: bool | None = None
    values: list[int | bool | str] | None = None
    exclude_values: list[int | bool | str] | None = None


PropertyFilters = dict[str, dict[str, PropertyFilter]]


class CommonChatsFilters(Payload):
    """list_chats filters of every v3.x version (each adds how it picks active chats)."""

    include_chats_without_threads: bool = True
    group_ids: Annotated[list[GroupId], Meta(max_length=200)] | None = None
    properties: PropertyFilters | None = None


class ListChatsFilters(CommonChatsFilters):
    active: bool | None = None


class ListChats(Payload):
    filters: ListChatsFilters | None = None
    sort_order: SortOrder | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] | None = None
    page_id: NonEmpty | None = None


class ListThreadsFilters(Payload):
    # `from` is a keyword in Python: the struct renames it on the wire.
    from_: DateTime | None = msgspec.field(default=None, name="from")
    to: DateTime | None = None


class ListThreads(Payload):
    chat_id: Id
    sort_order: SortOrder | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] | None = None
    page_id: NonEmpty | None = None
    min_events_count: Annotated[int, Meta(ge=1, le=100)] | None = None
    filters: ListThreadsFilters | None = None


class GetChat(Payload):
    chat_id: Id
    thread_id: Id | None = None


class ValuesFilter(Payload):
    """`values` / `exclude_values` (/ `exists`), one at a time."""

    exists: bool | None = None
    values: list[str] | None = None
    exclude_values: list[str] | None = None
    require_every_value: bool = False


class CommonArchivesFilters(Payload):
    """list_archives filters of v3.5 and v3.6 (v3.6 adds the rest)."""

    query: Annotated[str, Meta(max_length=1000)] | None = None
    from_: DateTime | None = msgspec.field(default=None, name="from")
    to: DateTime | None = None
    thread_ids: Annotated[list[Id], Meta(max_length=20)] | None = None
    group_ids: Annotated[list[GroupId], Meta(max_length=200)] | None = None
    properties: PropertyFilters | None = None
    agents: ValuesFilter | None = None
    event_types: ValuesFilter | None = None
    tags: ValuesFilter | None = None
    # In the reference, but Chatplane has nothing they could match (refused by name).
    sales: dict[str, Any] | None = None
    goals: dict[str, Any] | None = None
    surveys: dict[str, Any] | None = None
    forms: dict[str, Any] | None = None
    greetings: dict[str, Any] | None = None
    agent_response: dict[str, Any] | None = None
    customer_countries: dict[str, Any] | None = None


class ArchivesFilters(CommonArchivesFilters):
    chat_ids: Annotated[list[Id], Meta(max_length=1000)] | None = None
    customer_id: NonEmpty | None = None
    customer_email: NonEmpty | None = None
    agent_types: dict[str, Any] | None = None


class Highlights(Payload):
    pre_tag: Annotated[str, Meta(max_length=100)] = "<em>"
    post_tag: Annotated[str, Meta(max_length=100)] = "</em>"


class ListArchives(Payload):
    filters: ArchivesFilters | None = None
    page_id: NonEmpty | None = None
    sort_order: SortOrder | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] | None = None
    highlights: Highlights | None = None


# -- chat access and users -------------------------------------------------------------


class TransferTarget(Payload):
    type: Literal["agent", "group"]
    ids: Annotated[list[int | str], Meta(min_length=1)]


class TransferChat(Payload):
    id: Id
    target: TransferTarget | None = None
    ignore_agents_availability: bool = False
    ignore_requester_presence: bool = False


class AddUserToChat(Payload):
    chat_id: Id
    user_id: NonEmpty
    user_type: UserType
    visibility: Visibility
    ignore_requester_presence: bool = False


class RemoveUserFromChat(Payload):
    chat_id: Id
    user_id: NonEmpty
    user_type: Literal["agent"]
    ignore_requester_presence: bool = False


# -- events ----------------------------------------------------------------------------


class SendEvent(Payload):
    chat_id: Id
    event: EventIn
    # Not in the v3.6 table, but described since v3.1 and sent by the official SDK:
    # an event for an inactive chat goes to its last thread.
    attach_to_last_thread: bool = False
    # lc-sdk-python 0.4.2's RTM send_event puts a local variable of its own in the
    # payload: `{}`, or the `author_id` it also sends beside the payload. Only that.
    opts: dict[str, str] | None = None


class Postback(Payload):
    id: LongId
    toggled: bool
    button_type: str | None = None
    button_value: str | None = None
    ecommerce: Ecommerce | None = None


class SendRichMessagePostback(Payload):
    chat_id: LongId
    thread_id: LongId
    event_id: LongId
    postback: Postback


class UpdateChatProperties(Payload):
    id: Id
    properties: Properties


class DeleteChatProperties(Payload):
    id: Id
    properties: PropertyNames


class UpdateThreadProperties(Payload):
    chat_id: Id
    thread_id: Id
    properties: Properties


class DeleteThreadProperties(Payload):
    chat_id: Id
    thread_id: Id
    properties: PropertyNames


class UpdateEventProperties(Payload):
    chat_id: Id
    thread_id: Id
    event_id: Id
    properties: Properties


class DeleteEventProperties(Payload):
    chat_id: Id
    thread_id: Id
    event_id: Id
    properties: PropertyNames


# -- customers -------------------------------------------------------------------------

UUID4 = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
SessionFields = Annotated[list[dict[str, str]], Meta(max_length=100)]


class GetCustomer(Payload):
    id: NonEmpty


class UpdateCustomer(Payload):
    id: Annotated[str, Meta(pattern=UUID4)]
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    session_fields: SessionFields | None = None
    # In the reference; Chatplane keeps none of them (refused by name).
    phone_number: str | None = None
    omnichannel: dict[str, Any] | None = None
    address: dict[str, Any] | None = None


class Ban(Payload):
    # Up to a hundred years; fractions of a day are allowed (a number in the reference).
    days: Annotated[float, Meta(gt=0, le=36500)]


class BanCustomer(Payload):
    id: NonEmpty
    ban: Ban


# -- status ----------------------------------------------------------------------------


class Application(Payload):
    name: str | None = None
    version: str | None = None


class Login(Payload):
    token: NonEmpty
    timezone: str | None = None
    reconnect: bool = False
    application: Application | None = None
    away: bool = False
    customer_monitoring_level: (
        Literal["my", "chatting", "invited", "online", "highest_available"] | None
    ) = None
    pushes: dict[str, list[NonEmpty]] | None = None


class SetAwayStatus(Payload):
    away: bool


class UpdateSession(Payload):
    token: NonEmpty


class SetRoutingStatus(Payload):
    status: Literal["accepting_chats", "not_accepting_chats", "offline"]
    agent_id: NonEmpty | None = None


class RoutingStatusesFilters(Payload):
    group_ids: list[GroupId] | None = None


class ListRoutingStatuses(Payload):
    filters: RoutingStatusesFilters | None = None


# -- other -----------------------------------------------------------------------------


class MarkEventsAsSeen(Payload):
    chat_id: Id
    seen_up_to: DateTime


class SendTypingIndicator(Payload):
    chat_id: Id
    is_typing: bool
    visibility: Visibility = "all"


class AgentRecipients(Payload):
    all: bool = False
    ids: list[NonEmpty] = msgspec.field(default_factory=list)
    groups: list[GroupId] = msgspec.field(default_factory=list)


class MulticastRecipients(Payload):
    agents: AgentRecipients


class Multicast(Payload):
    recipients: MulticastRecipients
    content: Any
    type: str | None = None


class ChatIdOnly(Payload):
    chat_id: Id


class ThreadRef(Payload):
    chat_id: Id
    thread_id: Id


class TagThread(Payload):
    chat_id: Id
    thread_id: Id
    tag: NonEmpty


class SendThinkingIndicator(Payload):
    chat_id: Id
    title: str | None = None
    description: str | None = None
    visibility: Visibility = "all"
    custom_id: str | None = None


class SendEventPreview(Payload):
    chat_id: Id
    event: EventIn


class SubscribeCustomers(Payload):
    group_ids: list[GroupId] | None = None
    limit: Annotated[int, Meta(ge=1)] | None = None


class UnsubscribeCustomers(Payload):
    subscription_id: NonEmpty
