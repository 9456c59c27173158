"""v3.5's shapes: v3.6's, but a customer's last visit is `last_visit` (v3.6 renamed it
`visit`), and no deleted events (v3.6 added them)."""

from __future__ import annotations

from chatplane.api.v3_6.serialize import Shapes


class Shapes35(Shapes):
    visit_key = "last_visit"
    # v3.6 added deleted events: v3.5 reads leave them out, as v3.0's do.
    shows_deleted = False


SHAPES = Shapes35()
