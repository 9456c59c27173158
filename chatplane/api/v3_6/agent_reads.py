"""Agent Chat API v3.6, reading chats: list_chats, list_threads, get_chat, list_archives.

The handlers take the version's `Shapes` first: `actions_for(shapes)` serves them in the
shapes of v3.6 (`actions`) or of a version that differs only in its shapes (v3.5).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import msgspec

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_6 import structs as st
from chatplane.api.v3_6.common import Page, open_page, page_ids, parse_time
from chatplane.api.v3_6.serialize import SHAPES, Shapes
from chatplane.api.viewers import agent_groups, reader_view
from chatplane.domain import customers, property_filters, views
from chatplane.domain.access import CHATS_READ_WIDE
from chatplane.domain.models import Chat, Thread
from chatplane.errors import validation
from chatplane.storage import Tx
from chatplane.storage.archives import ArchiveFilters, TagsFilter

AGENT = "agent"


def _sort(order: str | None) -> str:
    return order or "desc"


# -- list_chats --------------------------------------------------------------------------


async def list_chats(shapes: Shapes, ctx: Context, p: st.ListChats) -> dict[str, Any]:
    caller = ctx.caller
    first = {
        "filters": msgspec.to_builtins(p.filters) if p.filters else None,
        "sort_order": _sort(p.sort_order),
        "limit": p.limit or 10,
    }
    given = {"filters": p.filters, "limit": p.limit, "sort_order": p.sort_order}
    page = await open_page(ctx, "list_chats", p.page_id, first, given)
    f = msgspec.convert(page.query["filters"] or {}, st.ListChatsFilters)

    def run(tx: Tx) -> Any:
        extra: list[Any] = []
        if f.properties:
            extra = property_filters.chat_clauses(tx, caller, f.properties)
        found = views.list_chats(
            tx,
            caller,
            active=f.active,
            with_threads=f.include_chats_without_threads,
            group_ids=f.group_ids,
            extra=extra,
            ascending=page.query["sort_order"] == "asc",
            offset=page.offset,
            limit=page.limit,
            include_deleted=shapes.shows_deleted,
        )
        return found, views.thread_created(tx, found.summaries), agent_groups(tx, caller)

    found, created, groups = await ctx.services.read(run)
    v = reader_view(ctx, groups)
    out: dict[str, Any] = {
        "chats_summary": [
            shapes.chat_summary(v, s, created, follower=caller.user_id) for s in found.summaries
        ],
        "found_chats": found.total,
    }
    out.update(await page_ids(ctx, "list_chats", page, found.total, len(found.summaries)))
    return out


# -- list_threads ------------------------------------------------------------------------


async def list_threads(shapes: Shapes, ctx: Context, p: st.ListThreads) -> dict[str, Any]:
    caller = ctx.caller
    if p.min_events_count is not None and (p.limit is not None or p.filters is not None):
        raise validation("min_events_count cannot be sent with limit or filters")
    f = p.filters or st.ListThreadsFilters()
    first = {
        "chat_id": p.chat_id,
        "sort_order": _sort(p.sort_order),
        "limit": p.limit or 3,
        "min_events_count": p.min_events_count,
        "from": parse_time("filters.from", f.from_) if f.from_ else None,
        "to": parse_time("filters.to", f.to) if f.to else None,
    }
    given = {
        "filters": p.filters,
        "limit": p.limit,
        "sort_order": p.sort_order,
        "min_events_count": p.min_events_count,
    }
    page = await open_page(ctx, "list_threads", p.page_id, first, given)
    q = page.query
    if q["chat_id"] != p.chat_id:
        raise validation("page_id belongs to another chat_id")

    def run(tx: Tx) -> Any:
        found = views.list_threads(
            tx,
            caller,
            p.chat_id,
            ascending=q["sort_order"] == "asc",
            created_from=q["from"],
            created_to=q["to"],
            offset=page.offset,
            limit=q["limit"],
            min_events=q["min_events_count"],
            include_deleted=shapes.shows_deleted,
        )
        return found, agent_groups(tx, caller)

    found, groups = await ctx.services.read(run)
    v = reader_view(ctx, groups)
    restricted = v.restricted(found.chat)
    out: dict[str, Any] = {
        "threads": [
            shapes.thread(v, t, restricted=restricted, thread_ids=found.thread_ids)
            for t in found.threads
        ],
        "found_threads": found.total,
    }
    out.update(await page_ids(ctx, "list_threads", page, found.total, len(found.threads)))
    return out


# -- get_chat ----------------------------------------------------------------------------


async def get_chat(shapes: Shapes, ctx: Context, p: st.GetChat) -> dict[str, Any]:
    caller = ctx.caller
    wanted = [p.thread_id] if p.thread_id is not None else None

    def run(tx: Tx) -> Any:
        found = views.chat_threads(
            tx, caller, p.chat_id, wanted, include_deleted=shapes.shows_deleted
        )
        return found, agent_groups(tx, caller)

    (chat, threads, summaries), groups = await ctx.services.read(run)
    v = reader_view(ctx, groups)
    thread_ids = [t.id for t in summaries]
    thread = threads[0] if threads else None
    return shapes.chat(v, chat, thread, thread_ids=thread_ids, follower=caller.user_id)


# -- list_archives -----------------------------------------------------------------------

# Filters of the reference that match what Chatplane does not keep.
UNSUPPORTED_FILTERS = {
    "sales": "sales",
    "goals": "goals",
    "surveys": "surveys",
    "forms": "forms in the archives",
    "greetings": "greetings",
    "agent_response": "agents' response times",
    "agent_types": "agent types",
    "customer_countries": "customers' countries",
}


def _archive_filters(tx: Tx, ctx: Context, f: st.ArchivesFilters, ascending: bool) -> Any:
    """The domain's archive filters of a v3.6 `filters` object."""
    caller = ctx.caller
    for name, what in UNSUPPORTED_FILTERS.items():
        if getattr(f, name) is not None:
            raise validation(f"filters.{name}: Chatplane keeps no {what} to filter by")
    if f.thread_ids is not None and any(
        value is not None
        for name, value in msgspec.structs.asdict(f).items()
        if name != "thread_ids"
    ):
        raise validation("filters.thread_ids cannot be combined with other filters")
    out = ArchiveFilters(query=f.query, group_ids=f.group_ids, ascending=ascending)
    out.created_from = parse_time("filters.from", f.from_) if f.from_ else None
    out.created_to = parse_time("filters.to", f.to) if f.to else None
    out.chat_ids, out.thread_ids = f.chat_ids, f.thread_ids
    if f.agents is not None:
        kind = _one_kind("filters.agents", f.agents)
        if kind == "exists":
            out.agents_exist = f.agents.exists
        elif kind == "values":
            out.agent_ids, out.every_agent = f.agents.values, f.agents.require_every_value
        else:
            out.exclude_agent_ids = f.agents.exclude_values
    if f.tags is not None:
        _one_kind("filters.tags", f.tags)
        out.tags = TagsFilter(
            exists=f.tags.exists,
            values=f.tags.values,
            exclude_values=f.tags.exclude_values,
            require_every_value=f.tags.require_every_value,
        )
    if f.event_types is not None:
        kind = _one_kind("filters.event_types", f.event_types, exists=False)
        if kind == "values":
            out.event_types = f.event_types.values
            out.every_event_type = f.event_types.require_every_value
        else:
            out.exclude_event_types = f.event_types.exclude_values
    wanted: list[str] | None = None
    if f.customer_id is not None:
        wanted = [f.customer_id]
    if f.customer_email is not None:
        found = customers.ids_by_email(tx, caller.license_id, f.customer_email)
        wanted = [c for c in found if wanted is None or c in wanted]
    out.customer_ids = wanted
    if f.properties:
        out.extra.extend(property_filters.thread_clauses(tx, caller, f.properties))
    return out


