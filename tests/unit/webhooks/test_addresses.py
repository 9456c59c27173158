"""Webhook URLs: absolute http(s), and not the server's own network unless allowed."""

from __future__ import annotations

import pytest

from chatplane.errors import ApiError
from chatplane.webhooks.addresses import check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(ApiError) as err:
        check_url(url, allow_private=False)
    assert err.value.type == "validation"
    assert url in err.value.message
    check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url", ["myservice.com/webhooks", "ftp://example.com/x", "http:///x", "http://u:p@example.com/"]
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ApiError) as err:
        check_url(url, allow_private=True)
    assert err.value.type == "validation"


def test_public_urls_pass() -> None:
    check_url("https://example.com/webhooks", allow_private=False)
    check_url("http://93.184.216.34:8080/x", allow_private=False)
