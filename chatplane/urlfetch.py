"""A bounded fetch of someone else's URL: time, size and redirect limits, and no private
or loopback addresses unless the operator allows them (so the server cannot be used to
probe its own network)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from chatplane.errors import ApiError, validation


@dataclass
class Limits:
    timeout: float = 5.0
    max_bytes: int = 512 * 1024
    max_redirects: int = 3
    allow_private: bool = False


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


async def check_url(url: str, allow_private: bool) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a private address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise validation(f"url {url!r} is not an http(s) URL")
    if allow_private:
        return
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise validation(f"The host of {url!r} does not resolve") from None
    if not infos or not all(is_public(str(info[4][0])) for info in infos):
        raise validation(f"url {url!r} points to a private or loopback address")


async def fetch(url: str, limits: Limits) -> tuple[str, bytes, str]:
    """(final url, at most max_bytes of the body, content type)."""
    async with httpx.AsyncClient(
        timeout=limits.timeout, follow_redirects=False, trust_env=False
    ) as client:
        for _ in range(limits.max_redirects + 1):
            await check_url(url, limits.allow_private)
            try:
                async with client.stream("GET", url, headers={"User-Agent": "Chatplane"}) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        url = urljoin(url, resp.headers["location"])
                        continue
                    if resp.status_code >= 400:
                        raise validation(f"Fetching {url!r} answered HTTP {resp.status_code}")
                    body = bytearray()
                    async for chunk in resp.aiter_bytes():
                        body.extend(chunk)
                        if len(body) >= limits.max_bytes:
                            break
                    return (
                        url,
                        bytes(body[: limits.max_bytes]),
                        resp.headers.get("content-type", ""),
                    )
            except httpx.TimeoutException:
                raise ApiError("request_timeout", f"Fetching {url!r} timed out") from None
            except httpx.HTTPError as exc:
                raise validation(f"Could not fetch {url!r}: {exc.__class__.__name__}") from None
    raise validation(f"Fetching the url took more than {limits.max_redirects} redirects")
