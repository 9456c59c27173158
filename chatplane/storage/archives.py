"""The archives: finding threads and chats by filters, on indexes.

`query` uses the engine's full-text index (FTS5 on SQLite, a GIN tsvector index on
PostgreSQL); every other filter is an indexed column or join.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.util import find_tables

from chatplane.domain.models import Event
from chatplane.storage import schema as s

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class TagsFilter:
    """`filters.tags` of list_archives: one of `exists`, `values`, `exclude_values`.

    `values`: threads with any of the tags (every one with `require_every_value`);
    `exclude_values`: threads with none of them (not all of them with
    `require_every_value`); `exists`: threads with some tag (True) or none (False)."""

    exists: bool | None = None
    values: list[str] | None = None
    exclude_values: list[str] | None = None
    require_every_value: bool = False


@dataclass
class ArchiveFilters:
    query: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    agent_ids: list[str] | None = None
    group_ids: list[int] | None = None
    tags: TagsFilter | None = None
    # Extra WHERE clauses on threads/chats (property filters add them).
    extra: list[Any] = field(default_factory=list)
    # v3.x: threads created in [created_from, created_to] (UNIX seconds, inclusive).
    created_from: float | None = None
    created_to: float | None = None
    chat_ids: list[str] | None = None
    thread_ids: list[str] | None = None
    customer_ids: list[str] | None = None
    # Threads with an agent (True) or none (False).
    agents_exist: bool | None = None
    exclude_agent_ids: list[str] | None = None
    # Agents: every one of agent_ids took part (not just one of them).
    every_agent: bool = False
    # Threads holding an event of one of these types (of each, with every_event_type),
    # or none of exclude_event_types.
    event_types: list[str] | None = None
    exclude_event_types: list[str] | None = None
    every_event_type: bool = False
    # Oldest first (v3.x sort_order asc); newest first by default.
    ascending: bool = False

    def v3x_conditions(self, license_id: int) -> list[Any]:
        """The v3.x filters as conditions on `threads`."""
        t, ta, e = s.threads, s.thread_agents, s.events
        out: list[Any] = []
        if self.created_from is not None:
            out.append(t.c.created_at >= self.created_from)
        if self.created_to is not None:
            out.append(t.c.created_at <= self.created_to)
        if self.chat_ids is not None:
            out.append(t.c.chat_id.in_(self.chat_ids))
        if self.thread_ids is not None:
            out.append(t.c.id.in_(self.thread_ids))
        if self.customer_ids is not None:
            out.append(
                t.c.chat_id.in_(
                    sa.select(s.chats.c.id).where(
                        s.chats.c.license_id == license_id,
                        s.chats.c.customer_id.in_(self.customer_ids),
                    )
                )
            )
        if self.agents_exist is not None:
            any_agent = sa.select(ta.c.thread_id).where(ta.c.thread_id == t.c.id).exists()
            out.append(any_agent if self.agents_exist else ~any_agent)
        if self.every_agent and self.agent_ids:
            for agent_id in dict.fromkeys(self.agent_ids):
                out.append(
                    sa.select(ta.c.thread_id)
                    .where(ta.c.thread_id == t.c.id, ta.c.agent_id == agent_id)
                    .exists()
                )
        if self.exclude_agent_ids:
            out.append(
                ~sa.select(ta.c.thread_id)
                .where(ta.c.thread_id == t.c.id, ta.c.agent_id.in_(self.exclude_agent_ids))
                .exists()
            )

        def has_event(types: list[str]) -> Any:
            return sa.select(e.c.seq).where(e.c.thread_id == t.c.id, e.c.type.in_(types)).exists()

        if self.event_types:
            if self.every_event_type:
                out.extend(has_event([kind]) for kind in dict.fromkeys(self.event_types))
            else:
                out.append(has_event(self.event_types))
        if self.exclude_event_types:
            out.append(~has_event(self.exclude_event_types))
        return out


@dataclass
class Visibility:
    """Which chats an agent may list: all, by access groups, or by presence only."""

    all_chats: bool
    group_ids: list[int]
    agent_id: str


def _day_start(day: str) -> float:
    return dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.UTC).timestamp()


def text_match(conn: Connection, query: str) -> Any | None:
    """A clause `events.seq IN (...)` for events whose text matches every word of `query`."""
    words = _WORD.findall(query.lower())
    if not words:
        return None
    if conn.dialect.name == "sqlite":
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        fts = sa.table("events_fts", sa.column("rowid"))
        return s.events.c.seq.in_(
            sa.select(fts.c.rowid).where(sa.text("events_fts MATCH :q").bindparams(q=match))
        )
    tsq = " & ".join(words)
    return sa.text(
        "to_tsvector('simple', coalesce(events.text, '')) @@ to_tsquery('simple', :q)"
    ).bindparams(q=tsq)


def tags_clause(license_id: int, tags: TagsFilter) -> Any | None:
    """A clause on `threads.id` for a `tags` filter, on the thread_tags index."""
    tt = s.thread_tags
    if tags.exists is not None:
        tagged = sa.select(tt.c.thread_id).where(tt.c.license_id == license_id)
        return s.threads.c.id.in_(tagged) if tags.exists else s.threads.c.id.not_in(tagged)
    wanted = tags.values if tags.values is not None else tags.exclude_values
    if wanted is None:
        return None
    names = sorted(set(wanted))
    if not names:
        # No tag named: nothing has any of none, and excluding none excludes nothing.
        return sa.false() if tags.values is not None else None
    having = sa.select(tt.c.thread_id).where(tt.c.license_id == license_id, tt.c.tag.in_(names))
    if tags.require_every_value and len(names) > 1:
        having = having.group_by(tt.c.thread_id).having(sa.func.count() == len(names))
    if tags.values is not None:
        return s.threads.c.id.in_(having)
    return s.threads.c.id.not_in(having)


def visible_chats_clause(
    vis: Visibility, license_id: int, chat_id: Any = s.chats.c.id
) -> Any | None:
    """Which chats the agent may list, as a clause on `chat_id` (a chat's or a thread's)."""
    if vis.all_chats:
        return None
    present = sa.select(s.chat_users.c.chat_id).where(
        s.chat_users.c.user_id == vis.agent_id, s.chat_users.c.present.is_(True)
    )
    clauses = [chat_id.in_(present)]
    if vis.group_ids:
        clauses.append(
            chat_id.in_(
                sa.select(s.chat_access.c.chat_id).where(
                    s.chat_access.c.license_id == license_id,
                    s.chat_access.c.group_id.in_([0, *vis.group_ids]),
                )
            )
        )
    return sa.or_(*clauses)


# A page filtered by agents only is first looked for among the newest WINDOW_PER_ROW
# threads per row the page needs: walking the newest threads and testing each (`EXISTS`)
# stops early when the agents took part in many threads, where collecting every match
# and sorting them costs as much as the count. A window holding too few matches falls back
# to the plan that starts from thread_agents.
WINDOW_PER_ROW = 10


def search_threads(
    conn: Connection,
    license_id: int,
    vis: Visibility,
    filters: ArchiveFilters,
    page: int,
    limit: int,
) -> tuple[list[tuple[str, str]], int]:
    """(chat_id, thread_id) of matching threads, newest first, and the total count.

    Every condition is on `threads` itself (a thread's chat is `threads.chat_id`; no join
    to `chats`, whose row every thread has), so the count and the newest-first walk are
    served by the covering index ix_threads_license_created_id."""
    t, ta = s.threads, s.thread_agents
    where: list[Any] = [t.c.license_id == license_id]
    vis_clause = visible_chats_clause(vis, license_id, t.c.chat_id)
    if vis_clause is not None:
        where.append(vis_clause)
    if filters.date_from:
        where.append(t.c.created_at >= _day_start(filters.date_from))
    if filters.date_to:
        where.append(t.c.created_at < _day_start(filters.date_to) + 86400)
    if filters.group_ids:
        where.append(
            t.c.chat_id.in_(
                sa.select(s.chat_access.c.chat_id).where(
                    s.chat_access.c.license_id == license_id,
                    s.chat_access.c.group_id.in_(filters.group_ids),
                )
            )
        )
    if filters.query:
        match = text_match(conn, filters.query)
        if match is not None:
            where.append(
                t.c.id.in_(
                    sa.select(s.events.c.thread_id).where(
                        # A deleted event is forgotten by the index too (0008): the
                        # condition also lets PostgreSQL use its partial GIN index.
                        s.events.c.license_id == license_id,
                        s.events.c.deleted_at.is_(None),
                        match,
                    )
                )
            )
        else:
            where.append(sa.false())
    if filters.tags is not None:
        clause = tags_clause(license_id, filters.tags)
        if clause is not None:
            where.append(clause)
    where.extend(filters.extra)
    where.extend(filters.v3x_conditions(license_id))
    # A thread's own chat row is always there; a clause that names `chats` gets the join.
    from_: Any = t
    if any(s.chats in find_tables(clause) for clause in where):
        from_ = t.join(s.chats, s.chats.c.id == t.c.chat_id)

    order = (t.c.created_at.asc(), t.c.id) if filters.ascending else (t.c.created_at.desc(), t.c.id)
    offset = (page - 1) * limit

    def page_of(*cond: Any) -> list[tuple[str, str]]:
        q = sa.select(t.c.chat_id, t.c.id).select_from(from_).where(*cond)
        rows = conn.execute(q.order_by(*order).offset(offset).limit(limit)).all()
        return [(r.chat_id, r.id) for r in rows]

    agent_ids = [] if filters.every_agent else list(dict.fromkeys(filters.agent_ids or []))
    # The fast paths below walk the index newest first.
    only_license = len(where) == 1 and from_ is t and not filters.ascending
    if only_license and not agent_ids:
        # No filter: the count and the page both read the covering index.
        total = conn.execute(sa.select(sa.func.count()).where(*where)).scalar_one()
        return page_of(*where), int(total)
    if only_license:
        # Only agents: their threads are counted in thread_agents' covering index, and
        # the page is looked for among the newest threads first (WINDOW_PER_ROW).
        total = int(
            conn.execute(
                sa.select(sa.func.count(sa.distinct(ta.c.thread_id))).where(
                    ta.c.license_id == license_id, ta.c.agent_id.in_(agent_ids)
                )
            ).scalar_one()
        )
        if offset >= total:
            return [], total
        took_part = (
            sa.select(ta.c.thread_id)
            .where(ta.c.thread_id == t.c.id, ta.c.agent_id.in_(agent_ids))
            .exists()
        )
        if offset + limit <= total:
            window_end = (
                sa.select(t.c.created_at)
                .where(t.c.license_id == license_id)
                .order_by(*order)
                .offset((offset + limit) * WINDOW_PER_ROW - 1)
                .limit(1)
                .scalar_subquery()
            )
            # Every thread at least as new as the window's last is a prefix of the page
            # order, so the matches among them are the first matches overall.
            in_window = t.c.created_at >= sa.func.coalesce(window_end, float("-inf"))
            found = page_of(*where, in_window, took_part)
            if len(found) == limit:
                return found, total
        return page_of(*where, _agents_in(license_id, agent_ids)), total

    # Any other filter: the plan starts from the filter's own index, finds every match
    # and sorts them, so the same pass counts them (a window count) for the total.
    cond = [*where, _agents_in(license_id, agent_ids)] if agent_ids else where
    rows = conn.execute(
        sa.select(t.c.chat_id, t.c.id, sa.func.count().over().label("total"))
        .select_from(from_)
        .where(*cond)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    if rows:
        return [(r.chat_id, r.id) for r in rows], int(rows[0].total)
    # A page past the end: count on its own.
    total = conn.execute(sa.select(sa.func.count()).select_from(from_).where(*cond)).scalar_one()
    return [], int(total)


def _agents_in(license_id: int, agent_ids: list[str]) -> Any:
    ta = s.thread_agents
    return s.threads.c.id.in_(
        sa.select(ta.c.thread_id).where(ta.c.license_id == license_id, ta.c.agent_id.in_(agent_ids))
    )


def filter_chats(
    conn: Connection,
    license_id: int,
    vis: Visibility,
    include_active: bool,
    extra: list[Any],
    limit: int,
) -> list[str]:
    c = s.chats
    where: list[Any] = [c.c.license_id == license_id, *extra]
    vis_clause = visible_chats_clause(vis, license_id)
    if vis_clause is not None:
        where.append(vis_clause)
    if not include_active:
        where.append(c.c.active_thread_id.is_(None))
    rows = conn.execute(
        sa.select(c.c.id).where(*where).order_by(c.c.updated_at.desc()).limit(limit)
    ).all()
    return [r.id for r in rows]


def list_chats(
    conn: Connection,
    license_id: int,
    vis: Visibility,
    *,
    active: bool | None,
    with_threads: bool,
    group_ids: list[int] | None,
    extra: list[Any],
    ascending: bool,
    offset: int,
    limit: int,
) -> tuple[list[str], int]:
    """Chats the agent may list (v3.x list_chats), ordered by when their last thread
    started (a chat without threads: when it was made), and how many match."""
    c, t = s.chats, s.threads
    where: list[Any] = [c.c.license_id == license_id, *extra]
    vis_clause = visible_chats_clause(vis, license_id)
    if vis_clause is not None:
        where.append(vis_clause)
    if active is True:
        where.append(c.c.active_thread_id.is_not(None))
    elif active is False:
        where.append(c.c.active_thread_id.is_(None))
    if not with_threads:
        where.append(c.c.last_thread_id.is_not(None))
    if group_ids:
        where.append(
            c.c.id.in_(
                sa.select(s.chat_access.c.chat_id).where(
                    s.chat_access.c.license_id == license_id,
                    s.chat_access.c.group_id.in_(group_ids),
                )
            )
        )
    total = conn.execute(sa.select(sa.func.count()).select_from(c).where(*where)).scalar_one()
    started = sa.func.coalesce(t.c.created_at, c.c.created_at)
    order = (started.asc(), c.c.id) if ascending else (started.desc(), c.c.id)
    rows = conn.execute(
        sa.select(c.c.id)
        .select_from(c.outerjoin(t, t.c.id == c.c.last_thread_id))
        .where(*where)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    return [r.id for r in rows], int(total)


def customer_chats(
    conn: Connection, license_id: int, customer_id: str, offset: int, limit: int
) -> tuple[list[str], int]:
    c = s.chats
    where = [c.c.license_id == license_id, c.c.customer_id == customer_id]
    total = conn.execute(sa.select(sa.func.count()).select_from(c).where(*where)).scalar_one()
    rows = conn.execute(
        sa.select(c.c.id).where(*where).order_by(c.c.updated_at.desc()).offset(offset).limit(limit)
    ).all()
    return [r.id for r in rows], int(total)


def customer_chats_by_thread(
    conn: Connection,
    license_id: int,
    customer_id: str,
    *,
    ascending: bool,
    offset: int,
    limit: int,
) -> tuple[list[str], int]:
    """A customer's chats ordered by when their last thread started (a chat without
    threads: when it was made), as the v3.x list_chats orders them, and how many."""
    c, t = s.chats, s.threads
    where = [c.c.license_id == license_id, c.c.customer_id == customer_id]
    total = conn.execute(sa.select(sa.func.count()).select_from(c).where(*where)).scalar_one()
    started = sa.func.coalesce(t.c.created_at, c.c.created_at)
    order = (started.asc(), c.c.id) if ascending else (started.desc(), c.c.id)
    rows = conn.execute(
        sa.select(c.c.id)
        .select_from(c.outerjoin(t, t.c.id == c.c.last_thread_id))
        .where(*where)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    return [r.id for r in rows], int(total)


def agent_active_chats(conn: Connection, license_id: int, agent_id: str, limit: int) -> list[str]:
    c, u = s.chats, s.chat_users
    rows = conn.execute(
        sa.select(c.c.id)
        .select_from(c.join(u, u.c.chat_id == c.c.id))
        .where(
            c.c.license_id == license_id,
            u.c.user_id == agent_id,
            u.c.present.is_(True),
            c.c.active_thread_id.is_not(None),
        )
        .order_by(c.c.updated_at.desc())
        .limit(limit)
    ).all()
    return [r.id for r in rows]


# -- the page's events ------------------------------------------------------------------

_e = s.events
# The columns an archived event is shown with, JSON columns read as their stored text
# (decoded below, faster than the JSON type's per-row json.loads); `chat_id` comes from
# the thread. Ordered by (thread_id, order): the order of ix_events_thread_order, no sort.
_PAGE_EVENTS = (
    sa.select(
        _e.c.id,
        _e.c.thread_id,
        _e.c.order,
        _e.c.type,
        _e.c.author_id,
        _e.c.recipients,
        _e.c.custom_id,
        _e.c.text,
        sa.type_coerce(_e.c.body, sa.Text),
        sa.type_coerce(_e.c.properties, sa.Text),
        _e.c.created_at,
        _e.c.deleted_at,
    )
    .where(_e.c.thread_id.in_(sa.bindparam("b_thread_ids", expanding=True)))
    .order_by(_e.c.thread_id, _e.c.order)
)

_decode_json = msgspec.json.Decoder().decode


def _json_object(value: Any) -> dict[str, Any]:
    """A stored JSON object column as a dict: `{}` without decoding; text (SQLite) with
    msgspec (json.loads for what msgspec refuses, as the JSON type would read it); a dict
    (PostgreSQL's driver decodes JSONB itself) as it is."""
    if isinstance(value, str):
        if value == "{}":
            return {}
        try:
            out = _decode_json(value)
        except msgspec.DecodeError:
            out = json.loads(value)
        return dict(out or {})
    return dict(value or {})


def thread_events(
    conn: Connection, chat_of: Mapping[str, str], *, include_deleted: bool = False
) -> dict[str, list[Event]]:
    """Every event of the threads `chat_of` names (thread id -> its chat id), each thread's
    in `order`: the agent's view (all recipients), as get_archives shows them; deleted
    events only with `include_deleted`."""
    out: dict[str, list[Event]] = {tid: [] for tid in chat_of}
    if not out:
        return out
    rows = conn.execute(_PAGE_EVENTS, {"b_thread_ids": list(out)}).all()
    # Thousands of rows a page: the loop keeps to locals, and the common empty JSON
    # objects skip the call to _json_object.
    make, decode, empty = Event, _json_object, "{}"
    tid = chat_id = ""
    events: list[Event] = []
    for eid, row_tid, order, etype, author, to, custom_id, text, body, props, ts, gone in rows:
        if gone is not None and not include_deleted:
            continue
        if row_tid != tid:
            tid, events, chat_id = row_tid, out[row_tid], chat_of[row_tid]
        events.append(
            make(
                eid,
                chat_id,
                tid,
                order,
                etype,
                author,
                to,
                custom_id,
                text,
                {} if body == empty else decode(body),
                {} if props == empty else decode(props),
                ts,
                gone,
            )
        )
    return out
