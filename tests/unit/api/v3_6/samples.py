"""The reference's JSON samples, and comparing a rendered object with one by its keys and
the JSON types of their values (never ids or times)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[4]
SPEC = ROOT.parent / "shared" / "spec-v3.6"
PAYLOADS = SPEC / "payloads" / "messaging"
PUSHES_PAGE = SPEC / "messaging" / "agent-chat-api" / "rtm-pushes" / "index.mdx"

needs_spec = pytest.mark.skipif(
    not SPEC.exists(), reason="the v3.6 spec (../shared/spec-v3.6) is not beside this clone"
)


def payload(version: str, path: str) -> Any:
    """A sample of payloads/messaging/v<version>/agent-chat-api/<path>.json."""
    return json.loads((PAYLOADS / f"v{version}" / "agent-chat-api" / f"{path}.json").read_text())


def strip_comments(text: str) -> str:
    """JSON of a sample with its `// ...` comments and the commas they leave dangling taken
    out (a `//` after `:` or a quote is a URL's)."""
    text = re.sub(r'(?<![:"])//[^\n]*', "", text)
    return re.sub(r",(\s*[}\]])", r"\1", text)


def push_sample(name: str, page: Path = PUSHES_PAGE) -> Any:
    """The sample payload of push `name` on an rtm-pushes page (its first JSON block after
    the push's heading), comments removed."""
    text = page.read_text()
    at = text.index(f"### `{name}`")
    block = text[at:].split("```json", 1)[1].split("```", 1)[0]
    # Some samples close one brace too many: the first JSON value is the sample.
    value, _end = json.JSONDecoder().raw_decode(strip_comments(block).strip())
    return value


# Objects whose keys are data, not field names.
MAPS = {"properties", "text_vars", "content", "geolocation", "agent_priorities"}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def assert_like(ours: Any, sample: Any, *, path: str = "$", absent: frozenset[str] = frozenset()):
    """Every key we render is a key of the sample, with the same JSON type (recursively,
    lists by their first items); every key of the sample we do not render is listed in
    `absent` (by its path), so a field dropped or added shows."""
    if isinstance(sample, dict) and not sample:
        return  # a placeholder object (`// "Properties" object`)
    assert _kind(ours) == _kind(sample), f"{path}: {ours!r} is not like {sample!r}"
    if isinstance(ours, dict) and path.rsplit(".", 1)[-1] in MAPS:
        return  # keys that are data (property namespaces), not fields
    if isinstance(ours, dict):
        extra = set(ours) - set(sample)
        assert not extra, f"{path}: keys the reference does not have: {sorted(extra)}"
        missing = {f"{path}.{k}" for k in set(sample) - set(ours)} - absent
        assert not missing, f"keys of the reference not rendered: {sorted(missing)}"
        for key in ours:
            assert_like(ours[key], sample[key], path=f"{path}.{key}", absent=absent)
    elif isinstance(ours, list) and ours and sample:
        assert_like(ours[0], sample[0], path=f"{path}[0]", absent=absent)
