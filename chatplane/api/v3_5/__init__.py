"""The v3.5 APIs (Agent Chat, Customer Chat, Configuration): only what differs from v3.6
(api/v3_6), per its changelog."""
