"""v3.5's shapes: v3.6's, but a customer's last visit is `last_visit` (v3.6 renamed it
`visit`)."""

from __future__ import annotations

from chatplane.api.v3_6.serialize import Shapes


class Shapes35(Shapes):
    visit_key = "last_visit"


SHAPES = Shapes35()
