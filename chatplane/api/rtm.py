"""The RTM transport: one connection carrying requests, responses and pushes.

A connection handles its requests one at a time, in the order sent (so that a client's
events keep their order); responses and pushes share the session's outgoing queue.

The framing is not this module's: a plain websocket (here), SockJS or socket.io each wrap
their connection in an `RtmConnection` and hand it to `RtmEndpoint.run`, so that every
transport has the same sessions, limits and pushes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

import msgspec
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from chatplane import jsondecode
from chatplane.api import idempotency
from chatplane.api.bots import act_as
from chatplane.api.dispatch import Context, dispatch, refuse_unstorable
from chatplane.api.registry import Registry
from chatplane.api.versions import WireVersion
from chatplane.errors import ApiError, validation
from chatplane.realtime import resume
from chatplane.realtime.hub import Session, disconnect
from chatplane.services import Services

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode

# uvicorn's protocol (chatplane.realtime.wsproto) records the client's last control frame
# (a ping, or a pong to the server's ping) here.
PING_KEY = "chatplane.last_ping"


# v3.0 request frames: the spec's keys, and Chatplane's extension fields (the idempotency
# key of docs/idempotency.md; `resume` of docs/resume.md, on login).
FRAME_KEYS = frozenset(
    {"request_id", "action", "payload", "author_id", "idempotency_key", "resume"}
)
FRAME_SHAPE = '{"request_id": "...", "action": "...", "payload": {...}, "author_id": "..."}'


class RtmConnection(Protocol):
    """One client connection, whatever its framing."""

    @property
    def address(self) -> str | None: ...
    @property
    def query(self) -> Mapping[str, str]: ...
    @property
    def headers(self) -> Mapping[str, str]: ...

    def last_alive(self) -> float | None:
        """Monotonic time the framing last saw the client alive without a message (a
        control-frame ping or pong, a poll, a heartbeat answer); None if it cannot tell."""
        ...

    async def accept(self) -> None: ...
    async def receive(self) -> str | None:
        """The next message's text; None once the client is gone."""
        ...

    async def send_text(self, text: str) -> None: ...
    async def close(self, code: int) -> None: ...


class WebSocketConnection:
    """A plain websocket (`/v3.x/<api>/rtm/ws`)."""

    def __init__(self, websocket: WebSocket, send: Send) -> None:
        self.websocket = websocket
        # The server's `send` for text frames (issue 19): a push or response skips the
        # wrapper's state checks, which guard the handshake and the close (both still go
        # through `websocket`). A failed send raises as the wrapper's would (the session's
        # writer ends on any exception).
        self._send = send
        self.address = websocket.client.host if websocket.client else None
        self.query: Mapping[str, str] = websocket.query_params
        self.headers: Mapping[str, str] = websocket.headers
        self._box: list[float] | None = websocket.scope.get(PING_KEY)

    def last_alive(self) -> float | None:
        return self._box[0] if self._box else None

    async def accept(self) -> None:
        await self.websocket.accept()

    async def receive(self) -> str | None:
        try:
            message = await self.websocket.receive()
        except WebSocketDisconnect:
            return None
        if message["type"] == "websocket.disconnect":
            return None
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            text = data.decode("utf-8", errors="replace")
        return str(text)

    async def send_text(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})

    async def close(self, code: int) -> None:
        await self.websocket.close(code)


def response(
    request_id: Any,
    action: str | None,
    payload: Any,
    success: bool,
    resumed: dict[str, Any] | None = None,
) -> str:
    msg: dict[str, Any] = {}
    if request_id is not None:
        msg["request_id"] = request_id
    msg["action"] = action
    msg["type"] = "response"
    msg["success"] = success
    msg["payload"] = payload
    if resumed is not None:  # a login's resumable session (realtime/resume.py)
        msg["resume"] = resumed
    return _encode(msg).decode()


