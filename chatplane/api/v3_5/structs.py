"""Request payloads v3.5 has and v3.6 changed or dropped (changelog, v3.6)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from chatplane.api.v3_0.customers import CustomerFilters
from chatplane.api.v3_6 import structs as st


class ListChatsFilters(st.CommonChatsFilters):
    # v3.6 replaced it with `active` (true, false or null).
    include_active: bool = True


class ListChats(st.ListChats, kw_only=True):
    filters: ListChatsFilters | None = None  # type: ignore[assignment]


class ListArchives(st.ListArchives, kw_only=True):
    # Without what v3.6 added (chat_ids, customer_id, customer_email, agent_types).
    filters: st.CommonArchivesFilters | None = None  # type: ignore[assignment]


class Postback(st.Payload):
    id: st.LongId
    toggled: bool


class SendRichMessagePostback(st.Payload):
    chat_id: st.LongId
    thread_id: st.LongId
    event_id: st.LongId
    postback: Postback


class IntegerFilter(st.Payload):
    values: list[int] | None = None
    exclude_values: list[int] | None = None


class ListCustomersFilters(CustomerFilters, kw_only=True, forbid_unknown_fields=True):
    chat_group_ids: IntegerFilter | None = None
    include_customers_without_chats: bool | None = None


class ListCustomers(st.Payload):
    page_id: st.NonEmpty | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] | None = None
    sort_order: st.SortOrder | None = None
    sort_by: (
        Literal[
            "created_at", "threads_count", "visits_count", "agent_last_event", "customer_last_event"
        ]
        | None
    ) = None
    filters: ListCustomersFilters | None = None


class CreateCustomer(st.Payload):
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    session_fields: st.SessionFields | None = None
