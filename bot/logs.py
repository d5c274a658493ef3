"""Logging set-up that keeps the bot token out of every log line.

httpx logs each request URL at INFO, and Bot API URLs contain the token; we silence httpx
below WARNING and also redact the token from every record as a second line of defence.
"""

from __future__ import annotations

import logging
import re

_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactTokenFilter(logging.Filter):
    """Replaces the token (and anything shaped like a bot token) with a placeholder."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def _redact(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "<token>")
        return _TOKEN_SHAPE.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str, token: str) -> None:
    """One line per event: time, level, logger, message (key=value pairs in the message)."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    handler.addFilter(RedactTokenFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
