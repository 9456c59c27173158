"""Builds the ASGI app: the APIs, accounts, health, and the background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from chatplane.accounts import http as accounts_http
from chatplane.api import configuration, idempotency, rtm, static, web, webhooks_admin
from chatplane.api.registry import CONFIGURATION, Action, Actions, Registry
from chatplane.api.transports import socket_io, sockjs
from chatplane.api.v3_0 import (
    agent,
    configuration_agents,
    configuration_groups,
    configuration_properties,
    configuration_webhooks,
    customer,
    customers,
    files,
    forms,
    groups_status,
    indicators,
    multicast,
    postbacks,
    properties,
    routing,
    session,
    url_details,
)
from chatplane.api.v3_0 import pushes as pushes_v3_0
from chatplane.api.v3_0 import webhooks as webhooks_v3_0
from chatplane.api.v3_0.version import VERSION as V3_0
from chatplane.api.v3_5 import agent_customers as agent_customers_v3_5
from chatplane.api.v3_5 import agent_events as agent_events_v3_5
from chatplane.api.v3_5 import agent_reads as agent_reads_v3_5
from chatplane.api.v3_5 import configuration as configuration_v3_5
from chatplane.api.v3_5 import customer as customer_v3_5
from chatplane.api.v3_5 import customer_pushes as pushes_v3_5
from chatplane.api.v3_5 import serialize as shapes_v3_5
from chatplane.api.v3_5 import webhooks as webhooks_v3_5
from chatplane.api.v3_5.version import VERSION as V3_5
from chatplane.api.v3_6 import (
    agent_chats,
    agent_customers,
    agent_events,
    agent_other,
    agent_reads,
    agent_status,
    customer_bootstrap,
    customer_chats,
    customer_events,
    customer_other,
    customer_profile,
    customer_status,
)
from chatplane.api.v3_6 import configuration_agents as configuration_agents_v3_6
from chatplane.api.v3_6 import configuration_auto_access as configuration_auto_access_v3_6
from chatplane.api.v3_6 import configuration_bans as configuration_bans_v3_6
from chatplane.api.v3_6 import configuration_bots as configuration_bots_v3_6
from chatplane.api.v3_6 import configuration_groups as configuration_groups_v3_6
from chatplane.api.v3_6 import configuration_hosted as configuration_hosted_v3_6
from chatplane.api.v3_6 import configuration_properties as configuration_properties_v3_6
from chatplane.api.v3_6 import configuration_tags as configuration_tags_v3_6
from chatplane.api.v3_6 import configuration_webhooks as configuration_webhooks_v3_6
from chatplane.api.v3_6 import customer_pushes as pushes_v3_6
from chatplane.api.v3_6 import webhooks as webhooks_v3_6
from chatplane.api.v3_6.version import VERSION as V3_6
from chatplane.api.versions import WireVersion
from chatplane.config import Settings
from chatplane.domain import changes, property_writes, timers
from chatplane.domain import routing as routing_rules
from chatplane.realtime.fanout import Fanout, PushRenderer
from chatplane.realtime.hub import disconnect
from chatplane.realtime.presence import Presence
from chatplane.router import Router
from chatplane.services import Services
from chatplane.storage import Tx
from chatplane.storage.migrate import upgrade
from chatplane.storage.store import Store
from chatplane.webhooks.delivery import DeliveryWorker
from chatplane.webhooks.outbox import Outbox, WebhookFormat

log = logging.getLogger(__name__)

# -- what each API version serves --------------------------------------------------------

# v3.0: the Agent and Customer Chat APIs, and the Configuration API (its own paths).
V3_0_ACTIONS: list[Actions] = [
    agent.actions,
    customer.actions,
    session.actions,
    customers.actions,
    files.actions,
    forms.actions,
    groups_status.actions,
    indicators.actions,
    multicast.actions,
    postbacks.actions,
    properties.actions,
    routing.actions,
    url_details.actions,
    configuration_agents.actions,
    configuration_groups.actions,
    configuration_properties.actions,
    configuration_webhooks.actions,
]

# v3.6: the Agent and Customer Chat APIs (api/v3_6).
V3_6_ACTIONS: list[Actions] = [
    agent_reads.actions,
    agent_chats.actions,
    agent_events.actions,
    agent_customers.actions,
    agent_status.actions,
    agent_other.actions,
    customer_chats.actions,
    customer_events.actions,
    customer_profile.actions,
    customer_status.actions,
    customer_other.actions,
    customer_bootstrap.actions,
    # The Configuration API (`/v3.6/configuration/action/<method>`).
    configuration_agents_v3_6.actions,
    configuration_agents_v3_6.batch_actions,
    configuration_auto_access_v3_6.actions,
    configuration_bans_v3_6.actions,
    configuration_bots_v3_6.actions,
    configuration_bots_v3_6.batch_actions,
    configuration_groups_v3_6.actions,
    configuration_hosted_v3_6.actions,
    configuration_properties_v3_6.actions,
    configuration_tags_v3_6.actions,
    configuration_webhooks_v3_6.actions,
]

# v3.5: v3.6 with what its changelog lists as different (api/v3_5): the reads, login and
# get_customer in v3.5's shapes, v3.5's own list_chats, list_archives and rich message
# postbacks, list_customers, create_customer and get_license_info; none of what v3.6
# added; and the Configuration API v3.5 (api/v3_5/configuration.py).
V3_5_REMOVED: list[tuple[str, str]] = [
    ("agent", "send_thinking_indicator"),
    ("agent", "send_event_preview"),
    ("agent", "update_session"),
    ("agent", "request_thread_summary"),
    ("agent", "subscribe_customers"),
    ("agent", "unsubscribe_customers"),
    *customer_v3_5.REMOVED,
    *configuration_v3_5.REMOVED,
]


def _v3_5(actions: Actions) -> list[Action]:
    """v3.6's actions served in v3.5's shapes, less what v3.5 does not have."""
    return [a for a in actions if (a.api, a.name) not in V3_5_REMOVED]


V3_5_REPLACED: list[Iterable[Action]] = [
    _v3_5(agent_reads.actions_for(shapes_v3_5.SHAPES)),
    _v3_5(agent_status.actions_for(shapes_v3_5.SHAPES)),
    _v3_5(agent_customers.actions_for(shapes_v3_5.SHAPES)),
    agent_reads_v3_5.actions,
    agent_events_v3_5.actions,
    agent_customers_v3_5.actions,
    customer_v3_5.actions,
    customer_v3_5.status_actions,
    customer_v3_5.bootstrap_actions,
    configuration_v3_5.actions,
    configuration_v3_5.agent_batches,
    configuration_v3_5.bot_batches,
]

# The versions served, each with its transport rules, push shapes and webhook format
# (in v3.x one renderer per version serves both APIs: api/v3_6/customer_pushes.py).
WIRE_VERSIONS: list[WireVersion] = [V3_0, V3_6, V3_5]
PUSHES: dict[str, PushRenderer] = {
    V3_0.name: pushes_v3_0.render,
    V3_6.name: pushes_v3_6.render,
    V3_5.name: pushes_v3_5.render,
}
WEBHOOK_FORMATS: dict[str, WebhookFormat] = {
    V3_0.name: webhooks_v3_0.WEBHOOKS,
    V3_6.name: webhooks_v3_6.WEBHOOKS,
    V3_5.name: webhooks_v3_5.WEBHOOKS,
}
# The versions whose Configuration API is served at `/v<version>/configuration/action/`
# (v3.0's has paths of its own: api/configuration.py).
CONFIGURATION_VERSIONS: list[WireVersion] = [V3_6, V3_5]

# The spec's paths for the v3.0 Web API: the v3.0 one and the seed's v0.5 examples.
SEED_PREFIXES = {"agent": "/agent/v0.5/action", "customer": "/customer/v0.5/action"}


def build_registry() -> Registry:
    """Every action of every version, keyed by (API, version, action)."""
    registry = Registry()
    registry.add(V3_0.name, *V3_0_ACTIONS)
    registry.add(V3_6.name, *V3_6_ACTIONS)
    registry.derive(V3_5.name, base=V3_6.name, replaced=V3_5_REPLACED, removed=V3_5_REMOVED)
    return registry


def openapi_document(registry: Registry | None = None) -> dict[str, Any]:
    """`/openapi.json`: every Web API action of every version."""
    from chatplane.api.openapi import document

    return document(registry or build_registry(), {v.name: v for v in WIRE_VERSIONS})


def asyncapi_document(registry: Registry | None = None) -> dict[str, Any]:
    """`/asyncapi.json`: the RTM APIs (requests, responses, pushes) and webhooks of every
    version."""
    from chatplane.api.asyncapi import document

    return document(
        registry or build_registry(),
        {v.name: v for v in WIRE_VERSIONS},
        PUSHES,
        WEBHOOK_FORMATS,
    )


def wire_domain(store: Store) -> None:
    """The domain's rules that react to its own changes, inside the unit of work, in order:
    a new thread gets its inactivity deadlines, then routing assigns it; at the end of each
    unit the property filter index is kept."""
    store.react(changes.ThreadStarted, timers.on_thread_started)
    store.react(changes.ThreadStarted, routing_rules.on_thread_started)
    store.add_tx_hook(property_writes.index_changes)


def build_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.effective_database_url)
    upgrade(store.engine)
    wire_domain(store)
    return Services(settings, store)


# Young-generation collections start after this many net allocations (CPython's default
# is 700). A request allocates a few hundred objects that die with it; collecting every
# 700 promotes many of them to older generations, whose collections walk every session.
GC_YOUNG_THRESHOLD = 20_000


def tune_garbage_collector() -> None:
    """Move what start-up built (modules, the app, caches) out of the collector's sight,
    and collect the young generation less often: fewer and shorter pauses under load
    (docs/performance.md measures the effect on round-trip p99)."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


