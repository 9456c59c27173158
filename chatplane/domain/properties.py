"""Properties: typed, access-controlled values on chats, threads and events.

Configurations live per license and namespace (the creating application's `client_id`,
configuration-api/readme.md). Every license also has the `test` namespace of the
configuration readme and the server's own `routing` namespace; those live in code. The
rating properties (about-apis.md's, and the customer SDK's `rating` namespace) are stored
configurations made with each license (`ensure_rating_properties`).
A write is checked in full before anything changes: registered, allowed at that
location, writable by the caller's user type, of the right type, inside domain or range.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from chatplane.errors import authorization, validation
from chatplane.storage import Tx
from chatplane.storage import properties as repo

LOCATIONS = ("chat", "thread", "event")
# The Configuration API v3.x adds values kept on the license and on groups.
CONFIGURED_LOCATIONS = ("license", "group")
V3_LOCATIONS = (*LOCATIONS, *CONFIGURED_LOCATIONS)
USER_TYPES = ("agent", "customer")
TYPES = ("int", "bool", "string", "tokenized_string")
INT32 = (-(2**31), 2**31 - 1)
# The same limit as an event's text: a property is not a place for documents.
MAX_STRING_BYTES = 16 * 1024
NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")

Values = dict[str, dict[str, Any]]  # {namespace: {name: value}}
Configs = dict[tuple[str, str], "PropertyConfig"]


@dataclass
class PropertyConfig:
    namespace: str
    name: str
    type: str
    # location -> {"access": {"agent": {"read": bool, "write": bool}, "customer": {...}}}
    locations: dict[str, Any]
    domain: list[Any] | None = None
    range: dict[str, int] | None = None
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # register_property (v3.x): what a license or group value reads as while unset.
    default_value: Any = None
    # None: made by v3.0's create_properties (public). A list: registered through v3.x,
    # private to its application while empty, else what publish_property opened to others.
    public_access: list[str] | None = None

    @property
    def ident(self) -> str:
        return f"{self.namespace}.{self.name}"

    def access(self, location: str, user_type: str) -> dict[str, bool] | None:
        loc = self.locations.get(location)
        if loc is None:
            return None
        rights: dict[str, bool] | None = loc.get("access", loc).get(user_type)
        return rights

    def can(self, location: str, user_type: str, mode: str) -> bool:
        rights = self.access(location, user_type)
        return bool(rights and rights.get(mode))

    def to_wire(self) -> dict[str, Any]:
        """The configuration as create_properties takes it and get_property_configs shows it."""
        out: dict[str, Any] = {"type": self.type}
        if self.description is not None:
            out["description"] = self.description
        out["locations"] = self.locations
        if self.domain is not None:
            out["domain"] = list(self.domain)
        if self.range is not None:
            out["range"] = dict(self.range)
        return out


def _everyone(rw: bool = True) -> dict[str, Any]:
    rights = {"read": True, "write": rw}
    return {loc: {"access": {"agent": dict(rights), "customer": dict(rights)}} for loc in LOCATIONS}


def builtin_configs() -> Configs:
    out = {}
    for name, typ in (
        ("bool_property", "bool"),
        ("int_property", "int"),
        ("string_property", "string"),
        ("tokenized_string_property", "tokenized_string"),
    ):
        out[("test", name)] = PropertyConfig("test", name, typ, _everyone())
    # Routing state is written by the server only; agents may read it, customers not.
    for name in ("idle", "unassigned", "pinned"):
        locs = {
            loc: {
                "access": {
                    "agent": {"read": True, "write": False},
                    "customer": {"read": False, "write": False},
                }
            }
            for loc in ("chat", "thread")
        }
        out[("routing", name)] = PropertyConfig("routing", name, "bool", locs)
    return out


_BUILTIN = builtin_configs()
BUILTIN_NAMESPACES = frozenset(ns for ns, _ in _BUILTIN)


def load_configs(tx: Tx, license_id: int) -> Configs:
    """Every configuration of a license, keyed by (namespace, name): built-ins first."""
    configs = dict(_BUILTIN)
    for r in repo.load_configs(tx.conn, license_id):
        configs[(r.namespace, r.name)] = PropertyConfig(
            namespace=r.namespace,
            name=r.name,
            type=r.type,
            locations=dict(r.locations),
            domain=list(r.domain) if r.domain is not None else None,
            range=dict(r.range) if r.range is not None else None,
            description=r.description,
            default_value=r.default_value,
            public_access=list(r.public_access) if r.public_access is not None else None,
        )
    return configs


def tokenized_keys(configs: Configs) -> set[tuple[str, str]]:
    return {key for key, c in configs.items() if c.type == "tokenized_string"}


# -- configuring -----------------------------------------------------------------------


def check_config(config: PropertyConfig, locations: tuple[str, ...] = LOCATIONS) -> None:
    """Refuse a configuration create_properties (or, with `locations` V3_LOCATIONS,
    register_property) may not store, naming the rule it breaks."""
    ident = config.ident
    if not NAME.match(config.name):
        raise validation(f"Property name {config.name!r} must be 1-100 letters, digits, '_' or '-'")
    if config.type not in TYPES:
        raise validation(f"Property {ident}: type {config.type!r} is not one of {', '.join(TYPES)}")
    if not config.locations:
        raise validation(
            f"Property {ident}: locations needs at least one of {', '.join(locations)}"
        )
    for location, spec in config.locations.items():
        if location not in locations:
            raise validation(
                f"Property {ident}: location {location!r} is not one of {', '.join(locations)}"
            )
        access = spec.get("access") or {}
        if not access:
            raise validation(
                f"Property {ident}: locations.{location}.access needs at least one of "
                f"{', '.join(USER_TYPES)}"
            )
        for user_type in access:
            if user_type not in USER_TYPES:
                raise validation(
                    f"Property {ident}: locations.{location}.access.{user_type} is not a user "
                    f"type: use {' or '.join(USER_TYPES)}"
                )
    if config.domain is not None and config.range is not None:
        raise validation(f"Property {ident}: set domain or range, not both")
    if config.domain is not None:
        if not config.domain:
            raise validation(f"Property {ident}: domain must list at least one value")
        for i, value in enumerate(config.domain):
            problem = type_problem(config, value)
            if problem:
                raise validation(f"Property {ident}: domain[{i}] {problem}")
    if config.range is not None:
        if config.type != "int":
            raise validation(
                f"Property {ident}: range works only for numeric types, not {config.type}"
            )
        low, high = config.range.get("from"), config.range.get("to")
        for bound, value in (("from", low), ("to", high)):
            if value is not None and not INT32[0] <= value <= INT32[1]:
                raise validation(f"Property {ident}: range.{bound} must fit in int32")
        if low is not None and high is not None and low > high:
            raise validation(f"Property {ident}: range.from {low} is above range.to {high}")


def create_properties(
    tx: Tx, license_id: int, namespace: str, configs: list[PropertyConfig]
) -> None:
    """Store new configurations in `namespace`, all or none.

    Creating a property again with the same configuration changes nothing; with a
    different one it is refused, since values already stored were checked against the old.
    """
    if namespace in BUILTIN_NAMESPACES:
        raise authorization(f"Namespace {namespace!r} is reserved")
    if not configs:
        raise validation("The request must configure at least one property")
    existing = load_configs(tx, license_id)
    now = time.time()
    for config in configs:
        check_config(config)
        old = existing.get((namespace, config.name))
        if old is not None:
            if old.to_wire() != config.to_wire():
                raise validation(
                    f"Property {config.ident} already exists with another configuration; "
                    "a configuration cannot be changed"
                )
            continue
        repo.insert_config(
            tx.conn,
            license_id=license_id,
            namespace=namespace,
            name=config.name,
            type=config.type,
            locations=config.locations,
            domain=config.domain,
            range=config.range,
            description=config.description,
            created_at=now,
        )


def rating_configs(namespace: str) -> list[PropertyConfig]:
    """The chat rating of about-apis.md's example: `rating_score` (int) and
    `rating_comment` (string) on the chat, read by agents, read and written by customers.
    The Chat Widget rates a chat with them in its application's namespace."""
    access = {"agent": {"read": True, "write": False}, "customer": {"read": True, "write": True}}
    return [
        PropertyConfig(
            namespace=namespace,
            name=name,
            type=type_,
            locations={"chat": {"access": {k: dict(v) for k, v in access.items()}}},
        )
        for name, type_ in (("rating_score", "int"), ("rating_comment", "string"))
    ]


