"""get_url_details' bounded fetch against a real local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chatplane.errors import ApiError
from chatplane.urlfetch import Limits, fetch

PAGE = b"""<html><head><title>Pizza &amp; Co</title>
<meta name="description" content="The best pizza">
<meta property="og:image" content="https://img.example/p.png">
<meta property="og:image:width" content="200"><meta property="og:image:height" content="100">
</head><body>hi</body></html>"""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        if self.path == "/big":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 2_000_000)
            return
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/page")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_follows_a_redirect_and_reads_the_page(site: str) -> None:
    url, body, _ = await fetch(site + "/moved", Limits(allow_private=True))
    assert url == site + "/page" and b"Pizza" in body


async def test_stops_after_the_redirect_limit(site: str) -> None:
    with pytest.raises(ApiError, match="redirects"):
        await fetch(site + "/loop", Limits(allow_private=True, max_redirects=2))


async def test_reads_at_most_the_size_limit(site: str) -> None:
    _, body, _ = await fetch(site + "/big", Limits(allow_private=True, max_bytes=1000))
    assert len(body) == 1000


async def test_refuses_loopback_unless_allowed(site: str) -> None:
    with pytest.raises(ApiError, match="private"):
        await fetch(site + "/page", Limits())
