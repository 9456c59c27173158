"""The wire: transports, the action dispatcher, and per-version request/response shapes."""
