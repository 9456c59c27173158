"""The RTM transport: one websocket carrying requests, responses and pushes.

A connection handles its requests one at a time, in the order sent (so that a client's
events keep their order); responses and pushes share the session's outgoing queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import msgspec
from starlette.websockets import WebSocket, WebSocketDisconnect

from chatplane.api.dispatch import Context, describe, dispatch, lookup, refuse_unstorable
from chatplane.errors import ApiError, validation
from chatplane.realtime.fanout import push_message
from chatplane.realtime.hub import Session
from chatplane.services import Services

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode

# uvicorn protocol (chatplane.realtime.wsproto) records client control-frame pings here.
PING_KEY = "chatplane.last_ping"


def response(request_id: Any, action: str | None, payload: dict[str, Any], success: bool) -> str:
    msg: dict[str, Any] = {}
    if request_id is not None:
        msg["request_id"] = request_id
    msg["action"] = action
    msg["type"] = "response"
    msg["success"] = success
    msg["payload"] = payload
    return _encode(msg).decode()


def disconnect_action(api: str) -> str:
    return "agent_disconnected" if api == "agent" else "customer_disconnected"


async def disconnect(session: Session, reason: str) -> None:
    """Tell a session why it is being disconnected, then close it."""
    session.send(push_message(disconnect_action(session.api), {"reason": reason}))
    await session.finish(1000)


class RtmEndpoint:
    def __init__(self, services: Services, api: str) -> None:
        self.services = services
        self.api = api

    async def serve(self, websocket: WebSocket) -> None:
        services = self.services
        license_id: int | None = None
        raw_license = websocket.query_params.get("license_id")
        if raw_license is not None:
            try:
                license_id = int(raw_license)
            except ValueError:
                license_id = None
        client_ip = websocket.client.host if websocket.client else None
        limit = services.settings.max_connections_per_address
        if limit and services.hub.count_address(client_ip) >= limit:
            # Refuse before the handshake completes: HTTP 403 to the upgrade request.
            await websocket.close(code=1013)
            return
        await websocket.accept()
        session = Session(
            api=self.api,
            send_text=websocket.send_text,
            close=lambda code: websocket.close(code),
            address=client_ip,
        )
        session.start()
        services.hub.connect(session)
        ping_box = websocket.scope.get(PING_KEY)
        session.ping_box = ping_box
        try:
            while not session.closed:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    data = message.get("bytes") or b""
                    text = data.decode("utf-8", errors="replace")
                session.last_activity = time.monotonic()
                reply, close_after, ctx = await self.handle(
                    session, text, license_id, client_ip, websocket
                )
                session.send(reply)
                if ctx is not None and ctx.deferred:
                    await ctx.publish_deferred()
                if close_after:
                    await self.logout(session)
                    break
        except WebSocketDisconnect:
            pass
        except Exception:
            log.exception("RTM connection failed")
        finally:
            services.hub.disconnect(session)
            await services.on_session_closed(session)
            if not session.closed:
                await session.finish(1000)

    async def handle(
        self,
        session: Session,
        text: str,
        license_id: int | None,
        client_ip: str | None,
        websocket: WebSocket,
    ) -> tuple[str, bool, Context | None]:
        request_id: Any = None
        action_name: str | None = None
        ctx: Context | None = None
        try:
            try:
                msg = _decode(text)
            except msgspec.DecodeError as exc:
                raise validation(f"Malformed JSON: {describe(exc)}") from None
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
            act = lookup(self.api, action_name, "rtm")
            author_id = msg.get("author_id")
            if author_id is not None and not isinstance(author_id, str):
                raise validation("author_id must be a string")
            ctx = Context(
                services=self.services,
                api=self.api,
                transport="rtm",
                principal=session.principal,
                session=session,
                extra={"referrer": session.referrer},
                request_id=request_id if isinstance(request_id, str) else None,
                author_id=author_id,
                client_ip=client_ip,
                user_agent=websocket.headers.get("user-agent"),
                license_id=license_id,
            )
            if self.api == "customer" and action_name == "login" and license_id is None:
                raise validation("The license_id query parameter is required to log in")
            if author_id is not None and session.principal is not None:
                from chatplane.api.bots import act_as

                ctx.principal = await act_as(self.services, session.principal, author_id)
            payload = await dispatch(ctx, act, msg.get("payload"))
            ok = response(request_id, action_name, payload, True)
            return ok, bool(ctx.extra.get("logout")), ctx
        except ApiError as err:
            return response(request_id, action_name, err.payload(), False), False, None
        except Exception:
            log.exception("internal error in RTM %s/%s", self.api, action_name)
            failed = ApiError("internal").payload()
            return response(request_id, action_name, failed, False), False, None

    async def logout(self, session: Session) -> None:
        p = session.principal
        if p is not None:
            for other in list(self.services.hub.sessions_of(p.license_id, p.user_type, p.user_id)):
                if other is not session:
                    self.services.hub.unregister(other)
                    await disconnect(other, "agent_logged_out_remotely")
        self.services.hub.unregister(session)
        await session.finish(1000)


async def reap_idle(services: Services, interval: float = 5.0) -> None:
    """Close connections that sent nothing (no message, no ping) for the idle timeout."""
    closing: set[asyncio.Task[None]] = set()
    while True:
        await asyncio.sleep(interval)
        timeout = services.settings.rtm_idle_timeout
        now = time.monotonic()
        for session in list(services.hub.connected):
            last = session.last_activity
            if session.ping_box:
                last = max(last, session.ping_box[0])
            if now - last > timeout and not session.closed:
                services.hub.disconnect(session)
                task = asyncio.create_task(disconnect(session, "ping_timeout"))
                closing.add(task)
                task.add_done_callback(closing.discard)
