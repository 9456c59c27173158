"""`/asyncapi.json`: the RTM APIs and webhooks as an AsyncAPI 3.0 document that a real
AsyncAPI parser (the published `@asyncapi/parser`) accepts, listing every registered RTM
action of every version and every push of the references."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from chatplane.app import build_registry
from tests.npm_packages import install, node

from .conftest import Env

PARSER = "@asyncapi/parser@3.6.6"
COVERAGE = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"
HEADING = re.compile(r"^## (Agent|Customer) Chat API(?: v(3\.\d))?: pushes$")
ROW = re.compile(r"^\| `([a-z_]+)` \| (.*) \|$")


def served_pushes() -> dict[tuple[str, str], set[str]]:
    """{(api, version): pushes} that docs/coverage.md (generated from the references, checked
    by tests/docs) lists as served: every push of every reference but those it says are
    not served, and why."""
    out: dict[tuple[str, str], set[str]] = {}
    current: tuple[str, str] | None = None
    for line in COVERAGE.read_text().splitlines():
        if line.startswith("## "):
            found = HEADING.match(line)
            current = (found[1].lower(), found[2] or "3.0") if found else None
            continue
        row = ROW.match(line)
        if current is not None and row and not row[2].startswith("not served"):
            out.setdefault(current, set()).add(row[1])
    return out


VALIDATE = """
import { Parser } from '@asyncapi/parser';
import fs from 'fs';
const { document, diagnostics } = await new Parser().parse(fs.readFileSync(0, 'utf8'));
const errors = diagnostics.filter(d => d.severity === 0);
const out = { errors: errors.map(e => `${e.path.join('.')}: ${e.message}`) };
if (document) {
  out.operations = document.operations().all().map(o => o.id());
  out.channels = document.channels().all().map(c => c.id());
}
console.log(JSON.stringify(out));
"""


def _parse(document: bytes) -> dict:
    where = install(PARSER)
    script = Path(where) / "validate.mjs"
    script.write_text(VALIDATE)
    result = subprocess.run(
        [node(), str(script)],
        input=document,
        cwd=where,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return json.loads(result.stdout)


def _once(request: pytest.FixtureRequest) -> None:
    # The document is built from the registry and the renderers, not from storage: checked
    # against the SQLite server only (each parse takes the npm parser some seconds).
    if "postgres" in request.node.name:
        pytest.skip("the document does not depend on the storage engine")


def test_the_served_document_is_valid_asyncapi_with_every_action_and_push(
    env: Env, request: pytest.FixtureRequest
) -> None:
    _once(request)
    served = httpx.get(env.server.base_url + "/asyncapi.json", trust_env=False, timeout=60)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/json")
    doc = served.json()
    assert doc["asyncapi"].startswith("3.")
    parsed = _parse(served.content)
    assert parsed["errors"] == []
    operations = set(parsed["operations"])
    for act in build_registry().actions():
        if not act.rtm:
            continue
        tag = "v" + act.version.replace(".", "_")
        assert f"{act.api}_rtm_{tag}.{act.name}" in operations, act
    # Every push the references list and Chatplane serves, in every version.
    served = served_pushes()
    assert ("agent", "3.0") in served and ("customer", "3.6") in served, served.keys()
    for (api, version), pushes in served.items():
        tag = "v" + version.replace(".", "_")
        missing = sorted(p for p in pushes if f"{api}_rtm_{tag}.{p}.push" not in operations)
        assert not missing, (api, version, missing)
    # Webhooks: every v3.0 webhook action.
    from chatplane.webhooks.actions import ACTIONS

    for action in ACTIONS:
        assert f"webhooks_v3_0.{action}" in operations, action


def test_a_document_with_a_broken_reference_is_refused_by_the_parser(
    env: Env, request: pytest.FixtureRequest
) -> None:
    _once(request)
    """The validator can fail: the same document with one dangling reference is refused."""
    doc = httpx.get(env.server.base_url + "/asyncapi.json", trust_env=False, timeout=60).json()
    channel = next(iter(doc["channels"].values()))
    name = next(iter(channel["messages"]))
    channel["messages"][name] = {"$ref": "#/components/messages/does-not-exist"}
    assert _parse(json.dumps(doc).encode())["errors"]
