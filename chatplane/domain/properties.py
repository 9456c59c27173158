"""Properties: typed, access-controlled values on chats, threads and events.

Configurations live per license and namespace. Every license has the `test` namespace
(configuration-api/readme.md) and the server's own `routing` namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatplane.errors import validation
from chatplane.storage import Tx

LOCATIONS = ("chat", "thread", "event")
TYPES = ("int", "bool", "string", "tokenized_string")
INT32 = (-(2**31), 2**31 - 1)


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

    def access(self, location: str, user_type: str) -> dict[str, bool] | None:
        loc = self.locations.get(location)
        if loc is None:
            return None
        rights: dict[str, bool] | None = loc.get("access", loc).get(user_type)
        return rights

    def can(self, location: str, user_type: str, mode: str) -> bool:
        rights = self.access(location, user_type)
        return bool(rights and rights.get(mode))


def _everyone(rw: bool = True) -> dict[str, Any]:
    rights = {"read": True, "write": rw}
    return {loc: {"access": {"agent": dict(rights), "customer": dict(rights)}} for loc in LOCATIONS}


def builtin_configs() -> dict[tuple[str, str], PropertyConfig]:
    out = {}
    for name, typ in (
        ("bool_property", "bool"),
        ("int_property", "int"),
        ("string_property", "string"),
        ("tokenized_string_property", "tokenized_string"),
    ):
        out[("test", name)] = PropertyConfig("test", name, typ, _everyone())
    # Routing state is written by the server only; everyone may read it.
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


def load_configs(tx: Tx, license_id: int) -> dict[tuple[str, str], PropertyConfig]:
    """Every configuration of a license, keyed by (namespace, name)."""
    return dict(_BUILTIN)


def check_value(config: PropertyConfig, value: Any) -> str | None:
    """Why `value` does not fit `config`, or None when it does."""
    ident = f"{config.namespace}.{config.name}"
    if config.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"Property {ident} must be an int, not {type(value).__name__}"
        if not INT32[0] <= value <= INT32[1]:
            return f"Property {ident} must fit in int32"
    elif config.type == "bool":
        if not isinstance(value, bool):
            return f"Property {ident} must be a bool, not {type(value).__name__}"
    elif not isinstance(value, str):
        return f"Property {ident} must be a string, not {type(value).__name__}"
    if config.domain is not None and value not in config.domain:
        return f"Property {ident} value {value!r} is not in its domain {config.domain!r}"
    if config.range is not None and not (config.range["from"] <= value <= config.range["to"]):
        return (
            f"Property {ident} value {value!r} is out of its range "
            f"{config.range['from']}..{config.range['to']}"
        )
    return None


def validate_write(
    tx: Tx, license_id: int, user_type: str, location: str, values: Any, *, server: bool = False
) -> dict[str, dict[str, Any]]:
    """Check a flat `{namespace: {name: value}}` write; returns it normalised.

    Refuses the whole write when any value is unregistered, not allowed at `location`,
    not writable by `user_type`, of the wrong type, or outside its domain or range.
    """
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise validation("properties must be an object of namespaces")
    configs = load_configs(tx, license_id)
    out: dict[str, dict[str, Any]] = {}
    for namespace, props in values.items():
        if not isinstance(props, dict):
            raise validation(f"properties.{namespace} must be an object of property values")
        for name, value in props.items():
            ident = f"{namespace}.{name}"
            config = configs.get((namespace, name))
            if config is None:
                raise validation(f"Property {ident} is not configured")
            if location not in config.locations:
                raise validation(f"Property {ident} cannot be set on a {location}")
            if not server and not config.can(location, user_type, "write"):
                raise validation(
                    f"Property {ident} is not writable by a {user_type} on a {location}"
                )
            problem = check_value(config, value)
            if problem:
                raise validation(problem)
            out.setdefault(namespace, {})[name] = value
    return out


def readable(
    configs: dict[tuple[str, str], PropertyConfig],
    location: str,
    user_type: str,
    stored: dict[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """The part of stored properties a user type may read at a location."""
    out: dict[str, dict[str, Any]] = {}
    for namespace, props in stored.items():
        for name, value in props.items():
            config = configs.get((namespace, name))
            if config is None or config.can(location, user_type, "read"):
                out.setdefault(namespace, {})[name] = value
    return out


def merge(current: dict[str, dict[str, Any]], updates: dict[str, dict[str, Any]]) -> dict:
    merged = {ns: dict(props) for ns, props in current.items()}
    for ns, props in updates.items():
        merged.setdefault(ns, {}).update(props)
    return merged


def filter_clauses(tx: Tx, license_id: int, filters: Any) -> list[Any]:
    """WHERE clauses on chats for `filters.properties.<ns>.<name>.<filter_type>`.

    `filters` maps namespace -> name -> a struct with one of exists / values /
    exclude_values. A `tokenized_string` matches per token, case-insensitively.
    """
    import sqlalchemy as sa

    from chatplane.storage import schema as s

    configs = load_configs(tx, license_id)
    clauses: list[Any] = []
    for namespace, names in filters.items():
        for name, flt in names.items():
            ident = f"filters.properties.{namespace}.{name}"
            config = configs.get((namespace, name))
            if config is None:
                raise validation(f"{ident}: property {namespace}.{name} is not configured")
            given = [
                k for k in ("exists", "values", "exclude_values") if getattr(flt, k) is not None
            ]
            if len(given) != 1:
                raise validation(f"{ident} needs exactly one of exists, values, exclude_values")
            column = s.chats.c.properties[namespace][name]
            kind = given[0]
            if kind == "exists":
                present: Any
                if tx.dialect == "sqlite":
                    path = f'$."{namespace}"."{name}"'
                    present = sa.func.json_type(s.chats.c.properties, path).is_not(None)
                else:
                    present = s.chats.c.properties[namespace].op("?")(name)
                clauses.append(present if flt.exists else sa.not_(present))
                continue
            values = list(getattr(flt, kind))
            for v in values:
                problem = (
                    check_value(config, v)
                    if config.type != "tokenized_string"
                    else (None if isinstance(v, str) else f"{ident} values must be strings")
                )
                if problem and "domain" not in problem and "range" not in problem:
                    raise validation(f"{ident}: {problem}")
            if config.type == "int":
                typed = column.as_integer()
            elif config.type == "bool":
                typed = column.as_boolean()
            else:
                typed = column.as_string()
            if config.type == "tokenized_string":
                match = sa.or_(*(sa.func.lower(typed).contains(str(v).lower()) for v in values))
            else:
                match = typed.in_(values)
            clauses.append(match if kind == "values" else sa.or_(typed.is_(None), sa.not_(match)))
    return clauses
