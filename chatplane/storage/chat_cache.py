"""The SQLite writer's cache of chats with their users (what `load_chat` reads).

Every unit of work that touches a chat starts by loading it with its users and their
profiles: two statements and their rows turned into objects, about a sixth of the writer's
time per `send_event`. On SQLite the writer thread is the only connection that writes, so
it can keep those chats itself and stay exact. How it stays exact, by construction rather
than by remembering every write path:

- Every statement the writer runs that writes one of the tables a cached chat is made of
  (`chats`, `chat_users`, `agents`, `customers`) empties the whole cache, unless the
  repository that runs it says precisely what it changed: `scope(conn, chat_id=...)` (only
  that chat can have changed: it is forgotten), `scope(conn, customer_id=...)` (only that
  customer's row: the chats it is a user of are forgotten) or a statement marked `cache_aware` whose
  repository function updates the cached copies itself (the hot ones: taking the next
  orders, a customer's last activity, last seen). Core statements are seen by an engine
  listener (`before_cursor_execute`), compiled ones (storage/compiled.py) by `Compiled`.
  A statement the listener cannot read as a plain write is treated as a write to all.
- A unit whose savepoint is rolled back after it changed the cache, and a group commit
  that fails, empty it (what it held may be what was rolled back).
- Another connection's commit (the CLI, `Store.write_sync`, another process) is seen at
  the start of each group commit by `PRAGMA data_version` and empties it.
- What a caller gets is a copy; the cached objects never leave this module.

PostgreSQL has several writing processes: the cache is not used there (never attached to
a connection), and `load_chat` reads the database as before.

The same bookkeeping serves what else the writer reads for every change of a license and
that hardly ever changes (the webhook outbox's registered webhooks, property configurations,
license, bots: `remember`): `generation` moves on every write to a table not in
QUIET_TABLES (the ones a message writes), every rolled-back unit and every emptying, and
what was remembered at another generation is read again.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import msgspec
from sqlalchemy.engine import Connection

from chatplane.domain.models import CUSTOMER, Chat, ChatUser, Customer

T = TypeVar("T")

# The key of the writer connection's cache in `Connection.info`.
INFO_KEY = "chat_cache"
# Chats kept, least recently used dropped first (a chat with its users is a few KB).
MAX_CHATS = 4096
# The tables a cached chat is read from (storage/chats.py: load_chat).
TABLES = frozenset({"chats", "chat_users", "agents", "customers"})

# Tables whose writes leave what `remember` keeps as it was: the rows a message, a thread or
# a webhook delivery writes. Writing any other table moves `generation` on.
QUIET_TABLES = frozenset(
    {
        "events",
        "threads",
        "thread_agents",
        "thread_tags",
        "chats",
        "chat_users",
        "chat_access",
        "customers",
        "webhook_deliveries",
    }
)
# Entries `remember` keeps at most (it starts again from none past that).
MAX_REMEMBERED = 1024

_WRITE = re.compile(
    r"\s*(?:(?:INSERT|REPLACE)\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+[\"`]?(\w+)",
    re.IGNORECASE,
)
# Statements that write nothing (transaction control, reads, the writer's own upkeep); a
# savepoint rolled back is the store's to report (`unit_rolled_back`).
_NO_WRITE = ("SELECT", "BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK", "PRAGMA", "ANALYZE")


_WRITE_ANYWHERE = re.compile(
    r"\b(?:(?:INSERT|REPLACE)\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+[\"`]?(\w+)",
    re.IGNORECASE,
)


def written_table(sql: str) -> str | None:
    """The table a statement writes; '' if it writes nothing; None if it cannot be told
    (then it counts as a write to every table)."""
    head = sql.lstrip()[:9].upper()
    if head.startswith(_NO_WRITE):
        return ""
    m = _WRITE.match(sql)
    if m:
        return m.group(1).lower()
    if not head.startswith(("WITH", "(")):
        return None  # DDL, or a verb this does not know
    # A WITH clause first (the webhook worker's recursive read of pending deliveries): the
    # writes named anywhere in it; none is a read; two or more, or a false match on words
    # in the text, count as a write to every table.
    found = {t.lower() for t in _WRITE_ANYWHERE.findall(sql)}
    if not found:
        return ""
    return found.pop() if len(found) == 1 else None


def of(conn: Connection) -> ChatCache | None:
    """The writer connection's cache; None on any other connection (readers, PostgreSQL)."""
    info = conn.info
    return info.get(INFO_KEY) if info else None


@contextmanager
def scope(
    conn: Connection, *, chat_id: str | None = None, customer_id: str | None = None
) -> Iterator[None]:
    """Writes inside change only chat `chat_id` (to `chats` / `chat_users`) or only
    customer `customer_id` (to `customers`); any other write still empties the cache."""
    cache = of(conn)
    if cache is None:
        yield
        return
    outer = cache.scoped_chat, cache.scoped_customer
    cache.scoped_chat, cache.scoped_customer = chat_id, customer_id
    try:
        yield
    finally:
        cache.scoped_chat, cache.scoped_customer = outer


