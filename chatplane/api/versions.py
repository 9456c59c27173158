"""What a version of the chat APIs owns at the transport: its URL prefix, its Web API
envelope, how a customer's license is named, and how a bot is named.

The shapes of objects and pushes are the version folder's own (api/v3_0, api/v3_6,
api/v3_5); the app wires each version's actions, push renderer and webhook format
(chatplane/app.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WireVersion:
    name: str  # "3.0", "3.5", "3.6"
    # v3.0: the Web API request body is `{"payload": {...}, "author_id": "..."}` and the
    # response body has the payload's fields and `payload` (api/web.py enveloped_body);
    # v3.x: both bodies are the payload itself.
    enveloped: bool
    # Query parameters that name a customer's license, in the order looked at.
    license_params: tuple[str, ...]
    # A header naming the bot agent an application's token acts as (v3.5's X-Author-Id).
    author_header: str | None = None

    @property
    def prefix(self) -> str:
        return f"/v{self.name}"
