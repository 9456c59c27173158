"""The bus carries committed domain changes to whoever reacts to them (pushes, webhooks).

One process: `LocalBus` calls subscribers directly. Many processes: a Redis bus (issue 7)
publishes the changes so that every process's subscribers see them.
"""

from chatplane.bus.local import LocalBus, Origin, Subscriber

__all__ = ["LocalBus", "Origin", "Subscriber"]
