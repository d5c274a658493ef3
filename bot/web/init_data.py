"""Telegram Mini App init data: who opened the page, as Telegram signed it.

The page gets `initData` from Telegram (a query string) and sends it with every request. It is
signed with the bot's token: secret = HMAC-SHA256(key="WebAppData", msg=token), hash = hex
HMAC-SHA256(key=secret, msg=data-check-string), where the data-check-string is every field
but `hash`, as `key=value`, sorted by key, joined by newlines (Telegram's "Validating data
received via the Mini App"). A forged, altered or old one is refused; nothing else (no cookie,
no session) identifies a user. No HTTP here, so the check is tested on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode

MAX_INIT_DATA_CHARS = 8192  # Telegram's is well under 1 KB
FUTURE_SKEW_S = 300  # clocks differ; an auth_date further ahead than this is not believed


class Refusal(StrEnum):
    MISSING = "missing"
    MALFORMED = "malformed"
    FORGED = "forged"
    EXPIRED = "expired"


class InitDataRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(str(reason))
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    """The user Telegram vouches for, and their app's language (for the page's words)."""

    id: int
    language_code: str | None
    auth_date: int


def _secret(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def _fields(init_data: str) -> dict[str, str]:
    if len(init_data) > MAX_INIT_DATA_CHARS:
        raise InitDataRefused(Refusal.MALFORMED)
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRefused(Refusal.MALFORMED) from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a key given twice: which one was signed?
        raise InitDataRefused(Refusal.MALFORMED)
    return fields


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash").encode()


def sign(token: str, fields: dict[str, str]) -> str:
    """`fields` as init data signed with `token`, as Telegram makes it (for tests and the
    benchmark, which play Telegram)."""
    digest = hmac.new(_secret(token), _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def language_hint(init_data: str) -> str | None:
    """The language the init data names, unverified: only to word a refusal of it."""
    try:
        user = json.loads(_fields(init_data).get("user", "{}"))
    except (InitDataRefused, ValueError):
        return None
    code = user.get("language_code") if isinstance(user, dict) else None
    return code if isinstance(code, str) else None


def verify(
    init_data: str | None, token: str, *, max_age_s: float, now: float | None = None
) -> WebAppUser:
    """The user of genuine, fresh init data; InitDataRefused otherwise (the reason is for
    the log; every refusal looks the same to the page)."""
    if not init_data:
        raise InitDataRefused(Refusal.MISSING)
    fields = _fields(init_data)
    given = fields.get("hash", "")
    expected = hmac.new(_secret(token), _check_string(fields), hashlib.sha256).hexdigest()
    # Bytes: compare_digest refuses non-ASCII str with a TypeError.
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InitDataRefused(Refusal.FORGED)
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError):
        raise InitDataRefused(Refusal.MALFORMED) from None
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise InitDataRefused(Refusal.MALFORMED)
    moment = time.time() if now is None else now
    if not moment - max_age_s <= auth_date <= moment + FUTURE_SKEW_S:
        raise InitDataRefused(Refusal.EXPIRED)
    language = user.get("language_code")
    return WebAppUser(user_id, language if isinstance(language, str) else None, auth_date)
