"""Running one action for either transport: the caller's limits and scopes, the payload
decoded into the action's struct, the handler, and the changes it committed.

Actions are looked up in the app's `Registry` (api/registry.py); a transport only frames
bytes, finds the action and calls `dispatch`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from chatplane.api import idempotency
from chatplane.api.registry import Action, describe
from chatplane.bus import Origin
from chatplane.domain.access import Wider, require_scope
from chatplane.domain.models import Principal
from chatplane.errors import authentication, authorization, validation

if TYPE_CHECKING:
    from chatplane.api.idempotency import IdempotentRequest
    from chatplane.realtime.hub import Session
    from chatplane.services import Services
    from chatplane.storage import Tx

T = TypeVar("T")

__all__ = [
    "NOT_DECODED",
    "Action",
    "Context",
    "describe",
    "dispatch",
    "may_be_unstorable",
    "refuse_unstorable",
]


@dataclass
class Context:
    services: Services
    api: str  # agent | customer | configuration
    transport: str  # web | rtm
    version: str = "3.0"  # the API version the request came in (its shapes)
    principal: Principal | None = None
    session: Session | None = None
    request_id: str | None = None
    author_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    license_id: int | None = None  # customer API: from the query string
    extra: dict[str, Any] = field(default_factory=dict)
    deferred: list[tuple[Any, Origin]] = field(default_factory=list)
    # The request's idempotency key, as given (api/idempotency.py); None: no key.
    idempotency_key: str | None = None
    # While an action with a key runs: its writes claim the key (or are replayed).
    idempotency: IdempotentRequest | None = None
    action: Action | None = None  # set by `dispatch`

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise authentication("Log in first")
        return self.principal

    def require_wider(self, detail: str | None = None, *, reach: Wider | None = None) -> None:
        """This request reaches what the action's `wider` scopes guard (another
        application's bot, `all: true`, ...): refused unless the caller holds them. The
        scopes are the action's registration; the handler only says when (and, for an
        action with several, which: `reach`)."""
        wider = self._wider(reach)
        if wider is not None and self.caller.is_agent:
            wider.require(self.caller.scopes, detail)
            return
        reason = f" ({detail})" if detail else ""
        raise authorization(f"This request is not allowed in the {self.api} API{reason}")

    def may_reach(self, reach: Wider | None = None) -> bool:
        """Whether the caller holds the action's `wider` scopes (`reach`, for an action with
        several): for what a request shows or decides rather than refuses (the tags of
        every group, or of the caller's own)."""
        wider = self._wider(reach)
        p = self.principal
        return wider is not None and p is not None and p.is_agent and wider.allows(p.scopes)

    def _wider(self, reach: Wider | None) -> Wider | None:
        declared = self.action.widers if self.action is not None else ()
        if reach is None:
            if len(declared) > 1:
                raise RuntimeError(f"{self.action and self.action.name} declares several wider")
            return declared[0] if declared else None
        if reach not in declared:
            raise RuntimeError(f"{self.action and self.action.name} does not declare {reach}")
        return reach

    @property
    def origin(self) -> Origin:
        p = self.principal
        user = (p.license_id, p.user_type, p.user_id) if p is not None else None
        return Origin(self.session.id if self.session else None, self.request_id, user)

    async def commit(self, fn: Callable[[Tx], T]) -> T:
        """Run a write. Over RTM its pushes are published after this request's response
        is queued, so the requester sees the response first. With an idempotency key the
        write claims the key in its own transaction, or, replaying a request that committed
        before, returns what it returned then without running."""
        idem = self.idempotency
        if idem is not None:
            replayed, result = idem.replayed()
            if replayed:
                return result
            fn = idem.wrap(fn)
        committed = await self.services.store.write(fn)
        if idem is not None:
            idem.committed()
        if committed.events:
            if self.transport == "rtm":
                self.deferred.append((committed.events, self.origin))
            else:
                await self.services.bus.publish(committed.events, self.origin)
        return committed.result

    async def publish(self, changes: list[Any]) -> None:
        """Publish changes that are not stored (typing indicators, multicasts)."""
        if self.transport == "rtm":
            self.deferred.append((changes, self.origin))
        else:
            await self.services.bus.publish(changes, self.origin)

    async def publish_deferred(self) -> None:
        for changes, origin in self.deferred:
            await self.services.bus.publish(changes, origin)
        self.deferred.clear()


# Integers the databases store (64-bit signed); a longer run of digits may be beyond them.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_NINETEEN_ZEROS = b"0" * 19


def may_be_unstorable(raw: bytes | str) -> bool:
    """Whether `raw` spells `\\u0000` or a 19-digit number (what `refuse_unstorable` walks)."""
    if isinstance(raw, str):
        if "\\u0000" in raw:
            return True
        raw = raw.encode(errors="surrogatepass")
    # Every digit made "0" (no other byte is): a run of 19 zeros is a run of 19 digits,
    # found by two C-speed passes (the regex took several microseconds a request).
    return b"\\u0000" in raw or _NINETEEN_ZEROS in raw.translate(_DIGITS_AS_ZERO)


def refuse_unstorable(raw: bytes | str, decoded: Any) -> None:
    """Refuse what no database column can hold, so both engines answer the same: strings
    holding U+0000 (PostgreSQL cannot store them, and no chat needs them) and integers
    outside 64 bits. Only bodies that spell `\\u0000` or a 19-digit number are walked."""
    if not may_be_unstorable(raw):
        return
    stack = [decoded]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise validation("Strings cannot contain the NUL character (\\u0000)")
        elif isinstance(item, int) and not isinstance(item, bool):
            if not INT64_MIN <= item <= INT64_MAX:
                raise validation(f"The number {item} is out of range (64-bit integers only)")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# `dispatch`'s `decoded` when the payload is still to be decoded.
NOT_DECODED: Any = object()


async def dispatch(
    ctx: Context, act: Action, payload: Any, decoded: Any = NOT_DECODED
) -> dict[str, Any] | list[Any]:
    """Run `act` for `payload`; `decoded`: the payload already decoded into the action's
    struct (the Web API decodes a body straight into it), then `payload` is unused. A
    request with an idempotency key comes with its payload (its fingerprint reads it)."""
    if act.needs_login and ctx.principal is None:
        raise authentication("Log in first: send the login action with your access token")
    if ctx.principal is not None:
        p = ctx.principal
        ctx.services.request_limit.check(f"{p.license_id}:{p.user_type}:{p.user_id}", "requests")
        if act.scopes and p.is_agent:
            require_scope(p.scopes, *act.scopes)
            if act.also:
                require_scope(p.scopes, *act.also)
    ctx.action = act
    if decoded is NOT_DECODED:
        decoded = act.decode(payload)
    key = ctx.idempotency_key
    if key is not None and ctx.principal is not None and act.needs_login:

        async def call() -> dict[str, Any] | list[Any]:
            result = await act.handler(ctx, decoded)
            return result if result is not None else {}

        answer: dict[str, Any] | list[Any] = await idempotency.run(ctx, act, payload, key, call)
        return answer
    result = await act.handler(ctx, decoded)
    return result if result is not None else {}
