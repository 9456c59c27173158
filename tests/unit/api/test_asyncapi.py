"""The AsyncAPI generator: every change type has a sample, and schemas are inferred and
merged the way the document promises."""

from __future__ import annotations

from chatplane.api import asyncapi, push_samples
from chatplane.api.v3_0 import pushes
from chatplane.domain import changes as ch

# Bases that are never emitted themselves.
ABSTRACT = {ch.Change, ch.ChatChange, ch.CustomerChange, ch.ConfigurationChange}


def _subclasses(cls: type) -> set[type]:
    out: set[type] = set()
    for sub in cls.__subclasses__():
        out |= {sub, *_subclasses(sub)}
    return out


def test_every_change_type_has_a_sample() -> None:
    sampled = {type(c) for c in push_samples.samples()}
    missing = sorted(c.__name__ for c in _subclasses(ch.Change) - ABSTRACT - sampled)
    assert not missing, f"add a sample of each to chatplane/api/push_samples.py: {missing}"


def test_the_v3_0_pushes_of_the_samples_reach_agents_and_customers_as_fan_out_decides() -> None:
    found = asyncapi.pushes_of({"3.0": pushes.render}, "3.0")
    # Customers never hear of a new customer, statuses or sneak peeks; agents never of the
    # customer's side storage.
    assert "customer_created" in found["agent"]
    assert "customer_created" not in found["customer"]
    assert "agent_updated" not in found["customer"]
    assert "incoming_sneak_peek" not in found["customer"]
    assert "customer_side_storage_updated" not in found["agent"]
    assert "customer_side_storage_updated" in found["customer"]
    assert "agent_disconnected" in found["agent"]
    assert "customer_disconnected" in found["customer"]


def test_infer_and_merge() -> None:
    a = asyncapi.infer({"id": "x", "n": 1, "tags": ["a"]})
    assert a == {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "n": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["id", "n", "tags"],
    }
    b = asyncapi.infer({"id": "y", "extra": None})
    merged = asyncapi.merge(a, b)
    assert merged["required"] == ["id"]
    assert set(merged["properties"]) == {"id", "n", "tags", "extra"}
    assert asyncapi.merge({"type": "string"}, {"type": "integer"}) == {
        "oneOf": [{"type": "string"}, {"type": "integer"}]
    }


def test_discriminators_take_the_asyncapi_form() -> None:
    schema = {"anyOf": [{"discriminator": {"propertyName": "type", "mapping": {}}}]}
    assert asyncapi.asyncapi_schema(schema) == {"anyOf": [{"discriminator": "type"}]}