async def _forget_idempotency_keys(services: Services, every: float = 600.0) -> None:
    """Idempotency keys past their 24 hours go, a batch at a time (api/idempotency.py)."""

    async def write(fn: Callable[[Tx], int]) -> int:
        return (await services.store.write(fn)).result

    while True:
        await asyncio.sleep(every)
        try:
            await idempotency.forget_expired(write)
        except Exception:
            log.exception("could not forget expired idempotency keys")


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    """The ASGI app. `services` (made by `build_services`) has its domain wired already."""
    settings = settings or Settings()
    services = services or build_services(settings)
    registry = build_registry()
    ready = {"ok": False}

    # What reacts to committed changes. The webhook outbox is the last transaction hook
    # (it sees what the domain's hooks wrote); on the bus, pushes go out first.
    outbox = Outbox(WEBHOOK_FORMATS, lambda: settings.webhook_retry_for)
    services.store.add_tx_hook(outbox)
    fanout = Fanout(services.hub, services.view_for, PUSHES)
    presence = Presence(
        services.hub,
        services.commit,
        services.read,
        services.board,
        settings.offline_grace,
    )
    # Handlers reach auto-away through the services (Services.set_away, all_away).
    services.presence = presence
    router = Router(services)
    webhook_worker = DeliveryWorker(services.store, settings, written=lambda: outbox.written)
    services.bus.subscribe(services.forget_blocked)  # suspended agents' tokens, first
    services.bus.subscribe(fanout)
    services.bus.subscribe(presence.on_changes)
    services.bus.subscribe(router.on_changes)
    services.bus.subscribe(webhook_worker.on_changes)

    async def healthz(_request: Request) -> Response:
        if not ready["ok"]:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def openapi(_request: Request) -> Response:
        return JSONResponse(openapi_document(registry))

    asyncapi_cache: list[bytes] = []

    async def asyncapi(_request: Request) -> Response:
        # Built on first request (it renders every push of every version), then kept.
        if not asyncapi_cache:
            asyncapi_cache.append(msgspec.json.encode(asyncapi_document(registry)))
        return Response(asyncapi_cache[0], media_type="application/json")

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/asyncapi.json", asyncapi, methods=["GET"]),
    ]
    # The Web API's action paths, also served straight on ASGI (web.ActionPaths).
    action_paths: list[tuple[str, web.ActionServer, str, str]] = []

    def action_path(prefix: str, api: str, version: WireVersion, seed: bool = False) -> Any:
        serve = web.make_action_server(services, registry, api, version, seed)
        action_paths.append((prefix + "/", serve, api, version.name))
        return web.endpoint_of(serve)

    for version in WIRE_VERSIONS:
        for api in ("agent", "customer"):
            post = action_path(f"{version.prefix}/{api}/action", api, version)
            if any(a.method == "GET" for a in registry.actions(version.name) if a.api == api):
                # The v3.x widget's configuration and public properties are read by GET:
                # each action answers its own method.
                get = web.make_query_endpoint(services, registry, api, version)
                routes.append(
                    Route(
                        f"{version.prefix}/{api}/action/{{action}}",
                        web.by_method(registry, api, version, post=post, get=get),
                        methods=web.EVERY_METHOD,
                    )
                )
            else:
                routes.append(
                    Route(f"{version.prefix}/{api}/action/{{action}}", post, methods=["POST"])
                )
            # One RTM endpoint, three framings: a plain websocket, SockJS, socket.io.
            endpoint = rtm.RtmEndpoint(services, registry, api, version)
            routes.append(WebSocketRoute(f"{version.prefix}/{api}/rtm/ws", endpoint))
            routes.extend(sockjs.routes(f"{version.prefix}/{api}/rtm/sjs", endpoint))
            routes.append(socket_io.mount(f"{version.prefix}/{api}/rtm/sio", endpoint))
    for api, prefix in SEED_PREFIXES.items():
        routes.append(
            Route(prefix + "/{action}", action_path(prefix, api, V3_0, seed=True), methods=["POST"])
        )
    config_endpoint = configuration.make_endpoint(services, registry)
    for prefix in configuration.PREFIXES:
        routes.append(Route(prefix + "/{group}/{method}", config_endpoint, methods=["POST"]))
    for version in CONFIGURATION_VERSIONS:
        prefix = f"{version.prefix}/configuration/action"
        routes.append(
            Route(
                prefix + "/{action}", action_path(prefix, CONFIGURATION, version), methods=["POST"]
            )
        )
    # Accounts under /accounts/, and at the root of the accounts host names (the SDKs call
    # https://accounts.livechatinc.com/...): CHATPLANE_ACCOUNTS_HOSTS.
    routes.extend(accounts_http.routes(services, hosts=settings.accounts_host_names))
    routes.extend(files.routes(services))
    routes.extend(webhooks_admin.routes(services))
    routes.extend(static.routes(services))  # the Agent App and the Chat Widget

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        services.store.start()
        await services.bus.start()
        if services.board is not None:
            await services.board.start()
        if services.resume_exchange is not None:
            await services.resume_exchange.start()
        await webhook_worker.start()
        reaper = asyncio.create_task(rtm.reap_idle(services))
        key_sweeper = asyncio.create_task(_forget_idempotency_keys(services))
        presence.start()
        router.start()
        await presence.recover()
        tune_garbage_collector()
        ready["ok"] = True
        try:
            yield
        finally:
            ready["ok"] = False
            reaper.cancel()
            key_sweeper.cancel()
            await router.stop()
            await presence.stop()
            for s in services.hub.all():
                await disconnect(
                    s, "agent_disconnected_by_server" if s.api == "agent" else "internal_error"
                )
            await webhook_worker.stop()
            if services.resume_exchange is not None:
                await services.resume_exchange.stop()
            if services.board is not None:
                await services.board.stop()
            await services.bus.stop()
            services.store.close()

    middleware = []
    origins = settings.cors_origin_list
    cors: dict[str, Any] = {}
    if origins:
        # The widget on a customer's site calls /accounts/customer/token (and an SDK
        # /v2/customer/token on an accounts host) with its cookie, and the Customer Chat
        # API: the listed origins may, with credentials.
        cors = {
            "allow_origins": [] if origins == ["*"] else origins,
            "allow_origin_regex": ".*" if origins == ["*"] else None,
            "allow_credentials": True,
            "allow_methods": ["GET", "POST", "DELETE"],
            "allow_headers": ["Authorization", "Content-Type"],
            "max_age": 600,
        }
        middleware.append(Middleware(CORSMiddleware, **cors))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    # The action paths' POSTs skip Starlette's routing and middleware stack; the same CORS
    # middleware wraps them. Everything else (preflights, uploads, other methods) goes on
    # to the Starlette stack as before.
    fast = web.ActionPaths(
        app.build_middleware_stack(),
        wrap=(lambda inner: CORSMiddleware(inner, **cors)) if cors else None,
    )
    for prefix, serve, api, version_name in action_paths:
        fast.add(prefix, serve, web.multipart_actions(registry, api, version_name))
    app.middleware_stack = fast
    app.state.services = services
    app.state.registry = registry
    app.state.webhook_worker = webhook_worker
    return app