class ChatCache:
    def __init__(self, max_chats: int = MAX_CHATS) -> None:
        self.max_chats = max_chats
        self._chats: OrderedDict[str, Chat] = OrderedDict()
        # customer id -> ids of cached chats that have the customer as a user
        self._by_customer: dict[str, set[str]] = {}
        # The chat that writes to `chats` / `chat_users` change now, the customer that
        # writes to `customers` change now (`scope`).
        self.scoped_chat: str | None = None
        self.scoped_customer: str | None = None
        # Whether the current unit of work changed what is cached (see `unit_rolled_back`).
        self.changed = False
        self.data_version: int | None = None
        self.generation = 0
        self._remembered: dict[Any, tuple[int, Any]] = {}
        self.hits = 0
        self.misses = 0
        self.clears = 0

    def __len__(self) -> int:
        return len(self._chats)

    # -- reads -------------------------------------------------------------------------

    def get(self, license_id: int, chat_id: str) -> Chat | None:
        chat = self._chats.get(chat_id)
        if chat is None or chat.license_id != license_id:
            self.misses += 1
            return None
        self._chats.move_to_end(chat_id)
        self.hits += 1
        return _copy_chat(chat)

    def put(self, chat: Chat) -> None:
        self.forget(chat.id)
        self._chats[chat.id] = _copy_chat(chat)
        for user in chat.users:
            if user.type == CUSTOMER:  # with its profile or not (see `wrote`)
                self._by_customer.setdefault(user.id, set()).add(chat.id)
        while len(self._chats) > self.max_chats:
            oldest = next(iter(self._chats))
            self._drop(oldest)

    def remember(self, key: Any, read: Callable[[], T]) -> T:
        """`read()`, or what it gave at this generation (see the module's note). What it
        gives is shared by every caller until the generation moves: not to be changed."""
        kept = self._remembered.get(key)
        if kept is not None and kept[0] == self.generation:
            return cast(T, kept[1])
        value = read()
        if len(self._remembered) >= MAX_REMEMBERED:
            self._remembered.clear()
        self._remembered[key] = (self.generation, value)
        return value

    # -- what writes do ----------------------------------------------------------------

    def wrote(self, table: str | None) -> None:
        """A statement wrote `table` (None: could not tell which)."""
        if table == "":
            return
        if table is None or table not in QUIET_TABLES:
            self.generation += 1
        if table is not None and table not in TABLES:
            return
        if self.scoped_chat is not None and table in ("chats", "chat_users"):
            self.forget(self.scoped_chat)
        elif self.scoped_customer is not None and table == "customers":
            for chat_id in list(self._by_customer.get(self.scoped_customer, ())):
                self.forget(chat_id)
        else:
            self.clear()

    def forget(self, chat_id: str) -> None:
        if chat_id in self._chats:
            self.changed = True
            self._drop(chat_id)

    def clear(self) -> None:
        self.generation += 1
        if self._chats:
            self.changed = True
            self.clears += 1
        self._chats.clear()
        self._by_customer.clear()

    def orders_taken(self, chat_id: str, last_order: int, updated_at: float | None) -> None:
        chat = self._chats.get(chat_id)
        if chat is not None:
            self.changed = True
            chat.last_order = last_order
            if updated_at is not None:
                chat.updated_at = updated_at

    def customer_touched(self, customer_id: str, column: str, at: float) -> None:
        for chat_id in self._by_customer.get(customer_id, ()):
            chat = self._chats[chat_id]
            for user in chat.users:
                if user.id == customer_id and user.customer is not None:
                    self.changed = True
                    setattr(user.customer, column, at)

    def seen(self, chat_id: str, user_id: str, timestamp: int, seen_up_to: float) -> None:
        chat = self._chats.get(chat_id)
        if chat is None:
            return
        user = chat.user(user_id)
        if user is not None:
            self.changed = True
            user.last_seen_timestamp = timestamp
            user.events_seen_up_to = seen_up_to

    # -- units and commits -------------------------------------------------------------

    def unit_started(self) -> None:
        self.changed = False

    def unit_rolled_back(self) -> None:
        """The unit's changes are undone: so must be what it did to the cache, and what
        was remembered while they were there."""
        self.generation += 1
        if self.changed:
            self.clear()

    def check_data_version(self, version: int) -> None:
        """Another connection committed since the last look: anything may have changed."""
        if self.data_version is not None and version != self.data_version:
            self.clear()
        self.data_version = version

    def _drop(self, chat_id: str) -> None:
        chat = self._chats.pop(chat_id)
        for user in chat.users:
            ids = self._by_customer.get(user.id)
            if ids is not None:
                ids.discard(chat_id)
                if not ids:
                    del self._by_customer[user.id]


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _copy_json(value: Any) -> Any:
    """A deep copy of a value read from a JSON column (a round trip through msgspec is
    2-3x faster than copying in Python)."""
    if not isinstance(value, (dict, list)):
        return value  # None, or a scalar: nothing to share
    if not value:
        return {} if isinstance(value, dict) else []
    try:
        return _decode(_encode(value))
    except (TypeError, ValueError, OverflowError):  # not what JSON gives: copy it here
        return _copy_tree(value)


def _copy_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_tree(v) for v in value]
    return value


def _shallow(obj: T) -> T:
    """A copy of a (dict-backed) domain object sharing its attribute values: every field,
    including one added to the model later, without listing them here."""
    copy = object.__new__(type(obj))
    copy.__dict__.update(obj.__dict__)
    return copy


# What a copy must not share with the cached object is only the mutable values below.


def _copy_customer(c: Customer) -> Customer:
    copy = _shallow(c)
    copy.fields = dict(c.fields)
    copy.last_visit = _copy_json(c.last_visit)
    return copy


def _copy_user(u: ChatUser) -> ChatUser:
    copy = _shallow(u)
    if u.customer is not None:
        copy.customer = _copy_customer(u.customer)
    return copy


def _copy_chat(c: Chat) -> Chat:
    copy = _shallow(c)
    copy.access = _copy_json(c.access)
    copy.properties = _copy_json(c.properties)
    copy.users = [_copy_user(u) for u in c.users]
    copy.follower_ids = list(c.follower_ids)
    return copy
