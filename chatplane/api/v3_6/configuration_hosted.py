"""Configuration API v3.6 methods about the hosted LiveChat product, which a self-hosted
server has no meaning for, and greetings, which Chatplane does not have yet. Each answers
`service_unavailable` (HTTP 501) saying why (docs/decisions.md); none answers 404, so a
client can tell "not here" from "no such method"."""

from __future__ import annotations

from chatplane.api.registry import Actions
from chatplane.api.v3_6.configuration_common import CONFIGURATION, hosted_only

actions = Actions()

# (method, required scopes, why)
HOSTED: list[tuple[str, tuple[str, ...], str]] = [
    (
        "list_channels",
        (),
        "it reports the hosted product's channels (chat code, direct link, integrations)",
    ),
    (
        "check_product_limits_for_plan",
        ("subscription.lc:rw",),
        "a self-hosted license has no plans and no plan limits",
    ),
    (
        "get_product_source",
        (),
        "it reports how the hosted product was activated (its source), which a self-hosted "
        "license never was",
    ),
    (
        "reactivate_email",
        ("agents--all:rw",),
        "Chatplane sends no e-mail, so no address can bounce or be reactivated",
    ),
    (
        "update_company_details",
        ("organization--my:rw",),
        "company and invoice details belong to the hosted product's billing",
    ),
    (
        "get_company_details",
        (),
        "company and invoice details belong to the hosted product's billing",
    ),
]

# Greetings exist in the hosted product; Chatplane has none yet.
GREETINGS: list[tuple[str, tuple[str, ...]]] = [
    ("create_greeting", ("greetings:rw",)),
    ("update_greeting", ("greetings:rw",)),
    ("delete_greeting", ("greetings:rw",)),
    ("list_greetings", ("greetings:ro",)),
    ("get_greeting", ("greetings:ro",)),
]

for _method, _scopes, _why in HOSTED:
    actions(CONFIGURATION, _method, None, scopes=_scopes)(hosted_only(_method, _why))

for _method, _scopes in GREETINGS:
    actions(CONFIGURATION, _method, None, scopes=_scopes)(
        hosted_only(_method, "Chatplane has no greetings yet", "not_implemented")
    )
