"""v3.6 at the transport: `/v3.6/...`, the payload as the whole Web API body, a customer's
license named by `organization_id` (or `license_id`), its own error types, and RTM frames
that name their version."""

from chatplane.api.versions import WireVersion

VERSION = WireVersion(
    "3.6",
    enveloped=False,
    license_params=("organization_id", "license_id"),
    precise_errors=True,
    versioned_frames=True,
)
