"""v3.5 at the transport: v3.6's rules, and bots named by the `X-Author-Id` header (v3.6
removed it: bots have tokens of their own there)."""

from dataclasses import replace

from chatplane.api.v3_6.version import VERSION as V3_6

VERSION = replace(V3_6, name="3.5", author_header="X-Author-Id")
