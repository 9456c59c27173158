"""Each action's scopes are declared once, at its registration: the dispatcher checks
`scopes` before the handler runs, and `ctx.require_wider()` checks the registration's
`wider` scopes when a handler finds its request reaches further (another application's
bot, `all: true`, ...). No handler or domain rule names a scope of its own."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import chatplane
from chatplane.api.dispatch import Context
from chatplane.api.registry import Action
from chatplane.app import build_registry
from chatplane.domain.access import SCOPES, Wider
from chatplane.domain.models import Principal
from chatplane.errors import ApiError

ROOT = Path(chatplane.__file__).parent
# `require_scope` is called by the dispatcher (and the Context it hands handlers) only;
# the webhook admin routes are not actions of the registry and check their one scope.
CALLERS_ALLOWED = {"api/dispatch.py", "api/webhooks_admin.py", "domain/access.py"}
REGISTRY = build_registry()


def _calls_to(name: str, path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called == name:
                lines.append(node.lineno)
    return lines


def test_no_handler_or_domain_rule_checks_a_scope_itself() -> None:
    offenders = {
        rel: lines
        for path in sorted(ROOT.rglob("*.py"))
        if (rel := path.relative_to(ROOT).as_posix()) not in CALLERS_ALLOWED
        and (lines := _calls_to("require_scope", path))
    }
    assert not offenders, f"declare scopes in the action's registration instead: {offenders}"


def test_every_declared_scope_exists() -> None:
    for act in REGISTRY.actions():
        declared = set(act.scopes) | set(act.also)
        for wider in act.widers:
            declared |= set(wider.scopes) | set(wider.also)
        assert declared <= set(SCOPES), (act.api, act.name, declared - set(SCOPES))


def test_routing_settings_take_access_rules_only() -> None:
    """The disagreement issue 18 found: registered `access_rules:rw`, handler also
    demanded `agents--all:rw`."""
    act = REGISTRY.lookup("configuration", "3.0", "routing/update_routing_settings", "web")
    assert act.scopes == ("access_rules:rw",) and act.wider is None


def _ctx(scopes: set[str], user_type: str = "agent", wider: Wider | None = None) -> Context:
    async def handler(_ctx: Context, _payload: Any) -> None:
        return None

    principal = Principal(1, user_type, "u", "app", frozenset(scopes))
    act = Action("agent", "example", handler, None, scopes=("agents-bot--my:ro",), wider=wider)
    return Context(services=None, api=user_type, transport="web", principal=principal, action=act)  # type: ignore[arg-type]


WIDER = Wider("reading another application's bot", ("agents-bot--all:ro",))


def test_require_wider_lets_a_caller_with_the_wider_scopes_through() -> None:
    _ctx({"agents-bot--all:ro"}, wider=WIDER).require_wider()
    _ctx({"agents-bot--all:rw"}, wider=WIDER).require_wider()  # rw contains ro


def test_require_wider_names_what_and_the_scopes_it_needs() -> None:
    with pytest.raises(ApiError) as caught:
        _ctx({"agents-bot--my:ro"}, wider=WIDER).require_wider("bot 'b1' is another's")
    err = caught.value
    assert err.type == "authorization" and err.status == 403
    assert err.message == (
        "Reading another application's bot needs one of the scopes: agents-bot--all:ro "
        "(bot 'b1' is another's)"
    )


@pytest.mark.parametrize(("user_type", "wider"), [("agent", None), ("customer", WIDER)])
def test_require_wider_without_a_declaration_or_for_a_customer_refuses(
    user_type: str, wider: Wider | None
) -> None:
    with pytest.raises(ApiError) as caught:
        _ctx(set(SCOPES), user_type, wider).require_wider()
    assert caught.value.type == "authorization"
