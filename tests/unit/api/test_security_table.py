"""docs/security.md carries the method/scope table of the actions registered now."""

from __future__ import annotations

from chatplane.api import security_table


def test_the_security_document_lists_every_registered_method() -> None:
    doc = security_table.DOC.read_text()
    assert security_table.refreshed(doc) == doc, (
        "docs/security.md is stale: run `python -m chatplane.api.security_table --write`"
    )
