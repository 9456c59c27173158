"""Builds the ASGI app: the APIs, accounts, health, and the background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from chatplane.accounts import http as accounts_http
from chatplane.api import configuration, rtm, static, web
from chatplane.api.v3_0 import (  # noqa: F401  (registers actions)
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
from chatplane.config import Settings
from chatplane.realtime.presence import Presence
from chatplane.router import Router
from chatplane.services import Services
from chatplane.storage.migrate import upgrade
from chatplane.storage.store import Store
from chatplane.webhooks import admin as webhooks_admin
from chatplane.webhooks import install as install_webhooks

log = logging.getLogger(__name__)

# The spec's paths for the Web API: the v3.0 one and the seed's v0.5 examples.
WEB_PREFIXES = {
    "agent": ("/v3.0/agent/action", "/agent/v0.5/action"),
    "customer": ("/v3.0/customer/action", "/customer/v0.5/action"),
}


def build_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.effective_database_url)
    upgrade(store.engine)
    return Services(settings, store)


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    settings = settings or Settings()
    services = services or build_services(settings)
    ready = {"ok": False}

    async def healthz(_request: Request) -> Response:
        if not ready["ok"]:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def openapi(_request: Request) -> Response:
        from chatplane.api.openapi import document

        return JSONResponse(document())

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    for api, (v3_prefix, seed_prefix) in WEB_PREFIXES.items():
        routes.append(
            Route(v3_prefix + "/{action}", web.make_endpoint(services, api), methods=["POST"])
        )
        routes.append(
            Route(
                seed_prefix + "/{action}",
                web.make_endpoint(services, api, seed=True),
                methods=["POST"],
            )
        )
        routes.append(WebSocketRoute(f"/v3.0/{api}/rtm/ws", rtm.RtmEndpoint(services, api).serve))
    config_endpoint = configuration.make_endpoint(services)
    for prefix in configuration.PREFIXES:
        routes.append(Route(prefix + "/{group}/{method}", config_endpoint, methods=["POST"]))
    routes.extend(accounts_http.routes(services))
    routes.extend(files.routes(services))
    routes.extend(webhooks_admin.routes(services))
    webhook_worker = install_webhooks(services)
    routes.extend(static.routes(services))  # the Agent App and the Chat Widget

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        services.store.start()
        await services.bus.start()
        if services.board is not None:
            await services.board.start()
        await webhook_worker.start()
        reaper = asyncio.create_task(rtm.reap_idle(services))
        presence, router = Presence(services), Router(services)
        presence.start()
        router.start()
        await presence.recover()
        ready["ok"] = True
        try:
            yield
        finally:
            ready["ok"] = False
            reaper.cancel()
            await router.stop()
            await presence.stop()
            for s in services.hub.all():
                await rtm.disconnect(
                    s, "agent_disconnected_by_server" if s.api == "agent" else "internal_error"
                )
            await webhook_worker.stop()
            if services.board is not None:
                await services.board.stop()
            await services.bus.stop()
            services.store.close()

    middleware = []
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        # The widget on a customer's site calls /accounts/customer/token with its cookie
        # and the Customer Chat API: the listed origins may, with credentials.
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=[] if origins == ["*"] else origins,
                allow_origin_regex=".*" if origins == ["*"] else None,
                allow_credentials=True,
                allow_methods=["GET", "POST", "DELETE"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            )
        )
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.services = services
    app.state.webhook_worker = webhook_worker
    return app
