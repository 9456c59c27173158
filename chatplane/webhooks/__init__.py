"""Webhooks: what triggers them (actions), the durable outbox written with each change,
the delivery worker, request signing, and the operators' view of delivery state.

The app wires them (chatplane/app.py): the outbox as a transaction hook with each API
version's webhook format, the worker as a bus subscriber.
"""
