"""Page images for the editor: the OCR engine's pixels, cached on disk with a bound."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from bot.ocr.images.intake import prepare_for_ocr
from bot.web.page_images import PageImages, PageUnavailable
from tests.support.images import render_note

pytestmark = pytest.mark.asyncio


class Photos:
    """Photos by file_id, as Telegram keeps them, counting downloads (what `fetch` does for
    the bot: here the files are rendered by the test)."""

    def __init__(self, photos: dict[str, bytes]) -> None:
        self.photos = photos
        self.fetched: list[str] = []

    async def fetch(self, file_id: str) -> bytes:
        self.fetched.append(file_id)
        await asyncio.sleep(0.01)
        if file_id not in self.photos:
            raise PageUnavailable("no such file")
        return self.photos[file_id]


def phone_photo() -> bytes:
    """A 4000×3000 photo taken with the phone turned (EXIF orientation 6: rotate 90°)."""
    image = Image.open(io.BytesIO(render_note(["Sideways"], width=4000, size=200)))
    image = image.resize((4000, 3000))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def test_a_page_is_what_the_engine_read_rotated_and_downscaled(tmp_path):
    photo = phone_photo()
    pages = PageImages(tmp_path, 50 * 2**20, Photos({"f": photo}).fetch, max_pixels=40_000_000)
    served = Image.open(io.BytesIO(await pages.get("f")))
    assert served.size == prepare_for_ocr(photo).size == (1920, 2560)
    assert served.format == "JPEG"


async def test_least_recently_used_pages_go_first_and_the_cache_outlives_a_restart(tmp_path):
    photos = Photos({name: render_note([f"Page {name}"] * 12, fmt="JPEG") for name in "abcd"})
    one_page = len(
        await PageImages(tmp_path / "probe", 2**30, photos.fetch, max_pixels=10**8).get("a")
    )
    photos.fetched.clear()
    bound = int(one_page * 2.5)  # room for two pages
    pages = PageImages(tmp_path / "cache", bound, photos.fetch, max_pixels=10**8)
    first = await pages.get("a")
    await pages.get("b")
    assert await pages.get("a") == first  # a is now the most recently used
    await pages.get("c")  # over the bound: b goes
    assert pages.cached_bytes <= bound
    assert len(list((tmp_path / "cache").glob("*.jpg"))) == 2
    await pages.get("a")
    await pages.get("b")
    assert photos.fetched == ["a", "b", "c", "b"]
    again = PageImages(tmp_path / "cache", bound, photos.fetch, max_pixels=10**8)
    await again.get("b")
    await again.get("a")
    assert photos.fetched == ["a", "b", "c", "b"]  # both came from disk


async def test_one_download_however_many_ask_and_nothing_cached_on_failure(tmp_path):
    photos = Photos({"a": render_note(["Once"], fmt="JPEG"), "bad": b"not an image"})
    pages = PageImages(tmp_path, 2**30, photos.fetch, max_pixels=10**8)
    results = await asyncio.gather(*(pages.get("a") for _ in range(5)))
    assert len(set(results)) == 1
    assert photos.fetched == ["a"]
    for file_id in ("bad", "missing"):
        with pytest.raises(PageUnavailable):
            await pages.get(file_id)
    assert len(list(tmp_path.glob("*"))) == 1
