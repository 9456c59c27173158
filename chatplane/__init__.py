"""Chatplane: a self-hosted chat platform server speaking the LiveChat Platform v3.0 APIs."""

__version__ = "0.1.0"
