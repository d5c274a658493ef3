"""The bot's one HTTP server (aiohttp): the Mini App (page, static files, JSON API, page
images) under WEBAPP_URL's path, `/healthz`, `/metrics` and, in webhook mode, the webhook.

It runs inside the bot's process and event loop, so the editor reads and writes the same
storage as the handlers; what only the bot can do (download a photo, answer in the chat, say
whether updates still arrive) it is handed (`BotSide`, `UpdateSink`).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from bot.config import Settings
from bot.domain.i18n import Catalogs
from bot.ocr.backends.base import OcrBackend
from bot.storage import Storage
from bot.storage.editor import Saved
from bot.web.editor_api import EditorApi
from bot.web.health import check_health
from bot.web.http import security_headers
from bot.web.page_images import PageImages
from bot.web.webhook import UpdateSink, webhook_handler

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
# At a stop, requests being handled (a webhook update, a save) get this long to finish; an
# update not answered by then is posted again by Telegram after the restart.
SHUTDOWN_TIMEOUT_S = 5.0
STATIC_FILES = {"app.js": "text/javascript", "app.css": "text/css"}


class CannotServe(Exception):
    """The server can't start (the port is taken, the cache folder unusable): one line for the
    operator."""


class BotSide(Protocol):
    """What the server needs from the bot."""

    async def fetch_file(self, file_id: str) -> bytes:
        """A photo's bytes by its file_id (PageUnavailable when Telegram can't give it)."""

    async def after_save(self, saved: Saved) -> None:
        """The chat's side of an editor save: close the prompts it settled, send the note."""


@dataclass(frozen=True)
class Webhook:
    path: str  # e.g. "/hook"
    secret: str
    sink: UpdateSink


def editor_prefix(webapp_url: str) -> str:
    """The path the page lives under, from its public URL ('/' or '/notes/...')."""
    return urlsplit(webapp_url).path or "/"


class WebServer:
    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        ocr: OcrBackend,
        catalogs: Catalogs,
        bot: BotSide,
        updates_alive: Callable[[], bool],
        webhook: Webhook | None = None,
    ) -> None:
        self._settings = settings
        self._storage = storage
        self._ocr = ocr
        self._updates_alive = updates_alive
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.pages = PageImages(
            settings.webapp_cache_dir,
            int(settings.webapp_cache_mb * 1024 * 1024),
            bot.fetch_file,
            max_pixels=settings.max_image_pixels,
        )
        self.editor = EditorApi(settings, storage, catalogs, self.pages, bot.after_save)
        self._webhook = webhook

    def application(self) -> web.Application:
        app = web.Application(middlewares=[security_headers])
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        if self._webhook is not None:
            handler = webhook_handler(self._webhook.secret, self._webhook.sink)
            app.router.add_post(self._webhook.path, handler)
            if self._webhook.path != "/":
                app.router.add_post(self._webhook.path.rstrip("/") + "/", handler)
        if self._settings.webapp_url:
            prefix = editor_prefix(self._settings.webapp_url)
            if prefix != "/":
                app.router.add_get(prefix.rstrip("/"), self._to_page)
            app.router.add_get(prefix, self._page)
            app.router.add_get(prefix + "static/{name}", self._static)
            app.router.add_routes(self.editor.routes(prefix))
        return app

    async def start(self) -> None:
        """Listen on WEBAPP_LISTEN:WEBAPP_PORT (port 0: any free one, then in `port`)."""
        if self._settings.webapp_url:
            try:
                await self.pages.open()
            except OSError as error:
                folder = self._settings.webapp_cache_dir
                raise CannotServe(f"WEBAPP_CACHE_DIR={folder} can't be used: {error}") from None
        # lingering_time=0: a body the handler did not read (a refusal) is never waited for.
        runner = web.AppRunner(
            self.application(),
            access_log=None,
            lingering_time=0,
            shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        )
        await runner.setup()
        host, port = self._settings.http_listen, self._settings.http_port
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        # IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets (no Nagle delays).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError as error:
            sock.close()
            await runner.cleanup()
            raise CannotServe(
                f"cannot listen on {host}:{port} (WEBAPP_LISTEN/WEBAPP_PORT): {error}"
            ) from None
        await web.SockSite(runner, sock).start()
        self._runner = runner
        self.port = sock.getsockname()[1]
        log.info("event=http_listening listen=%s port=%d", host, self.port)

    async def stop(self, grace_s: float) -> None:
        await self.editor.close(grace_s)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # --- routes ---

    async def _healthz(self, request: web.Request) -> web.StreamResponse:
        health = await check_health(self._updates_alive, self._storage, self._ocr)
        status = 200 if health.ok else 503
        return web.json_response({"ok": health.ok, "checks": health.checks}, status=status)

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        response = web.Response(body=generate_latest(REGISTRY))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def _to_page(self, request: web.Request) -> web.StreamResponse:
        query = f"?{request.query_string}" if request.query_string else ""
        raise web.HTTPPermanentRedirect(f"{request.path}/{query}")

    async def _page(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        headers = {"Cache-Control": "no-cache", "Content-Type": STATIC_FILES[name]}
        return web.FileResponse(STATIC / name, headers=headers)
