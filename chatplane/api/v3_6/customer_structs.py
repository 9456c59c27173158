"""Request payloads of the Customer Chat API v3.6, as msgspec structs: decoding is
validation.

Starting and resuming chats, events, properties and postbacks are the Agent Chat API's
structs (api/v3_6/structs.py): the references describe them alike, and the handlers and the
domain refuse what a customer may not send (`chat.users`, an event for agents only, a
system message). Unknown fields are refused; fields the reference has but Chatplane cannot
honour are declared and refused by the handler with the reason.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta

from chatplane.api.v3_6.structs import (
    GroupId,
    Id,
    NonEmpty,
    Payload,
    SessionFields,
    SortOrder,
)

Url = Annotated[str, Meta(min_length=1, max_length=2048)]

# -- chats -----------------------------------------------------------------------------


class ListChats(Payload):
    limit: Annotated[int, Meta(ge=1, le=25)] | None = None
    sort_order: SortOrder | None = None
    page_id: NonEmpty | None = None


class ListThreads(Payload):
    chat_id: Id
    sort_order: SortOrder | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] | None = None
    page_id: NonEmpty | None = None
    min_events_count: Annotated[int, Meta(ge=1, le=100)] | None = None


class GetChat(Payload):
    chat_id: Id
    thread_id: Id | None = None


class DeactivateChat(Payload):
    id: Id


# -- events ----------------------------------------------------------------------------


class DeleteEvent(Payload):
    chat_id: Id
    thread_id: Id
    event_id: Id


class SendSneakPeek(Payload):
    chat_id: Id
    sneak_peek_text: str


# -- customers -------------------------------------------------------------------------


class Address(Payload):
    address: str | None = None
    city: str | None = None
    country: str | None = None
    state: str | None = None
    postal_code: str | None = None


class UpdateCustomer(Payload):
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    session_fields: SessionFields | None = None
    # In the v3.6 reference; Chatplane keeps none of them (refused by name).
    omnichannel: dict[str, Any] | None = None
    address: Address | None = None


class SetCustomerSessionFields(Payload):
    session_fields: SessionFields


class UpdateCustomerPage(Payload):
    url: Url
    title: Annotated[str, Meta(max_length=1024)] | None = None


# -- status ----------------------------------------------------------------------------


class LoginCustomer(Payload):
    avatar: str | None = None
    email: str | None = None
    name: str | None = None
    session_fields: SessionFields | None = None
    address: Address | None = None


class CustomerPage(Payload):
    url: Annotated[str, Meta(max_length=2048)] | None = None
    title: Annotated[str, Meta(max_length=1024)] | None = None


class Application(Payload):
    name: str | None = None
    version: str | None = None
    channel_type: str | None = None


class Login(Payload):
    token: NonEmpty
    customer: LoginCustomer | None = None
    customer_page: CustomerPage | None = None
    # What the last `customer_side_storage_updated` push said, sent back as it was.
    customer_side_storage: dict[str, Any] | None = None
    is_mobile: bool = False
    group_id: GroupId | None = None
    referrer: Annotated[str, Meta(max_length=2048)] | None = None
    application: Application | None = None
    pushes: dict[str, list[NonEmpty]] | None = None


class ListGroupStatuses(Payload):
    all: bool = False
    group_ids: list[GroupId] | None = None


# -- other -----------------------------------------------------------------------------


class CheckGoals(Payload):
    session_fields: SessionFields
    group_id: GroupId
    page_url: Url


class GetForm(Payload):
    group_id: GroupId
    type: Literal["prechat", "postchat"]


class GetUrlInfo(Payload):
    url: Url


class AcceptGreeting(Payload):
    greeting_id: int
    unique_id: NonEmpty


class CancelGreeting(Payload):
    unique_id: NonEmpty


class SendGreetingButtonClicked(Payload):
    greeting_unique_id: NonEmpty
    button_id: NonEmpty


class RequestWelcomeMessage(Payload):
    id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    group_id: GroupId | None = None


class RequestEmailVerification(Payload):
    callback_uri: Url


# -- the widget's bootstrap (GET, the payload is the query string) ---------------------


class GetDynamicConfiguration(Payload):
    group_id: GroupId | None = None
    url: Annotated[str, Meta(max_length=2048)] | None = None
    channel_type: Annotated[str, Meta(max_length=64)] | None = None
    test: bool = False


class GetConfiguration(Payload):
    group_id: GroupId
    version: Annotated[str, Meta(min_length=1, max_length=64)]


class GetLocalization(Payload):
    group_id: GroupId
    language: Annotated[str, Meta(min_length=2, max_length=16)]
    version: Annotated[str, Meta(min_length=1, max_length=64)]


class ListLicenseProperties(Payload):
    namespace: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    name: Annotated[str, Meta(min_length=1, max_length=100)] | None = None


class ListGroupProperties(ListLicenseProperties, kw_only=True):
    id: GroupId
