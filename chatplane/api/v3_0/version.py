"""v3.0 at the transport: `/v3.0/...`, the `{"payload": ..., "author_id": ...}` envelope,
the customer's license as `license_id`."""

from chatplane.api.versions import WireVersion

VERSION = WireVersion("3.0", enveloped=True, license_params=("license_id",))
