"""What every route of the server shares: bounded bodies, JSON answers, security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The page's scripts and styles are its own files; Telegram's script is the one other thing it
# loads; images are the API's, shown as blob: URLs. No inline script or style, no plugins,
# nothing posted elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; "
    "img-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'"
)


class TooLarge(Exception):
    """A body over its route's bound (refused from its declared length, or as it grows)."""


async def read_bounded(request: web.Request, limit: int) -> bytes:
    """The whole body, never more than `limit` bytes of it in memory (TooLarge beyond)."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def refused(status: int, error: str, message: str = "", **extra: Any) -> web.Response:
    """A JSON refusal for the page: a code it can act on and a sentence it can show. The
    connection is closed after it, so a body not read is never waited for."""
    response = web.json_response({"error": error, "message": message, **extra}, status=status)
    response.force_close()
    return response


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
