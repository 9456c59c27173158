"""Applications (client ids) of a license, as the Configuration API v3.x names them:
`owner_client_id` says which application owns a bot, a property, a webhook."""

from __future__ import annotations

from chatplane.domain.models import Principal
from chatplane.errors import validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo


def owner_application(tx: Tx, caller: Principal, owner_client_id: str | None) -> str:
    """The application that owns what the caller configures: `owner_client_id` when given
    (it must be an application of the caller's license), else the token's own."""
    client_id = owner_client_id or caller.client_id
    app = accounts_repo.get_application(tx.conn, client_id)
    if app is None or app.license_id != caller.license_id:
        raise validation(f"owner_client_id {client_id!r} is not an application of this license")
    return client_id
