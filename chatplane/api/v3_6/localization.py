"""The phrases a chat widget shows (Customer Chat API `get_localization`), in the one
language Chatplane has them in, English.

The keys are those the reference's sample shows and those a widget needs to talk to a
customer; `Welcome_message` is the text of the welcome message (`request_welcome_message`).
"""

from __future__ import annotations

import hashlib
import json

LANGUAGE = "en"

PHRASES: dict[str, dict[str, str]] = {
    LANGUAGE: {
        "Agents_currently_not_available": "Our agents are not available at the moment.",
        "Agents_not_available": "Our agents are not available at the moment.",
        "Agents_not_available_continuous": (
            "Our agents are not available right now, but you can still send messages. "
            "We'll notify you at your email address when you get a reply."
        ),
        "Chat_now": "Chat now",
        "Chat_closed": "The chat has been closed.",
        "Leave_message": "Leave a message",
        "Minimize_window": "Minimize window",
        "New_message": "New message",
        "Send": "Send",
        "Start_chat": "Start the chat",
        "Type_message": "Write a message…",
        "Welcome_message": "Welcome! How can I help you today?",
        "Welcome_title": "Chat with us",
    }
}


def phrase(key: str, language: str = LANGUAGE) -> str:
    return PHRASES.get(language, PHRASES[LANGUAGE])[key]


def version(language: str = LANGUAGE) -> str:
    """The version of a language's phrases: it changes when the phrases do."""
    text = json.dumps(PHRASES[language], sort_keys=True).encode()
    return hashlib.sha256(text).hexdigest()[:32]
