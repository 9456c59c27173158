"""The browser clients, served as static files: the Agent App and the Chat Widget.

- `/app/`: the Agent App (sign in, chats, queue, archives, conversation).
- `/widget/widget.js`: the embeddable widget (one `<script data-license-id>` tag).
- `/widget/demo`: a page that embeds the widget (`?license_id=N`, else the first license).
- `/lib/`: modules both share (the RTM client, the Web API helper, event formatting).

Plain ES modules and CSS from `chatplane/static/`, no build step. Files are served with
`Cache-Control: no-cache`: browsers revalidate (ETag) so an upgrade is seen at once.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from chatplane.services import Services
from chatplane.storage import accounts as repo

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


class _Revalidated(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


DEMO_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat widget demo</title>
<style>
  body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f4f6fa; }}
  main {{ max-width: 46rem; margin: 0 auto; padding: 2rem 1.25rem 8rem; }}
  code, pre {{ background: #e6eaf2; border-radius: 4px; padding: .1em .35em; }}
  pre {{ padding: .75rem; overflow-x: auto; }}
</style>
</head>
<body>
<main>
  <h1>Chat widget demo</h1>
  <p>This page embeds the Chatplane chat widget for license <strong>{license_id}</strong>.
  Open the chat with the button in the corner; the agents of this license answer in the
  Agent App at <a href="/app/">/app/</a>.</p>
  <p>Put the widget on any page with one tag:</p>
  <pre><code>{snippet}</code></pre>
</main>
{tag}
</body>
</html>
"""


def routes(services: Services) -> list[BaseRoute]:
    """The routes of the Agent App, the widget, its demo page and the shared modules."""

    async def demo(request: Request) -> Response:
        raw = request.query_params.get("license_id")
        license_id: int | None
        if raw is not None:
            try:
                license_id = int(raw)
            except ValueError:
                return HTMLResponse("<p>license_id must be an integer</p>", status_code=400)
        else:
            license_id = await services.read(lambda tx: repo.first_license_id(tx.conn))
            if license_id is None:
                return HTMLResponse(
                    "<p>No license yet: run <code>chatplane init</code> first.</p>",
                    status_code=404,
                )
        src = str(request.url_for("widget", path="widget.js"))
        tag = f'<script src="{html.escape(src)}" data-license-id="{license_id}" async></script>'
        page = DEMO_PAGE.format(license_id=license_id, tag=tag, snippet=html.escape(tag))
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    async def app_root(_request: Request) -> Response:
        return RedirectResponse("/app/", status_code=308)

    return [
        Route("/app", app_root, methods=["GET"]),
        Mount("/app", _Revalidated(directory=STATIC_DIR / "app", html=True), name="app"),
        Route("/widget/demo", demo, methods=["GET"]),
        Mount("/widget", _Revalidated(directory=STATIC_DIR / "widget"), name="widget"),
        Mount("/lib", _Revalidated(directory=STATIC_DIR / "lib"), name="lib"),
    ]
