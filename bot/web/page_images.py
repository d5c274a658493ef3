"""A note's page as the editor shows it: the very pixels its line boxes refer to, cached on disk.

Line boxes are in the pixels of the image the OCR engine read: the photo with its EXIF rotation
applied and its longest side brought down to 2560 (`prepare_for_ocr`). The page gets that image
(as JPEG), so the outlines fit without scaling on either side. Photos stay with Telegram: a page
is downloaded by its file_id the first time it is shown, prepared in a thread, and kept as a
file in a folder bounded in size (least recently used files go first), so the bot never holds
more than the few pages being prepared in memory, and a page shown again costs a disk read.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import os
import tempfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.ocr.images.intake import ImageRejected, inspect_image, prepare_for_ocr

log = logging.getLogger(__name__)

JPEG_QUALITY = 85
PREPARING_AT_ONCE = 2  # a 40 MP photo takes ~120 MB while it is decoded

Fetch = Callable[[str], Awaitable[bytes]]  # the photo by file_id; PageUnavailable if it can't


class PageUnavailable(Exception):
    """The photo can't be had or read now (Telegram's answer, or the image itself)."""


def render_page(data: bytes, *, max_pixels: int) -> bytes:
    """The OCR engine's view of a photo, as JPEG (ImageRejected if it can't be decoded)."""
    inspect_image(data, max_pixels=max_pixels)
    image = prepare_for_ocr(data)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


class PageImages:
    """Prepared pages by file_id, in `folder`, at most `max_bytes` of them."""

    def __init__(self, folder: Path, max_bytes: int, fetch: Fetch, *, max_pixels: int) -> None:
        self._folder = folder
        self._max_bytes = max_bytes
        self._fetch = fetch
        self._max_pixels = max_pixels
        self._sizes: OrderedDict[str, int] = OrderedDict()  # file name -> bytes, oldest first
        self._total = 0
        self._preparing: dict[str, asyncio.Future[bytes]] = {}
        self._slots = asyncio.Semaphore(PREPARING_AT_ONCE)
        self._opened = False

    @property
    def cached_bytes(self) -> int:
        return self._total

    async def open(self) -> None:
        """Take stock of what an earlier run left in the folder (least recently used first)."""
        entries = await asyncio.to_thread(self._scan)
        for name, size in entries:
            self._sizes[name] = size
            self._total += size
        self._opened = True
        await asyncio.to_thread(self._unlink, self._victims(None))

    def _scan(self) -> list[tuple[str, int]]:
        self._folder.mkdir(parents=True, exist_ok=True)
        found = []
        for entry in os.scandir(self._folder):
            if entry.is_file() and entry.name.endswith(".jpg"):
                stat = entry.stat()
                found.append((stat.st_mtime, entry.name, stat.st_size))
            elif entry.is_file() and entry.name.endswith(".part"):  # a write a crash cut short
                os.unlink(entry.path)
        return [(name, size) for _, name, size in sorted(found)]

    @staticmethod
    def _name(file_id: str) -> str:
        return hashlib.sha256(file_id.encode()).hexdigest()[:40] + ".jpg"

    async def get(self, file_id: str) -> bytes:
        """The prepared page (downloaded and prepared on first use). Whatever `fetch` or the
        image raises reaches the caller; nothing is cached then."""
        if not self._opened:
            await self.open()
        name = self._name(file_id)
        if name in self._sizes:
            self._sizes.move_to_end(name)
            try:
                return await asyncio.to_thread(self._read, self._folder / name)
            except FileNotFoundError:  # removed behind our back: prepare it again
                self._forget(name)
        pending = self._preparing.get(name)
        if pending is None:  # the first to ask prepares it; others asking meanwhile wait
            pending = asyncio.ensure_future(self._prepare(file_id, name))
            self._preparing[name] = pending
            pending.add_done_callback(lambda _: self._preparing.pop(name, None))
        return await asyncio.shield(pending)

    @staticmethod
    def _read(path: Path) -> bytes:
        os.utime(path)  # recently used: kept longest, also across restarts
        return path.read_bytes()

    async def _prepare(self, file_id: str, name: str) -> bytes:
        original = await self._fetch(file_id)
        async with self._slots:
            try:
                jpeg = await asyncio.to_thread(render_page, original, max_pixels=self._max_pixels)
            except ImageRejected as rejected:
                raise PageUnavailable(str(rejected)) from None
        del original
        try:
            await asyncio.to_thread(self._write, name, jpeg)
        except OSError as error:  # a full or read-only disk: shown all the same, not kept
            log.warning("event=page_cache_write_failed error=%s", error)
            return jpeg
        self._sizes[name] = len(jpeg)
        self._total += len(jpeg)
        await asyncio.to_thread(self._unlink, self._victims(name))
        log.info("event=page_cached bytes=%d cached_bytes=%d", len(jpeg), self._total)
        return jpeg

    def _write(self, name: str, data: bytes) -> Path:
        self._folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self._folder, suffix=".part", delete=False) as out:
            out.write(data)
        target = self._folder / name
        os.replace(out.name, target)  # whole or not at all, also for a reader
        return target

    def _forget(self, name: str) -> None:
        self._total -= self._sizes.pop(name, 0)

    def _victims(self, keep: str | None) -> list[str]:
        """The least recently used pages that bring the folder within its bound, forgotten
        here (on the event loop) and deleted by the caller; never `keep`, the page just added
        (one page larger than the bound is still served)."""
        victims = []
        for name in list(self._sizes):
            if self._total <= self._max_bytes:
                break
            if name != keep:
                self._forget(name)
                victims.append(name)
        return victims

    def _unlink(self, names: list[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._folder / name)
