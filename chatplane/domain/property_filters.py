"""`filters.properties.<namespace>.<name>.<exists|values|exclude_values>`.

get_archives finds threads: a thread matches a property filter through its own thread
property or its chat's property (whichever locations the property has and the caller may
read). get_filtered_chats finds chats, by chat properties. Event properties do not take
part. `exclude_values` and `exists: false` also match objects without the property.
A `tokenized_string` matches per word, case-insensitively: a value matches when it
contains every word of one of the given values. Every other type matches exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from chatplane.domain import properties
from chatplane.domain.models import Principal
from chatplane.errors import authorization, validation
from chatplane.storage import Tx
from chatplane.storage import properties as repo

FILTER_TYPES = ("exists", "values", "exclude_values")


class PropertyFilter(Protocol):
    """One filter as the request gave it (exactly one of the three must be set)."""

    @property
    def exists(self) -> bool | None: ...

    @property
    def values(self) -> Sequence[Any] | None: ...

    @property
    def exclude_values(self) -> Sequence[Any] | None: ...


Filters = Mapping[str, Mapping[str, PropertyFilter]]


def thread_clauses(tx: Tx, caller: Principal, filters: Filters) -> list[Any]:
    """WHERE clauses on threads for get_archives."""
    return [
        repo.match_clause(caller.license_id, m, on_threads=True)
        for m in matches(tx, caller, filters, ("chat", "thread"))
    ]


def chat_clauses(tx: Tx, caller: Principal, filters: Filters) -> list[Any]:
    """WHERE clauses on chats for get_filtered_chats."""
    return [
        repo.match_clause(caller.license_id, m, on_threads=False)
        for m in matches(tx, caller, filters, ("chat",))
    ]


def matches(
    tx: Tx, caller: Principal, filters: Filters, locations: tuple[str, ...]
) -> list[repo.PropertyMatch]:
    configs = properties.load_configs(tx, caller.license_id)
    out = []
    for namespace, names in filters.items():
        for name, flt in names.items():
            out.append(_match(configs, caller, namespace, name, flt, locations))
    return out


def _match(
    configs: properties.Configs,
    caller: Principal,
    namespace: str,
    name: str,
    flt: PropertyFilter,
    locations: tuple[str, ...],
) -> repo.PropertyMatch:
    path = f"filters.properties.{namespace}.{name}"
    config = configs.get((namespace, name))
    if config is None:
        raise validation(f"{path}: property {namespace}.{name} is not configured")
    usable = tuple(loc for loc in locations if loc in config.locations)
    if not usable:
        raise validation(
            f"{path}: property {config.ident} is set on {', '.join(config.locations)}, "
            f"so it cannot filter {' or '.join(loc + 's' for loc in locations)}"
        )
    readable = tuple(loc for loc in usable if config.can(loc, caller.user_type, "read"))
    if not readable:
        raise authorization(f"{path}: property {config.ident} is not readable by an agent")
    given = [k for k in FILTER_TYPES if getattr(flt, k) is not None]
    if len(given) != 1:
        raise validation(f"{path} needs exactly one of {', '.join(FILTER_TYPES)}")
    kind = given[0]
    key = (namespace, name)
    if kind == "exists":
        return repo.PropertyMatch(key, readable, negate=not flt.exists)
    values = list(getattr(flt, kind))
    if not values:
        raise validation(f"{path}.{kind} must list at least one value")
    for i, value in enumerate(values):
        problem = properties.type_problem(config, value)
        if problem:
            raise validation(f"{path}.{kind}[{i}]: property {config.ident} {problem}")
    negate = kind == "exclude_values"
    if config.type == "tokenized_string":
        phrases = [repo.tokens(v) for v in values]
        for i, words in enumerate(phrases):
            if not words:
                raise validation(f"{path}.{kind}[{i}] has no word to look for")
        return repo.PropertyMatch(key, readable, negate=negate, phrases=phrases)
    keys = list(dict.fromkeys(repo.value_key(v) for v in values))
    return repo.PropertyMatch(key, readable, negate=negate, keys=keys)
