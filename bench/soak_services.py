"""The processes of the soak (``python -m bench.soak``): ``chatplane serve`` nodes that are
SIGKILLed and started again on the same port and data, and a private Redis and PostgreSQL
that are stopped and started again on the same port and data directory.

Never the machine's shared PostgreSQL (5432) or Redis (6379): other people's tests use them,
and a restart of those is exactly what the soak does to its own. Every process started here
gets a process group of its own (``bench.procs._preexec``) and is listed in
``bench.procs._LIVE``, so that ``kill_all_started`` ends it whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from bench.procs import _LIVE, HOST, _preexec, chatplane_command, free_port, wait_http_ok

# Settings every soak server runs with (CHATPLANE_*).
BASE_SETTINGS = {
    # The soak's clients are a handful of callers sending as fast as they are answered.
    "CHATPLANE_REQUESTS_PER_SECOND": "0",
    "CHATPLANE_CUSTOMER_TOKEN_RATE_LIMIT": "0",
    "CHATPLANE_MAX_CONNECTIONS_PER_ADDRESS": "0",
    # The webhook receiver listens on loopback.
    "CHATPLANE_WEBHOOK_ALLOW_PRIVATE": "true",
    # Short backoff and timeout: deliveries that failed while the receiver was down are
    # retried within the run rather than minutes later.
    "CHATPLANE_WEBHOOK_RETRY_BASE": "0.2",
    "CHATPLANE_WEBHOOK_TIMEOUT": "3",
    # The soak is about durability, not timers: threads stay open for the whole run.
    "CHATPLANE_IDLE_TIMEOUT": "86400",
    "CHATPLANE_ARCHIVE_TIMEOUT": "86400",
    "CHATPLANE_LOG_LEVEL": "warning",
    "PYTHONUNBUFFERED": "1",
}

_PROXIES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without CHATPLANE_* settings or proxies, plus `extra`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CHATPLANE_") and k not in _PROXIES
    }
    env.update(BASE_SETTINGS)
    env.update(extra)
    return env


def _forget(proc: subprocess.Popen[bytes]) -> None:
    if proc in _LIVE:
        _LIVE.remove(proc)


def _end_group(proc: subprocess.Popen[bytes], sig: int, timeout_s: float) -> None:
    """Signal the process group of `proc` (one we started) and wait for `proc`."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    _forget(proc)


def _open_log(path: Path, banner: str) -> IO[bytes]:
    log = open(path, "ab")  # noqa: SIM115 - handed to the child, closed right after
    log.write(f"\n===== {banner} at {time.strftime('%H:%M:%S')} =====\n".encode())
    log.flush()
    return log