def _one_kind(path: str, flt: st.ValuesFilter, *, exists: bool = True) -> str:
    kinds = ("exists", "values", "exclude_values") if exists else ("values", "exclude_values")
    given = [k for k in kinds if getattr(flt, k) is not None]
    if len(given) != 1:
        raise validation(f"{path} needs exactly one of {', '.join(kinds)}")
    if given[0] != "exists" and not getattr(flt, given[0]):
        raise validation(f"{path}.{given[0]} must list at least one value")
    if not exists and flt.exists is not None:
        raise validation(f"{path}.exists is not a filter of {path}")
    return given[0]


def _highlight(text: str, words: list[str], pre: str, post: str) -> str:
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    return pattern.sub(lambda m: f"{pre}{m.group(0)}{post}", text)


async def list_archives(shapes: Shapes, ctx: Context, p: st.ListArchives) -> dict[str, Any]:
    caller = ctx.caller
    first = {
        "filters": msgspec.to_builtins(p.filters) if p.filters else None,
        "sort_order": _sort(p.sort_order),
        "limit": p.limit or 10,
        "highlights": msgspec.to_builtins(p.highlights) if p.highlights else None,
    }
    given = {
        "filters": p.filters,
        "limit": p.limit,
        "sort_order": p.sort_order,
        "highlights": p.highlights,
    }
    page: Page = await open_page(ctx, "list_archives", p.page_id, first, given)
    f = msgspec.convert(page.query["filters"] or {}, st.ArchivesFilters)
    if f.thread_ids is not None and p.page_id is not None:
        raise validation("filters.thread_ids cannot be paged")
    # filters.thread_ids (at most 20) is answered on one page.
    limit = max(page.limit, len(f.thread_ids or []))
    if page.offset % limit:
        raise validation("page_id is not one this server gave out for list_archives")

    def run(tx: Tx) -> Any:
        filters = _archive_filters(tx, ctx, f, page.query["sort_order"] == "asc")
        found, total = views.archive(
            tx,
            caller,
            filters,
            page.offset // limit + 1,
            limit,
            include_deleted=shapes.shows_deleted,
        )
        chat_ids = [chat.id for chat, _ in found]
        return found, total, views.thread_ids_by_chat(tx, chat_ids), agent_groups(tx, caller)

    found, total, thread_ids, groups = await ctx.services.read(run)
    v = reader_view(ctx, groups)
    chats: list[tuple[Chat, Thread]] = found
    out: dict[str, Any] = {
        "chats": [
            shapes.chat(
                v,
                chat,
                t,
                thread_ids=thread_ids.get(chat.id, []),
                accessible=True,
                follower=caller.user_id,
            )
            for chat, t in chats
        ]
    }
    words = re.findall(r"\w+", f.query or "")
    if page.query["highlights"] is not None and words:
        hl = msgspec.convert(page.query["highlights"], st.Highlights)
        for chat in out["chats"]:
            for e in chat["thread"].get("events", []):
                if isinstance(e.get("text"), str):
                    e["text"] = _highlight(e["text"], words, hl.pre_tag, hl.post_tag)
    out["found_chats"] = total
    out.update(await page_ids(ctx, "list_archives", page, total, len(chats)))
    return out


def actions_for(shapes: Shapes) -> Actions:
    """The reads, answering in `shapes`."""
    actions = Actions()
    actions(AGENT, "list_chats", st.ListChats, scopes=CHATS_READ_WIDE)(partial(list_chats, shapes))
    actions(AGENT, "list_threads", st.ListThreads, scopes=CHATS_READ_WIDE)(
        partial(list_threads, shapes)
    )
    actions(AGENT, "get_chat", st.GetChat, scopes=CHATS_READ_WIDE)(partial(get_chat, shapes))
    actions(AGENT, "list_archives", st.ListArchives, scopes=CHATS_READ_WIDE)(
        partial(list_archives, shapes)
    )
    return actions


actions = actions_for(SHAPES)
