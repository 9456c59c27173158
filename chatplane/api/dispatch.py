"""One registry of actions, shared by the Web API and RTM transports.

An action is registered once with the struct its payload decodes into and the
transports it is served on; a transport only frames bytes and calls `dispatch`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from chatplane.bus import Origin
from chatplane.domain.access import require_scope
from chatplane.domain.models import Principal
from chatplane.errors import ApiError, authentication, validation

if TYPE_CHECKING:
    from chatplane.realtime.hub import Session
    from chatplane.services import Services
    from chatplane.storage import Tx

T = TypeVar("T")

Handler = Callable[["Context", Any], Awaitable[dict[str, Any] | None]]


@dataclass
class Context:
    services: Services
    api: str  # agent | customer
    transport: str  # web | rtm
    principal: Principal | None = None
    session: Session | None = None
    request_id: str | None = None
    author_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    license_id: int | None = None  # customer API: from the query string
    extra: dict[str, Any] = field(default_factory=dict)
    deferred: list[tuple[Any, Origin]] = field(default_factory=list)

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise authentication("Log in first")
        return self.principal

    @property
    def origin(self) -> Origin:
        p = self.principal
        user = (p.license_id, p.user_type, p.user_id) if p is not None else None
        return Origin(self.session.id if self.session else None, self.request_id, user)

    async def commit(self, fn: Callable[[Tx], T]) -> T:
        """Run a write. Over RTM its pushes are published after this request's response
        is queued, so the requester sees the response first."""
        committed = await self.services.store.write(fn)
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


@dataclass
class Action:
    api: str
    name: str
    handler: Handler
    payload_type: type | None
    web: bool = True
    rtm: bool = True
    # False for actions a logged-out RTM connection may call (login, ping).
    needs_login: bool = True
    # The Web API body is multipart/form-data (send_file, upload_image).
    multipart: bool = False
    # An agent needs one of these scopes (agent-chat-api/scopes.md); empty: none needed.
    # Access to a particular chat is checked by the domain on top of this.
    scopes: tuple[str, ...] = ()

    def decode(self, payload: Any) -> Any:
        if self.payload_type is None:
            return payload
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise validation("payload must be a JSON object")
        try:
            return msgspec.convert(payload, self.payload_type, strict=True)
        except msgspec.ValidationError as exc:
            raise validation(describe(exc)) from None


def describe(exc: msgspec.ValidationError | msgspec.DecodeError) -> str:
    """msgspec's message with paths from the payload (`$.chat.id` -> `chat.id`)."""
    text = str(exc)
    text = text.replace("`$.", "`").replace("at `$`", "in the payload")
    text = text.replace("$[", "[")
    return text


# Integers the databases store (64-bit signed); a longer run of digits may be beyond them.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_LONG_NUMBER = re.compile(r"\d{19}")
_LONG_NUMBER_BYTES = re.compile(rb"\d{19}")


def refuse_unstorable(raw: bytes | str, decoded: Any) -> None:
    """Refuse what no database column can hold, so both engines answer the same: strings
    holding U+0000 (PostgreSQL cannot store them, and no chat needs them) and integers
    outside 64 bits. Only bodies that spell `\\u0000` or a 19-digit number are walked."""
    if isinstance(raw, str):
        suspect = "\\u0000" in raw or _LONG_NUMBER.search(raw) is not None
    else:
        suspect = b"\\u0000" in raw or _LONG_NUMBER_BYTES.search(raw) is not None
    if not suspect:
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


REGISTRY: dict[tuple[str, str], Action] = {}


def action(
    api: str | tuple[str, ...],
    name: str,
    payload: type | None = None,
    *,
    web: bool = True,
    rtm: bool = True,
    needs_login: bool = True,
    multipart: bool = False,
    scopes: tuple[str, ...] = (),
) -> Callable[[Handler], Handler]:
    apis = (api,) if isinstance(api, str) else api
    if apis == ("configuration",):
        rtm = False  # the Configuration API is served over HTTP only

    def register(fn: Handler) -> Handler:
        for a in apis:
            key = (a, name)
            if key in REGISTRY:
                raise RuntimeError(f"action {a}/{name} registered twice")
            REGISTRY[key] = Action(a, name, fn, payload, web, rtm, needs_login, multipart, scopes)
        return fn

    return register


def lookup(api: str, name: str, transport: str) -> Action:
    act = REGISTRY.get((api, name))
    if act is None:
        raise ApiError("validation", f"Unknown action {name!r} in the {api} API", status=404)
    if transport == "web" and not act.web:
        raise validation(f"Action {name!r} is available over RTM only")
    if transport == "rtm" and not act.rtm:
        raise validation(f"Action {name!r} is available over the Web API only")
    return act


async def dispatch(ctx: Context, act: Action, payload: Any) -> dict[str, Any]:
    if act.needs_login and ctx.principal is None:
        raise authentication("Log in first: send the login action with your access token")
    if ctx.principal is not None:
        p = ctx.principal
        ctx.services.request_limit.check(f"{p.license_id}:{p.user_type}:{p.user_id}", "requests")
        if act.scopes and p.is_agent:
            require_scope(p.scopes, *act.scopes)
    decoded = act.decode(payload)
    result = await act.handler(ctx, decoded)
    return result if result is not None else {}
