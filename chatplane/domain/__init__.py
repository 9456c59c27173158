"""The domain: chats, threads, events, users, access and properties, with no wire format."""
