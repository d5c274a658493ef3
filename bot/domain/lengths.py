"""How long a text is as Telegram counts it, and how it is shortened to fit.

Telegram counts every limit (a message's 4,096, a caption's 1,024, entity offsets) in UTF-16
code units: most characters count 1, an emoji or another character beyond the Basic
Multilingual Plane counts 2. Every length the bot checks or fits goes through here, so a text
that passes a check is never refused by Telegram for its length.
"""

from __future__ import annotations

ELLIPSIS = "…"  # one unit: what a shortened text ends with, so the cut is visible


def telegram_length(text: str) -> int:
    """The length of `text` in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def prefix_within(text: str, units: int) -> str:
    """The longest start of `text` at most `units` long (a character is never split)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1  # beyond the BMP: a surrogate pair
        if used > units:
            return text[:index]
    return text


def shorten(text: str, limit: int) -> str:
    """`text` if it is at most `limit` units long; else its start and "…", `limit` at most."""
    if telegram_length(text) <= limit:
        return text
    return prefix_within(text, limit - 1).rstrip() + ELLIPSIS
