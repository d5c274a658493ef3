"""Image checks refuse bad input with a reason before any OCR work."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.domain import messages
from bot.domain.i18n import ENGLISH as EN
from bot.domain.models import ImageFlaw
from bot.ocr.images.intake import ImageRejected, inspect_image, normalize_for_ocr, prepare_for_ocr
from tests.support.images import render_note

LIMIT = 40_000_000


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF"])
def test_accepts_still_images(fmt: str) -> None:
    info = inspect_image(render_note(["Hello"], fmt=fmt), max_pixels=LIMIT)
    assert (info.width, info.height) == (1200, 140)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", ImageFlaw.EMPTY),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", ImageFlaw.NOT_AN_IMAGE),
        (b"PK\x03\x04" + b"\x00" * 100, ImageFlaw.NOT_AN_IMAGE),
        (b"just some text\n", ImageFlaw.NOT_AN_IMAGE),
    ],
)
def test_refuses_non_images(data: bytes, reason: ImageFlaw) -> None:
    with pytest.raises(ImageRejected) as refused:
        inspect_image(data, max_pixels=LIMIT)
    assert refused.value.flaw is reason


def test_every_flaw_is_worded_for_the_user() -> None:
    for flaw in ImageFlaw:
        text = messages.image_flaw(EN, flaw, "640×480")
        assert text.endswith((".", "?")), flaw
    assert "640×480" in messages.image_flaw(EN, ImageFlaw.TOO_LARGE, "640×480")


def test_refuses_absurd_dimensions_from_the_header_alone() -> None:
    # A 1-bit 30000x30000 PNG compresses to a few kB but would decode to 900 megapixels.
    bomb = encode(Image.new("1", (30_000, 30_000)), "PNG")
    assert len(bomb) < 200_000
    with pytest.raises(ImageRejected) as refused:
        inspect_image(bomb, max_pixels=LIMIT)
    assert refused.value.flaw is ImageFlaw.BOMB  # Pillow's own bomb check, from the header


def test_refuses_images_over_the_configured_pixels() -> None:
    with pytest.raises(ImageRejected) as refused:
        inspect_image(render_note(["Hello"]), max_pixels=1200 * 140 - 1)
    assert refused.value.flaw is ImageFlaw.TOO_LARGE


def test_refuses_animation() -> None:
    frames = [Image.new("RGB", (64, 64), color) for color in ("white", "black")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(ImageRejected) as refused:
        inspect_image(data, max_pixels=LIMIT)
    assert refused.value.flaw is ImageFlaw.ANIMATED


def test_refuses_tiny_images() -> None:
    with pytest.raises(ImageRejected) as refused:
        inspect_image(encode(Image.new("RGB", (4, 4)), "PNG"), max_pixels=LIMIT)
    assert refused.value.flaw is ImageFlaw.TOO_SMALL


def test_truncated_body_is_rejected_when_normalizing() -> None:
    data = render_note(["Hello", "World"], fmt="JPEG")
    broken = data[: len(data) // 3]
    inspect_image(broken, max_pixels=LIMIT)  # the header is fine...
    with pytest.raises(ImageRejected) as refused:
        normalize_for_ocr(broken)  # ...the pixels are not
    assert refused.value.flaw is ImageFlaw.DAMAGED


def test_normalize_applies_exif_rotation_and_downscales() -> None:
    image = Image.new("RGB", (300, 100), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    data = encode(image, "JPEG", exif=exif.tobytes())
    with Image.open(io.BytesIO(normalize_for_ocr(data))) as upright:
        assert upright.size == (100, 300)
        assert upright.format == "PNG"
    with Image.open(io.BytesIO(normalize_for_ocr(render_note(["Hi"]), max_side=600))) as small:
        assert max(small.size) == 600


def test_a_strip_is_downscaled_by_its_short_side() -> None:
    """Scaled by its long side, a 20000×60 strip of text would be 2560×8: nothing left to read.
    A strip keeps at least max_side / STRIP_RATIO of its short side."""
    tape = encode(Image.new("RGB", (20_000, 60), "white"), "PNG")
    assert prepare_for_ocr(tape).size == (20_000, 60)
    wide = encode(Image.new("RGB", (20_000, 1_000), "white"), "PNG")
    assert prepare_for_ocr(wide).size == (3200, 160)  # 2560 / 16 = 160 px high
    page = encode(Image.new("RGB", (4_000, 3_000), "white"), "PNG")
    assert prepare_for_ocr(page).size == (2560, 1920)  # a page: by its long side, as before
