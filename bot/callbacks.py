"""Signed inline-button data.

Telegram hands callback data back verbatim, so a client can send any 64 bytes it likes. Each
button we create carries an HMAC over (version, kind, fields, user id): data forged, altered or
replayed by another user fails the check before any lookup, and storage still scopes every
query by owner as a second wall.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

VERSION = "v1"
MAX_CALLBACK_BYTES = 64
_SIG_CHARS = 16  # 96 bits of HMAC-SHA256, base64url


class InvalidCallback(ValueError):
    """Callback data we did not issue to this user (or from an older, unsupported version)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "malformed", "outdated" or "forged"


class CallbackSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(f"callback-signing:{secret}".encode()).digest()

    def _signature(self, user_id: int, payload: str) -> str:
        mac = hmac.new(self._key, f"{user_id}|{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode()[:_SIG_CHARS]

    def encode(self, user_id: int, kind: str, *fields: str | int) -> str:
        parts = [VERSION, kind, *map(str, fields)]
        if any(":" in part for part in parts):
            raise ValueError("callback fields must not contain ':'")
        payload = ":".join(parts)
        data = f"{payload}:{self._signature(user_id, payload)}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    def decode(self, user_id: int, data: str | None) -> tuple[str, list[str]]:
        """Return (kind, fields) or raise InvalidCallback."""
        if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
            raise InvalidCallback("malformed")
        payload, _, signature = data.rpartition(":")
        parts = payload.split(":")
        if len(parts) < 2 or not signature:
            raise InvalidCallback("malformed")
        if parts[0] != VERSION:
            raise InvalidCallback("outdated")
        if not hmac.compare_digest(signature, self._signature(user_id, payload)):
            raise InvalidCallback("forged")
        return parts[1], parts[2:]
