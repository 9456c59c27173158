"""The Agent Chat API v3.5: only what differs from v3.6 (api/v3_6), per its changelog."""
