"""The server serves the Agent App, the widget and its demo page (no browser needed)."""

from __future__ import annotations

import re

from .conftest import Env


def test_agent_app_is_served_at_app(env: Env) -> None:
    client = env.http.client
    moved = client.get("/app")
    assert moved.status_code == 308 and moved.headers["location"].endswith("/app/")
    page = client.get("/app/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'type="module"' in page.text and "main.js" in page.text
    for path in ("/app/main.js", "/app/store.js", "/lib/rtm.js", "/lib/web.js", "/lib/events.js"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        # Browsers refuse ES modules served with another type.
        assert resp.headers["content-type"].startswith("text/javascript"), path
        assert resp.headers["cache-control"] == "no-cache", path
    assert client.get("/app/app.css").headers["content-type"].startswith("text/css")


def test_widget_script_and_styles_are_served(env: Env) -> None:
    client = env.http.client
    for path in ("/widget/widget.js", "/widget/widget-main.js"):
        resp = client.get(path)
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/javascript")
    assert client.get("/widget/widget.css").headers["content-type"].startswith("text/css")
    assert client.get("/widget/no-such-file.js").status_code == 404


def test_widget_demo_embeds_the_first_license_by_default(env: Env) -> None:
    page = env.http.client.get("/widget/demo")
    assert page.status_code == 200
    tag = re.search(r'<script src="([^"]+)" data-license-id="(\d+)" async></script>', page.text)
    assert tag is not None, page.text
    assert tag.group(1) == env.server.base_url + "/widget/widget.js"
    assert int(tag.group(2)) == min(env.a.license_id, env.b.license_id)


def test_widget_demo_takes_a_license_id(env: Env) -> None:
    page = env.http.client.get("/widget/demo", params={"license_id": env.b.license_id})
    assert f'data-license-id="{env.b.license_id}"' in page.text
    bad = env.http.client.get("/widget/demo", params={"license_id": "<script>"})
    assert bad.status_code == 400
    assert "<script>" not in bad.text
