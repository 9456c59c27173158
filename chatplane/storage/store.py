"""The Store runs units of work against the database, off the event loop.

A unit of work is a plain function `fn(tx) -> result` that uses SQLAlchemy Core on
`tx.conn`. Writes are serialised and group-committed on SQLite: the writer thread drains
every unit that is waiting, runs each in its own SAVEPOINT, and commits them together,
so one fsync covers many requests while each request still succeeds or fails alone.
On PostgreSQL a small pool of writer threads runs one transaction per unit; rows that
must be updated in order (a chat's `last_order`) are updated with row locks.

A unit of work may `tx.emit()` domain events. Reactions registered with `react` run at
once, inside the unit, when an event of their type is emitted (routing assigns a thread
the moment it opens); hooks registered with `add_tx_hook` see all of a unit's events at
its end, inside the same transaction (the webhook outbox is written there, so a webhook is
durable exactly when the change is). The events are returned to the caller, who publishes
them on the bus after the commit. The app registers both, in order (chatplane/app.py).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from chatplane.errors import validation
from chatplane.storage import chat_cache

log = logging.getLogger(__name__)

T = TypeVar("T")

# How many waiting units one SQLite commit may cover.
GROUP_COMMIT_MAX = 256
# The SQLite writer refreshes planner statistics at start and then this often, sampling
# at most ANALYZE_ROWS rows per index.
ANALYZE_EVERY_SECONDS = 3600.0
ANALYZE_ROWS = 1000
# WAL checkpoints (copying the log into the database file, with its fsync) run on a thread
# of their own this often, so that the writer never stalls on one; the writer itself only
# checkpoints if the log grows past WRITER_CHECKPOINT_PAGES (the checkpointer fell behind).
CHECKPOINT_EVERY_SECONDS = 0.5
WRITER_CHECKPOINT_PAGES = 16_000


Reaction = Callable[["Tx", Any], None]


@dataclass
class Tx:
    """A unit of work's view of its transaction."""

    conn: Connection
    dialect: str
    events: list[Any] = field(default_factory=list)
    # Domain event type -> what runs, in order, as soon as one is emitted (Store.react).
    reactions: dict[type, list[Reaction]] = field(default_factory=dict)

    def emit(self, domain_event: Any) -> None:
        self.events.append(domain_event)
        for react in self.reactions.get(type(domain_event), ()):
            react(self, domain_event)


@dataclass
class Committed(Generic[T]):
    result: T
    events: list[Any]


