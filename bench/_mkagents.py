"""Create many agents in one process before a benchmark server starts.

Usage: ``python -m bench._mkagents DATA_DIR N PREFIX``; prints one JSON line per agent
(``{"id", "access_token"}``). It calls the ``chatplane`` CLI entry point in a loop (the
documented command ``chatplane agent create ... --json``) so N agents cost one interpreter start,
not N; if that does not work it falls back to running the CLI as subprocesses.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def _args(data_dir: str, i: int, prefix: str) -> list[str]:
    return [
        "agent",
        "create",
        "--email",
        f"{prefix}-{i}@bench.example",
        "--name",
        f"Bench Agent {i}",
        "--data-dir",
        data_dir,
        "--json",
    ]


def _in_process(data_dir: str, i: int, prefix: str) -> dict[str, str]:
    src = os.environ.get("BENCH_CHATPLANE_SRC")
    if src and src not in sys.path:
        sys.path.insert(0, src)
    from chatplane.cli import main

    buf = io.StringIO()
    saved = sys.argv
    sys.argv = ["chatplane", *_args(data_dir, i, prefix)]
    code: object = 0
    try:
        with contextlib.redirect_stdout(buf):
            try:
                code = main()
            except SystemExit as exc:
                code = exc.code
    finally:
        sys.argv = saved
    if code not in (0, None):
        raise RuntimeError(f"exit {code}: {buf.getvalue()[-500:]}")
    line = [x for x in buf.getvalue().splitlines() if x.strip().startswith("{")][-1]
    return json.loads(line)


def _subprocess(data_dir: str, i: int, prefix: str) -> dict[str, str]:
    from bench.procs import chatplane_command

    cmd = chatplane_command()
    out = subprocess.run(
        [*cmd, *_args(data_dir, i, prefix)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    data_dir, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    start = 0
    try:
        if os.environ.get("BENCH_CHATPLANE_CMD"):
            raise RuntimeError("BENCH_CHATPLANE_CMD is set: running that command instead")
        first = _in_process(data_dir, 0, prefix)
        print(json.dumps({"id": first["id"], "access_token": first["access_token"]}), flush=True)
        start = 1
        for i in range(1, n):
            a = _in_process(data_dir, i, prefix)
            print(json.dumps({"id": a["id"], "access_token": a["access_token"]}), flush=True)
            start = i + 1
        return 0
    except Exception as exc:
        print(
            f"in-process creation stopped at {start}: {exc!r}; using subprocesses", file=sys.stderr
        )
    with ThreadPoolExecutor(max_workers=4) as pool:
        for a in pool.map(lambda i: _subprocess(data_dir, i, prefix), range(start, n)):
            print(json.dumps({"id": a["id"], "access_token": a["access_token"]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
