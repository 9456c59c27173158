"""The method/scope table of docs/security.md, generated from the action registry.

    python -m chatplane.api.security_table            # print the table
    python -m chatplane.api.security_table --write    # refresh it in docs/security.md
    python -m chatplane.api.security_table --check    # exit 1 when the document is stale

Each row names the tests (tests/e2e/security/test_authorization.py) that prove a caller
without the right is refused; their parameters come from the same registry, so a new
action gets its row and its tests together.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from msgspec import inspect as mi

from chatplane.api.registry import Action

START = "<!-- security-table:start -->"
END = "<!-- security-table:end -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
TESTS = "tests/e2e/security/test_authorization.py"
# The v3.x Configuration API's refusals run on a server of their own: its methods change
# license-wide settings that the shared suite's server must keep.
TESTS_V3 = "tests/e2e/test_configuration_v3_security.py"


def takes_chat(act: Action) -> bool:
    """The payload names a chat (`chat_id`, or `chat.id`); send_file's multipart body too."""
    if act.payload_type is None:
        return act.multipart and act.name == "send_file"
    info = mi.type_info(act.payload_type)
    if not isinstance(info, mi.StructType):
        return False
    for f in info.fields:
        if f.encode_name == "chat_id":
            return True
        types = f.type.types if isinstance(f.type, mi.UnionType) else (f.type,)
        for t in types:
            if f.encode_name == "chat" and isinstance(t, mi.StructType):
                return any(g.encode_name == "id" for g in t.fields)
    return False


def _transports(act: Action) -> list[str]:
    web = "web (GET)" if act.method == "GET" else "web"
    return [t for t, on in ((web, act.web), ("rtm", act.rtm)) if on]


# The refusal tests, by the letter the table uses; each is parametrized `[<transport>-<method>]`.
LEGEND = {
    "S": "test_agent_action_refused_without_its_scopes",
    "K": "test_customer_token_is_refused_on_the_agent_api",
    "C": "test_customer_token_is_refused_on_the_configuration_api",
    "A": "test_agent_token_is_refused_on_the_customer_api",
    "M": "test_agent_with_my_scopes_reaches_no_chat_it_is_not_in",
    "L": "test_other_license_agent_reaches_no_chat_through_any_chat_action",
    "O": "test_customer_cannot_read_or_write_another_customers_chat",
    "P": "test_other_license_customer_reaches_no_chat_through_any_chat_action",
}
LEGEND_V3 = {
    "V": "test_configuration_method_refused_without_its_scopes",
    "W": "test_customer_token_is_refused_on_the_configuration_api_v3",
}


def _any(scopes: tuple[str, ...]) -> str:
    return " or ".join(f"`{s}`" for s in scopes)


def _scopes(act: Action) -> str:
    """One of the action's scopes (and one of `also`), then what reaching wider takes."""
    needs = _any(act.scopes)
    if act.also:
        needs += f", and {_any(act.also)}"
    for wider in act.widers:
        needs += f"; {wider.what}: {_any(wider.scopes)}"
        if wider.also:
            needs += f", and {_any(wider.also)}"
    return needs


def row(act: Action) -> str:
    chat = takes_chat(act)
    if act.api == "customer" and act.method == "GET":
        needs = "none (the widget's public configuration of the license the query names)"
        tests = ""
    elif act.api == "customer":
        needs = "customer token of the license; own chats only"
        tests = "A" + ("OP" if chat else "")
    elif act.api == "configuration" and act.version != "3.0":
        if act.scopes:
            needs = _scopes(act)
        elif act.blocked_ok:
            needs = "the agent's own token, even while it is suspended"
        elif not act.needs_login:
            needs = "none (a token, when sent, must be valid)"
        else:
            needs = "any agent token (the reference requires no scope)"
        tests = ("V" if act.scopes else "") + "W"
    else:
        if act.scopes:
            needs = _scopes(act)
        elif not act.needs_login:
            needs = "none (opens or keeps the RTM session)"
        elif act.api == "agent":
            needs = "any agent token"
        else:
            needs = "any agent token -- **no scope declared: review**"
        tests = ("S" if act.scopes else "") + ("K" if act.api == "agent" else "C")
        if chat:
            needs += "; + chat access"
            tests += "ML"
    return (
        f"| {act.api} | {act.version} | `{act.name}` | {' '.join(_transports(act))} "
        f"| {needs} | {tests} |"
    )


def table() -> str:
    from chatplane.app import build_registry

    lines = [f"- **{k}**: `{TESTS}::{v}`" for k, v in LEGEND.items()]
    lines += [f"- **{k}**: `{TESTS_V3}::{v}`" for k, v in LEGEND_V3.items()]
    lines += [
        "",
        "| API | version | method | transports | who may call it (scopes: any one) | refused by |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    order = {"agent": 0, "customer": 1, "configuration": 2}
    actions = build_registry().actions()
    for act in sorted(actions, key=lambda a: (order.get(a.api, 9), a.api, a.version, a.name)):
        lines.append(row(act))
    return "\n".join(lines)


def refreshed(doc: str) -> str:
    head, _, rest = doc.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m chatplane.api.security_table")
    ap.add_argument("--write", action="store_true", help=f"refresh the table in {DOC.name}")
    ap.add_argument("--check", action="store_true", help="exit 1 when the table is stale")
    args = ap.parse_args(argv)
    if not (args.write or args.check):
        print(table())
        return 0
    doc = DOC.read_text()
    new = refreshed(doc)
    if args.check:
        if new != doc:
            print(f"{DOC} is stale: run python -m chatplane.api.security_table --write")
            return 1
        return 0
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
