"""The Agent Chat API v3.6: structs, serializers, pushes and handlers over the domain."""
