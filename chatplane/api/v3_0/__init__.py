"""LiveChat Platform v3.0: request structs, serializers, handlers and pushes."""