class RtmEndpoint:
    """The RTM API of one API (agent or customer) in one version."""

    def __init__(
        self, services: Services, registry: Registry, api: str, version: WireVersion
    ) -> None:
        self.services = services
        self.registry = registry
        self.api = api
        self.version = version
        self.versions = {v for v in registry.versions()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The plain websocket route, as an ASGI app (Starlette's `WebSocketRoute` mounts
        it as it is), so that the connection has the server's `send`."""
        await self.run(WebSocketConnection(WebSocket(scope, receive, send), send))

    async def run(self, conn: RtmConnection) -> None:
        services = self.services
        client_ip = conn.address
        limit = services.settings.max_connections_per_address
        if limit and services.hub.count_address(client_ip) >= limit:
            # Refuse before the handshake completes: HTTP 403 to the upgrade request.
            await conn.close(1013)
            return
        await conn.accept()
        session = Session(
            api=self.api,
            version=self.version.name,
            push_version=self.version.name if self.version.versioned_frames else None,
            send_text=conn.send_text,
            close=conn.close,
            address=client_ip,
        )
        session.start()
        services.hub.connect(session)
        session.alive = conn.last_alive
        try:
            while not session.closed:
                text = await conn.receive()
                if text is None:
                    break
                session.last_activity = time.monotonic()
                reply, close_after, ctx = await self.handle(session, text, conn)
                session.send(reply)
                if session.holding:
                    # A login's pushes follow its response: a resume's missed ones first.
                    replay, session.resume_replay = session.resume_replay, None
                    session.release(replay)
                if ctx is not None and ctx.deferred:
                    await ctx.publish_deferred()
                if close_after:
                    await self.logout(session)
                    break
        except Exception:
            log.exception("RTM connection failed")
        finally:
            services.hub.disconnect(session)
            services.keep_detached(session)
            await services.on_session_closed(session)
            if not session.closed:
                await session.finish(1000)

    async def license_id(self, conn: RtmConnection) -> int | None:
        """The customer's license named in the connection's query string, if any."""
        for name in self.version.license_params:
            raw = conn.query.get(name)
            if raw is None:
                continue
            if name == "organization_id":
                return await self.services.license_of_organization(raw)
            try:
                return int(raw)
            except ValueError:
                raise validation(f"{name} {raw!r} is not an integer") from None
        return None

    def served_in(self, requested: Any) -> str:
        """The version a request is served in: the connection's, or (v3.3 and later) the
        higher one the request names in `version`."""
        if requested is None or not self.version.versioned_frames:
            return self.version.name
        if not isinstance(requested, str):
            raise validation('version must be a string such as "3.6"')
        if requested not in self.versions:
            served = ", ".join(sorted(v for v in self.versions if v >= self.version.name))
            raise ApiError(
                "unsupported_version",
                f"Version {requested!r} is not served on this connection (served: {served})",
            )
        mine = self.version.number()
        if tuple(int(n) for n in requested.split(".")) < mine:
            raise validation(
                f"A v{self.version.name} connection serves no requests in the lower "
                f"version {requested}"
            )
        return requested

    async def handle(
        self, session: Session, text: str, conn: RtmConnection
    ) -> tuple[str, bool, Context | None]:
        request_id: Any = None
        action_name: str | None = None
        ctx: Context | None = None
        try:
            try:
                msg = jsondecode.decode(text)
            except jsondecode.TooDeep:
                # Refused undecoded; the answer still names the request.
                known = jsondecode.top_level_scalars(text, ("request_id", "action"))
                request_id, action_name = known.get("request_id"), known.get("action")
                if not isinstance(action_name, str):
                    action_name = None
                raise
            if not isinstance(msg, dict):
                raise validation("A request must be a JSON object")
            request_id = msg.get("request_id")
            action_name = msg.get("action")
            refuse_unstorable(text, msg)
            # Decoded first (up to the transport's hard cap) so the refusal names the request.
            limit = self.services.settings.max_frame_bytes
            if len(text) > limit:
                raise ApiError("entity_too_large", f"Message over {limit} bytes")
            if not isinstance(action_name, str) or not action_name:
                raise validation("A request needs an `action` string")
            served_in = self.served_in(msg.get("version"))
            act = self.registry.lookup(self.api, served_in, action_name, "rtm")
            if self.version.enveloped:  # v3.0: nothing but the envelope's keys
                jsondecode.refuse_unknown_keys(msg, FRAME_KEYS, FRAME_SHAPE)
            author_id = msg.get("author_id")
            if author_id is not None and not isinstance(author_id, str):
                raise validation("author_id must be a string")
            license_id = None
            if action_name == "login":
                asked = msg.get("resume")
                if asked is not None and session.principal is None:
                    parsed = resume.parse_request(asked)
                    if isinstance(parsed, str):
                        raise validation(parsed)
                    session.resume_request = parsed
                if session.principal is None:
                    session.hold()
                license_id = await self.license_id(conn)
                if self.api == "customer" and license_id is None:
                    raise validation(
                        f"The {self.version.license_params[0]} query parameter is required "
                        "to log in"
                    )
            ctx = Context(
                services=self.services,
                api=self.api,
                transport="rtm",
                version=served_in,
                principal=session.principal,
                session=session,
                extra={"referrer": session.referrer},
                request_id=request_id if isinstance(request_id, str) else None,
                author_id=author_id,
                client_ip=conn.address,
                user_agent=conn.headers.get("user-agent"),
                license_id=license_id,
            )
            key = msg.get(idempotency.FRAME_FIELD)
            if key is not None:
                ctx.idempotency_key = idempotency.check_key(key, idempotency.FRAME_FIELD)
            if author_id is not None and session.principal is not None:
                ctx.principal = await act_as(self.services, session.principal, author_id)
            payload = await dispatch(ctx, act, msg.get("payload"))
            resumed = session.resume_outcome if action_name == "login" else None
            ok = response(request_id, action_name, payload, True, resumed)
            return ok, bool(ctx.extra.get("logout")), ctx
        # A handler that failed after a commit still hands back its context: what it
        # committed is published after the error response, as the Web API publishes it.
        except ApiError as err:
            failed = self.version.answer(err).payload()
            return response(request_id, action_name, failed, False), False, ctx
        except Exception:
            log.exception("internal error in RTM %s/%s", self.api, action_name)
            failed = ApiError("internal").payload()
            return response(request_id, action_name, failed, False), False, ctx

    async def logout(self, session: Session) -> None:
        session.resumable = False  # logged out on purpose: nothing to resume
        p = session.principal
        if p is not None:
            for other in list(self.services.hub.sessions_of(p.license_id, p.user_type, p.user_id)):
                if other is not session:
                    self.services.hub.unregister(other)
                    await disconnect(other, "agent_logged_out_remotely")
        self.services.hub.unregister(session)
        await session.finish(1000)


async def reap_idle(services: Services, interval: float = 5.0) -> None:
    """Close connections that showed no sign of life for the idle timeout: no message, and
    nothing their framing counts (a control-frame ping or a pong to the server's pings, a
    SockJS poll, an Engine.IO pong). The server pings every connection itself, so a client
    that is there stays connected without sending anything (a browser widget)."""
    closing: set[asyncio.Task[None]] = set()
    while True:
        await asyncio.sleep(interval)
        timeout = services.settings.rtm_idle_timeout
        now = time.monotonic()
        services.hub.expire_detached(now)
        for session in list(services.hub.connected):
            last = session.last_activity
            alive = session.alive() if session.alive is not None else None
            if alive is not None:
                last = max(last, alive)
            if now - last > timeout and not session.closed:
                services.hub.disconnect(session)
                # The client went silent (a network change, a sleeping laptop): it may
                # come back and resume.
                task = asyncio.create_task(disconnect(session, "ping_timeout", resumable=True))
                closing.add(task)
                task.add_done_callback(closing.discard)
