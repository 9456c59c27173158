"""Chatplane benchmark suite (issue 8).

Run everything with ``python -m bench`` (``--quick`` for the CI smoke run). Each scenario starts
its own ``chatplane serve`` on a free loopback port with a temporary data dir, drives it over
real sockets from this one process (asyncio, uvloop when available), and writes its figures to
``bench/results/``. See ``docs/performance.md`` for the method and the latest figures.
"""
