"""Settings from command-line flags and CHATPLANE_* environment variables.

A flag given on the command line wins over the environment, which wins over the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path


class SettingsError(ValueError):
    """A setting whose value cannot be read: the server does not start."""


TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


def parse_bool(variable: str, raw: str) -> bool:
    """The one reading of a boolean setting: true/false, 1/0, yes/no, on/off in any case."""
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(
        f"{variable}={raw!r} is not a boolean: use true/false, 1/0, yes/no or on/off"
    )


def _var(name: str) -> str:
    return f"CHATPLANE_{name.upper()}"


def _env(name: str, default: str) -> str:
    return os.environ.get(_var(name), default)


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(_var(name))
    return default if raw is None or not raw.strip() else parse_bool(_var(name), raw)


def _int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{_var(name)}={raw!r} is not an integer") from None


def _float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{_var(name)}={raw!r} is not a number") from None


@dataclass
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env("data_dir", "./chatplane-data")))
    host: str = field(default_factory=lambda: _env("host", "127.0.0.1"))
    port: int = field(default_factory=lambda: _int("port", 8080))
    database_url: str = field(default_factory=lambda: _env("database_url", ""))
    redis_url: str = field(default_factory=lambda: _env("redis_url", ""))
    # The address clients reach this server at (for file URLs); by default, the request's.
    public_url: str = field(default_factory=lambda: _env("public_url", ""))
    # Key and channel prefix in Redis: installations sharing one Redis use different ones.
    redis_prefix: str = field(default_factory=lambda: _env("redis_prefix", "chatplane"))
    # Seconds an access token lives; refresh tokens live `refresh_token_ttl`.
    access_token_ttl: int = field(default_factory=lambda: _int("access_token_ttl", 28800))
    refresh_token_ttl: int = field(default_factory=lambda: _int("refresh_token_ttl", 30 * 86400))
    customer_token_ttl: int = field(default_factory=lambda: _int("customer_token_ttl", 86400))
    # Anonymous customer tokens per client address per minute; 0 turns the limit off.
    customer_token_rate_limit: int = field(
        default_factory=lambda: _int("customer_token_rate_limit", 30)
    )
    max_body_bytes: int = field(default_factory=lambda: _int("max_body_bytes", 1048576))
    max_file_bytes: int = field(default_factory=lambda: _int("max_file_bytes", 10 * 1024 * 1024))
    max_frame_bytes: int = field(default_factory=lambda: _int("max_frame_bytes", 1048576))
    # RTM: a connection that shows no sign of life this long is closed: no message, no
    # control-frame ping or pong, no SockJS poll, no Engine.IO pong (chatplane.api.rtm).
    rtm_idle_timeout: float = field(default_factory=lambda: _float("rtm_idle_timeout", 60))
    # The server pings every RTM connection this often (websocket control frames, Engine.IO
    # pings), and drops one that has not answered a ping within `rtm_ping_timeout` seconds.
    rtm_ping_interval: float = field(default_factory=lambda: _float("rtm_ping_interval", 15))
    rtm_ping_timeout: float = field(default_factory=lambda: _float("rtm_ping_timeout", 45))
    # SockJS (chatplane.api.transports.sockjs): a heartbeat frame this often, and a polling
    # session whose client stopped polling is closed after `sockjs_disconnect_delay` seconds.
    sockjs_heartbeat: float = field(default_factory=lambda: _float("sockjs_heartbeat", 25))
    sockjs_disconnect_delay: float = field(
        default_factory=lambda: _float("sockjs_disconnect_delay", 5)
    )
    max_connections_per_user: int = field(
        default_factory=lambda: _int("max_connections_per_user", 32)
    )
    max_connections_per_address: int = field(
        default_factory=lambda: _int("max_connections_per_address", 5000)
    )
    # Requests per second per caller (Web API and RTM together), with bursts of twice that;
    # 0 turns the limit off.
    requests_per_second: float = field(default_factory=lambda: _float("requests_per_second", 100))
    # Failed password logins per account per minute before further tries are refused.
    login_attempts_per_minute: int = field(
        default_factory=lambda: _int("login_attempts_per_minute", 10)
    )
    # get_url_details may fetch private and loopback addresses (tests, intranets).
    url_details_allow_private: bool = field(
        default_factory=lambda: _bool("url_details_allow_private", False)
    )
    # Web pages of other origins allowed to call this server from a browser (the chat
    # widget embedded on a customer's site): comma-separated origins, or "*" for any.
    # Empty: only pages this server serves itself.
    cors_origins: str = field(default_factory=lambda: _env("cors_origins", ""))
    # Host names that serve the accounts service at the root of their paths
    # (`/v2/customer/token`, `/customer`, `/token`, `/info`, ...) as the SDKs call
    # `accounts.livechatinc.com`, besides `/accounts/...` on every name: comma-separated,
    # e.g. "accounts.example.com" (a port in the Host header is ignored).
    accounts_hosts: str = field(default_factory=lambda: _env("accounts_hosts", ""))
    log_level: str = field(default_factory=lambda: _env("log_level", "info"))
    # Resumable RTM sessions (docs/resume.md): seconds a dropped session's pushes are kept
    # for a resume (0 turns resuming off), at most this many per session, and at most this
    # many dropped sessions per process (the oldest go first).
    resume_window: float = field(default_factory=lambda: float(_env("resume_window", "180")))
    resume_max_pushes: int = field(default_factory=lambda: int(_env("resume_max_pushes", "1000")))
    resume_max_detached: int = field(
        default_factory=lambda: int(_env("resume_max_detached", "10000"))
    )
    # TLS (chatplane/tls.py): a certificate and key in PEM files, or a self-signed pair made
    # in the data directory (`tls_self_signed`) naming localhost and `tls_names`
    # (comma-separated host names or addresses). Neither: plain HTTP.
    tls_certfile: str = field(default_factory=lambda: _env("tls_certfile", ""))
    tls_keyfile: str = field(default_factory=lambda: _env("tls_keyfile", ""))
    tls_self_signed: bool = field(default_factory=lambda: _bool("tls_self_signed", False))
    tls_names: str = field(default_factory=lambda: _env("tls_names", ""))
    # Routing: seconds an agent with no connection left stays in its status before it is
    # offline; seconds of inactivity before a thread is idle, and before it is archived;
    # how often stored timers are polled.
    offline_grace: float = field(default_factory=lambda: _float("offline_grace", 10))
    idle_timeout: float = field(default_factory=lambda: _float("idle_timeout", 600))
    archive_timeout: float = field(default_factory=lambda: _float("archive_timeout", 1800))
    timer_poll_interval: float = field(default_factory=lambda: _float("timer_poll_interval", 1))
    # Webhooks (docs/webhooks.md): URLs on private or loopback addresses are refused
    # unless allowed (an installation whose receivers live on its own network, and tests).
    webhook_allow_private: bool = field(
        default_factory=lambda: _bool("webhook_allow_private", False)
    )
    # One delivery attempt may take this many seconds before it counts as failed.
    webhook_timeout: float = field(default_factory=lambda: _float("webhook_timeout", 10))
    # Retries back off exponentially from `webhook_retry_base` seconds (capped at 10 min)
    # and stop once a delivery is `webhook_retry_for` seconds old.
    webhook_retry_base: float = field(default_factory=lambda: _float("webhook_retry_base", 2))
    webhook_retry_for: float = field(default_factory=lambda: _float("webhook_retry_for", 24 * 3600))
    # Deliveries in flight at once, across every receiver.
    webhook_concurrency: int = field(default_factory=lambda: _int("webhook_concurrency", 32))

    @property
    def accounts_host_names(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.accounts_hosts.split(",") if h.strip())

    @property
    def cors_origin_list(self) -> list[str]:
        """CHATPLANE_CORS_ORIGINS as a list (["*"] for any origin, [] for none)."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def max_frame_hard_bytes(self) -> int:
        """RTM frames over `max_frame_bytes` get an `entity_too_large` response; frames over
        this hard cap close the connection (every transport: websocket, SockJS, socket.io)."""
        return max(16 * 1024 * 1024, 4 * self.max_frame_bytes)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'chatplane.db').resolve()}"

    def override(self, **values: object) -> Settings:
        """Return a copy with every non-None value applied (command-line flags)."""
        known = {f.name for f in fields(self)}
        for key, value in values.items():
            if value is None or key not in known:
                continue
            if key == "data_dir":
                value = Path(str(value))
            setattr(self, key, value)
        return self
