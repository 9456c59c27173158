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
    (started by the app's lifespan) look for work after each commit that wrote some."""
    from chatplane.api.v3_0.serialize import View
    from chatplane.webhooks.delivery import DeliveryWorker
    from chatplane.webhooks.outbox import Outbox

    settings = services.settings

    def view_for(license_id: int, user_type: str) -> View:
        # Not services.view_for: whether an agent is connected to *this* process (which
        # decides `routing_status` in pushes) must not make webhook bodies differ.
        return View(user_type=user_type, configs=services.configs(license_id))

    outbox = Outbox(view_for, lambda: settings.webhook_retry_for)
    services.store.add_tx_hook(outbox)
    worker = DeliveryWorker(services.store, settings, written=lambda: outbox.written)
    services.bus.subscribe(worker.on_changes)
    return worker
