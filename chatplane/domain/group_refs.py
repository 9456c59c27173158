"""Groups named by a request: they must exist (`group_not_found`, Configuration API v3.x).

Apart from domain/groups.py so that the chat rules (auto access on a new chat) can check
group ids without importing routing.
"""

from __future__ import annotations

from chatplane.errors import ApiError
from chatplane.storage import Tx
from chatplane.storage import groups as repo


def check_exist(tx: Tx, license_id: int, group_ids: list[int]) -> None:
    """`group_not_found` naming the first of `group_ids` the license does not have."""
    if not group_ids:
        return
    missing = sorted(set(group_ids) - repo.existing_ids(tx.conn, license_id, group_ids))
    if missing:
        raise ApiError("group_not_found", f"Group {missing[0]} not found", status=404)
