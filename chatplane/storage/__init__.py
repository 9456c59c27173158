"""Storage: the schema, migrations and the Store that runs units of work on an engine."""

from chatplane.storage.store import Store, Tx

__all__ = ["Store", "Tx"]
