"""Every scope an action declares is one a token can hold (domain/access.py SCOPES), so
that a role's default token, or one made with `chatplane token create --scopes`, can
call it."""

from __future__ import annotations

from chatplane.app import build_registry
from chatplane.domain.access import SCOPES


def test_every_declared_scope_is_a_known_scope() -> None:
    unknown = {
        (a.api, a.version, a.name, s)
        for a in build_registry().actions()
        for s in a.scopes
        if s not in SCOPES
    }
    assert unknown == set()
