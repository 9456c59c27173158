"""Write docs/coverage.md: every method and push of the v3.0 references, of the Agent and
Customer Chat APIs v3.6 and v3.5, every webhook of v3.6 and v3.5, and every method of the
Configuration API v3.6 and v3.5, with the tests that exercise it (found by the action's
name in quotes in tests/).

    python tools/coverage_table.py [--check]

A test counts for the versions it names: a module-level `V`, `VERSION` or `VERSIONS`, or
a "3.5"/"3.6" (or a /v3.x/ path) in the test itself; a test that names none counts for
v3.0. Names in module-level collections the test uses count as its own. The Customer Chat
API and webhook tables count only the tests of files named for them (`customer`,
`webhook` in the file's name), as their names are the Agent Chat API's too.

--check exits 1 when a method or push has no test, or (v3.x) is neither served with a
test nor listed below with the reason Chatplane does not serve it (the document itself
is regenerated whenever tests change; it is not compared, so adding a test never breaks
the build).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "spec"
REFERENCES = {
    "Agent Chat API": SPEC / "agent-chat-api" / "api-reference.md",
    "Customer Chat API": SPEC / "customer-chat-api" / "api-reference.md",
}
SPEC_3X = ROOT.parent / "shared" / "spec-v3.6" / "messaging" / "agent-chat-api"
# The Agent Chat API reference of each newer version: the folder of its pages.
AGENT_3X = {"3.6": SPEC_3X, "3.5": SPEC_3X / "v3.5"}
VERSIONS_3X = tuple(AGENT_3X)
OUT = ROOT / "docs" / "coverage.md"
SPEC_36 = ROOT.parent / "shared" / "spec-v3.6"
CUSTOMER_3X = {
    "3.6": SPEC_36 / "messaging" / "customer-chat-api",
    "3.5": SPEC_36 / "messaging" / "customer-chat-api" / "v3.5",
}
WEBHOOKS_3X = {
    "3.6": SPEC_36 / "management" / "webhooks" / "index.mdx",
    "3.5": SPEC_36 / "management" / "webhooks" / "v3.5" / "index.mdx",
}
CONFIGURATION_3X = {
    "3.6": SPEC_36 / "management" / "configuration-api" / "index.mdx",
    "3.5": SPEC_36 / "management" / "configuration-api" / "v3.5" / "index.mdx",
}

# Methods of the v3.x references Chatplane does not serve, and why.
NOT_SERVED: dict[str, str] = {}
# Pushes of the v3.x references Chatplane never sends, and why.
NOT_SENT = {
    "chat_deleted": "Chatplane deletes no chats",
    "thread_deleted": "Chatplane deletes no threads",
    "threads_deleted": "Chatplane deletes no threads",
    "incoming_customers": "no customer list is pushed after login (get_customer reads one)",
    "customer_transferred": "customers are not tracked by group (no traffic service)",
    "customer_statistics_updated": "statistics are read with get_customer, not pushed",
    "subscribed_customers_totals_updated": "subscribe_customers needs a traffic service",
    "ticket_created": "no HelpDesk tickets",
    "ticket_deleted": "no HelpDesk tickets",
    "queue_positions_updated": "no wait-time estimates are kept",
    "thread_summary_set": "AI thread summaries are not a self-hosted service",
    "incoming_error": "AI thread summaries are not a self-hosted service",
}


NO_GREETINGS = "Chatplane sends no greetings"
# Customer Chat API v3.x pushes Chatplane never sends, and why.
CUSTOMER_NOT_SENT = {
    "groups_status_updated": "group statuses are read with list_group_statuses, not pushed",
    "incoming_greeting": NO_GREETINGS,
    "greeting_accepted": NO_GREETINGS,
    "greeting_canceled": NO_GREETINGS,
    "queue_position_updated": "no wait-time estimates are kept",
}
# Webhooks v3.x Chatplane never delivers, and why.
WEBHOOKS_NOT_SENT = {
    "thread_summary_set": "AI thread summaries are not a self-hosted service",
}


def toc(path: Path) -> tuple[list[str], list[str]]:
    text = path.read_text()
    head = text.split("# Introduction")[0]
    methods = head.split("- [Methods]")[1].split("- [Pushes]")[0]
    pushes = head.split("- [Pushes]")[1]

    def names(part: str) -> list[str]:
        found = [n.replace("-", "_") for n in re.findall(r"\(#([a-z_-]+)\)", part)]
        return [n for n in found if n not in ("methods", "pushes")]

    return names(methods), names(pushes)


def _strings(node: ast.AST) -> set[str]:
    return {
        sub.value
        for sub in ast.walk(node)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
    }


def _versions_named(strings: set[str]) -> set[str]:
    return {v for v in VERSIONS_3X for s in strings if s == v or f"/v{v}/" in s or s == f"v{v}"}


def _module_facts(tree: ast.Module) -> tuple[set[str], dict[str, set[str]]]:
    """The versions a module declares (`V`, `VERSION`, `VERSIONS`), and its module-level
    collections of strings by name."""
    declared: set[str] = set()
    collections: dict[str, set[str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if node.value is None:
            continue
        strings = _strings(node.value)
        for name in names:
            if name in ("V", "VERSION", "VERSIONS"):
                declared |= _versions_named(strings)
            elif isinstance(node.value, ast.Set | ast.List | ast.Tuple | ast.Dict):
                collections[name] = strings
    return declared, collections


def test_index(named: str | None = None, calls: bool = False) -> dict[tuple[str, str], list[str]]:
    """(version, name in quotes) -> ['tests/x.py::test_y', ...] for every test function
    (of the files with `named` in their name, when given); with `calls`, the names of
    methods called on an object count too (an SDK client's `c.create_agent(...)`)."""
    found: dict[tuple[str, str], set[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if named is not None and named not in path.name:
            continue
        tree = ast.parse(path.read_text())
        rel = path.relative_to(ROOT)
        declared, collections = _module_facts(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_"
            ):
                strings = _strings(node)
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Name) and sub.id in collections:
                        strings |= collections[sub.id]
                    elif (
                        calls and isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                    ):
                        strings.add(sub.func.attr)
                versions = (declared | _versions_named(strings)) or {"3.0"}
                for value in strings:
                    # "send_event", or a path ".../action/send_event?license_id=1"
                    match = re.search(r"/action/([a-z_]+)", value)
                    key = match.group(1) if match else value
                    for version in versions:
                        found.setdefault((version, key), set()).add(f"{rel}::{node.name}")
    return {k: sorted(v) for k, v in found.items()}


def toc_3x(folder: Path) -> tuple[list[str], list[str]]:
    """The methods (Web and RTM) and the pushes a v3.x reference lists."""

    def table(page: Path, heading: str) -> list[str]:
        part = page.read_text().split(heading, 1)[1].split("</Text>", 1)[0]
        return list(dict.fromkeys(re.findall(r"\[`([a-z_]+)`\]", part)))

    methods = table(folder / "index.mdx", "## Available methods")
    methods += table(folder / "rtm-reference" / "index.mdx", "## Available methods")
    pushes = table(folder / "rtm-pushes" / "index.mdx", "## Available pushes")
    return list(dict.fromkeys(methods)), pushes


def _row(name: str, tests: list[str], reason: str | None = None) -> str:
    shown = ", ".join(f"`{t}`" for t in tests[:3])
    more = f" (+{len(tests) - 3} more)" if len(tests) > 3 else ""
    if not tests and reason:
        return f"| `{name}` | not served: {reason} |"
    return f"| `{name}` | {shown or '**none**'}{more} |"


def render_3x(index: dict[tuple[str, str], list[str]], empty: list[str]) -> list[str]:
    """The tables of the Agent Chat API v3.6 and v3.5."""
    sys.path.insert(0, str(ROOT))
    from chatplane.api.v3_6.pushes import PUSH_NAMES
    from chatplane.app import build_registry

    registry = build_registry()
    lines: list[str] = []
    for version, folder in AGENT_3X.items():
        served = {a.name for a in registry.actions(version) if a.api == "agent"}
        methods, pushes = toc_3x(folder)
        for kind, names, serves, reasons in (
            ("methods", methods, served, NOT_SERVED),
            ("pushes", pushes, PUSH_NAMES, NOT_SENT),
        ):
            lines += [
                f"## Agent Chat API v{version}: {kind}",
                "",
                f"| {kind[:-1] if kind == 'methods' else 'push'} | tests |",
                "| --- | --- |",
            ]
            for name in names:
                tests = index.get((version, name), [])
                reason = reasons.get(name)
                label = f"Agent Chat API v{version} {name}"
                if name in serves and not tests:
                    empty.append(f"{label} (served, no test)")
                elif name not in serves and not reason:
                    empty.append(f"{label} (not served, and no reason given)")
                elif name in serves and reason:
                    empty.append(f"{label} (served: its reason here is stale)")
                lines.append(_row(name, tests, None if name in serves else reason))
            lines.append("")
    return lines


def _table(
    title: str,
    kind: str,
    names: list[str],
    index: dict[tuple[str, str], list[str]],
    version: str,
    serves: set[str] | frozenset[str],
    reasons: dict[str, str],
    empty: list[str],
) -> list[str]:
    one = {"methods": "method", "pushes": "push", "actions": "action"}[kind]
    lines = [f"## {title}: {kind}", "", f"| {one} | tests |", "| --- | --- |"]
    for name in names:
        tests = index.get((version, name), [])
        reason = reasons.get(name)
        label = f"{title} {name}"
        if name in serves and not tests:
            empty.append(f"{label} (served, no test)")
        elif name not in serves and not reason:
            empty.append(f"{label} (not served, and no reason given)")
        elif name in serves and reason:
            empty.append(f"{label} (served: its reason here is stale)")
        lines.append(_row(name, tests, None if name in serves else reason))
    lines.append("")
    return lines


def render_customer_3x(empty: list[str]) -> list[str]:
    """The tables of the Customer Chat API v3.6 and v3.5, and of webhooks v3.6 and v3.5."""
    sys.path.insert(0, str(ROOT))
    from chatplane.api.v3_5 import customer as customer_v3_5
    from chatplane.api.v3_5.webhooks import WEBHOOKS as WEBHOOKS_V3_5
    from chatplane.api.v3_6.customer_pushes import PUSH_NAMES
    from chatplane.api.v3_6.webhooks import WEBHOOKS
    from chatplane.app import build_registry

    registry = build_registry()
    customers = test_index("customer")
    pushes_of = {"3.6": PUSH_NAMES, "3.5": customer_v3_5.PUSH_NAMES}
    lines: list[str] = []
    for version, folder in CUSTOMER_3X.items():
        served = {a.name for a in registry.actions(version) if a.api == "customer"}
        methods, pushes = toc_3x(folder)
        title = f"Customer Chat API v{version}"
        lines += _table(title, "methods", methods, customers, version, served, {}, empty)
        sent = pushes_of[version] - set(CUSTOMER_NOT_SENT)
        lines += _table(title, "pushes", pushes, customers, version, sent, CUSTOMER_NOT_SENT, empty)
    hooks = test_index("webhook")
    formats = {"3.6": WEBHOOKS, "3.5": WEBHOOKS_V3_5}
    for version, page in WEBHOOKS_3X.items():
        part = page.read_text().split("## Available webhooks", 1)[1].split("## ", 1)[0]
        names = list(dict.fromkeys(re.findall(r"\[`([a-z_]+)`\]", part)))
        sent = formats[version].actions - set(WEBHOOKS_NOT_SENT)
        title = f"Webhooks v{version}"
        lines += _table(title, "actions", names, hooks, version, sent, WEBHOOKS_NOT_SENT, empty)
    return lines


def configuration_methods(path: Path) -> list[str]:
    """Every method a v3.x Configuration API page gives a URL for (batch ones included)."""
    return sorted(set(re.findall(r"/configuration/action/([a-z_]+)", path.read_text())))


def render_configuration_3x(empty: list[str]) -> list[str]:
    """The tables of the Configuration API v3.6 and v3.5."""
    sys.path.insert(0, str(ROOT))
    from chatplane.app import build_registry

    registry = build_registry()
    index = test_index("configuration", calls=True)
    lines: list[str] = []
    for version, page in CONFIGURATION_3X.items():
        served = {a.name for a in registry.actions(version) if a.api == "configuration"}
        title = f"Configuration API v{version}"
        names = configuration_methods(page)
        lines += _table(title, "methods", names, index, version, served, {}, empty)
    return lines


def render() -> tuple[str, list[str]]:
    index = test_index()
    empty: list[str] = []
    lines = [
        "# Coverage of the references",
        "",
        "Every method and push of the v3.0 Agent and Customer Chat API references, of the",
        "Agent and Customer Chat APIs v3.6 and v3.5, every webhook of v3.6 and v3.5, and every",
        "method of the Configuration API v3.6 and v3.5, with the tests that exercise it",
        "(generated by `python tools/coverage_table.py`; a test checks that no row is empty,",
        "and that what Chatplane does not serve says why).",
        "",
    ]
    for api, path in REFERENCES.items():
        methods, pushes = toc(path)
        for kind, names in (("Methods", methods), ("Pushes", pushes)):
            lines += [
                f"## {api}: {kind.lower()}",
                "",
                f"| {kind[:-1].lower()} | tests |",
                "| --- | --- |",
            ]
            for name in names:
                tests = index.get(("3.0", name), [])
                if not tests:
                    empty.append(f"{api} {name}")
                lines.append(_row(name, tests))
            lines.append("")
    if SPEC_3X.exists():
        lines += render_3x(index, empty)
    if SPEC_36.exists():
        lines += render_customer_3x(empty)
        lines += render_configuration_3x(empty)
    return "\n".join(lines), empty


def main() -> int:
    text, empty = render()
    if "--check" in sys.argv:
        if empty:
            print("no test for:", ", ".join(empty))
        return 1 if empty else 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}; rows without tests: {empty or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