# LiveChat's customer SDK 2.0 rates the chat's last thread: `rateChat` writes the thread
# properties `rating.score` and `rating.comment`, `cancelRate` deletes `rating.score`.
SDK_RATING_NAMESPACE = "rating"


def sdk_rating_configs() -> list[PropertyConfig]:
    """The SDK's rating (customer-sdk/methods.md, rateChat: "score: 0 or 1", an optional
    comment) on the thread, read by agents, read and written by customers."""
    access = {"agent": {"read": True, "write": False}, "customer": {"read": True, "write": True}}
    locations = {"thread": {"access": {k: dict(v) for k, v in access.items()}}}
    return [
        PropertyConfig(SDK_RATING_NAMESPACE, "score", "int", locations, domain=[0, 1]),
        PropertyConfig(
            SDK_RATING_NAMESPACE, "comment", "string", {k: dict(v) for k, v in locations.items()}
        ),
    ]


def ensure_rating_properties(tx: Tx, license_id: int, namespace: str) -> None:
    """Configure the rating properties, about-apis.md's in `namespace` (the default
    application's) and the SDK's in `rating`, unless a property of that name exists there
    already (with whatever configuration its owner chose)."""
    existing = load_configs(tx, license_id)
    for ns, configs in (
        (namespace, rating_configs(namespace)),
        (SDK_RATING_NAMESPACE, sdk_rating_configs()),
    ):
        missing = [c for c in configs if (ns, c.name) not in existing]
        if missing:
            create_properties(tx, license_id, ns, missing)


