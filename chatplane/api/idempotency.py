"""Retry-safe writes: an optional idempotency key on any request (docs/idempotency.md).

A caller names a request with a key (the `Idempotency-Key` header on the Web API, the
`idempotency_key` field of an RTM request frame). The same caller sending the same key
again within 24 hours gets the first answer back, with no second write:

- The key is claimed **in the transaction of the request's first write**, with what that
  write returned, so the key is durable exactly when the write is. A second request with
  the key finds the row, or, if both race, its own write fails on the key and rolls back.
- Once the handler has answered, the answer is stored on the row; a retry gets it as is.
- If the server died between the commit and storing the answer, a retry runs the handler
  again in *replay*: each write returns what it returned the first time (from the row)
  instead of running, so the answer is the one the first request would have given.
- The same key with another request (action, version, payload, author) is refused.
- A request that wrote nothing stores its answer under the key after the fact.

Keys are per caller (license, user type, user id after acting as a bot) and kept 24 hours.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from chatplane import failpoints
from chatplane.domain import models, views
from chatplane.errors import ApiError, validation
from chatplane.storage import Tx
from chatplane.storage import idempotency as repo

if TYPE_CHECKING:
    from chatplane.api.dispatch import Context
    from chatplane.api.registry import Action

T = TypeVar("T")

HEADER = "idempotency-key"
FRAME_FIELD = "idempotency_key"
WINDOW_SECONDS = 24 * 3600.0
MAX_KEY_LENGTH = 255
# How long a retry waits for a request with its key that is running in another process.
WAIT_SECONDS = 30.0

# Answers are kept as given (key order too), so a retry gets the same bytes.
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.decode


def check_key(value: Any, where: str) -> str:
    """The key as given, or a `validation` error naming what is wrong with it."""
    if not isinstance(value, str):
        raise validation(f"{where} must be a string")
    if not value or len(value) > MAX_KEY_LENGTH:
        raise validation(f"{where} must be 1 to {MAX_KEY_LENGTH} characters long")
    if not value.isprintable():
        raise validation(f"{where} must be printable characters only")
    return value


def _payload_value(value: Any) -> Any:
    # An uploaded file takes part in the fingerprint by its name, type and size.
    filename = getattr(value, "filename", None)
    if filename is not None:
        return {"file": filename, "type": getattr(value, "content_type", None), "size": value.size}
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(act: Action, payload: Any, author_id: str | None) -> str:
    head = f"{act.api}\n{act.version}\n{act.name}\n{author_id or ''}\n".encode()
    body = msgspec.json.encode(payload, enc_hook=_payload_value, order="sorted")
    return hashlib.sha256(head + body).hexdigest()


# -- what a write returned, kept so that a replay returns the same -----------------------

# The only classes a stored result may name: what units of work return.
_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        models.Agent,
        models.Customer,
        models.ChatUser,
        models.Event,
        models.Thread,
        models.Chat,
        models.Principal,
        views.ChatSummary,
    )
}


class NotReplayable(TypeError):
    """A write returned something this module cannot keep."""


def encode_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return {"$list": [encode_value(v) for v in value]}
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, frozenset | set):
        return {"$set": [encode_value(v) for v in sorted(value, key=repr)]}
    if isinstance(value, dict):
        return {"$dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    name = type(value).__name__
    if dataclasses.is_dataclass(value) and _CLASSES.get(name) is type(value):
        fields = {f.name: encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dc": name, "fields": fields}
    raise NotReplayable(f"a write returned a {name}, which an idempotent replay cannot keep")


def decode_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "$list" in value:
        return [decode_value(v) for v in value["$list"]]
    if "$tuple" in value:
        return tuple(decode_value(v) for v in value["$tuple"])
    if "$set" in value:
        return frozenset(decode_value(v) for v in value["$set"])
    if "$dict" in value:
        return {decode_value(k): decode_value(v) for k, v in value["$dict"]}
    cls = _CLASSES[value["$dc"]]
    return cls(**{k: decode_value(v) for k, v in value["fields"].items()})


# -- one request with a key --------------------------------------------------------------


class KeyTaken(Exception):
    """Another request with the same key committed its write first (this one rolled back)."""


@dataclasses.dataclass
class IdempotentRequest:
    license_id: int
    owner: str
    key: str
    fingerprint: str
    # What each write returned so far (in order), encoded; None: a write could not be kept.
    results: list[Any] | None = dataclasses.field(default_factory=list)
    # Replay: what the first request's writes returned, returned again instead of running.
    replay: list[Any] | None = None
    writes: int = 0
    claimed: bool = False
    # Set by the write's unit (writer thread); kept once the write has committed.
    _pending: list[Any] | None = None

    def replayed(self) -> tuple[bool, Any]:
        """(True, what write number `writes` returned the first time), or (False, None)."""
        if self.replay is not None and self.writes < len(self.replay):
            result = decode_value(self.replay[self.writes])
            self.writes += 1
            return True, result
        return False, None

    def wrap(self, fn: Callable[[Tx], T]) -> Callable[[Tx], T]:
        """The write, claiming the key (or recording its result) in the same transaction."""
        index = self.writes
        self.writes += 1

        def unit(tx: Tx) -> T:
            result = fn(tx)
            results = self._with(index, result)
            self._pending = results
            text = _encode(results).decode() if results is not None else None
            now = time.time()
            if not self.claimed and self.replay is None:
                taken = not repo.claim(
                    tx.conn,
                    self.license_id,
                    self.owner,
                    self.key,
                    self.fingerprint,
                    text,
                    None,
                    now,
                    now - WINDOW_SECONDS,
                )
                if taken:
                    raise KeyTaken(self.key)
            elif text is not None:
                repo.set_results(tx.conn, self.license_id, self.owner, self.key, text)
            return result

        return unit

    def committed(self) -> None:
        """The write that `wrap` made has committed."""
        self.claimed = True
        if self.replay is None:
            self.results = self._pending

    def _with(self, index: int, result: Any) -> list[Any] | None:
        base = list(self.replay or []) if self.replay is not None else self.results
        if base is None:
            return None
        try:
            encoded = encode_value(result)
        except NotReplayable:
            return None
        return [*base[:index], encoded]


_locks: weakref.WeakValueDictionary[tuple[int, str, str], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


async def run(
    ctx: Context, act: Action, payload: Any, key: str, call: Callable[[], Awaitable[Any]]
) -> Any:
    """Run `call` (the action) at most once per key: or give the first answer back."""
    caller = ctx.caller
    owner = f"{caller.user_type}:{caller.user_id}"
    fp = fingerprint(act, payload, ctx.author_id)
    ident = (caller.license_id, owner, key)
    lock = _locks.get(ident)
    if lock is None:
        lock = _locks[ident] = asyncio.Lock()
    async with lock:  # the same key twice at once in this process: one after the other
        request = IdempotentRequest(caller.license_id, owner, key, fp)
        row = await _row(ctx, request)
        if row is not None:
            answer = _answer_of(row, request)
            if answer is not None:
                return answer
        ctx.idempotency = request
        try:
            response = await call()
        except KeyTaken:
            ctx.idempotency = None
            return await _wait_for_other(ctx, request, call)
        finally:
            ctx.idempotency = None
        if request.claimed:
            failpoints.hit("idempotency.after_commit")
        await _store_response(ctx, request, response)
        return response


async def _row(ctx: Context, request: IdempotentRequest) -> Any | None:
    since = time.time() - WINDOW_SECONDS
    return await ctx.services.read(
        lambda tx: repo.get(tx.conn, request.license_id, request.owner, request.key, since)
    )


def _answer_of(row: Any, request: IdempotentRequest) -> Any | None:
    """The stored answer; or None after setting `request` up to replay (or run afresh)."""
    if row.fingerprint != request.fingerprint:
        raise validation(
            f"Idempotency key {request.key!r} was used with a different request (another "
            "action, version, author or payload) in the last 24 hours; use a new key"
        )
    if row.response is not None:
        return _decode(row.response)
    if row.results is None:
        raise ApiError(
            "internal",
            f"The request with idempotency key {request.key!r} committed, but what it wrote "
            "could not be kept for a replay and its answer was lost; read the current state",
        )
    request.replay = _decode(row.results)
    request.claimed = True
    return None


async def _store_response(ctx: Context, request: IdempotentRequest, response: Any) -> None:
    text = _encode(response).decode()
    lic, owner, key = request.license_id, request.owner, request.key
    if request.claimed or request.writes:
        await ctx.services.store.write(lambda tx: repo.set_response(tx.conn, lic, owner, key, text))
        return
    # Nothing was written: the answer alone is kept under the key.
    now = time.time()
    stored = await ctx.services.store.write(
        lambda tx: repo.claim(
            tx.conn, lic, owner, key, request.fingerprint, "[]", text, now, now - WINDOW_SECONDS
        )
    )
    if not stored.result:
        # Another request with the key got there first: the caller gets this answer, and
        # a retry gets whichever was stored (both wrote nothing).
        return


async def _wait_for_other(
    ctx: Context, request: IdempotentRequest, call: Callable[[], Awaitable[Any]]
) -> Any:
    """Another request (another process) holds the key: its answer, once it is stored; or a
    replay of what it wrote if it does not come (that process may have died)."""
    deadline = time.monotonic() + WAIT_SECONDS
    delay = 0.02
    while True:
        row = await _row(ctx, request)
        if row is not None:
            request.replay = None
            answer = _answer_of(row, request)
            if answer is not None:
                return answer
            if time.monotonic() >= deadline:
                request.writes = 0
                ctx.idempotency = request
                try:
                    response = await call()
                finally:
                    ctx.idempotency = None
                await _store_response(ctx, request, response)
                return response
        elif time.monotonic() >= deadline:
            raise ApiError("request_timeout", "The request with this idempotency key timed out")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def forget_expired(ctx_write: Callable[[Callable[[Tx], int]], Awaitable[int]]) -> int:
    """Delete keys past the 24-hour window (in batches); how many went."""
    before = time.time() - WINDOW_SECONDS
    total = 0
    while True:
        gone = await ctx_write(lambda tx: repo.forget_older_than(tx.conn, before))
        total += gone
        if gone < 1000:
            return total