TxHook = Callable[[Tx], None]


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=False)

        @sa_event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let us emit BEGIN ourselves (pysqlite's implicit transactions break savepoints).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed transaction survives a process crash or kill;
            # only a power loss may lose the last commits (docs/decisions.md).
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @sa_event.listens_for(engine, "before_cursor_execute")
        def _on_execute(
            conn: Connection, _cursor: Any, statement: str, *_args: Any, **_kw: Any
        ) -> None:
            # The writer's chat cache hears every Core statement it runs (chat_cache.py).
            cache = chat_cache.of(conn)
            if cache is not None:
                cache.wrote(chat_cache.written_table(statement))

        @sa_event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("writer") else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    elif url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    return sa.create_engine(url, pool_size=12, max_overflow=4, pool_pre_ping=True)


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self._tx_hooks: list[TxHook] = []
        self._reactions: dict[type, list[Reaction]] = {}
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chatplane-read")
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        self._stopping = threading.Event()
        self._pg_writers: ThreadPoolExecutor | None = None
        self._closed = False
        # The SQLite writer's chats with their users (storage/chat_cache.py). None on
        # PostgreSQL, where other processes write too: load_chat always reads there.
        self.chat_cache = chat_cache.ChatCache() if self.is_sqlite else None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        if self.is_sqlite:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="chatplane-write", daemon=True
                )
                self._writer.start()
                self._checkpointer = threading.Thread(
                    target=self._checkpoint_loop, name="chatplane-checkpoint", daemon=True
                )
                self._checkpointer.start()
        elif self._pg_writers is None:
            self._pg_writers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cp-write")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join(timeout=30)
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=30)
        if self._pg_writers is not None:
            self._pg_writers.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self.engine.dispose()

    def add_tx_hook(self, hook: TxHook) -> None:
        self._tx_hooks.append(hook)

    def react(self, event_type: type, reaction: Reaction) -> None:
        """Run `reaction(tx, event)` inside the unit whenever an `event_type` is emitted."""
        self._reactions.setdefault(event_type, []).append(reaction)

    # -- running units of work -------------------------------------------------------

    async def read(self, fn: Callable[[Tx], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self.read_sync, fn)

    def read_sync(self, fn: Callable[[Tx], T]) -> T:
        with self.engine.connect() as conn:
            try:
                return fn(Tx(conn, self.dialect, reactions=self._reactions))
            except sa.exc.DataError as exc:
                raise _refusal(exc) from None
            finally:
                conn.rollback()

    async def write(self, fn: Callable[[Tx], T]) -> Committed[T]:
        if not self.is_sqlite:
            loop = asyncio.get_running_loop()
            assert self._pg_writers is not None, "Store.start() was not called"
            return await loop.run_in_executor(self._pg_writers, self.write_sync, fn)
        if self._writer is None:
            raise RuntimeError("Store.start() was not called")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Committed[T]] = loop.create_future()
        self._queue.put(_Job(fn, loop, future))
        return await future

    def write_sync(self, fn: Callable[[Tx], T]) -> Committed[T]:
        """One unit in its own transaction (PostgreSQL, the CLI, and start-up)."""
        for attempt in range(5):
            with self.engine.connect() as conn:
                if self.is_sqlite:
                    conn.info["writer"] = True
                try:
                    with conn.begin():
                        tx = Tx(conn, self.dialect, reactions=self._reactions)
                        result = fn(tx)
                        self._run_hooks(tx)
                    return Committed(result, tx.events)
                except sa.exc.OperationalError as exc:
                    # Serialization failures and deadlocks on PostgreSQL: run it again.
                    if attempt < 4 and _is_retryable(exc):
                        continue
                    raise
                except sa.exc.DataError as exc:
                    raise _refusal(exc) from None
                finally:
                    if self.is_sqlite:
                        conn.info.pop("writer", None)
        raise RuntimeError("unreachable")

    def _run_hooks(self, tx: Tx) -> None:
        if tx.events:
            for hook in self._tx_hooks:
                hook(tx)

    def _write_loop(self) -> None:
        conn = self.engine.connect()
        conn.info["writer"] = True
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")
        # Chats with their users, kept exact by this thread (storage/chat_cache.py).
        conn.info[chat_cache.INFO_KEY] = self.chat_cache
        next_analyze = 0.0
        stop = False
        while not stop:
            if time.monotonic() >= next_analyze:
                next_analyze = time.monotonic() + ANALYZE_EVERY_SECONDS
                self._analyze(conn)
            job = self._queue.get()
            if job is None:
                break
            batch = [job]
            while len(batch) < GROUP_COMMIT_MAX:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._run_batch(conn, batch)
        # The pooled connection's `info` outlives this checkout: no other user may find
        # the cache there.
        conn.info.pop(chat_cache.INFO_KEY, None)
        conn.close()

    def _checkpoint_loop(self) -> None:
        """Checkpoint the WAL in the background (PASSIVE: never blocks the writer or a
        reader). A checkpoint in the writer's commit stalled every request queued behind
        it for the length of an fsync, a few times a second under load: the RTM p99."""
        # The driver connection itself, in autocommit: a checkpoint inside a transaction
        # could not move past that transaction's snapshot.
        pooled = self.engine.raw_connection()
        try:
            raw = pooled.driver_connection
            assert raw is not None
            while not self._stopping.wait(CHECKPOINT_EVERY_SECONDS):
                try:
                    raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:
                    log.exception("WAL checkpoint failed; the writer checkpoints instead")
        finally:
            pooled.close()

    def _analyze(self, conn: Connection) -> None:
        """Refresh SQLite's planner statistics (sampled, so it takes milliseconds).

        Without them the planner takes `threads.license_id = ?` for a selective index and
        scans a license's threads for every archive filter, instead of starting from the
        filter's own index (property values, full-text).

        The full-text index's own shadow tables are left without statistics: with a
        (sampled, tiny) row count recorded for them, SQLite picks plans inside the FTS5
        trigger that make every event insert slower as the store grows (measured ~40x at
        140,000 events by the benchmark seeder)."""
        try:
            with conn.begin():
                conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYZE_ROWS}")
                conn.exec_driver_sql("ANALYZE")
                conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl LIKE 'events_fts%'")
            # Make the planner reload the statistics without the deleted rows.
            with conn.begin():
                conn.exec_driver_sql("ANALYZE sqlite_schema")
        except sa.exc.DBAPIError:
            log.exception("ANALYZE failed; the planner keeps its old statistics")

    def _run_batch(self, conn: Connection, batch: list[_Job]) -> None:
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        cache = chat_cache.of(conn)
        try:
            with conn.begin():
                # Each unit in a savepoint of its own, issued on the driver connection:
                # Core's begin_nested() costs more Python than the unit's own statements.
                raw = conn.connection.driver_connection
                assert raw is not None
                if cache is not None:
                    # Inside BEGIN IMMEDIATE: nobody else can commit until we do.
                    cache.check_data_version(raw.execute("PRAGMA data_version").fetchone()[0])
                for job in batch:
                    tx = Tx(conn, self.dialect, reactions=self._reactions)
                    raw.execute("SAVEPOINT unit")
                    if cache is not None:
                        cache.unit_started()
                    try:
                        result = job.fn(tx)
                        self._run_hooks(tx)
                    except Exception as exc:
                        raw.execute("ROLLBACK TO SAVEPOINT unit")
                        raw.execute("RELEASE SAVEPOINT unit")
                        if cache is not None:
                            cache.unit_rolled_back()
                        outcomes.append((job, None, exc))
                    else:
                        raw.execute("RELEASE SAVEPOINT unit")
                        outcomes.append((job, Committed(result, tx.events), None))
        except Exception as exc:  # the commit itself failed: nobody's change is kept
            log.exception("group commit failed")
            if cache is not None:
                cache.clear()
            outcomes = [(job, None, exc) for job in batch]
        for job, result, error in outcomes:
            job.loop.call_soon_threadsafe(_settle, job.future, result, error)


@dataclass
class _Job:
    fn: Callable[[Tx], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _refusal(exc: sa.exc.DataError) -> Exception:
    """A value the database refused as out of range for its column (a 32-bit column on
    PostgreSQL given a bigger number) is the caller's to fix: a validation error."""
    if getattr(exc.orig, "sqlstate", None) == "22003":
        return validation("A number in the request is out of range for what it identifies")
    return exc


def _is_retryable(exc: sa.exc.OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01"}