# -- values ----------------------------------------------------------------------------


def type_problem(config: PropertyConfig, value: Any) -> str | None:
    if config.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be an int, not {_json_type(value)}"
        if not INT32[0] <= value <= INT32[1]:
            return f"value {value} does not fit in int32"
    elif config.type == "bool":
        if not isinstance(value, bool):
            return f"must be a bool, not {_json_type(value)}"
    elif not isinstance(value, str):
        return f"must be a string, not {_json_type(value)}"
    elif len(value.encode("utf-8")) > MAX_STRING_BYTES:
        return f"is longer than {MAX_STRING_BYTES} bytes"
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "string", list: "array"}.get(
        type(value), "object"
    )


def check_value(config: PropertyConfig, value: Any) -> str | None:
    """Why `value` does not fit `config`, or None when it does."""
    problem = type_problem(config, value)
    if problem:
        return f"Property {config.ident} {problem}"
    if config.domain is not None and value not in config.domain:
        return f"Property {config.ident} value {value!r} is not in its domain {config.domain!r}"
    if config.range is not None:
        low, high = config.range.get("from"), config.range.get("to")
        if (low is not None and value < low) or (high is not None and value > high):
            shown = f"{'' if low is None else low}..{'' if high is None else high}"
            return f"Property {config.ident} value {value!r} is out of its range {shown}"
    return None


def _configured(configs: Configs, namespace: str, name: str, location: str) -> PropertyConfig:
    config = configs.get((namespace, name))
    if config is None:
        raise validation(f"Property {namespace}.{name} is not configured")
    if location not in config.locations:
        raise validation(
            f"Property {config.ident} cannot be set on {an(location)}: its locations are "
            f"{', '.join(config.locations)}"
        )
    return config


def _writable(config: PropertyConfig, location: str, user_type: str) -> None:
    if not config.can(location, user_type, "write"):
        raise authorization(
            f"Property {config.ident} is not writable by {an(user_type)} on {an(location)}"
        )


def an(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def validate_write(
    tx: Tx,
    license_id: int,
    user_type: str,
    location: str,
    values: Any,
    *,
    server: bool = False,
    configs: Configs | None = None,
) -> Values:
    """Check a flat `{namespace: {name: value}}` write; returns it normalised.

    Refuses the whole write when any value is unregistered, not allowed at `location`,
    not writable by `user_type`, of the wrong type, or outside its domain or range.
    """
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise validation("properties must be an object of namespaces")
    configs = configs if configs is not None else load_configs(tx, license_id)
    out: Values = {}
    for namespace, props in values.items():
        if not isinstance(props, dict):
            raise validation(f"properties.{namespace} must be an object of property values")
        for name, value in props.items():
            config = _configured(configs, namespace, name, location)
            if not server:
                _writable(config, location, user_type)
            problem = check_value(config, value)
            if problem:
                raise validation(problem)
            out.setdefault(namespace, {})[name] = value
    return out


def validate_delete(
    configs: Configs, user_type: str, location: str, names: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Check a `{namespace: [name, ...]}` delete: each configured there and writable."""
    out: dict[str, list[str]] = {}
    for namespace, props in names.items():
        for name in props:
            config = _configured(configs, namespace, name, location)
            _writable(config, location, user_type)
            if name not in out.setdefault(namespace, []):
                out[namespace].append(name)
    return out


def readable(configs: Configs, location: str, user_type: str, stored: Values) -> Values:
    """The part of stored properties a user type may read at a location.

    A property whose configuration is unknown here is not shown: a configuration this
    process has not loaded yet must not leak a value its access rules would hide.
    """
    out: Values = {}
    for namespace, props in stored.items():
        for name, value in props.items():
            config = configs.get((namespace, name))
            if config is not None and config.can(location, user_type, "read"):
                out.setdefault(namespace, {})[name] = value
    return out


def merge(current: Values, updates: Values) -> Values:
    merged = {ns: dict(props) for ns, props in current.items()}
    for ns, props in updates.items():
        merged.setdefault(ns, {}).update(props)
    return merged


def without(current: Values, names: dict[str, list[str]]) -> tuple[Values, dict[str, list[str]]]:
    """`current` less `names`, and which of those names were actually there."""
    kept = {ns: dict(props) for ns, props in current.items()}
    removed: dict[str, list[str]] = {}
    for ns, props in names.items():
        for name in props:
            if name in kept.get(ns, {}):
                del kept[ns][name]
                removed.setdefault(ns, []).append(name)
        if ns in kept and not kept[ns]:
            del kept[ns]
    return kept, removed


def flat(values: Values) -> dict[tuple[str, str], Any]:
    return {(ns, name): v for ns, names in values.items() for name, v in names.items()}
