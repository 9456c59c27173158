"""Builds the ASGI app: the APIs, accounts, health, and the background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from chatplane.accounts import http as accounts_http
from chatplane.api import configuration, rtm, web
from chatplane.api.v3_0 import agent, customer, session  # noqa: F401  (registers actions)
from chatplane.config import Settings
from chatplane.services import Services
from chatplane.storage.migrate import upgrade
from chatplane.storage.store import Store

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

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    for api, prefixes in WEB_PREFIXES.items():
        endpoint = web.make_endpoint(services, api)
        for prefix in prefixes:
            routes.append(Route(prefix + "/{action}", endpoint, methods=["POST"]))
        routes.append(WebSocketRoute(f"/v3.0/{api}/rtm/ws", rtm.RtmEndpoint(services, api).serve))
    config_endpoint = configuration.make_endpoint(services)
    for prefix in configuration.PREFIXES:
        routes.append(Route(prefix + "/{group}/{method}", config_endpoint, methods=["POST"]))
    routes.extend(accounts_http.routes(services))
    from chatplane.api import static  # the Agent App and the Chat Widget

    routes.extend(static.routes(services))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        services.store.start()
        await services.bus.start()
        reaper = asyncio.create_task(rtm.reap_idle(services))
        ready["ok"] = True
        try:
            yield
        finally:
            ready["ok"] = False
            reaper.cancel()
            for s in services.hub.all():
                await rtm.disconnect(
                    s, "agent_disconnected_by_server" if s.api == "agent" else "internal_error"
                )
            await services.bus.stop()
            services.store.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.services = services
    return app
