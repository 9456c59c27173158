"""What a version of the chat APIs owns at the transport: its URL prefix, its Web API
envelope, how a customer's license is named, how a bot is named, its error types and its
RTM frames.

The shapes of objects and pushes are the version folder's own (api/v3_0, api/v3_6,
api/v3_5); the app wires each version's actions, push renderer and webhook format
(chatplane/app.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from chatplane.errors import ApiError


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
    # v3.x lists error types of its own (`not_found`, `chat_inactive`, `missing_access`,
    # `agent_offline`) where v3.0 answers `validation` or `authorization`.
    precise_errors: bool = False
    # v3.3 and later: an RTM request may name a (higher) version to be served in, and
    # every push names the version it is shaped in.
    versioned_frames: bool = False

    @property
    def prefix(self) -> str:
        return f"/v{self.name}"

    def answer(self, err: ApiError) -> ApiError:
        """The error as this version names it (v3.0: unchanged)."""
        if not self.precise_errors or err.kind is None:
            return err
        return ApiError(err.kind, err.message, data=err.data)

    def number(self) -> tuple[int, ...]:
        """The version as numbers, for comparing (3.5 < 3.6)."""
        return tuple(int(part) for part in self.name.split("."))