def log_tail(path: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


# ----------------------------------------------------------------------------- chatplane


def run_cli(env: dict[str, str], data_dir: Path, *args: str, timeout_s: float = 120) -> Any:
    """`chatplane <args> --data-dir DIR --json`; the JSON object it prints."""
    out = subprocess.run(
        [*chatplane_command(), *args, "--data-dir", str(data_dir), "--json"],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
        cwd=data_dir.parent,
    )
    if out.returncode != 0:
        raise RuntimeError(f"chatplane {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    for line in reversed(out.stdout.strip().splitlines()):
        with contextlib.suppress(ValueError):
            return json.loads(line)
    raise RuntimeError(f"chatplane {' '.join(args)} printed no JSON:\n{out.stdout[-2000:]}")


def _spawn(argv: list[str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start a service process in a group of its own, logging to `log` (closed here)."""
    try:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_preexec,
        )
    finally:
        log.close()
    _LIVE.append(proc)
    return proc


async def _wait_ready(
    proc: subprocess.Popen[bytes],
    name: str,
    log_path: Path,
    ready: Callable[[], bool],
    timeout_s: float,
    poll_s: float,
) -> None:
    """Wait until `ready()` (run off the loop) says the service answers; raise with its
    log's tail if it exits or stays silent."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log_tail(log_path)}")
        if await asyncio.to_thread(ready):
            return
        await asyncio.sleep(poll_s)
    raise RuntimeError(f"{name} not answering:\n{log_tail(log_path)}")


class Node:
    """One `chatplane serve` process on a fixed port: a restart keeps its clients' URLs."""

    def __init__(self, name: str, data_dir: Path, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.data_dir = data_dir
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> None:
        assert not self.running, f"{self.name} is already running"
        log = _open_log(self.log_path, f"serve on port {self.port}")
        cmd = [
            *chatplane_command(),
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.data_dir.parent,
                preexec_fn=_preexec,
            )
        finally:
            log.close()
        _LIVE.append(self.proc)
        self.starts += 1

    async def start(self, timeout_s: float = 90.0) -> None:
        """Start and wait until /healthz answers 200."""
        self.spawn()
        assert self.proc is not None
        try:
            await wait_http_ok(self.port, "/healthz", timeout_s, self.proc)
        except Exception as exc:
            raise RuntimeError(
                f"{self.name} did not start: {exc}\n{log_tail(self.log_path)}"
            ) from None

    def kill(self) -> None:
        """SIGKILL: no chance to flush, answer or clean up."""
        if self.proc is not None:
            _end_group(self.proc, signal.SIGKILL, 10)

    def stop(self, timeout_s: float = 20.0) -> None:
        if self.proc is not None:
            _end_group(self.proc, signal.SIGTERM, timeout_s)


# ----------------------------------------------------------------------------- Redis


class PrivateRedis:
    """`redis-server` on a free port, nothing persisted: a restart empties it, as a real
    Redis restart without persistence does (the presence board and the bus start over)."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    async def start(self, timeout_s: float = 30.0) -> None:
        server = shutil.which("redis-server")
        assert server is not None
        log = _open_log(self.log_path, f"redis on port {self.port}")
        argv = [
            server,
            "--port",
            str(self.port),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.dir),
        ]
        self.proc = _spawn(argv, log)
        await _wait_ready(self.proc, "redis-server", self.log_path, self._pong, timeout_s, 0.1)

    def _pong(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            _end_group(self.proc, signal.SIGTERM, 20)


# ----------------------------------------------------------------------------- PostgreSQL


def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin with initdb and postgres (SOAK_PG_BIN overrides)."""
    override = os.environ.get("SOAK_PG_BIN")
    candidates = [override] if override else []

    def version(path: str) -> tuple[int, ...]:
        part = Path(path).parent.name
        return tuple(int(x) for x in part.split(".") if x.isdigit()) or (0,)

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "postgres").exists():
            return Path(c)
    return None


def missing_services() -> str | None:
    """Why the cluster half cannot run here, or None."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if postgres_bin() is None:
        return "PostgreSQL's initdb and postgres are not installed (/usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root needs runuser to start PostgreSQL as another user"
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root needs a 'postgres' user to start PostgreSQL as"
    return None


class PrivatePostgres:
    """A PostgreSQL cluster made with initdb in a temporary directory, on a free port, trust
    authentication on 127.0.0.1. PostgreSQL refuses to run as root: as root it runs as the
    `postgres` user (runuser), in a directory that user owns."""

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        assert bin_dir is not None
        self.bin = bin_dir
        # Its own temporary directory: the soak's work directory is private to root.
        self.root = Path(tempfile.mkdtemp(prefix="chatplane-soak-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.root / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{database}"

    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if self.as_root else []

    def init(self) -> None:
        out = subprocess.run(
            [
                *self._as_owner(),
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",  # initdb's own fsyncs only; the server keeps fsync on
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            raise RuntimeError(f"initdb failed: {out.stderr[-2000:]}")

    async def start(self, timeout_s: float = 60.0) -> None:
        log = _open_log(self.log_path, f"postgres on port {self.port}")
        if self.as_root:
            shutil.chown(self.log_path, "postgres", "postgres")
        argv = [
            *self._as_owner(),
            str(self.bin / "postgres"),
            *("-D", str(self.data), "-p", str(self.port), "-k", str(self.root)),
            *("-c", f"listen_addresses={HOST}", "-c", "max_connections=200"),
        ]
        self.proc = _spawn(argv, log)
        await _wait_ready(self.proc, "postgres", self.log_path, self._answers, timeout_s, 0.2)

    def _answers(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self, timeout_s: float = 60.0) -> None:
        """Fast shutdown (SIGINT to the postmaster): sessions are ended, work in flight is
        rolled back, and it checkpoints before it exits."""
        if self.proc is None or self.proc.poll() is not None:
            return
        pid = None
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout_s)
        _end_group(self.proc, signal.SIGKILL, 10)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
