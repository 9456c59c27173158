"""Which webhook URLs may be called.

Unless `webhook_allow_private` is set, a webhook may not point at the server's own
network (loopback, private, link-local, ...): a license administrator must not be able to
make the server POST to internal services. URLs are checked when registered (literal
addresses and `localhost`) and again before each attempt (what the name resolves to then).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from chatplane.errors import validation


def _is_private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, allow_private: bool, field: str = "url") -> None:
    """Refuse a URL that is not absolute http(s), or names a private address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise validation(f"{field} {url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise validation(f"{field} {url!r} is not an absolute http:// or https:// URL")
    if port == 0:
        raise validation(f"{field} {url!r} has port 0")
    if parts.username or parts.password:
        raise validation(f"{field} must not carry a user name or password")
    if allow_private:
        return
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise validation(f"{field} {url!r} points at this server's own network")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    if _is_private(ip):
        raise validation(f"{field} {url!r} points at a private or loopback address")


async def resolves_to_private(url: str) -> str | None:
    """The first private address the URL's host resolves to, or None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return None  # the attempt itself will fail and be retried
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        try:
            if _is_private(ipaddress.ip_address(address)):
                return address
        except ValueError:
            continue
    return None
