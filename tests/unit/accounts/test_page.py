"""The v3.0 SDK's token page: where it may post, and that nothing a caller sends becomes
markup or code in it."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from chatplane.accounts import page
from chatplane.accounts.http import request_host


@pytest.mark.parametrize(
    ("uri", "origin"),
    [
        ("https://shop.example/page?x=1", "https://shop.example"),
        ("https://Shop.Example:443/", "https://shop.example"),
        ("http://shop.example:8080/a", "http://shop.example:8080"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("//shop.example/", None),
        ("https://", None),
        ("https://shop.example:99999/", None),
        ("", None),
    ],
)
def test_origin_of(uri: str, origin: str | None) -> None:
    assert page.origin_of(uri) == origin


def blocks(body: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", body, flags=re.S)


def test_the_message_cannot_break_out_of_its_block() -> None:
    evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>&amp;"\u2028'
    response = page.render(
        message={"access_token": "t", "state": evil},
        target_origin="https://shop.example",
        text=evil,
        frame_ancestors=["https://shop.example"],
    )
    body = bytes(response.body).decode()
    assert len(blocks(body)) == 2  # the JSON block and the fixed script, nothing else
    data_block, script = blocks(body)
    assert script == page.SCRIPT
    assert json.loads(data_block) == {
        "message": {"access_token": "t", "state": evil},
        "target_origin": "https://shop.example",
    }
    assert "<img" not in body and "&lt;img" in body  # the shown text is escaped


def test_a_strict_policy_allows_only_the_fixed_script() -> None:
    response = page.render(
        message=None, target_origin="https://shop.example", text="x", frame_ancestors=[]
    )
    csp = response.headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(page.SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe" not in csp
    assert response.headers["cache-control"] == "no-store"
    body = bytes(response.body).decode()
    assert json.loads(blocks(body)[0]) == {"message": None, "target_origin": None}


def test_the_posted_origin_is_never_a_wildcard() -> None:
    assert "postMessage(data.message, data.target_origin)" in page.SCRIPT
    assert '"*"' not in page.SCRIPT and "'*'" not in page.SCRIPT


@pytest.mark.parametrize(
    ("host", "name"),
    [
        (b"accounts.example", "accounts.example"),
        (b"Accounts.Example:8443", "accounts.example"),
        (b"[::1]:8080", "[::1]"),
        (b"127.0.0.1:80", "127.0.0.1"),
    ],
)
def test_request_host_drops_the_port(host: bytes, name: str) -> None:
    assert request_host({"type": "http", "headers": [(b"host", host)]}) == name
    assert request_host({"type": "http", "headers": []}) == ""
