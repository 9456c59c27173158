"""Settings as an operator writes them: every boolean CHATPLANE_* variable reads `True`,
`on`, `yes`, `1` the same way, and a value the server cannot read stops `chatplane serve`
with a message naming the variable."""

from __future__ import annotations

import subprocess
from typing import Any

from .harness import _env, chatplane_command, free_port


def test_url_details_allow_private_true_in_any_spelling(server_factory: Any) -> None:
    for spelling in ("True", "on"):
        inst = server_factory()
        inst.server.settings = {"url_details_allow_private": spelling}
        http = inst.start()
        try:
            customer = http.create_customer(inst.lic.owner.token)
            own_page = f"{inst.server.base_url}/healthz"  # loopback: refused unless allowed
            details = http.customer(
                customer["access_token"], inst.lic.license_id, "get_url_details", {"url": own_page}
            )
            assert details["url"] == own_page
        finally:
            inst.server.stop()


def test_an_unreadable_boolean_setting_stops_the_start_up(server_factory: Any) -> None:
    inst = server_factory()
    data_dir = inst.server.data_dir
    cmd = [*chatplane_command(), "serve", "--port", str(free_port()), "--data-dir", str(data_dir)]
    env = {**_env(data_dir), "CHATPLANE_WEBHOOK_ALLOW_PRIVATE": "maybe"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert "CHATPLANE_WEBHOOK_ALLOW_PRIVATE='maybe' is not a boolean" in proc.stderr
