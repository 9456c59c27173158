"""get_archives' queries (storage/archives.py) against the ones they replaced.

`search_threads` counts from covering indexes, walks agents-only pages newest-first in a
window and counts other filters in the page query; `thread_events` reads the page's events
in one lean query. Each must give exactly what the plain queries below give (the earlier
implementation, kept here as the reference), for every filter, visibility and page, on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.domain import chats, property_filters, property_writes, views
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.domain.models import Principal
from chatplane.storage import archives
from chatplane.storage import chats as chats_repo
from chatplane.storage import schema as s
from chatplane.storage.archives import ArchiveFilters, Visibility
from tests.unit.support import World, make_world, sqlite_url


def reference_search(
    conn: Connection,
    license_id: int,
    vis: Visibility,
    filters: ArchiveFilters,
    page: int,
    limit: int,
) -> tuple[list[tuple[str, str]], int]:
    """search_threads as it was before the covering indexes: one join, IN sub-selects, a
    count of the whole select."""
    t, c = s.threads, s.chats
    where: list[Any] = [t.c.license_id == license_id]
    vis_clause = archives.visible_chats_clause(vis, license_id)
    if vis_clause is not None:
        where.append(vis_clause)
    if filters.date_from:
        where.append(t.c.created_at >= archives._day_start(filters.date_from))
    if filters.date_to:
        where.append(t.c.created_at < archives._day_start(filters.date_to) + 86400)
    if filters.agent_ids:
        where.append(
            t.c.id.in_(
                sa.select(s.thread_agents.c.thread_id).where(
                    s.thread_agents.c.license_id == license_id,
                    s.thread_agents.c.agent_id.in_(filters.agent_ids),
                )
            )
        )
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
        match = archives.text_match(conn, filters.query)
        if match is not None:
            where.append(
                t.c.id.in_(
                    sa.select(s.events.c.thread_id).where(
                        s.events.c.license_id == license_id, match
                    )
                )
            )
        else:
            where.append(sa.false())
    where.extend(filters.extra)
    base = (
        sa.select(t.c.chat_id, t.c.id).select_from(t.join(c, c.c.id == t.c.chat_id)).where(*where)
    )
    total = conn.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
    rows = conn.execute(
        base.order_by(t.c.created_at.desc(), t.c.id).offset((page - 1) * limit).limit(limit)
    ).all()
    return [(r.chat_id, r.id) for r in rows], int(total)


@dataclass
class Flt:
    """A property filter as a request gives it."""

    exists: bool | None = None
    values: list[Any] | None = None
    exclude_values: list[Any] | None = None


@dataclass
class Store:
    world: World
    agents: list[Principal]
    tie: float


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    world = make_world(url)
    world.store.add_tx_hook(property_writes.index_changes)
    world.store.start()
    try:
        yield _fill(world)
    finally:
        world.store.close()


def _write(world: World, fn: Any) -> Any:
    return world.store.write_sync(fn).result


def _fill(world: World) -> Store:
    """40 chats: every second one gold (a chat property), some with a second thread, agents
    taking part in some, `needle` in some, events with bodies and properties; then a run of
    threads given one creation time, so that pages cut through ties."""
    agents = [world.owner, world.agent("ann@example.com"), world.agent("bob@example.com")]
    for i in range(40):
        customer = world.customer()
        req = ChatRequest(
            properties={"test": {"string_property": "gold" if i % 2 == 0 else "silver"}},
            thread=NewThread(
                events=[
                    NewEvent(type="message", text=f"hello {i}" + (" needle" if i % 7 == 0 else ""))
                ],
                properties={"test": {"bool_property": True}} if i % 5 == 0 else None,
            ),
        )
        chat, _ = _write(
            world, lambda tx, req=req, customer=customer: chats.start_chat(tx, customer, req)
        )
        for k, agent in enumerate(agents):
            if i % (k + 2) == 0:
                note = NewEvent(
                    type="message",
                    text=f"agent {k} in {i}",
                    properties={"test": {"string_property": f"e{i}"}} if k == 1 else None,
                )
                _write(world, lambda tx, a=agent, n=note, c=chat.id: chats.send_event(tx, a, c, n))
        if i % 4 == 0:
            _write(world, lambda tx, c=chat.id: chats.close_thread(tx, world.owner, c))
            rating = NewEvent(
                type="filled_form",
                body={"form_id": "f1", "fields": [{"type": "rating", "answer": {"id": 1}}]},
            )
            _write(
                world,
                lambda tx, c=chat.id, cu=customer, t=f"again {i}": chats.send_event(
                    tx, cu, c, NewEvent(type="message", text=t)
                ),
            )
            _write(
                world, lambda tx, c=chat.id, cu=customer, r=rating: chats.send_event(tx, cu, c, r)
            )
    # Ties: a run of threads (spread over the newest and older ones) created "at once".
    tie = 1_700_000_000.0
    with world.store.engine.begin() as conn:
        ids = [r.id for r in conn.execute(sa.select(s.threads.c.id).order_by(s.threads.c.id))]
        conn.execute(s.threads.update().where(s.threads.c.id.in_(ids[::3])).values(created_at=tie))
    return Store(world, agents, tie)


def _filters(st: Store) -> dict[str, ArchiveFilters]:
    owner, ann, bob = (a.user_id for a in st.agents)
    return {
        "none": ArchiveFilters(),
        "query": ArchiveFilters(query="needle"),
        "query none": ArchiveFilters(query="nothing-like-this"),
        "owner": ArchiveFilters(agent_ids=[owner]),
        "ann": ArchiveFilters(agent_ids=[ann]),
        "bob": ArchiveFilters(agent_ids=[bob]),
        "ann bob": ArchiveFilters(agent_ids=[ann, bob, ann]),
        "nobody": ArchiveFilters(agent_ids=["nobody@example.com"]),
        "ann query": ArchiveFilters(agent_ids=[ann], query="needle"),
        "groups": ArchiveFilters(group_ids=[0]),
        "groups none": ArchiveFilters(group_ids=[7]),
        "dates": ArchiveFilters(date_from="2023-11-14", date_to="2023-11-14"),
        "gold": ArchiveFilters(),
        "not gold": ArchiveFilters(),
        "bool": ArchiveFilters(),
        "gold owner": ArchiveFilters(agent_ids=[owner]),
    }


_PROPERTIES: dict[str, Any] = {
    "gold": {"test": {"string_property": Flt(values=["gold"])}},
    "not gold": {"test": {"string_property": Flt(exclude_values=["gold"])}},
    "bool": {"test": {"bool_property": Flt(exists=True)}},
    "gold owner": {"test": {"string_property": Flt(values=["gold"])}},
}


def _visibilities(st: Store) -> list[tuple[Principal, str]]:
    owner, ann, _ = st.agents
    my = Principal(ann.license_id, "agent", ann.user_id, ann.client_id, frozenset({"chats--my:ro"}))
    access = Principal(
        ann.license_id, "agent", ann.user_id, ann.client_id, frozenset({"chats--access:ro"})
    )
    return [(owner, "all"), (my, "my"), (access, "access")]


def test_search_threads_gives_what_the_plain_queries_give(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = store.world
    checked = 0
    # Agents-only pages: how many came from the window, how many from the fallback.
    statements: list[str] = []
    sa.event.listen(
        world.store.engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, *_a: statements.append(sql),
    )
    paths = {"window": 0, "fallback": 0}
    for (caller, vis_name), (name, filters), window in itertools.product(
        _visibilities(store), _filters(store).items(), [10, 1]
    ):
        monkeypatch.setattr(archives, "WINDOW_PER_ROW", window)

        def compare(
            tx: Any,
            caller: Principal = caller,
            name: str = name,
            filters: ArchiveFilters = filters,
            where: tuple[str, str, int] = (vis_name, name, window),
        ) -> int:
            f = ArchiveFilters(**{**filters.__dict__, "extra": []})
            if name in _PROPERTIES:
                f.extra = property_filters.thread_clauses(tx, caller, _PROPERTIES[name])
            vis = views.visibility(tx, caller)
            n = 0
            for limit in (1, 2, 3, 7, 25):
                for page in range(1, 62 // limit + 3):
                    want = reference_search(tx.conn, caller.license_id, vis, f, page, limit)
                    statements.clear()
                    got = archives.search_threads(tx.conn, caller.license_id, vis, f, page, limit)
                    windowed = [q for q in statements if "coalesce" in q.lower()]
                    if windowed:
                        paths["window" if len(statements) == 2 else "fallback"] += 1
                    assert got == want, (*where, limit, page)
                    n += 1
                    if not want[0]:
                        break
            return n

        checked += world.store.read_sync(compare)
    assert checked > 1000
    assert paths["window"] > 50 and paths["fallback"] > 50, paths


def test_the_filters_are_not_trivial(store: Store) -> None:
    """The store has matches and misses for each filter, and threads that tie."""
    owner = store.agents[0]

    def totals(tx: Any) -> dict[str, int]:
        vis = views.visibility(tx, owner)
        out = {}
        for name, f in _filters(store).items():
            if name in _PROPERTIES:
                f.extra = property_filters.thread_clauses(tx, owner, _PROPERTIES[name])
            out[name] = reference_search(tx.conn, owner.license_id, vis, f, 1, 1)[1]
        return out

    got = store.world.store.read_sync(totals)
    assert got["none"] == 50
    for name in ("query", "owner", "ann", "bob", "ann bob", "gold", "not gold", "bool", "dates"):
        assert 0 < got[name] < 50, name
    assert got["nobody"] == got["query none"] == got["groups none"] == 0
    with store.world.store.engine.connect() as conn:
        ties = conn.execute(
            sa.select(sa.func.count()).where(s.threads.c.created_at == store.tie)
        ).scalar_one()
    assert ties > 10


def test_thread_events_are_the_full_rows(store: Store) -> None:
    def both(tx: Any) -> tuple[Any, Any]:
        threads = {
            r.id: r.chat_id for r in tx.conn.execute(sa.select(s.threads.c.id, s.threads.c.chat_id))
        }
        return (
            archives.thread_events(tx.conn, threads),
            chats_repo.load_events(tx.conn, list(threads), agents_view=True),
        )

    got, want = store.world.store.read_sync(both)
    assert got == want
    events = [e for es in got.values() for e in es]
    assert any(e.body for e in events) and any(e.properties for e in events)
    assert store.world.store.read_sync(lambda tx: archives.thread_events(tx.conn, {})) == {}


def test_thread_events_leave_out_deleted_events_unless_asked(store: Store) -> None:
    # Every third event deleted, so that a thread's run of rows starts and ends on both.
    world = store.world
    _write(
        world,
        lambda tx: tx.conn.execute(
            s.events.update().where(s.events.c.seq % 3 == 0).values(deleted_at=1.5e9)
        ),
    )

    def both(include_deleted: bool) -> Any:
        def read(tx: Any) -> tuple[Any, Any]:
            threads = {
                r.id: r.chat_id
                for r in tx.conn.execute(sa.select(s.threads.c.id, s.threads.c.chat_id))
            }
            return (
                archives.thread_events(tx.conn, threads, include_deleted=include_deleted),
                chats_repo.load_events(
                    tx.conn, list(threads), agents_view=True, include_deleted=include_deleted
                ),
            )

        return world.store.read_sync(read)

    for include_deleted in (False, True):
        got, want = both(include_deleted)
        assert got == want
        deleted = [e for es in got.values() for e in es if e.deleted]
        assert bool(deleted) == include_deleted


def test_json_columns_decode_as_the_json_type_would() -> None:
    assert archives._json_object("{}") == {}
    assert archives._json_object('{"a": [1, 2.5, null, true]}') == {"a": [1, 2.5, None, True]}
    # What msgspec refuses and json.loads reads (json.dumps writes NaN for a float nan).
    assert math.isnan(archives._json_object('{"x": NaN}')["x"])
    assert archives._json_object({"x": 1}) == {"x": 1}
    assert archives._json_object(None) == {}
