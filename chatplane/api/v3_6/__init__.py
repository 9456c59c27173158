"""The v3.6 APIs (Agent Chat, Customer Chat, Configuration): structs, serializers, pushes
and handlers over the domain (v3.5 is a delta on these, api/v3_5)."""
