"""Webhooks: what triggers them (actions), the durable outbox written with each change,
the delivery worker, request signing, and the operators' view of delivery state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatplane.services import Services
    from chatplane.webhooks.delivery import DeliveryWorker


def install(services: Services) -> DeliveryWorker:
    """Write the outbox in every transaction that changes something, and make the worker
    (started by the app's lifespan) look for work after each commit."""
    from chatplane.webhooks.delivery import DeliveryWorker
    from chatplane.webhooks.outbox import Outbox

    settings = services.settings
    services.store.add_tx_hook(Outbox(services.view_for, lambda: settings.webhook_retry_for))
    worker = DeliveryWorker(services.store, settings)
    services.bus.subscribe(worker.on_changes)
    return worker
