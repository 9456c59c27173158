"""Processes under test: a fresh ``chatplane serve`` per scenario, the bare ceiling app, and the
facts every scenario prints (server version, machine, storage backend)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.httpload import HTTPConnection

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


# ----------------------------------------------------------------------------- limits, machine


def raise_nofile_limit() -> int:
    """Raise RLIMIT_NOFILE to the hard limit (in this process; also used as preexec_fn)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1_048_576
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine_info() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "note": "load generator and server share these cores (one client process)",
    }


def chatplane_command() -> list[str]:
    """How to run the ``chatplane`` console command with this interpreter
    (``BENCH_CHATPLANE_CMD``, split on spaces, overrides it: e.g. another installed version)."""
    override = os.environ.get("BENCH_CHATPLANE_CMD")
    if override:
        return override.split()
    src = os.environ.get("BENCH_CHATPLANE_SRC")
    if src:  # a snapshot of the package (``python -m bench --commit REV``)
        code = f"import sys; sys.path.insert(0, {src!r}); from chatplane.cli import main; "
        return [sys.executable, "-c", code + "sys.exit(main())"]
    script = Path(sys.executable).parent / "chatplane"
    if script.exists():
        return [str(script)]
    found = shutil.which("chatplane")
    if found and Path(found).parent == Path(sys.executable).parent:
        return [found]
    return [sys.executable, "-c", "import sys; from chatplane.cli import main; sys.exit(main())"]


def server_version() -> dict[str, Any]:
    info: dict[str, Any] = {"version": None, "git": None}
    with contextlib.suppress(Exception):
        out = subprocess.run(
            [*chatplane_command(), "--version"], capture_output=True, text=True, timeout=30
        )
        if out.returncode == 0 and out.stdout.strip():
            info["version"] = out.stdout.strip().splitlines()[-1]
    if info["version"] is None:
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            info["version"] = f"chatplane {version('chatplane')}"
    rev = os.environ.get("BENCH_CHATPLANE_COMMIT")
    if rev:
        info["git"] = rev
        return info
    with contextlib.suppress(Exception):
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0:
            info["git"] = out.stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "chatplane"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if info["git"] and dirty.returncode == 0 and dirty.stdout.strip():
            info["git"] = f"{info['git']}+dirty"
    return info


def storage_backend(env: dict[str, str] | None = None) -> str:
    env = env if env is not None else dict(os.environ)
    url = env.get("CHATPLANE_DATABASE_URL") or env.get("CHATPLANE_DB_URL")
    if url:
        return url.split(":", 1)[0] + " (CHATPLANE_DATABASE_URL)"
    return "sqlite (embedded default, temp data dir)"


def export_commit(rev: str) -> tuple[str, str]:
    """Export ``chatplane/`` at git revision ``rev`` into a temp dir; (dir, short hash).
    Benchmarks then run that snapshot, whatever happens to the work tree meanwhile."""
    short = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", rev],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dest = Path(tempfile.mkdtemp(prefix=f"chatplane-src-{short}-"))
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", rev, "chatplane"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return str(dest), short


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------------------- /proc readings


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                out += [int(x) for x in (task / "children").read_text().split()]
    return out


def process_tree(pid: int) -> list[int]:
    seen = [pid]
    i = 0
    while i < len(seen):
        seen += [c for c in _children(seen[i]) if c not in seen]
        i += 1
    return seen


def rss_kb(pid: int) -> int:
    """VmRSS of a process and its descendants, in KB (from /proc/<pid>/status)."""
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
    return total


_CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its descendants, in seconds."""
    total = 0.0
    for p in process_tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / _CLK
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all processes on the machine have used (all cores, from /proc/stat): with
    the server's and the client's own CPU it shows how much other work shared the cores."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        return (user + nice + system + irq + softirq + steal) / _CLK
    return 0.0


def loadavg() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return float(Path("/proc/loadavg").read_text().split()[0])
    return None


# ----------------------------------------------------------------------------- processes


def _preexec() -> None:
    raise_nofile_limit()
    os.setsid()  # own process group, so stop() can end workers too


async def wait_http_ok(
    port: int, path: str, timeout_s: float, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout_s
    last: str = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {path} answered")
        conn = HTTPConnection(HOST, port)
        try:
            status, _ = await conn.get(path, timeout=2.0)
            if status == 200:
                return
            last = f"status {status}"
        except Exception as exc:
            last = repr(exc)
        finally:
            conn.close()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{path} on port {port} not ready after {timeout_s}s ({last})")


_LIVE: list[subprocess.Popen[bytes]] = []


def kill_all_started() -> None:
    """End every process this benchmark started that is still running (its process group).
    Registered with atexit and on SIGTERM/SIGINT by ``python -m bench``."""
    for proc in list(_LIVE):
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
    _LIVE.clear()


@dataclass
class ManagedProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    remove_dir: Path | None = None  # removed after stop (the ceiling's temp dir)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kb(self) -> int:
        return rss_kb(self.proc.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self, timeout_s: float = 15.0) -> int | None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc in _LIVE:
            _LIVE.remove(self.proc)
        if self.remove_dir is not None:
            shutil.rmtree(self.remove_dir, ignore_errors=True)
        return self.proc.returncode

    def log_tail(self, n: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        return ""


@dataclass
class Chatplane:
    """A fresh Chatplane data dir: init, bulk agents, then ``serve`` on a free port."""

    workdir: Path
    license_id: int = 0
    client_id: str = ""
    owner_id: str = ""
    owner_token: str = ""
    agents: list[dict[str, str]] = field(default_factory=list)
    server: ManagedProcess | None = None
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, prefix: str = "chatplane-bench-") -> Chatplane:
        workdir = Path(tempfile.mkdtemp(prefix=prefix))
        env = dict(os.environ)
        env["CHATPLANE_CUSTOMER_TOKEN_RATE_LIMIT"] = "0"
        # Load generators are one caller at thousands of requests a second: lift the
        # per-caller and per-address limits (docs/security.md lists them).
        env["CHATPLANE_REQUESTS_PER_SECOND"] = "0"
        env["CHATPLANE_MAX_CONNECTIONS_PER_ADDRESS"] = "0"
        env["CHATPLANE_MAX_CONNECTIONS_PER_USER"] = "0"
        env.setdefault("CHATPLANE_LOG_LEVEL", "warning")
        env["PYTHONUNBUFFERED"] = "1"
        return cls(workdir=workdir, env=env)

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    def _cli(self, *args: str, timeout: float = 120.0) -> Any:
        out = subprocess.run(
            [*chatplane_command(), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            cwd=self.workdir,
        )
        if out.returncode != 0:
            raise RuntimeError(f"chatplane {' '.join(args)} failed: {out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def init(self) -> None:
        info = self._cli("init", "--data-dir", str(self.data_dir), "--json")
        self.license_id = int(info["license_id"])
        self.client_id = str(info["client_id"])
        self.owner_id = str(info["owner"]["id"])
        self.owner_token = str(info["owner"]["access_token"])

    def create_agents(self, n: int, prefix: str = "bench-agent") -> list[dict[str, str]]:
        """Create ``n`` agents before the server starts, in one helper process
        (``bench._mkagents`` calls the CLI entry point in a loop; falls back to the CLI)."""
        if n <= 0:
            return []
        out = subprocess.run(
            [sys.executable, "-m", "bench._mkagents", str(self.data_dir), str(n), prefix],
            capture_output=True,
            text=True,
            timeout=900,
            env={**self.env, "PYTHONPATH": _pythonpath(self.env)},
            cwd=self.workdir,
        )
        agents = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        if out.returncode != 0 or len(agents) != n:
            raise RuntimeError(f"bulk agent creation made {len(agents)}/{n}: {out.stderr[-2000:]}")
        self.agents += agents
        return agents

    async def start(self, ready_timeout_s: float = 60.0) -> ManagedProcess:
        port = free_port()
        log_path = self.workdir / "server.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [
                *chatplane_command(),
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--data-dir",
                str(self.data_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=self.workdir,
            preexec_fn=_preexec,
        )
        log.close()
        _LIVE.append(proc)
        self.server = ManagedProcess(proc, port, log_path)
        try:
            await wait_http_ok(port, "/healthz", ready_timeout_s, proc)
        except Exception:
            tail = self.server.log_tail()
            self.server.stop()
            raise RuntimeError(f"chatplane serve did not become ready:\n{tail}") from None
        return self.server

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file of the embedded default store (None for another database)."""
        if self.env.get("CHATPLANE_DATABASE_URL"):
            return None
        return self.data_dir / "chatplane.db"

    async def sql_seed(
        self, plan: list[tuple[str, int]], kind: str, start_k: int
    ) -> dict[str, Any]:
        """Stop the server, copy events straight into its SQLite store (``bench._sqlseed``),
        start it again on the same data dir. Raises if the store is not SQLite or the seeder
        fails (the caller then falls back to the Web API)."""
        db = self.sqlite_path
        if db is None or not db.exists():
            raise RuntimeError("direct seeding needs the embedded SQLite store")
        if self.server is not None:
            self.server.stop()
        plan_path = self.workdir / "seed-plan.json"
        plan_path.write_text(json.dumps({"chats": plan, "text": kind, "start_k": start_k}))
        t0 = time.perf_counter()
        seeder = subprocess.Popen(
            [sys.executable, "-m", "bench._sqlseed", str(db), str(plan_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, "PYTHONPATH": _pythonpath(self.env)},
            preexec_fn=os.setsid,
        )
        _LIVE.append(seeder)  # type: ignore[arg-type]
        try:
            stdout, stderr = await asyncio.to_thread(seeder.communicate, None, 1800)
        finally:
            if seeder.poll() is None:
                os.killpg(seeder.pid, signal.SIGKILL)
                seeder.wait()
            _LIVE.remove(seeder)  # type: ignore[arg-type]
        out = subprocess.CompletedProcess(seeder.args, seeder.returncode, stdout, stderr)
        seeded = time.perf_counter() - t0
        await self.start()
        if out.returncode != 0:
            raise RuntimeError(f"direct seeding failed: {out.stderr[-1500:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["seconds_with_restart"] = round(time.perf_counter() - t0, 1)
        result["rate_per_s"] = round(result["inserted"] / seeded, 1) if seeded else 0.0
        return dict(result)

    def stop(self, keep: bool = False) -> None:
        if self.server is not None:
            self.server.stop()
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _pythonpath(env: dict[str, str]) -> str:
    parts = [str(REPO_ROOT)]
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    return os.pathsep.join(parts)


async def start_ceiling(ready_timeout_s: float = 30.0, bare: bool = False) -> ManagedProcess:
    """Start ``bench.ceiling`` on a free port: the endpoint in Starlette on uvicorn, or
    (``bare``) as a plain ASGI app on uvicorn."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="chatplane-ceiling-"))
    log_path = workdir / "ceiling.log"
    log = open(log_path, "wb")  # noqa: SIM115
    env = {**os.environ, "PYTHONPATH": _pythonpath(dict(os.environ))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.ceiling", "--host", HOST, "--port", str(port)]
        + (["--bare"] if bare else []),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=workdir,
        preexec_fn=_preexec,
    )
    log.close()
    _LIVE.append(proc)
    managed = ManagedProcess(proc, port, log_path, remove_dir=workdir)
    try:
        await wait_http_ok(port, "/healthz", ready_timeout_s, proc)
    except Exception:
        tail = managed.log_tail()
        managed.stop()
        raise RuntimeError(f"ceiling app did not start:\n{tail}") from None
    return managed
